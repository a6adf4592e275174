#include "tlb_ref.h"

#include <stdlib.h>

#include "sim/tlb/prng.h"

static uint64_t size_bytes(int s)
{
	return s == TLB_4K ? 4096ull : s == TLB_2M ? 2ull << 20 : 1ull << 30;
}

static void alloc_array(struct ref_array *a, struct tlb_geometry g)
{
	a->clock = 0;
	if (g.entries == 0) {
		a->slot = NULL;
		a->sets = a->ways = 0;
		return;
	}
	a->ways = g.ways == 0 ? g.entries : g.ways;
	a->sets = g.entries / a->ways;
	a->slot = calloc(g.entries, sizeof *a->slot);
}

void ref_init(struct ref_tlb *r, const struct tlb_config *c)
{
	*r = (struct ref_tlb){ 0 };
	r->cfg = *c;
	r->prng = tlb_prng_seed(c->seed);
	alloc_array(&r->a[TLB_A_L1I], c->l1i);
	alloc_array(&r->a[TLB_A_L1I_LARGE], c->l1i_large);
	alloc_array(&r->a[TLB_A_L1D], c->l1d);
	alloc_array(&r->a[TLB_A_L1D_LARGE], c->l1d_large);
	alloc_array(&r->a[TLB_A_L2], c->l2);
	r->asid = calloc(c->max_asids + 1, sizeof *r->asid);
}

void ref_free(struct ref_tlb *r)
{
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		free(r->a[i].slot);
	free(r->asid);
}

static struct tlb_asid_stats *asid_block(struct ref_tlb *r, uint32_t asid)
{
	if (asid < r->cfg.max_asids)
		return &r->asid[asid];
	return &r->asid[r->cfg.max_asids];
}

/* The array that holds pages of size s at a level */
static struct ref_array *array_of(struct ref_tlb *r, enum tlb_level level, int s)
{
	if (level == TLB_L2)
		return &r->a[TLB_A_L2];
	int small = level == TLB_L1I ? TLB_A_L1I : TLB_A_L1D;
	int large = small + 1;
	if (s != TLB_4K && r->a[large].sets > 0)
		return &r->a[large];
	return &r->a[small];
}

static bool maps(const struct ref_slot *e, uint32_t asid, uint16_t pcid, uint64_t va)
{
	return e->valid && e->asid == asid && (e->global || e->pcid == pcid) &&
	       va >= e->va && va - e->va < size_bytes(e->size);
}

/* The smallest page size that maps va, and within it the lowest slot index */
static struct ref_slot *find(struct ref_tlb *r, enum tlb_level level, uint32_t asid,
			     uint16_t pcid, uint64_t va, struct ref_array **in)
{
	for (int s = TLB_4K; s <= TLB_1G; s++) {
		struct ref_array *a = array_of(r, level, s);
		for (unsigned i = 0; i < a->sets * a->ways; i++) {
			if (a->slot[i].size == s && maps(&a->slot[i], asid, pcid, va)) {
				*in = a;
				return &a->slot[i];
			}
		}
	}
	return NULL;
}

static bool same_tag(const struct ref_slot *x, const struct ref_slot *y)
{
	if (!x->valid || x->asid != y->asid || x->size != y->size || x->va != y->va)
		return false;
	if (x->global && y->global)
		return true;
	return !x->global && !y->global && x->pcid == y->pcid;
}

static void insert(struct ref_tlb *r, enum tlb_level level, const struct ref_slot *n)
{
	struct ref_array *a = array_of(r, level, n->size);
	if (a->sets == 0)
		return;
	unsigned set = (unsigned)((n->va / size_bytes(n->size)) % a->sets);
	struct ref_slot *s = &a->slot[set * a->ways];
	int way = -1;
	for (unsigned w = 0; w < a->ways; w++)
		if (way < 0 && same_tag(&s[w], n))
			way = (int)w;
	for (unsigned w = 0; w < a->ways; w++)
		if (way < 0 && !s[w].valid)
			way = (int)w;
	if (way < 0) {
		r->level[level].evictions++;
		if (r->cfg.replacement == TLB_REPLACE_RANDOM) {
			way = (int)tlb_prng_below(&r->prng, a->ways);
		} else {
			way = 0;
			for (unsigned w = 0; w < a->ways; w++)
				if (s[w].stamp < s[way].stamp)
					way = (int)w;
		}
	}
	s[way] = *n;
	a->clock++;
	s[way].stamp = a->clock;
	r->level[level].fills++;
}

struct ref_hit ref_lookup(struct ref_tlb *r, uint32_t asid, uint16_t pcid, uint64_t va,
			  enum tlb_kind kind)
{
	struct ref_hit h = { 0 };
	enum tlb_level l1 = kind == TLB_FETCH ? TLB_L1I : TLB_L1D;
	struct ref_array *a;
	pcid &= 0xFFF;
	asid_block(r, asid)->lookups++;
	r->level[l1].lookups++;
	struct ref_slot *e = find(r, l1, asid, pcid, va, &a);
	if (e) {
		r->level[l1].hits++;
		a->clock++;
		e->stamp = a->clock;
		asid_block(r, asid)->hits++;
		h.hit = true;
		h.level = l1;
		h.e = *e;
		return h;
	}
	r->level[l1].misses++;
	if (r->a[TLB_A_L2].sets > 0) {
		r->level[TLB_L2].lookups++;
		asid_block(r, asid)->l2_lookups++;
		e = find(r, TLB_L2, asid, pcid, va, &a);
		if (e) {
			r->level[TLB_L2].hits++;
			asid_block(r, asid)->l2_hits++;
			a->clock++;
			e->stamp = a->clock;
			asid_block(r, asid)->hits++;
			h.hit = true;
			h.level = TLB_L2;
			h.e = *e;
			insert(r, l1, e);
			return h;
		}
		r->level[TLB_L2].misses++;
	}
	asid_block(r, asid)->misses++;
	return h;
}

void ref_fill(struct ref_tlb *r, const struct tlb_entry *e, enum tlb_kind kind)
{
	struct ref_slot n = {
		.valid = true,
		.asid = e->asid,
		.pcid = e->pcid & 0xFFF,
		.global = (e->flags & TLB_G) != 0,
		.size = e->size,
		.span = e->span > e->size && e->span < TLB_NR_SIZES ? e->span : e->size,
		.va = (e->vpn << 12) & ~(size_bytes(e->size) - 1),
		.pa = e->pa & ~(size_bytes(e->size) - 1),
		.host = e->host,
		.perms = e->flags & (TLB_W | TLB_U | TLB_NX | TLB_D),
	};
	insert(r, TLB_L2, &n);
	insert(r, kind == TLB_FETCH ? TLB_L1I : TLB_L1D, &n);
}

/* Does a flush of `kind` remove e? Spelled out per kind, as docs/tlb.md lists them. */
static bool removes(enum tlb_flush_kind kind, const struct ref_slot *e, uint32_t asid,
		    uint16_t pcid, uint64_t va)
{
	uint64_t span = size_bytes(e->span);
	bool on_page = (va & ~(span - 1)) == (e->va & ~(span - 1));
	switch (kind) {
	case TLB_FLUSH_FULL:
	case TLB_FLUSH_VM_TRANSITION:
		return true;
	case TLB_FLUSH_ASID:
		return e->asid == asid;
	case TLB_FLUSH_ASID_NONGLOBAL:
		return e->asid == asid && !e->global;
	case TLB_FLUSH_PCID:
		return e->asid == asid && !e->global && e->pcid == pcid;
	case TLB_FLUSH_PAGE:
		return e->asid == asid && on_page;
	case TLB_FLUSH_PAGE_PCID:
		return e->asid == asid && !e->global && e->pcid == pcid && on_page;
	default:
		abort();
	}
}

unsigned ref_flush(struct ref_tlb *r, enum tlb_flush_kind kind, uint32_t asid, uint16_t pcid,
		   uint64_t va, uint32_t requester)
{
	if (kind == TLB_FLUSH_VM_TRANSITION && r->cfg.tagged)
		return 0;
	bool everything = !r->cfg.tagged;
	if (everything && kind != TLB_FLUSH_FULL && kind != TLB_FLUSH_VM_TRANSITION)
		r->widened++;
	pcid &= 0xFFF;
	unsigned removed = 0;
	r->flush[kind].issued++;
	for (int i = 0; i < TLB_NR_ARRAYS; i++) {
		struct ref_array *a = &r->a[i];
		for (unsigned j = 0; j < a->sets * a->ways; j++) {
			struct ref_slot *e = &a->slot[j];
			if (!e->valid || !(everything || removes(kind, e, asid, pcid, va)))
				continue;
			if (e->asid == requester) {
				r->flush[kind].invalidated_own++;
			} else {
				r->flush[kind].invalidated_collateral++;
				asid_block(r, e->asid)->invalidated_collateral++;
			}
			asid_block(r, e->asid)->invalidated++;
			asid_block(r, e->asid)->invalidated_by_kind[kind]++;
			e->valid = false;
			removed++;
		}
	}
	return removed;
}
