/* Hypercalls as the machine sees them: the names (hv/abi/hvcalls.def, for --log
 * hypercalls) and counters by partition (ASID) and call code. The simulated hardware
 * knows only that a guest executed VMMCALL with some RCX; the names are the ABI's. */
#ifndef HVSIM_MACHINE_HVCALLS_H
#define HVSIM_MACHINE_HVCALLS_H

#include <stdint.h>

#include "../base/counters.h"
#include "../cpu/cpu.h"

#define HVCALLS_KNOWN 32 /* >= the rows of hvcalls.def */

struct hvcall_stats {
	/* [ASID slot][call]: the last column counts codes hvcalls.def does not list */
	uint64_t count[CPU_MAX_CTX + 1][HVCALLS_KNOWN + 1];
};

/* Registers "hypercall.asid.N.<Name>" for every call of hvcalls.def and hooks the CPU's
 * VMMCALL exits and --log hypercalls names to them. */
void hvcalls_attach(struct hvcall_stats *s, struct cpu *c, struct counter_registry *reg);

#endif
