/* What a recording's digests hold (docs/trace-format.md "Digests"): the CPU's
 * architectural state (sim/cpu/cpu_state.h) followed by every registered counter, each a
 * named 64-bit value, plus at the end of the run a hash of RAM per region. Replay
 * compares value by value, so it can name what differs. Nothing host-dependent enters a
 * digest: no pointers, no host time, and no counter of the host-side fast path. */
#ifndef HVSIM_MACHINE_DIGEST_H
#define HVSIM_MACHINE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../cpu/cpu_state.h"

struct machine;
struct physmem;

/* Group of a counter in a schema (after the CPU's groups, cpu_state.h) */
#define DIGEST_GROUP_COUNTER CSG_NR_CPU_GROUPS
#define DIGEST_NR_GROUPS (CSG_NR_CPU_GROUPS + 1)

struct digest_schema {
	size_t n;
	char **names;
	uint8_t *group;
	const uint64_t **counter;  /* live machine schemas: each counter's address, else NULL */
};

/* The schema of machine m as this build defines it. False when out of host memory. */
bool digest_schema_of(struct digest_schema *s, const struct machine *m);
/* Adds one name (a schema read from a file). False when out of host memory. */
bool digest_schema_add(struct digest_schema *s, uint8_t group, const char *name);
void digest_schema_free(struct digest_schema *s);
/* Index of name in s, or -1. */
long digest_schema_find(const struct digest_schema *s, const char *name);

/* The current values of m's schema s (s from digest_schema_of(m)). Brings the CPU's
 * deferred counters up to date first (cpu_sync_counters), which changes no total. */
void digest_read(struct machine *m, const struct digest_schema *s, uint64_t *out);

/* RAM as region hashes: region_bytes is a power of two, at least 2 MiB, chosen so
 * that there are at most 512 regions. The hash of a region depends only on its bytes
 * (pages of zeros contribute nothing). */
uint64_t digest_ram_region_bytes(uint64_t ram_bytes);
void digest_ram(const struct physmem *pm, uint64_t region_bytes, uint64_t *out);

#endif
