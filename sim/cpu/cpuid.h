#ifndef HVSIM_CPU_CPUID_H
#define HVSIM_CPU_CPUID_H

#include "cpu.h"

/* The values CPUID returns for (leaf, subleaf): EAX, EBX, ECX, EDX. */
void cpuid_query(const struct cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
