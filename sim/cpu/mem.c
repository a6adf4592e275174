#include "mem.h"

#include "smc.h"

/* The walk request for the CPU's current paging state. */
static void walk_req_for(const struct cpu *c, struct walk_req *req, enum mmu_access acc,
			 bool user)
{
	req->cr3 = c->cr3;
	req->user = user;
	req->wp = (c->cr0 & CR0_WP) != 0;
	req->nxe = (c->efer & EFER_NXE) != 0;
	req->access = acc;
}

/* Translates one byte's page for an access at privilege `user`; when install is set and
 * the page lies in RAM, installs a fast-path entry (only for the CPU's own CPL). */
static uint64_t translate_as(struct cpu *c, uint64_t la, enum mmu_access acc, bool user,
			     bool install)
{
	if (unlikely(!mmu_canonical(la)))
		cpu_fault(c, EXC_GP, 0);
	if (!(c->cr0 & CR0_PG))
		return la; /* hvsim runs only in long mode, but keep the rule where it belongs */
	struct walk_req req;
	struct walk_result r;
	walk_req_for(c, &req, acc, user);
	c->page_walks++;
	bool ok = mmu_walk(c->pm, &req, la, &r);
	c->walk_refs += r.nrefs;
	if (!ok) {
		c->cr2 = la;
		cpu_fault(c, EXC_PF, r.pf_error);
	}
	uint64_t page_pa = r.pa & PAGE_MASK;
	uint8_t *host = phys_page_ptr(c->pm, page_pa);
	if (host && install) {
		/* A write entry for a page holding decoded code gets tag bit 1: it misses the
		 * inline fast path and goes through mem_write_slow, which tells smc.c. */
		struct ftlb_entry *e = &c->ftlb[acc][(la >> PAGE_SHIFT) & (FTLB_SIZE - 1)];
		bool code = acc == MMU_WRITE && phys_is_code(c->pm, page_pa >> PAGE_SHIFT);
		e->tag = (la & PAGE_MASK) | 1 | (code ? 2 : 0);
		e->host = host;
	}
	return r.pa;
}

static uint64_t translate(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate_as(c, la, acc, c->cpl == 3, true);
}

uint64_t mem_translate(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate(c, la, acc);
}

uint64_t mem_read_slow(struct cpu *c, uint64_t la, unsigned size, enum mmu_access acc)
{
	c->ftlb_misses++;
	uint64_t off = la & (PAGE_SIZE - 1);
	if (off + size <= PAGE_SIZE)
		return phys_read(c->pm, translate(c, la, acc), size);
	/* crossing a page: both halves must translate before either is read */
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = translate(c, la, acc);
	uint64_t pa1 = translate(c, la + first, acc);
	uint64_t lo = phys_read(c->pm, pa0, first);
	uint64_t hi = phys_read(c->pm, pa1, size - first);
	return lo | hi << (8 * first);
}

void mem_write_slow(struct cpu *c, uint64_t la, unsigned size, uint64_t v)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	struct ftlb_entry *e = &c->ftlb[MMU_WRITE][(la >> PAGE_SHIFT) & (FTLB_SIZE - 1)];
	if (e->tag == ((la & PAGE_MASK) | 3) && off + size <= PAGE_SIZE) {
		/* a page that holds decoded code: invalidate what the write touches */
		uint64_t pa = (uint64_t)(e->host - c->pm->host) + off;
		if (phys_is_code(c->pm, pa >> PAGE_SHIFT))
			smc_write(c, pa, size);
		store_le(e->host + off, size, v);
		return;
	}
	c->ftlb_misses++;
	if (off + size <= PAGE_SIZE) {
		phys_write(c->pm, translate(c, la, MMU_WRITE), size, v);
		return;
	}
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = translate(c, la, MMU_WRITE);
	uint64_t pa1 = translate(c, la + first, MMU_WRITE);
	phys_write(c->pm, pa0, first, v);
	phys_write(c->pm, pa1, size - first, v >> (8 * first));
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
 * handler at CPL 0): checked as CPL 0 whatever the current CPL, never cached. */
static uint64_t translate_sys(struct cpu *c, uint64_t la, enum mmu_access acc)
{
	return translate_as(c, la, acc, false, c->cpl != 3);
}

uint64_t mem_read_sys(struct cpu *c, uint64_t la, unsigned size)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	if (off + size <= PAGE_SIZE)
		return phys_read(c->pm, translate_sys(c, la, MMU_READ), size);
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = translate_sys(c, la, MMU_READ);
	uint64_t pa1 = translate_sys(c, la + first, MMU_READ);
	return phys_read(c->pm, pa0, first) | phys_read(c->pm, pa1, size - first) << (8 * first);
}

void mem_write_sys(struct cpu *c, uint64_t la, unsigned size, uint64_t v)
{
	uint64_t off = la & (PAGE_SIZE - 1);
	if (off + size <= PAGE_SIZE) {
		phys_write(c->pm, translate_sys(c, la, MMU_WRITE), size, v);
		return;
	}
	unsigned first = (unsigned)(PAGE_SIZE - off);
	uint64_t pa0 = translate_sys(c, la, MMU_WRITE);
	uint64_t pa1 = translate_sys(c, la + first, MMU_WRITE);
	phys_write(c->pm, pa0, first, v);
	phys_write(c->pm, pa1, size - first, v >> (8 * first));
}

void mem_probe_write_sys(struct cpu *c, uint64_t la, unsigned size)
{
	translate_sys(c, la, MMU_WRITE);
	if ((la & (PAGE_SIZE - 1)) + size > PAGE_SIZE)
		translate_sys(c, (la | (PAGE_SIZE - 1)) + 1, MMU_WRITE);
}
