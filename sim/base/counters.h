/* The counter registry: every counter is registered once, by the layer that owns it.
 * A counter is a plain uint64_t living in its owner's state; the registry only keeps
 * its name, description and address, so counting costs nothing on the hot path. */
#ifndef HVSIM_BASE_COUNTERS_H
#define HVSIM_BASE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct counter {
	char *name;           /* stable, dotted: "cpu.insns_retired" */
	char *desc;           /* one line, for the text dump and --help */
	const uint64_t *value;
};

struct counter_registry {
	struct counter *v;
	size_t n, cap;
};

void counters_init(struct counter_registry *r);
void counters_free(struct counter_registry *r);
/* Registers `value` under `name`; name and desc are copied. Aborts on a duplicate name:
 * that is a programming error, never a user error. */
void counter_register(struct counter_registry *r, const char *name, const char *desc,
		      const uint64_t *value);
/* Returns the counter called `name`, or NULL. */
const struct counter *counter_find(const struct counter_registry *r, const char *name);

#endif
