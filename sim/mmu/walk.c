#include "walk.h"

#define ADDR_MASK (((1ull << MMU_PHYS_ADDR_BITS) - 1) & PAGE_MASK)
/* bits 51:MAXPHYADDR are reserved in every entry */
#define RSVD_HIGH (((1ull << 52) - 1) & ~((1ull << MMU_PHYS_ADDR_BITS) - 1))

/* One guest-physical address through the nested tables. `final` says whether it is the
 * translation's final address or a guest page-table entry (the NPF bits differ). */
static bool nested_xlate(struct physmem *pm, const struct walk_req *nreq, uint64_t gpa,
			 enum mmu_access access, bool final, bool count, uint64_t *hpa,
			 struct walk_result *r, struct walk_result *nr)
{
	struct walk_req q = *nreq;
	q.access = access;
	q.user = true; /* nested accesses are user accesses (specs/svm.md) */
	q.nested = 0;
	bool ok = mmu_walk(pm, &q, gpa, nr);
	if (count)
		r->nested_refs += nr->nrefs;
	if (!ok) {
		r->npf = true;
		r->npf_gpa = gpa;
		r->npf_info1 = nr->pf_error | (final ? NPF_FINAL_GPA : NPF_GUEST_TABLE);
		return false;
	}
	*hpa = nr->pa;
	return true;
}

bool mmu_walk(struct physmem *pm, const struct walk_req *req, uint64_t la,
	      struct walk_result *r)
{
	uint64_t table = req->cr3 & ADDR_MASK;
	uint64_t entry_pa[4];  /* where each entry lives (host-physical) */
	uint64_t entry_gpa[4]; /* ... and its guest-physical address under nested paging */
	uint64_t entry[4];
	bool rw = true, us = true, nx = false;
	uint32_t acc_bits = (req->access == MMU_WRITE ? PFEC_W : 0) | (req->user ? PFEC_U : 0) |
			    (req->access == MMU_EXEC && req->nxe ? PFEC_I : 0);
	int level;
	struct walk_result nr;
	r->nrefs = 0;
	r->nested_refs = 0;
	r->npf = false;

	for (level = 3; level >= 0; level--) {
		unsigned idx = (la >> (12 + 9 * level)) & 511;
		uint64_t epa = table + 8 * idx;
		entry_gpa[level] = epa;
		if (req->nested && !nested_xlate(pm, req->nested, epa, MMU_READ, false, true, &epa, r, &nr))
			return false;
		uint64_t e = phys_read(pm, epa, 8);
		r->refs[r->nrefs++] = epa;
		entry_pa[level] = epa;
		entry[level] = e;
		if (!(e & PTE_P)) {
			r->pf_error = acc_bits;
			return false;
		}
		uint64_t rsvd = RSVD_HIGH | (req->nxe ? 0 : PTE_NX);
		if (level == 3)
			rsvd |= PTE_PS; /* a PML4E cannot map a page */
		if ((e & PTE_PS) && level == 2)
			rsvd |= 0x3fffe000ull; /* 1 GiB page: bits 29:13 */
		if ((e & PTE_PS) && level == 1)
			rsvd |= 0x1fe000ull;   /* 2 MiB page: bits 20:13 */
		if (e & rsvd) {
			r->pf_error = acc_bits | PFEC_P | PFEC_RSVD;
			return false;
		}
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_US);
		nx = nx || (e & PTE_NX);
		if (level == 0 || (e & PTE_PS))
			break; /* a leaf: 4 KiB PTE, or PS in a PDE (2 MiB) or PDPE (1 GiB) */
		table = e & ADDR_MASK;
	}

	/* Access rights (APM vol. 2 §5.6): user accesses need U/S in every level and R/W for
	 * writes; supervisor writes need R/W when CR0.WP is set; fetches fail on NX. */
	bool ok = true;
	if (req->user && !us)
		ok = false;
	if (req->access == MMU_WRITE && !rw && (req->user || req->wp))
		ok = false;
	if (req->access == MMU_EXEC && req->nxe && nx)
		ok = false;
	if (!ok) {
		r->pf_error = acc_bits | PFEC_P;
		return false;
	}

	uint64_t leaf = entry[level];
	uint64_t page_size = 1ull << (12 + 9 * level);
	uint64_t pa = (leaf & ADDR_MASK & ~(page_size - 1)) | (la & (page_size - 1));

	/* Under nested paging the final guest-physical address is translated too, before
	 * anything is written: a fault leaves the guest's tables untouched. */
	struct walk_result fin;
	uint64_t hpa = pa;
	if (req->nested &&
	    !nested_xlate(pm, req->nested, pa, req->access, true, true, &hpa, r, &fin))
		return false;

	/* Accessed in every level used; dirty in the leaf on a write. Under nested paging a
	 * guest table update is a write in the nested dimension (specs/svm.md): every
	 * update is checked before any is made. */
	uint64_t updated[4];
	for (int l = 3; l >= level; l--) {
		updated[l] = entry[l] | PTE_A;
		if (l == level && req->access == MMU_WRITE)
			updated[l] |= PTE_D;
		uint64_t unused;
		if (req->nested && !req->no_ad && updated[l] != entry[l] &&
		    !nested_xlate(pm, req->nested, entry_gpa[l], MMU_WRITE, false, false, &unused, r, &nr))
			return false;
	}
	for (int l = 3; l >= level && !req->no_ad; l--)
		if (updated[l] != entry[l])
			phys_write(pm, entry_pa[l], 8, updated[l]);
	if (!req->no_ad)
		leaf = updated[level];

	r->page_size = page_size;
	r->guest_page_size = page_size;
	r->pa = hpa;
	r->writable = rw;
	r->user = us;
	r->nx = nx && req->nxe;
	r->global = (leaf & PTE_G) != 0;
	r->dirty = (leaf & PTE_D) != 0;
	if (req->nested) {
		/* the combined translation: the smaller page, and the nested permissions too */
		if (fin.page_size < r->page_size)
			r->page_size = fin.page_size;
		r->writable = r->writable && fin.writable;
		r->nx = r->nx || fin.nx;
		/* a write must walk (and fault) when the nested page is read-only, whatever
		 * CR0.WP lets the guest do with its own read-only pages */
		r->dirty = r->dirty && fin.dirty && fin.writable;
	}
	return true;
}
