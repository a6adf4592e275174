/* The CPU's side of TLB maintenance: what each architectural event flushes
 * (SDM vol. 3 §4.10.4, AMD APM vol. 2 §5.5 and §15.16). sim/tlb holds the model; this
 * file maps MOV CR3, MOV CR4, INVLPG, INVPCID, TLB_CONTROL, INVLPGA and (untagged) VM
 * transitions onto its flush operations, charges their cost and logs them. */
#ifndef HVSIM_CPU_TLBCTL_H
#define HVSIM_CPU_TLBCTL_H

#include "cpu.h"

/* MOV CR3: the new value is already in c->cr3. no_flush: CR4.PCIDE and bit 63 set. */
void tlbctl_cr3_write(struct cpu *c, bool no_flush);
/* MOV CR4 changed PGE or PCIDE: everything of the current ASID. */
void tlbctl_flush_all(struct cpu *c);
void tlbctl_invlpg(struct cpu *c, uint64_t la);
void tlbctl_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t la);
/* VMRUN's TLB_CONTROL: TLB_FLUSH_FULL (1), TLB_FLUSH_ASID (3), TLB_FLUSH_ASID_NONGLOBAL (7) */
void tlbctl_svm_flush(struct cpu *c, enum tlb_flush_kind kind, uint32_t guest_asid);
/* INVLPGA: one page of one ASID, requested by the host */
void tlbctl_invlpga(struct cpu *c, uint64_t va, uint32_t asid);
/* Every VMRUN and #VMEXIT: empties the TLB on untagged hardware, nothing when tagged. */
void tlbctl_vm_transition(struct cpu *c);

#endif
