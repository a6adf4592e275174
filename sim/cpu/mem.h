/* Linear-address memory accesses of the CPU: the fast path (a direct-mapped cache of
 * host page pointers mirroring the modeled L1 TLB: one compare and a generation check on
 * a hit) and the slow path through the TLB model and the page walker. Faults (#PF, #GP
 * for non-canonical addresses) leave through cpu_fault(). */
#ifndef HVSIM_CPU_MEM_H
#define HVSIM_CPU_MEM_H

#include <string.h>

#include "cpu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define MEM_INLINE static inline __attribute__((always_inline))

/* Slow paths (mem.c): the TLB model, the page walk, page crossings, beyond-RAM addresses. */
uint64_t mem_read_slow(struct cpu *c, uint64_t la, unsigned size, enum mmu_access acc);
void mem_write_slow(struct cpu *c, uint64_t la, unsigned size, uint64_t v);
/* Translates la for `acc`, raising #PF/#GP on failure; returns the physical address. */
uint64_t mem_translate(struct cpu *c, uint64_t la, enum mmu_access acc);
/* Checks that [la, la+size) is writable without writing (for instructions that must not
 * change state before every write is known to succeed). */
void mem_probe_write(struct cpu *c, uint64_t la, unsigned size);
/* Implicit supervisor-mode accesses (SDM vol. 3 §4.6.1): descriptor tables, the TSS,
 * the stack of an interrupt handler at CPL 0. */
uint64_t mem_read_sys(struct cpu *c, uint64_t la, unsigned size);
void mem_write_sys(struct cpu *c, uint64_t la, unsigned size, uint64_t v);
void mem_probe_write_sys(struct cpu *c, uint64_t la, unsigned size);

/* A fast-path hit for [la, la+size) within one page: the host address, or NULL. Counts
 * the hit as an L1 TLB hit and marks the model entry used. */
MEM_INLINE uint8_t *ftlb_hit(struct cpu *c, enum mmu_access acc, uint64_t la, unsigned size)
{
	struct ftlb_entry *e = &c->ftlb[acc][(la >> PAGE_SHIFT) & (FTLB_SIZE - 1)];
	if (likely(e->tag == ((la & PAGE_MASK) | c->ftlb_epoch) &&
		   (la & (PAGE_SIZE - 1)) + size <= PAGE_SIZE && e->model->gen == e->gen)) {
		tlb_touch(&c->tlb, e->stamp);
		c->fast_hits[acc]++;
		return e->host + (la & (PAGE_SIZE - 1));
	}
	return 0;
}

MEM_INLINE uint64_t load_le(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

MEM_INLINE void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

MEM_INLINE uint64_t mem_read(struct cpu *c, uint64_t la, unsigned size)
{
	uint8_t *p = ftlb_hit(c, MMU_READ, la, size);
	if (likely(p != 0))
		return load_le(p, size);
	return mem_read_slow(c, la, size, MMU_READ);
}

MEM_INLINE void mem_write(struct cpu *c, uint64_t la, unsigned size, uint64_t v)
{
	uint8_t *p = ftlb_hit(c, MMU_WRITE, la, size);
	if (likely(p != 0)) {
		store_le(p, size, v);
		return;
	}
	mem_write_slow(c, la, size, v);
}

#endif
