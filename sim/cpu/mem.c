/* The slow path of memory accesses: the TLB model (sim/tlb), then the page walk
 * (sim/mmu), with the timing of each (shared/specs/timing.md); and the fast-path entries
 * that mirror the model's L1. */
#include "mem.h"

#include <stdio.h>

#include "cpu_event.h"
#include "smc.h"
#include "svm.h"

static inline enum tlb_kind tlb_kind_of(enum mmu_access acc)
{
	return acc == MMU_EXEC ? TLB_FETCH : TLB_DATA;
}

static inline uint16_t current_pcid(const struct cpu *c)
{
	return (c->cr4 & CR4_PCIDE) ? (uint16_t)(c->cr3 & TLB_PCID_MASK) : 0;
}

/* Whether a cached translation allows the access without a walk. A write to an entry
 * whose dirty bit is not known set walks, to set it (SDM vol. 3 §4.8). On a permission
 * failure the walk decides: AMD re-walks before raising #PF (APM vol. 2 §5.5.2). */
static bool tlb_permits(const struct cpu *c, const struct tlb_entry *e, enum mmu_access acc,
			bool user)
{
	return tlb_entry_allows(e, acc == MMU_WRITE, acc == MMU_EXEC, user, (c->cr0 & CR0_WP) != 0);
}

/* The walk for the CPU's current paging state; under nested paging *nested receives the
 * nested walk's settings: nCR3 and the host's paging mode (specs/svm.md "Nested walk"). */
static void walk_req_for(const struct cpu *c, struct walk_req *req, struct walk_req *nested,
			 enum mmu_access acc, bool user)
{
	*req = (struct walk_req){ .cr3 = c->cr3, .user = user, .wp = (c->cr0 & CR0_WP) != 0,
				  .nxe = (c->efer & EFER_NXE) != 0, .access = acc };
	if (c->svm.guest && c->svm.np) {
		*nested = (struct walk_req){ .cr3 = c->svm.ncr3, .user = true,
					     .wp = (c->svm.host_cr0 & CR0_WP) != 0,
					     .nxe = (c->svm.host_efer & EFER_NXE) != 0 };
		req->nested = nested;
	}
}

/* --check-tlb: the page tables must still say what the TLB entry says. */
static void check_tlb_hit(struct cpu *c, uint64_t la, enum mmu_access acc, bool user,
			  const struct tlb_entry *e)
{
	struct walk_req req, nreq;
	struct walk_result r = { 0 };
	walk_req_for(c, &req, &nreq, acc, user);
	req.no_ad = true;
	nreq.no_ad = true;
	bool ok = mmu_walk(c->pm, &req, la, &r);
	uint64_t tlb_pa = e->pa + (la & (tlb_page_bytes((enum tlb_page_size)e->size) - 1));
	if (ok && r.pa == tlb_pa)
		return;
	char now[64];
	if (ok)
		snprintf(now, sizeof now, "PA 0x%llx", (unsigned long long)r.pa);
	else if (r.npf)
		snprintf(now, sizeof now, "a nested page fault at GPA 0x%llx",
			 (unsigned long long)r.npf_gpa);
	else
		snprintf(now, sizeof now, "a #PF (error 0x%x)", r.pf_error);
	snprintf(c->stop_detail, sizeof c->stop_detail,
		 "--check-tlb: stale TLB entry for VA 0x%llx (ASID %u, PCID %u) at RIP 0x%llx after "
		 "%llu instructions: the TLB gives PA 0x%llx, the page tables %s (a missing INVLPG "
		 "or flush in the guest, or a model bug)",
		 (unsigned long long)la, e->asid, e->pcid, (unsigned long long)c->rip,
		 (unsigned long long)c->insns_retired, (unsigned long long)tlb_pa, now);
	cpu_request_stop(c, STOP_CHECK_FAILED, 0);
}

static void install_fast(struct cpu *c, uint64_t la, enum mmu_access acc,
			 const struct tlb_entry *e, uint64_t pa)
{
	uint8_t *host = phys_page_ptr(c->pm, pa & PAGE_MASK);
	/* --check-tlb and a --trace of memory references see every access: no fast path */
	if (!host || !e || c->check_tlb || (c->tracer && (c->tracer->mask & CEV_BIT(CEV_REF))))
		return;
	/* A write entry for a page holding decoded code misses the inline fast path and goes
	 * through mem_write_slow, which tells smc.c. */
	bool code = acc == MMU_WRITE && phys_is_code(c->pm, pa >> PAGE_SHIFT);
	struct ftlb_entry *f = &c->ftlb[acc][(la >> PAGE_SHIFT) & (FTLB_SIZE - 1)];
	f->tag = (la & PAGE_MASK) | c->ftlb_epoch | (code ? FTLB_CODE_PAGE : 0);
	f->host = host;
	f->model = (struct tlb_entry *)e;
	f->stamp = tlb_entry_stamp(&c->tlb, e);
	f->gen = e->gen;
}

/* Translates one byte's page for an access at privilege `user`: the TLB model, else a
 * walk and a fill. With `install`, the access is the CPU's own and the fast path learns
 * the page. */
static uint64_t translate_as(struct cpu *c, uint64_t la, enum mmu_access acc, bool user,
			     bool install)
{
	if (unlikely(!mmu_canonical(la)))
		cpu_fault(c, EXC_GP, 0);
	enum tlb_kind kind = tlb_kind_of(acc);
	uint16_t pcid = current_pcid(c);
	enum tlb_level level;
	const struct tlb_entry *e = tlb_lookup(&c->tlb, c->asid, pcid, la, kind, &level);
	uint64_t pa;
	if (e && tlb_permits(c, e, acc, user)) {
		if (level == TLB_L2)
			c->cycles += c->params->v[PARAM_TIMING_TLB_L2_HIT];
		pa = e->pa + (la & (tlb_page_bytes((enum tlb_page_size)e->size) - 1));
		if (c->check_tlb)
			check_tlb_hit(c, la, acc, user, e);
		if (unlikely(c->tracer != NULL))
			cpu_trace_ref(c, la, acc, user, level == TLB_L2 ? CEV_HIT_L2 : CEV_HIT_L1,
				      false, e);
	} else {
		struct walk_req req, nreq;
		struct walk_result r;
		/* --trace: a hit the permissions refused is reported with its level */
		enum cev_ref_level ref_level = !e ? CEV_MISS : level == TLB_L2 ? CEV_HIT_L2 : CEV_HIT_L1;
		walk_req_for(c, &req, &nreq, acc, user);
		c->page_walks++;
		bool ok = mmu_walk(c->pm, &req, la, &r);
		c->walk_refs += r.nrefs;
		c->walk_nested_refs += r.nested_refs;
		c->ctx_walk_refs[cpu_ctx_slot(c->asid)] += r.nrefs;
		c->ctx_walk_nested_refs[cpu_ctx_slot(c->asid)] += r.nested_refs;
		uint64_t cost = (r.nrefs + r.nested_refs) * c->params->v[PARAM_TIMING_WALK_REF];
		c->walk_cycles += cost;
		c->cycles += cost;
		if (!ok) {
			if (unlikely(c->tracer != NULL))
				cpu_trace_ref(c, la, acc, user, ref_level, true, NULL);
			if (r.npf) {
				/* a nested page fault exits to the host (EXITCODE 0x400) */
				c->svm.exit_code = SVM_EXIT_NPF;
				c->svm.exit_info1 = r.npf_info1;
				c->svm.exit_info2 = r.npf_gpa;
				cpu_fault(c, VEC_VMEXIT, 0);
			}
			c->pf_addr = la;
			cpu_fault(c, EXC_PF, r.pf_error);
		}
		enum tlb_page_size size = r.page_size == (1ull << 30) ? TLB_1G
					  : r.page_size == (1ull << 21) ? TLB_2M : TLB_4K;
		enum tlb_page_size span = r.guest_page_size == (1ull << 30) ? TLB_1G
					  : r.guest_page_size == (1ull << 21) ? TLB_2M : TLB_4K;
		uint64_t base = r.pa & ~(r.page_size - 1);
		struct tlb_entry n = {
			.vpn = la >> TLB_PAGE_SHIFT, .pa = base, .host = phys_page_ptr(c->pm, base),
			.asid = c->asid, .pcid = pcid, .size = (uint8_t)size, .span = (uint8_t)span,
			.flags = (uint8_t)((r.writable ? TLB_W : 0) | (r.user ? TLB_U : 0) |
					   (r.nx ? TLB_NX : 0) | (r.dirty ? TLB_D : 0) |
					   (r.global && (c->cr4 & CR4_PGE) ? TLB_G : 0)),
		};
		e = tlb_fill(&c->tlb, &n, kind);
		pa = r.pa;
		if (unlikely(c->tracer != NULL)) {
			cpu_trace_ref(c, la, acc, user, ref_level, true, e);
			cpu_trace_fill(c, la, acc, e);
		}
	}
	if (install)
		install_fast(c, la, acc, e, pa);
	return pa;
}

static uint64_t translate(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate_as(c, la, acc, c->cpl == 3, true);
}

uint64_t mem_translate(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate(c, la, acc);
}

typedef uint64_t (*translate_fn)(struct cpu *c, uint64_t la, enum mmu_access acc);

/* An access of 1..8 bytes through translator xl. One that crosses a page translates both
 * halves before touching either, so a fault on the second changes nothing. */
static uint64_t read_split(struct cpu *c, uint64_t la, unsigned size, enum mmu_access acc,
			   translate_fn xl)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	if (off + size <= PAGE_SIZE)
		return phys_read(c->pm, xl(c, la, acc), size);
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = xl(c, la, acc);
	uint64_t pa1 = xl(c, la + first, acc);
	uint64_t lo = phys_read(c->pm, pa0, first);
	uint64_t hi = phys_read(c->pm, pa1, size - first);
	return lo | hi << (8 * first);
}

static void write_split(struct cpu *c, uint64_t la, unsigned size, uint64_t v, translate_fn xl)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	if (off + size <= PAGE_SIZE) {
		phys_write(c->pm, xl(c, la, MMU_WRITE), size, v);
		return;
	}
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = xl(c, la, MMU_WRITE);
	uint64_t pa1 = xl(c, la + first, MMU_WRITE);
	phys_write(c->pm, pa0, first, v);
	phys_write(c->pm, pa1, size - first, v >> (8 * first));
}

uint64_t mem_read_slow(struct cpu *c, uint64_t la, unsigned size, enum mmu_access acc)
{
	c->ftlb_misses++;
	return read_split(c, la, size, acc, translate);
}

void mem_write_slow(struct cpu *c, uint64_t la, unsigned size, uint64_t v)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	struct ftlb_entry *f = &c->ftlb[MMU_WRITE][(la >> PAGE_SHIFT) & (FTLB_SIZE - 1)];
	if (f->tag == ((la & PAGE_MASK) | c->ftlb_epoch | FTLB_CODE_PAGE) &&
	    off + size <= PAGE_SIZE && f->model->gen == f->gen) {
		/* a page that holds decoded code: invalidate what the write touches */
		tlb_touch(&c->tlb, f->stamp);
		c->fast_hits[MMU_WRITE]++;
		uint64_t pa = (uint64_t)(f->host - c->pm->host) + off;
		if (phys_is_code(c->pm, pa >> PAGE_SHIFT))
			smc_write(c, pa, size);
		store_le(f->host + off, size, v);
		return;
	}
	c->ftlb_misses++;
	write_split(c, la, size, v, translate);
}

void mem_probe_write(struct cpu *c, uint64_t la, unsigned size)
{
	if (ftlb_hit(c, MMU_WRITE, la, size))
		return;
	translate(c, la, MMU_WRITE);
	if ((la & (PAGE_SIZE - 1)) + size > PAGE_SIZE)
		translate(c, (la | (PAGE_SIZE - 1)) + 1, MMU_WRITE);
}

/* Implicit supervisor accesses (descriptor tables, the TSS, the interrupt frame of a
 * handler at CPL 0): checked as CPL 0 whatever the current CPL; the fast path learns the
 * page only when CPL 0 is the current level. */
static uint64_t translate_sys(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate_as(c, la, acc, false, c->cpl != 3);
}

uint64_t mem_read_sys(struct cpu *c, uint64_t la, unsigned size)
{
	return read_split(c, la, size, MMU_READ, translate_sys);
}

void mem_write_sys(struct cpu *c, uint64_t la, unsigned size, uint64_t v)
{
	write_split(c, la, size, v, translate_sys);
}

void mem_probe_write_sys(struct cpu *c, uint64_t la, unsigned size)
{
	translate_sys(c, la, MMU_WRITE);
	if ((la & (PAGE_SIZE - 1)) + size > PAGE_SIZE)
		translate_sys(c, (la | (PAGE_SIZE - 1)) + 1, MMU_WRITE);
}
