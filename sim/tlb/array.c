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
	return a->slot != NULL;
}

void tlb_array_free(struct tlb_array *a)
{
	free(a->slot);
	*a = (struct tlb_array){ 0 };
}

struct tlb_entry *tlb_array_probe(struct tlb_array *a, uint32_t asid, uint16_t pcid,
				  uint64_t va, enum tlb_page_size s)
{
	struct tlb_entry *set = tlb_array_set(a, va, s);
	uint64_t vpn = tlb_page_vpn(va, s);
	for (uint32_t w = 0; w < a->ways; w++) {
		struct tlb_entry *e = &set[w];
		if ((e->flags & TLB_VALID) && e->vpn == vpn && e->size == s &&
		    tlb_tag_matches(e, asid, pcid))
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

static uint32_t victim(const struct tlb_entry *set, uint32_t ways,
		       enum tlb_replacement policy, uint64_t *prng)
{
	if (policy == TLB_REPLACE_RANDOM)
		return tlb_prng_below(prng, ways);
	uint32_t v = 0;
	for (uint32_t w = 1; w < ways; w++)
		if (set[w].stamp < set[v].stamp)
			v = w;
	return v;
}

struct tlb_entry *tlb_array_insert(struct tlb_array *a, const struct tlb_entry *n,
				   enum tlb_replacement policy, uint64_t *prng, uint64_t *clock,
				   bool *evicted)
{
	struct tlb_entry *set = tlb_array_set(a, tlb_entry_va(n), n->size);
	struct tlb_entry *slot = NULL;
	*evicted = false;
	for (uint32_t w = 0; w < a->ways && !slot; w++)
		if (same_key(&set[w], n))
			slot = &set[w];
	for (uint32_t w = 0; w < a->ways && !slot; w++)
		if (!(set[w].flags & TLB_VALID))
			slot = &set[w];
	if (!slot) {
		slot = &set[victim(set, a->ways, policy, prng)];
		*evicted = true;
	}
	if (slot->flags & TLB_VALID)
		tlb_array_remove(a, slot);
	uint32_t gen = slot->gen + 1;
	*slot = *n;
	slot->gen = gen;
	a->nr_valid[n->size]++;
	tlb_array_touch(clock, slot);
	return slot;
}
