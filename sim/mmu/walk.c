#include "walk.h"

#define ADDR_MASK (((1ull << MMU_PHYS_ADDR_BITS) - 1) & PAGE_MASK)
/* bits 51:MAXPHYADDR are reserved in every entry */
#define RSVD_HIGH (((1ull << 52) - 1) & ~((1ull << MMU_PHYS_ADDR_BITS) - 1))

bool mmu_walk(struct physmem *pm, const struct walk_req *req, uint64_t la,
	      struct walk_result *r)
{
	uint64_t table = req->cr3 & ADDR_MASK;
	uint64_t entry_pa[4];
	uint64_t entry[4];
	bool rw = true, us = true, nx = false;
	uint32_t acc_bits = (req->access == MMU_WRITE ? PFEC_W : 0) | (req->user ? PFEC_U : 0) |
			    (req->access == MMU_EXEC && req->nxe ? PFEC_I : 0);
	int level;
	r->nrefs = 0;

	for (level = 3; level >= 0; level--) {
		unsigned idx = (la >> (12 + 9 * level)) & 511;
		uint64_t epa = table + 8 * idx;
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

	/* Accessed in every level used; dirty in the leaf on a write. */
	for (int l = 3; l >= level && !req->no_ad; l--) {
		uint64_t e = entry[l] | PTE_A;
		if (l == level && req->access == MMU_WRITE)
			e |= PTE_D;
		if (e != entry[l])
			phys_write(pm, entry_pa[l], 8, e);
		entry[l] = e;
	}

	uint64_t leaf = entry[level];
	r->page_size = 1ull << (12 + 9 * level);
	uint64_t base = leaf & ADDR_MASK & ~(r->page_size - 1);
	r->pa = base | (la & (r->page_size - 1));
	r->writable = rw;
	r->user = us;
	r->nx = nx && req->nxe;
	r->global = (leaf & PTE_G) != 0;
	r->dirty = (leaf & PTE_D) != 0;
	return true;
}
