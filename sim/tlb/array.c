/* One set-associative array: see array.h. Replacement: LRU or seeded random. */
#include "array.h"

#include <stdlib.h>

#include "prng.h"

bool tlb_array_alloc(struct tlb_array *a, const struct tlb_geometry *g)
{
	*a = (struct tlb_array){ 0 };
	if (g->entries == 0)
		return true;
	a->ways = g->ways ? g->ways : g->entries;
	a->sets = g->entries / a->ways;
	a->slot = calloc(g->entries, sizeof *a->slot);
	a->key = calloc(g->entries, sizeof *a->key);
	a->stamp = calloc(g->entries, sizeof *a->stamp);
	if (!a->stamp)
		return false;
	if (a->sets == 1 && a->ways >= TLB_INDEX_MIN_WAYS) {
		uint32_t n = 1;
		while (n < 2 * a->ways)
			n <<= 1;
		a->index = calloc(n, sizeof *a->index);
		a->index_mask = n - 1;
		if (!a->index)
			return false;
	}
	return a->slot != NULL && a->key != NULL;
}

/* ---- the hash index of a wide fully associative array: linear probing, deletion by
 * shifting back (no tombstones), keys possibly repeated (a match is confirmed) ---- */

static inline uint32_t index_home(const struct tlb_array *a, uint64_t key)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & a->index_mask;
}

void tlb_index_add(struct tlb_array *a, uint32_t way)
{
	uint32_t h = index_home(a, a->key[way]);
	while (a->index[h])
		h = (h + 1) & a->index_mask;
	a->index[h] = way + 1;
}

void tlb_index_del(struct tlb_array *a, uint32_t way)
{
	uint32_t h = index_home(a, a->key[way]);
	while (a->index[h] != way + 1)
		h = (h + 1) & a->index_mask;
	/* shift later members of the cluster back over the hole when they may live there */
	uint32_t hole = h;
	for (uint32_t j = (h + 1) & a->index_mask; a->index[j]; j = (j + 1) & a->index_mask) {
		uint32_t home = index_home(a, a->key[a->index[j] - 1]);
		if (((j - home) & a->index_mask) >= ((j - hole) & a->index_mask)) {
			a->index[hole] = a->index[j];
			hole = j;
		}
	}
	a->index[hole] = 0;
}

/* The way holding key whose slot satisfies match(), or -1. */
static int index_find(const struct tlb_array *a, uint64_t key, uint32_t asid, uint64_t vpn,
		      const struct tlb_entry *n, uint16_t pcid)
{
	for (uint32_t h = index_home(a, key); a->index[h]; h = (h + 1) & a->index_mask) {
		uint32_t w = a->index[h] - 1u;
		if (a->key[w] != key)
			continue;
		const struct tlb_entry *e = &a->slot[w];
		if (n ? e->vpn == n->vpn && e->asid == n->asid && (e->flags & TLB_G) == (n->flags & TLB_G) &&
			       ((n->flags & TLB_G) || e->pcid == n->pcid)
		      : e->vpn == vpn && e->asid == asid && tlb_tag_matches(e, asid, pcid))
			return (int)w;
	}
	return -1;
}

void tlb_array_free(struct tlb_array *a)
{
	free(a->slot);
	free(a->key);
	free(a->index);
	free(a->stamp);
	*a = (struct tlb_array){ 0 };
}

struct tlb_entry *tlb_array_probe(struct tlb_array *a, uint32_t asid, uint16_t pcid,
				  uint64_t va, enum tlb_page_size s)
{
	struct tlb_entry *set = tlb_array_set(a, va, s);
	const uint64_t *keys = a->key + (set - a->slot);
	uint64_t vpn = tlb_page_vpn(va, s);
	/* a non-global entry of this PCID, or a global one (its key has no PCID) */
	uint64_t want = tlb_key(vpn, s, asid, pcid, false);
	uint64_t want_global = tlb_key(vpn, s, asid, 0, true);
	if (a->index) {
		/* the lowest matching way, as the scan below would find */
		int w1 = index_find(a, want, asid, vpn, NULL, pcid);
		int w2 = index_find(a, want_global, asid, vpn, NULL, pcid);
		int w = w1 < 0 ? w2 : w2 < 0 ? w1 : (w1 < w2 ? w1 : w2);
		return w < 0 ? NULL : &a->slot[w];
	}
	for (uint32_t w = 0; w < a->ways; w++) {
		if (keys[w] != want && keys[w] != want_global)
			continue;
		struct tlb_entry *e = &set[w];
		if (e->vpn == vpn && e->asid == asid && tlb_tag_matches(e, asid, pcid))
			return e;
	}
	return NULL;
}

/* Same tag: same ASID, and both global or both non-global with the same PCID. */
static bool same_key(const struct tlb_entry *e, const struct tlb_entry *n)
{
	if (!(e->flags & TLB_VALID) || e->vpn != n->vpn || e->size != n->size ||
	    e->asid != n->asid || (e->flags & TLB_G) != (n->flags & TLB_G))
		return false;
	return (n->flags & TLB_G) || e->pcid == n->pcid;
}

struct tlb_entry *tlb_array_insert(struct tlb_array *a, const struct tlb_entry *n,
				   enum tlb_replacement policy, uint64_t *prng, uint64_t *clock,
				   bool *evicted)
{
	struct tlb_entry *set = tlb_array_set(a, tlb_entry_va(n), n->size);
	uint64_t *keys = a->key + (set - a->slot);
	const uint64_t *stamps = a->stamp + (set - a->slot);
	struct tlb_entry *slot = NULL;
	uint64_t want = tlb_key_of(n);
	/* one pass finds the three candidates, in order of preference: an entry with the
	 * same key, the lowest free way, the least recently used way */
	uint32_t free_way = a->ways, lru_way = a->ways;
	if (a->index) {
		/* one set: the index finds the same key; then a free way while there is one,
		 * else the oldest stamp */
		int w = index_find(a, want, 0, 0, n, 0);
		if (w >= 0) {
			slot = &set[w];
		} else if (a->nr_used < a->ways) {
			for (free_way = 0; keys[free_way]; free_way++)
				;
		} else {
			lru_way = 0;
			for (uint32_t v = 1; v < a->ways; v++)
				if (stamps[v] < stamps[lru_way])
					lru_way = v;
		}
	} else {
		for (uint32_t w = 0; w < a->ways; w++) {
			if (keys[w] == want && same_key(&set[w], n)) {
				slot = &set[w];
				break;
			}
			if (!keys[w]) {
				if (free_way == a->ways)
					free_way = w;
			} else if (lru_way == a->ways || stamps[w] < stamps[lru_way]) {
				lru_way = w;
			}
		}
	}
	*evicted = false;
	if (!slot && free_way < a->ways)
		slot = &set[free_way];
	if (!slot) {
		uint32_t v = policy == TLB_REPLACE_RANDOM ? tlb_prng_below(prng, a->ways) : lru_way;
		slot = &set[v];
		*evicted = true;
	}
	if (slot->flags & TLB_VALID)
		tlb_array_remove(a, slot);
	uint32_t gen = slot->gen + 1;
	*slot = *n;
	slot->gen = gen;
	keys[slot - set] = want;
	a->nr_used++;
	a->nr_spanning += slot->span > slot->size;
	if (a->index)
		tlb_index_add(a, (uint32_t)(slot - a->slot));
	a->nr_valid[n->size]++;
	tlb_array_touch(clock, a, slot);
	return slot;
}
