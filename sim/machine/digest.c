/* The digests' content (digest.h): the schema, reading it from a machine, and the RAM
 * region hashes. */
#include "digest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "machine.h"

/* Counters that measure the host's shortcuts, not the simulated machine: the fast path
 * is off under --check-tlb and --trace-events ref, so they would differ between a run
 * and its traced replay while everything simulated is the same. */
static bool host_side_counter(const char *name)
{
	return strcmp(name, "cpu.fastpath.misses") == 0;
}

bool digest_schema_add(struct digest_schema *s, uint8_t group, const char *name)
{
	size_t n = s->n + 1;
	char **names = realloc(s->names, n * sizeof *names);
	if (names)
		s->names = names;
	uint8_t *g = realloc(s->group, n);
	if (g)
		s->group = g;
	const uint64_t **ctr = realloc(s->counter, n * sizeof *ctr);
	if (ctr)
		s->counter = ctr;
	char *copy = strdup(name);
	if (!names || !g || !ctr || !copy) {
		free(copy);
		return false;
	}
	s->names[s->n] = copy;
	s->group[s->n] = group;
	s->counter[s->n] = NULL;
	s->n = n;
	return true;
}

bool digest_schema_of(struct digest_schema *s, const struct machine *m)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < cpu_state_count(); i++)
		if (!digest_schema_add(s, (uint8_t)cpu_state_group(i), cpu_state_name(i)))
			return false;
	for (size_t i = 0; i < m->counters.n; i++) {
		const struct counter *c = &m->counters.v[i];
		if (host_side_counter(c->name))
			continue;
		if (!digest_schema_add(s, DIGEST_GROUP_COUNTER, c->name))
			return false;
		s->counter[s->n - 1] = c->value;
	}
	return true;
}

void digest_schema_free(struct digest_schema *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->group);
	free(s->counter);
	memset(s, 0, sizeof *s);
}

long digest_schema_find(const struct digest_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return (long)i;
	return -1;
}

void digest_read(struct machine *m, const struct digest_schema *s, uint64_t *out)
{
	cpu_sync_counters(&m->cpu);
	size_t ncpu = cpu_state_count();
	cpu_state_read(&m->cpu, out);
	for (size_t i = ncpu; i < s->n; i++)
		out[i] = s->counter[i] ? *s->counter[i] : 0;
}

/* ---- RAM ---- */

#define MAX_REGIONS 512

uint64_t digest_ram_region_bytes(uint64_t ram_bytes)
{
	uint64_t r = 2ull << 20;
	while (ram_bytes / r > MAX_REGIONS)
		r <<= 1;
	return r;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9E3779B97F4A7C15ull; /* 2^64 / golden ratio: an odd multiplier that spreads bits */
	return h ^ (h >> 31);
}

static bool page_is_zero(const uint8_t *p)
{
	uint64_t acc = 0;
	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	return acc == 0;
}

/* RAM is a private anonymous mapping (sim/mmu/phys.c), so a page the host never backed
 * reads as zero. /proc/self/pagemap says which pages are
 * neither present nor swapped (Linux Documentation/admin-guide/mm/pagemap.rst: bit 63
 * present, bit 62 swapped); skipping them only saves time, the hash is the same. */
void digest_ram(const struct physmem *pm, uint64_t region_bytes, uint64_t *out)
{
	uint64_t nregions = (pm->size_bytes + region_bytes - 1) / region_bytes;
	uint64_t per_region = region_bytes / PAGE_SIZE;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t *map = fd >= 0 ? malloc(per_region * sizeof *map) : NULL;
	for (uint64_t r = 0; r < nregions; r++) {
		uint64_t first = r * per_region;
		uint64_t npages = (pm->size_bytes / PAGE_SIZE) - first;
		if (npages > per_region)
			npages = per_region;
		bool have_map = false;
		if (map) {
			off_t at = (off_t)(((uintptr_t)pm->host / PAGE_SIZE + first) * sizeof *map);
			ssize_t want = (ssize_t)(npages * sizeof *map);
			have_map = pread(fd, map, (size_t)want, at) == want;
		}
		uint64_t h = mix(0, r);
		for (uint64_t i = 0; i < npages; i++) {
			if (have_map && !(map[i] >> 62))
				continue;
			const uint8_t *page = pm->host + (first + i) * PAGE_SIZE;
			if (page_is_zero(page))
				continue;
			h = mix(mix(h, first + i), crc32(0, page, PAGE_SIZE));
		}
		out[r] = h;
	}
	free(map);
	if (fd >= 0)
		close(fd);
}
