/* Lookup and fill across the levels: the L1 of the access kind, then the unified L2
 * (docs/tlb.md "The model"). */
#include "tlb.h"

#include <stdio.h>
#include <stdlib.h>

#include "array.h"
#include "prng.h"

bool tlb_init(struct tlb *t, const struct tlb_config *c, char *err, size_t errlen)
{
	*t = (struct tlb){ 0 };
	if (!tlb_config_check(c, err, errlen))
		return false;
	t->cfg = *c;
	t->prng = tlb_prng_seed(c->seed);
	const struct tlb_geometry *g[TLB_NR_ARRAYS] = {
		[TLB_A_L1I] = &c->l1i, [TLB_A_L1I_LARGE] = &c->l1i_large,
		[TLB_A_L1D] = &c->l1d, [TLB_A_L1D_LARGE] = &c->l1d_large, [TLB_A_L2] = &c->l2,
	};
	bool ok = true;
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		ok = tlb_array_alloc(&t->array[i], g[i]) && ok;
	t->asid = calloc((size_t)c->max_asids + 1, sizeof *t->asid);
	if (!ok || !t->asid) {
		snprintf(err, errlen, "out of host memory allocating the TLB arrays");
		tlb_free(t);
		return false;
	}
	return true;
}

void tlb_free(struct tlb *t)
{
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		tlb_array_free(&t->array[i]);
	free(t->asid);
	t->asid = NULL;
}

/* The array of `level` that holds pages of size s: an L1's large-page array when it
 * has entries, else its 4K array. */
static struct tlb_array *array_for(struct tlb *t, enum tlb_level level, enum tlb_page_size s)
{
	if (level == TLB_L2)
		return &t->array[TLB_A_L2];
	enum tlb_array_id small = level == TLB_L1I ? TLB_A_L1I : TLB_A_L1D;
	struct tlb_array *large = &t->array[small + 1];
	return s != TLB_4K && large->sets ? large : &t->array[small];
}

/* Probes each page size in turn, smallest first; a size with no valid entry in its
 * array costs nothing. */
static struct tlb_entry *level_probe(struct tlb *t, enum tlb_level level, uint32_t asid,
				     uint16_t pcid, uint64_t va, struct tlb_array **in)
{
	for (int s = 0; s < TLB_NR_SIZES; s++) {
		struct tlb_array *a = array_for(t, level, s);
		if (!a->sets || !a->nr_valid[s])
			continue;
		struct tlb_entry *e = tlb_array_probe(a, asid, pcid, va, s);
		if (e) {
			*in = a;
			return e;
		}
	}
	return NULL;
}

static struct tlb_entry *level_fill(struct tlb *t, enum tlb_level level,
				    const struct tlb_entry *n)
{
	struct tlb_array *a = array_for(t, level, n->size);
	if (!a->sets)
		return NULL;
	bool evicted;
	struct tlb_entry *e = tlb_array_insert(a, n, t->cfg.replacement, &t->prng, &t->clock, &evicted);
	t->level[level].fills++;
	t->level[level].evictions += evicted;
	return e;
}

const struct tlb_entry *tlb_lookup(struct tlb *t, uint32_t asid, uint16_t pcid, uint64_t va,
				   enum tlb_kind kind, enum tlb_level *hit_level)
{
	enum tlb_level l1 = kind == TLB_FETCH ? TLB_L1I : TLB_L1D;
	struct tlb_asid_stats *as = tlb_asid_stats(t, asid);
	struct tlb_array *a;
	pcid &= TLB_PCID_MASK;
	as->lookups++;

	t->level[l1].lookups++;
	struct tlb_entry *e = level_probe(t, l1, asid, pcid, va, &a);
	if (e) {
		t->level[l1].hits++;
		as->hits++;
		tlb_array_touch(&t->clock, a, e);
		if (hit_level)
			*hit_level = l1;
		return e;
	}
	t->level[l1].misses++;

	if (t->array[TLB_A_L2].sets) {
		t->level[TLB_L2].lookups++;
		as->l2_lookups++;
		e = level_probe(t, TLB_L2, asid, pcid, va, &a);
		if (e) {
			t->level[TLB_L2].hits++;
			as->l2_hits++;
			as->hits++;
			tlb_array_touch(&t->clock, a, e);
			if (hit_level)
				*hit_level = TLB_L2;
			struct tlb_entry copy = *e;
			return level_fill(t, l1, &copy);
		}
		t->level[TLB_L2].misses++;
	}
	as->misses++;
	return NULL;
}

const struct tlb_entry *tlb_fill(struct tlb *t, const struct tlb_entry *e, enum tlb_kind kind)
{
	if (e->size >= TLB_NR_SIZES) {
		fprintf(stderr, "hvsim: internal error: tlb_fill with page size %u\n", e->size);
		abort();
	}
	struct tlb_entry n = *e;
	uint64_t low = tlb_page_bytes(n.size) - 1;
	n.vpn = tlb_page_vpn(tlb_entry_va(e), n.size);
	n.pa &= ~low;
	n.pcid &= TLB_PCID_MASK;
	if (n.span < n.size || n.span >= TLB_NR_SIZES)
		n.span = n.size;
	n.flags = (uint8_t)((n.flags & TLB_PERM_FLAGS) | TLB_VALID);
	/* L2 first, then the L1: the order random replacement draws in (docs/tlb.md). */
	level_fill(t, TLB_L2, &n);
	return level_fill(t, kind == TLB_FETCH ? TLB_L1I : TLB_L1D, &n);
}

void tlb_count_l1_hits(struct tlb *t, uint32_t asid, enum tlb_kind kind, uint64_t n)
{
	struct tlb_level_stats *l = &t->level[kind == TLB_FETCH ? TLB_L1I : TLB_L1D];
	struct tlb_asid_stats *as = tlb_asid_stats(t, asid);
	l->lookups += n;
	l->hits += n;
	as->lookups += n;
	as->hits += n;
}

uint64_t *tlb_entry_stamp(struct tlb *t, const struct tlb_entry *e)
{
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		struct tlb_array *a = &t->array[i];
		size_t n = (size_t)a->sets * a->ways;
		if (a->sets && e >= a->slot && e < a->slot + n)
			return &a->stamp[e - a->slot];
	}
	return NULL;
}
