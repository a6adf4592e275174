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
	return a->slot != NULL && a->key != NULL;
}

void tlb_array_free(struct tlb_array *a)
{
	free(a->slot);
	free(a->key);
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
	struct tlb_entry *slot = NULL;
	uint64_t want = tlb_key_of(n);
	/* one pass finds the three candidates, in order of preference: an entry with the
	 * same key, the lowest free way, the least recently used way */
	uint32_t free_way = a->ways, lru_way = a->ways;
	for (uint32_t w = 0; w < a->ways; w++) {
		if (keys[w] == want && same_key(&set[w], n)) {
			slot = &set[w];
			break;
		}
		if (!keys[w]) {
			if (free_way == a->ways)
				free_way = w;
		} else if (lru_way == a->ways || set[w].stamp < set[lru_way].stamp) {
			lru_way = w;
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
	a->nr_valid[n->size]++;
	tlb_array_touch(clock, slot);
	return slot;
}
