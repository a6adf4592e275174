/* Self-modifying code: which 64-byte lines of which physical pages hold decoded
 * instructions, so that a write invalidates exactly the decoded instructions it touches.
 * Data that merely shares a page with code stays on a fast path (DESIGN.md "Speed by
 * design": invalidated when a code page is written). */
#ifndef HVSIM_CPU_SMC_H
#define HVSIM_CPU_SMC_H

#include "cpu.h"

/* Records that a decoded instruction occupies [pa, pa+len) (within one page). */
void smc_mark(struct cpu *c, uint64_t pa, unsigned len);
/* physmem's code-write hook: [pa, pa+len) (within one page) is about to be written. */
void smc_write(void *ctx, uint64_t pa, uint64_t len);
void smc_free(struct cpu *c);

#endif
