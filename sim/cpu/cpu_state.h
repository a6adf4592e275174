/* The CPU's architectural state as a list of named 64-bit values, for the digests of a
 * recording (sim/machine/record.c): replay compares them value by value and names the
 * ones that differ. Only architectural state and SVM's cached controls are listed:
 * nothing host-dependent (pointers, caches) and nothing the listing itself changes
 * (RFLAGS is computed from the lazy flags without folding them). */
#ifndef HVSIM_CPU_CPU_STATE_H
#define HVSIM_CPU_CPU_STATE_H

#include <stddef.h>
#include <stdint.h>

struct cpu;

/* Groups, in the order a mismatch report lists them */
enum cpu_state_group {
	CSG_REGISTER,      /* general-purpose registers, RIP, RFLAGS */
	CSG_SEGMENT,       /* segment registers, LDTR, TR, GDTR, IDTR */
	CSG_CONTROL,       /* CR0-CR8, EFER, CPL, the TLB tag */
	CSG_MSR,           /* the other MSRs the CPU implements */
	CSG_SVM,           /* SVM: GIF, guest mode, the running guest's cached controls */
	CSG_NR_CPU_GROUPS
};

size_t cpu_state_count(void);
const char *cpu_state_name(size_t i);
enum cpu_state_group cpu_state_group(size_t i);
const char *cpu_state_group_name(unsigned g);
/* Writes cpu_state_count() values; does not change the CPU. */
void cpu_state_read(const struct cpu *c, uint64_t *out);

#endif
