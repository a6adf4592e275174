/* Scenario tests of the TLB model: each flush kind with exact counts and the own /
 * collateral split, untagged mode, lookup tags, replacement, L2 refill, large pages,
 * counter registration. */
#include "test_tlb.h"

#include <stdio.h>
#include <string.h>

#include "sim/tlb/prng.h"
#include "sim/tlb/tlb.h"

#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull

static struct tlb t;
static char err[512];

static void setup_with(struct tlb_config *c)
{
	ck_assert_msg(tlb_init(&t, c, err, sizeof err), "tlb_init: %s", err);
}

static void teardown(void)
{
	tlb_free(&t);
}

/* A translation: pa is va + 1 TiB so a wrong hit shows */
static struct tlb_entry mk(uint32_t asid, uint16_t pcid, uint64_t va, enum tlb_page_size s,
			   uint8_t flags)
{
	return (struct tlb_entry){ .vpn = va >> 12, .pa = va + (1ull << 40), .asid = asid,
				   .pcid = pcid, .size = s, .flags = flags };
}

static void fill(uint32_t asid, uint16_t pcid, uint64_t va, enum tlb_page_size s,
		 uint8_t flags)
{
	struct tlb_entry e = mk(asid, pcid, va, s, flags);
	ck_assert_ptr_nonnull(tlb_fill(&t, &e, TLB_DATA));
}

static bool hits(uint32_t asid, uint16_t pcid, uint64_t va)
{
	return tlb_lookup(&t, asid, pcid, va, TLB_DATA, NULL) != NULL;
}

static void check_flush(enum tlb_flush_kind k, uint64_t issued, uint64_t own, uint64_t coll)
{
	ck_assert_uint_eq(t.flush[k].issued, issued);
	ck_assert_uint_eq(t.flush[k].invalidated_own, own);
	ck_assert_uint_eq(t.flush[k].invalidated_collateral, coll);
}

/* ---- each flush kind ---- */

/* Six translations, each held twice (L1D and L2), so every count below is 2 × entries:
 *   A asid 1 pcid 0 0x1000      B asid 1 pcid 1 0x1000     C asid 1 pcid 0 0x2000 global
 *   D asid 2 pcid 0 0x1000      E asid 2 pcid 0 2M at 0x400000, global
 *   F asid 0 pcid 0 0x1000 */
static void setup_six(void)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	setup_with(&c);
	fill(1, 0, 0x1000, TLB_4K, TLB_W);
	fill(1, 1, 0x1000, TLB_4K, TLB_W);
	fill(1, 0, 0x2000, TLB_4K, TLB_G);
	fill(2, 0, 0x1000, TLB_4K, 0);
	fill(2, 0, 0x400000, TLB_2M, TLB_G);
	fill(0, 0, 0x1000, TLB_4K, 0);
}

static void setup_six_untagged(void)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.tagged = false;
	setup_with(&c);
	fill(1, 0, 0x1000, TLB_4K, TLB_W);
	fill(1, 1, 0x1000, TLB_4K, TLB_W);
	fill(1, 0, 0x2000, TLB_4K, TLB_G);
	fill(2, 0, 0x1000, TLB_4K, 0);
	fill(2, 0, 0x400000, TLB_2M, TLB_G);
	fill(0, 0, 0x1000, TLB_4K, 0);
}

START_TEST(flush_full_counts_collateral)
{
	ck_assert_uint_eq(tlb_flush_all(&t, 2), 12);
	check_flush(TLB_FLUSH_FULL, 1, 4, 8);
	ck_assert_uint_eq(t.asid[1].invalidated, 6);
	ck_assert_uint_eq(t.asid[2].invalidated, 4);
	ck_assert_uint_eq(t.asid[0].invalidated, 2);
	ck_assert(!hits(1, 0, 0x1000) && !hits(2, 0, 0x400000) && !hits(0, 0, 0x1000));
	/* An empty TLB: issued, nothing removed */
	ck_assert_uint_eq(tlb_flush_all(&t, 2), 0);
	check_flush(TLB_FLUSH_FULL, 2, 4, 8);
}
END_TEST

START_TEST(flush_asid_scoped)
{
	ck_assert_uint_eq(tlb_flush_asid(&t, 1, 1), 6);
	check_flush(TLB_FLUSH_ASID, 1, 6, 0);
	ck_assert(!hits(1, 0, 0x1000) && !hits(1, 1, 0x1000) && !hits(1, 0, 0x2000));
	ck_assert(hits(2, 0, 0x1000) && hits(2, 0, 0x401000) && hits(0, 0, 0x1000));
	/* Attributed to someone else (the host asking for ASID 2): all collateral */
	ck_assert_uint_eq(tlb_flush_asid(&t, 2, 0), 4);
	check_flush(TLB_FLUSH_ASID, 2, 6, 4);
	ck_assert(hits(0, 0, 0x1000));
	ck_assert_uint_eq(t.widened, 0);
}
END_TEST

START_TEST(flush_asid_nonglobal_keeps_globals)
{
	ck_assert_uint_eq(tlb_flush_asid_nonglobal(&t, 1, 1), 4);
	check_flush(TLB_FLUSH_ASID_NONGLOBAL, 1, 4, 0);
	ck_assert(!hits(1, 0, 0x1000) && !hits(1, 1, 0x1000));
	ck_assert(hits(1, 0, 0x2000) && hits(1, 7, 0x2000));
	ck_assert(hits(2, 0, 0x1000));
	ck_assert_uint_eq(tlb_flush_asid_nonglobal(&t, 2, 2), 2);
	ck_assert(hits(2, 3, 0x400000));
}
END_TEST

START_TEST(flush_pcid_one_context)
{
	ck_assert_uint_eq(tlb_flush_pcid(&t, 1, 0, 1), 2);
	check_flush(TLB_FLUSH_PCID, 1, 2, 0);
	ck_assert(!hits(1, 0, 0x1000));
	ck_assert(hits(1, 1, 0x1000) && hits(1, 0, 0x2000) && hits(2, 0, 0x1000));
	/* The PCID is 12 bits: 0x1001 names PCID 1 */
	ck_assert_uint_eq(tlb_flush_pcid(&t, 1, 0x1001, 1), 2);
	ck_assert(!hits(1, 1, 0x1000));
}
END_TEST

START_TEST(flush_page_every_pcid_and_globals)
{
	ck_assert_uint_eq(tlb_flush_page(&t, 1, 0x1abc, 1), 4);
	check_flush(TLB_FLUSH_PAGE, 1, 4, 0);
	ck_assert(!hits(1, 0, 0x1000) && !hits(1, 1, 0x1000));
	ck_assert(hits(1, 0, 0x2000) && hits(2, 0, 0x1000) && hits(0, 0, 0x1000));
	ck_assert_uint_eq(tlb_flush_page(&t, 1, 0x2000, 1), 2);   /* the global one */
	ck_assert(!hits(1, 0, 0x2000));
	/* Any address inside a 2 MiB page removes it */
	ck_assert_uint_eq(tlb_flush_page(&t, 2, 0x5ff123, 1), 2);
	check_flush(TLB_FLUSH_PAGE, 3, 6, 2);
	ck_assert(!hits(2, 0, 0x400000) && hits(2, 0, 0x1000));
	ck_assert_uint_eq(tlb_flush_page(&t, 2, 0x600000, 2), 0);
}
END_TEST

/* Under nested paging a guest 2 MiB page backed by 4 KiB host pages is cached in 4 KiB
 * pieces, each spanning the guest page: INVLPG of any address in it removes them all. */
START_TEST(flush_page_removes_every_piece_of_a_spanning_page)
{
	for (uint64_t off = 0; off < 3 * 0x1000; off += 0x1000) {
		struct tlb_entry e = mk(3, 0, 0x800000 + off, TLB_4K, 0);
		e.span = TLB_2M;
		ck_assert_ptr_nonnull(tlb_fill(&t, &e, TLB_DATA));
	}
	fill(3, 0, 0xa00000, TLB_4K, 0); /* the next 2 MiB page: untouched */
	ck_assert(hits(3, 0, 0x801000) && hits(3, 0, 0xa00000));
	ck_assert_uint_eq(tlb_flush_page(&t, 3, 0x9ff000, 3), 6); /* 3 pieces, L1D and L2 */
	ck_assert(!hits(3, 0, 0x800000) && !hits(3, 0, 0x801000) && !hits(3, 0, 0x802000));
	ck_assert(hits(3, 0, 0xa00000));
}
END_TEST

START_TEST(flush_page_pcid_spares_globals)
{
	ck_assert_uint_eq(tlb_flush_page_pcid(&t, 1, 0, 0x1fff, 1), 2);
	check_flush(TLB_FLUSH_PAGE_PCID, 1, 2, 0);
	ck_assert(!hits(1, 0, 0x1000) && hits(1, 1, 0x1000));
	ck_assert_uint_eq(tlb_flush_page_pcid(&t, 1, 0, 0x2000, 1), 0);
	ck_assert(hits(1, 0, 0x2000));
	ck_assert_uint_eq(tlb_flush_page_pcid(&t, 2, 0, 0x400000, 2), 0);
	check_flush(TLB_FLUSH_PAGE_PCID, 3, 2, 0);
}
END_TEST

START_TEST(vm_transition_tagged_does_nothing)
{
	ck_assert_uint_eq(tlb_flush_vm_transition(&t, 1), 0);
	check_flush(TLB_FLUSH_VM_TRANSITION, 0, 0, 0);
	ck_assert(hits(1, 0, 0x1000) && hits(2, 0, 0x1000));
}
END_TEST

/* ---- untagged mode ---- */

START_TEST(untagged_page_flush_empties_everything)
{
	ck_assert_uint_eq(tlb_flush_page(&t, 1, 0x1000, 1), 12);
	check_flush(TLB_FLUSH_PAGE, 1, 6, 6);
	ck_assert_uint_eq(t.widened, 1);
	ck_assert(!hits(0, 0, 0x1000) && !hits(2, 0, 0x400000));
}
END_TEST

START_TEST(untagged_every_kind_is_whole)
{
	ck_assert_uint_eq(tlb_flush_page_pcid(&t, 1, 0, 0x9000, 0), 12);
	check_flush(TLB_FLUSH_PAGE_PCID, 1, 2, 10);
	fill(3, 0, 0x1000, TLB_4K, 0);
	ck_assert_uint_eq(tlb_flush_pcid(&t, 1, 5, 1), 2);
	check_flush(TLB_FLUSH_PCID, 1, 0, 2);
	fill(3, 0, 0x1000, TLB_4K, 0);
	ck_assert_uint_eq(tlb_flush_asid_nonglobal(&t, 3, 3), 2);
	fill(3, 0, 0x1000, TLB_4K, TLB_G);
	ck_assert_uint_eq(tlb_flush_asid(&t, 4, 4), 2);
	check_flush(TLB_FLUSH_ASID, 1, 0, 2);
	ck_assert_uint_eq(t.widened, 4);
	fill(3, 0, 0x1000, TLB_4K, 0);
	ck_assert_uint_eq(tlb_flush_vm_transition(&t, 3), 2);
	check_flush(TLB_FLUSH_VM_TRANSITION, 1, 2, 0);
	fill(3, 0, 0x1000, TLB_4K, 0);
	ck_assert_uint_eq(tlb_flush_all(&t, 0), 2);
	ck_assert_uint_eq(t.widened, 4);   /* full and VM transitions are whole anyway */
}
END_TEST

/* ---- lookup tags and per-ASID counters ---- */

START_TEST(lookup_matches_tag_only)
{
	/* Non-global: only its own (ASID, PCID) */
	ck_assert(hits(1, 0, 0x1000) && hits(1, 0, 0x1fff));
	ck_assert(!hits(1, 2, 0x1000) && !hits(3, 0, 0x1000));
	/* Global: every PCID of its ASID, never another ASID */
	ck_assert(hits(1, 0xabc, 0x2000));
	ck_assert(!hits(2, 0, 0x2000) && !hits(0, 0, 0x2000));
	ck_assert(!hits(1, 0, 0x3000));
	/* The entry returned is the one filled */
	const struct tlb_entry *e = tlb_lookup(&t, 2, 9, 0x4abcde, TLB_DATA, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->asid, 2);
	ck_assert_uint_eq(e->size, TLB_2M);
	ck_assert_uint_eq(e->pa, 0x400000 + (1ull << 40));
	ck_assert_uint_eq(tlb_entry_va(e), 0x400000);
	ck_assert_uint_eq(e->flags, TLB_G | TLB_VALID);
}
END_TEST

START_TEST(asid_counters_fold_into_other)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.max_asids = 4;
	setup_with(&c);
	fill(3, 0, 0x1000, TLB_4K, 0);
	fill(7, 0, 0x1000, TLB_4K, 0);
	ck_assert(hits(3, 0, 0x1000));
	ck_assert(hits(7, 0, 0x1000));
	ck_assert(!hits(9, 0, 0x1000));
	ck_assert(!hits(0, 0, 0x1000));
	ck_assert_uint_eq(t.asid[3].lookups, 1);
	ck_assert_uint_eq(t.asid[3].hits, 1);
	ck_assert_uint_eq(t.asid[0].misses, 1);
	ck_assert_uint_eq(t.asid[4].lookups, 2);   /* "other": ASIDs 7 and 9 */
	ck_assert_uint_eq(t.asid[4].hits, 1);
	ck_assert_uint_eq(t.asid[4].misses, 1);
	ck_assert_ptr_eq(tlb_asid_stats(&t, 1000), &t.asid[4]);
	tlb_flush_all(&t, 3);
	ck_assert_uint_eq(t.asid[4].invalidated, 2);
	ck_assert_uint_eq(t.asid[3].invalidated, 2);
	teardown();
}
END_TEST

/* ---- replacement ---- */

static struct tlb_config l1d_only(uint32_t entries, uint32_t ways, enum tlb_replacement r)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.l1d = (struct tlb_geometry){ entries, ways };
	c.l2.entries = 0;
	c.replacement = r;
	return c;
}

START_TEST(lru_fully_associative)
{
	struct tlb_config c = l1d_only(4, 0, TLB_REPLACE_LRU);
	setup_with(&c);
	for (uint64_t p = 0; p < 4; p++)
		fill(1, 0, p * K4, TLB_4K, 0);
	ck_assert(hits(1, 0, 0));             /* page 0 is now the most recent */
	fill(1, 0, 4 * K4, TLB_4K, 0);        /* evicts page 1, the least recent */
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 1);
	ck_assert(!hits(1, 0, 1 * K4));
	ck_assert(hits(1, 0, 0) && hits(1, 0, 2 * K4) && hits(1, 0, 3 * K4) &&
		  hits(1, 0, 4 * K4));
	/* order of use now: 0 2 3 4 → the next fill evicts 0 */
	fill(1, 0, 5 * K4, TLB_4K, 0);
	ck_assert(!hits(1, 0, 0));
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 2);
	ck_assert_uint_eq(t.level[TLB_L1D].fills, 6);
	ck_assert_uint_eq(t.level[TLB_L2].lookups, 0);   /* no L2 configured */
	teardown();
}
END_TEST

START_TEST(lru_per_set)
{
	struct tlb_config c = l1d_only(8, 2, TLB_REPLACE_LRU);   /* 4 sets × 2 ways */
	setup_with(&c);
	fill(1, 0, 0 * K4, TLB_4K, 0);        /* set 0 */
	fill(1, 0, 4 * K4, TLB_4K, 0);        /* set 0 */
	fill(1, 0, 1 * K4, TLB_4K, 0);        /* set 1: does not disturb set 0 */
	ck_assert(hits(1, 0, 0));
	fill(1, 0, 8 * K4, TLB_4K, 0);        /* set 0 full: evicts page 4 */
	ck_assert(hits(1, 0, 0) && !hits(1, 0, 4 * K4) && hits(1, 0, 8 * K4) &&
		  hits(1, 0, 1 * K4));
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 1);
	/* Refilling a present translation replaces it in place: no eviction */
	fill(1, 0, 8 * K4, TLB_4K, TLB_W | TLB_D);
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 1);
	ck_assert_uint_eq(tlb_lookup(&t, 1, 0, 8 * K4, TLB_DATA, NULL)->flags,
			  TLB_W | TLB_D | TLB_VALID);
	ck_assert(hits(1, 0, 0));
	teardown();
}
END_TEST

START_TEST(random_replacement_follows_seed)
{
	struct tlb_config c = l1d_only(4, 0, TLB_REPLACE_RANDOM);
	c.seed = 42;
	setup_with(&c);
	uint64_t prng = tlb_prng_seed(42);
	uint64_t resident[4];
	for (uint64_t p = 0; p < 4; p++) {
		fill(1, 0, p * K4, TLB_4K, 0);
		resident[p] = p;
	}
	unsigned victimized[4] = { 0 };
	for (uint64_t p = 4; p < 400; p++) {
		uint32_t w = tlb_prng_below(&prng, 4);
		fill(1, 0, p * K4, TLB_4K, 0);
		ck_assert(!hits(1, 0, resident[w] * K4));
		resident[w] = p;
		victimized[w]++;
		for (int i = 0; i < 4; i++)
			ck_assert(hits(1, 0, resident[i] * K4));
	}
	for (int i = 0; i < 4; i++)
		ck_assert_uint_gt(victimized[i], 50);
	teardown();

	/* Another seed, another sequence of victims */
	c.seed = 43;
	setup_with(&c);
	for (uint64_t p = 0; p < 16; p++)
		fill(1, 0, p * K4, TLB_4K, 0);
	struct tlb u;
	c.seed = 42;
	ck_assert(tlb_init(&u, &c, err, sizeof err));
	struct tlb_entry e;
	for (uint64_t p = 0; p < 16; p++) {
		e = mk(1, 0, p * K4, TLB_4K, 0);
		tlb_fill(&u, &e, TLB_DATA);
	}
	bool differ = false;
	for (uint64_t p = 0; p < 16; p++)
		differ |= hits(1, 0, p * K4) !=
			  (tlb_lookup(&u, 1, 0, p * K4, TLB_DATA, NULL) != NULL);
	ck_assert(differ);
	tlb_free(&u);
	teardown();
}
END_TEST

/* ---- the L2 ---- */

START_TEST(l2_hit_refills_l1)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.l1d = (struct tlb_geometry){ 1, 0 };
	c.l1i = (struct tlb_geometry){ 1, 0 };
	setup_with(&c);
	fill(1, 0, 0x1000, TLB_4K, 0);
	fill(1, 0, 0x2000, TLB_4K, 0);        /* evicts 0x1000 from the L1D only */
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 1);
	ck_assert_uint_eq(t.level[TLB_L2].evictions, 0);

	enum tlb_level where = TLB_NR_LEVELS;
	const struct tlb_entry *e = tlb_lookup(&t, 1, 0, 0x1234, TLB_DATA, &where);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(where, TLB_L2);
	ck_assert_ptr_eq(e, &t.array[TLB_A_L1D].slot[0]);   /* the L1 copy */
	ck_assert_uint_eq(t.level[TLB_L1D].fills, 3);
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 2);
	ck_assert(tlb_lookup(&t, 1, 0, 0x1234, TLB_DATA, &where));
	ck_assert_int_eq(where, TLB_L1D);

	/* A fetch of a page filled as data: L1I miss, L2 hit, L1I refilled */
	ck_assert(tlb_lookup(&t, 1, 0, 0x2000, TLB_FETCH, &where));
	ck_assert_int_eq(where, TLB_L2);
	ck_assert(tlb_lookup(&t, 1, 0, 0x2000, TLB_FETCH, &where));
	ck_assert_int_eq(where, TLB_L1I);
	ck_assert_uint_eq(t.level[TLB_L1I].lookups, 2);
	ck_assert_uint_eq(t.level[TLB_L1I].hits, 1);
	ck_assert_uint_eq(t.level[TLB_L1I].misses, 1);
	ck_assert_uint_eq(t.level[TLB_L1I].fills, 1);
	ck_assert_uint_eq(t.level[TLB_L2].lookups, 2);
	ck_assert_uint_eq(t.level[TLB_L2].hits, 2);
	ck_assert_uint_eq(t.level[TLB_L2].misses, 0);

	ck_assert(!tlb_lookup(&t, 1, 0, 0x3000, TLB_FETCH, &where));
	ck_assert_uint_eq(t.level[TLB_L2].misses, 1);
	ck_assert_uint_eq(t.asid[1].lookups, 5);
	ck_assert_uint_eq(t.asid[1].hits, 4);
	ck_assert_uint_eq(t.asid[1].misses, 1);
	teardown();
}
END_TEST

/* ---- large pages ---- */

START_TEST(large_pages_separate_array)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.l1d = (struct tlb_geometry){ 4, 0 };
	c.l1d_large = (struct tlb_geometry){ 2, 0 };
	c.l2.entries = 0;
	setup_with(&c);
	for (uint64_t p = 0; p < 4; p++)
		fill(1, 0, p * K4, TLB_4K, 0);
	fill(1, 0, 3 * M2, TLB_2M, 0);
	fill(1, 0, 5 * G1, TLB_1G, 0);
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 0);   /* 4K entries untouched */
	for (uint64_t p = 0; p < 4; p++)
		ck_assert(hits(1, 0, p * K4));
	ck_assert(hits(1, 0, 3 * M2 + 0x1fffff) && !hits(1, 0, 4 * M2));
	ck_assert(hits(1, 0, 5 * G1 + 0x3fffffff) && !hits(1, 0, 6 * G1));
	ck_assert_uint_eq(t.array[TLB_A_L1D_LARGE].nr_valid[TLB_2M], 1);
	ck_assert_uint_eq(t.array[TLB_A_L1D_LARGE].nr_valid[TLB_1G], 1);
	ck_assert_uint_eq(t.array[TLB_A_L1D].nr_valid[TLB_4K], 4);
	fill(1, 0, 7 * M2, TLB_2M, 0);        /* the large array is full: evicts the 2M */
	ck_assert_uint_eq(t.level[TLB_L1D].evictions, 1);
	ck_assert(!hits(1, 0, 3 * M2));
	ck_assert(hits(1, 0, 5 * G1) && hits(1, 0, 7 * M2 + 5));
	teardown();
}
END_TEST

START_TEST(large_pages_shared_array_and_alignment)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.l1d = (struct tlb_geometry){ 2, 0 };
	c.l2 = (struct tlb_geometry){ 16, 2 };   /* 8 sets: each size indexes by its own VPN */
	setup_with(&c);
	/* An unaligned vpn and pa are aligned down to the page size */
	struct tlb_entry e = mk(1, 0, 0x40123000, TLB_2M, TLB_U);
	e.pa = 0x12345678;
	const struct tlb_entry *l1 = tlb_fill(&t, &e, TLB_DATA);
	ck_assert_uint_eq(tlb_entry_va(l1), 0x40000000);
	ck_assert_uint_eq(l1->pa, 0x12200000);
	fill(1, 0, 0x40000000 + 0x3000, TLB_4K, 0);   /* a 4K entry inside the 2M page */
	/* The smaller page size answers first */
	const struct tlb_entry *h = tlb_lookup(&t, 1, 0, 0x40003010, TLB_DATA, NULL);
	ck_assert_uint_eq(h->size, TLB_4K);
	h = tlb_lookup(&t, 1, 0, 0x40004010, TLB_DATA, NULL);
	ck_assert_uint_eq(h->size, TLB_2M);
	ck_assert_uint_eq(t.array[TLB_A_L1D].nr_valid[TLB_2M], 1);
	/* In the L2, the 2M entry sits in set (va >> 21) & 7 = 0, found from any offset */
	ck_assert_uint_eq(tlb_flush_page(&t, 1, 0x401ff000, 1), 2);
	ck_assert(tlb_lookup(&t, 1, 0, 0x40003000, TLB_DATA, NULL));
	ck_assert(!tlb_lookup(&t, 1, 0, 0x40004000, TLB_DATA, NULL));
	teardown();
}
END_TEST

/* ---- counters ---- */

START_TEST(counters_registered)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.max_asids = 4;
	setup_with(&c);
	struct counter_registry r;
	counters_init(&r);
	tlb_register_counters(&t, &r);
	ck_assert_uint_eq(r.n, 3 * 5 + TLB_NR_FLUSH_KINDS * 3 + 1 + (4 + 1) * (7 + TLB_NR_FLUSH_KINDS));
	ck_assert_ptr_eq(counter_find(&r, "tlb.l1d.hits")->value, &t.level[TLB_L1D].hits);
	ck_assert_ptr_eq(counter_find(&r, "tlb.l1i.evictions")->value,
			 &t.level[TLB_L1I].evictions);
	ck_assert_ptr_eq(counter_find(&r, "tlb.l2.fills")->value, &t.level[TLB_L2].fills);
	ck_assert_ptr_eq(counter_find(&r, "tlb.asid.3.misses")->value, &t.asid[3].misses);
	ck_assert_ptr_eq(counter_find(&r, "tlb.asid.other.lookups")->value, &t.asid[4].lookups);
	ck_assert_ptr_eq(counter_find(&r, "tlb.asid.0.invalidated")->value,
			 &t.asid[0].invalidated);
	ck_assert_ptr_null(counter_find(&r, "tlb.asid.4.lookups"));
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.full.issued")->value,
			 &t.flush[TLB_FLUSH_FULL].issued);
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.full.invalidated_own")->value,
			 &t.flush[TLB_FLUSH_FULL].invalidated_own);
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.full.invalidated_collateral")->value,
			 &t.flush[TLB_FLUSH_FULL].invalidated_collateral);
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.page_pcid.issued")->value,
			 &t.flush[TLB_FLUSH_PAGE_PCID].issued);
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.vm_transition.invalidated_own")->value,
			 &t.flush[TLB_FLUSH_VM_TRANSITION].invalidated_own);
	ck_assert_ptr_eq(counter_find(&r, "tlb.flush.widened")->value, &t.widened);
	counters_free(&r);
	teardown();
}
END_TEST

START_TEST(init_rejects_bad_geometry)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	c.l2.ways = 3;
	struct tlb u;
	ck_assert(!tlb_init(&u, &c, err, sizeof err));
	ck_assert_str_eq(err, "l2.ways=3 does not divide l2.entries=2048");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tlb");

	TCase *tc = tcase_create("flush");
	tcase_add_checked_fixture(tc, setup_six, teardown);
	tcase_add_test(tc, flush_full_counts_collateral);
	tcase_add_test(tc, flush_page_removes_every_piece_of_a_spanning_page);
	tcase_add_test(tc, flush_asid_scoped);
	tcase_add_test(tc, flush_asid_nonglobal_keeps_globals);
	tcase_add_test(tc, flush_pcid_one_context);
	tcase_add_test(tc, flush_page_every_pcid_and_globals);
	tcase_add_test(tc, flush_page_pcid_spares_globals);
	tcase_add_test(tc, vm_transition_tagged_does_nothing);
	tcase_add_test(tc, lookup_matches_tag_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("untagged");
	tcase_add_checked_fixture(tc, setup_six_untagged, teardown);
	tcase_add_test(tc, untagged_page_flush_empties_everything);
	tcase_add_test(tc, untagged_every_kind_is_whole);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_test(tc, asid_counters_fold_into_other);
	tcase_add_test(tc, lru_fully_associative);
	tcase_add_test(tc, lru_per_set);
	tcase_add_test(tc, random_replacement_follows_seed);
	tcase_add_test(tc, l2_hit_refills_l1);
	tcase_add_test(tc, large_pages_separate_array);
	tcase_add_test(tc, large_pages_shared_array_and_alignment);
	tcase_add_test(tc, counters_registered);
	tcase_add_test(tc, init_rejects_bad_geometry);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, tlb_config_tcase());
	suite_add_tcase(s, tlb_isolation_tcase());
	suite_add_tcase(s, tlb_property_tcase());
	return s;
}
