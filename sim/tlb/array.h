/* One set-associative TLB array (tlb.h struct tlb_array): set indexing, probing,
 * insertion with replacement, removal. Levels and counters are tlb.c's and flush.c's. */
#ifndef HVSIM_TLB_ARRAY_H
#define HVSIM_TLB_ARRAY_H

#include "tlb.h"

bool tlb_array_alloc(struct tlb_array *a, const struct tlb_geometry *g);
void tlb_array_free(struct tlb_array *a);

/* The virtual page number of the page of size s that holds va */
static inline uint64_t tlb_page_vpn(uint64_t va, enum tlb_page_size s)
{
	return (va >> tlb_page_shift(s)) << (tlb_page_shift(s) - TLB_PAGE_SHIFT);
}

/* An entry of size s lives in the set chosen by the low bits of its own page number
 * (va >> 12, >> 21 or >> 30), so every page size spreads over every set. */
static inline struct tlb_entry *tlb_array_set(struct tlb_array *a, uint64_t va,
					      enum tlb_page_size s)
{
	uint32_t set = (uint32_t)(va >> tlb_page_shift(s)) & (a->sets - 1);
	return &a->slot[(size_t)set * a->ways];
}

/* A slot's key: everything a lookup compares, packed so that a set is scanned as an
 * array of 64-bit words. ASIDs and virtual page numbers are folded to the bits that
 * fit (10 and 36), so a key match is confirmed against the slot itself. */
#define TLB_KEY_VALID (1ull << 63)
#define TLB_KEY_GLOBAL (1ull << 62)
#define TLB_KEY_PCID_SHIFT 38
#define TLB_KEY_PCID (0xfffull << TLB_KEY_PCID_SHIFT)

static inline uint64_t tlb_key(uint64_t vpn, unsigned size, uint32_t asid, uint16_t pcid,
			       bool global)
{
	return TLB_KEY_VALID | (global ? TLB_KEY_GLOBAL : 0) | ((uint64_t)(asid & 0x3ff) << 50) |
	       (global ? 0 : (uint64_t)(pcid & 0xfff) << TLB_KEY_PCID_SHIFT) |
	       ((uint64_t)size << 36) | (vpn & ((1ull << 36) - 1));
}

static inline uint64_t tlb_key_of(const struct tlb_entry *e)
{
	return tlb_key(e->vpn, e->size, e->asid, e->pcid, (e->flags & TLB_G) != 0);
}

/* The tag rule (DESIGN.md isolation invariant): same ASID, and same PCID unless global */
static inline bool tlb_tag_matches(const struct tlb_entry *e, uint32_t asid, uint16_t pcid)
{
	return e->asid == asid && ((e->flags & TLB_G) || e->pcid == pcid);
}

/* The valid entry of size s that maps va for (asid, pcid), lowest way first; or NULL */
struct tlb_entry *tlb_array_probe(struct tlb_array *a, uint32_t asid, uint16_t pcid,
				  uint64_t va, enum tlb_page_size s);

/* Marks e most recently used. One clock (struct tlb's) serves every array: stamps are
 * compared only within a set. */
static inline void tlb_array_touch(uint64_t *clock, struct tlb_array *a, struct tlb_entry *e)
{
	a->stamp[e - a->slot] = ++*clock;
}

/* Places n (valid, aligned) in its set: over an entry with the same tag, page and size
 * if there is one; else in the lowest invalid way; else over the victim the policy
 * chooses (LRU: the oldest stamp; random: one draw from *prng), and sets *evicted. */
struct tlb_entry *tlb_array_insert(struct tlb_array *a, const struct tlb_entry *n,
				   enum tlb_replacement policy, uint64_t *prng, uint64_t *clock,
				   bool *evicted);

void tlb_index_add(struct tlb_array *a, uint32_t way);
void tlb_index_del(struct tlb_array *a, uint32_t way);

/* Empties slot e (which must be valid) */
static inline void tlb_array_remove(struct tlb_array *a, struct tlb_entry *e)
{
	uint32_t i = (uint32_t)(e - a->slot);
	if (a->index)
		tlb_index_del(a, i);
	a->nr_valid[e->size]--;
	a->nr_used--;
	a->nr_spanning -= e->span > e->size;
	a->key[i] = 0;
	e->flags = 0;
	e->gen++;
}

#endif
