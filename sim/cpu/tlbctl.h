/* The CPU's side of TLB maintenance: what each architectural event flushes
 * (SDM vol. 3 §4.10.4, AMD APM vol. 2 §5.5). sim/tlb holds the model; this file maps
 * MOV CR3, MOV CR4, INVLPG and INVPCID onto its flush operations. */
#ifndef HVSIM_CPU_TLBCTL_H
#define HVSIM_CPU_TLBCTL_H

#include "cpu.h"

/* MOV CR3: the new value is already in c->cr3. no_flush: CR4.PCIDE and bit 63 set. */
void tlbctl_cr3_write(struct cpu *c, bool no_flush);
/* MOV CR4 changed PGE or PCIDE (or CR0.PG/WP): everything of the current ASID. */
void tlbctl_flush_all(struct cpu *c);
void tlbctl_invlpg(struct cpu *c, uint64_t la);
void tlbctl_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t la);

#endif
