/* Randomized property tests. (1) Long random sequences of lookups, fills and flushes
 * run on the model and on the reference (tlb_ref.c) must give identical answers and
 * identical counters after every operation, over several geometries (tiny ones force
 * evictions) and seeds. (2) Isolation (DESIGN.md): no lookup ever returns an entry of
 * another (ASID, PCID), except global entries of the same ASID.
 * Assertions in the loops are plain ifs: Check's ck_assert records a mark point per
 * call, far too slow for millions. */
#include "test_tlb.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/tlb/prng.h"
#include "sim/tlb/tlb.h"
#include "tlb_ref.h"

#define OPS 200000

static const struct geometry {
	const char *name, *opt;
} geometries[] = {
	{ "tiny-direct", "l1i.entries=1,l1d.entries=2,l1d.ways=1,l2.entries=4,l2.ways=1" },
	{ "tiny-random", "l1i.entries=2,l1d.entries=4,l1d.ways=2,l1d.large_entries=2,"
			 "l2.entries=8,l2.ways=2,replacement=random" },
	{ "small-split", "l1i.entries=8,l1i.large_entries=2,l1d.entries=8,l1d.ways=4,"
			 "l1d.large_entries=4,l1d.large_ways=2,l2.entries=32,l2.ways=4,"
			 "max_asids=4" },
	{ "small-split-random", "l1i.entries=8,l1i.large_entries=2,l1d.entries=8,l1d.ways=4,"
				"l1d.large_entries=4,l1d.large_ways=2,l2.entries=32,l2.ways=4,"
				"replacement=random,max_asids=2" },
	{ "no-l2", "l1i.entries=4,l1d.entries=16,l1d.ways=4,l2.entries=0,replacement=random" },
	{ "fa-l2", "l1i.entries=4,l1i.ways=2,l1d.entries=4,l2.entries=16,l2.ways=full" },
	{ "untagged", "l1i.entries=8,l1d.entries=8,l1d.ways=2,l1d.large_entries=2,"
		      "l2.entries=64,l2.ways=4,tagged=off,max_asids=3" },
	{ "untagged-random", "l1i.entries=4,l1d.entries=8,l2.entries=16,l2.ways=2,"
			     "tagged=off,replacement=random" },
	{ "zen-default", "" },
};
#define NR_GEOMETRIES (int)(sizeof geometries / sizeof geometries[0])
static const uint64_t seeds[] = { 1, 0x5eed, 0xfeedfacecafebeefull };
#define NR_SEEDS (int)(sizeof seeds / sizeof seeds[0])

static uint8_t host_pages[4096];

/* ---- the random workload ---- */

struct gen {
	uint64_t s;
};

static uint32_t below(struct gen *g, uint32_t n)
{
	return tlb_prng_below(&g->s, n);
}

/* A hot address: mostly in 96 4K pages, some in 8 2M pages, a few in 3 1G pages; the
 * ranges overlap so pages of different sizes can map the same address. */
static uint64_t pick_va(struct gen *g)
{
	uint32_t r = below(g, 100);
	if (r < 75)
		return (uint64_t)below(g, 96) * 0x1000 + below(g, 0x1000);
	if (r < 95)
		return (uint64_t)below(g, 8) * 0x200000 + below(g, 0x200000);
	return (uint64_t)below(g, 3) * 0x40000000 + ((uint64_t)below(g, 1u << 30));
}

static uint32_t pick_asid(struct gen *g)
{
	return below(g, 6);   /* beyond most configs' max_asids: "other" is exercised */
}

static uint16_t pick_pcid(struct gen *g)
{
	return below(g, 10) == 0 ? 0x1001 : (uint16_t)below(g, 4);   /* 0x1001 is PCID 1 */
}

/* The page-table answer for (asid, va): the size follows the region, so most fills agree;
 * `wild` fills pick any size and flags. */
static struct tlb_entry translation(struct gen *g, uint32_t asid, uint16_t pcid, uint64_t va,
				    bool wild)
{
	enum tlb_page_size s = va < 96 * 0x1000 ? TLB_4K : va < 16 * 0x200000 ? TLB_2M : TLB_1G;
	if (wild)
		s = below(g, 3);
	uint64_t h = (va >> tlb_page_shift(s)) * 0x9E3779B97F4A7C15ull + asid * 0x100000001ull;
	uint8_t flags = (uint8_t)(below(g, 16) & (TLB_W | TLB_U | TLB_NX | TLB_D));
	if (below(g, 100) < 15)
		flags |= TLB_G;
	return (struct tlb_entry){
		.vpn = va >> 12,
		.pa = (h & 0xffffffffffull) | (wild ? 0x123 : 0),   /* the model aligns it */
		.host = &host_pages[h % sizeof host_pages],
		.asid = asid,
		.pcid = pcid,
		.size = (uint8_t)s,
		.flags = (uint8_t)(flags | (wild ? TLB_VALID : 0)),   /* input VALID is ignored */
	};
}

/* ---- comparing ---- */

static char why[512];

static bool same_counters(const struct tlb *t, const struct ref_tlb *r)
{
	for (int l = 0; l < TLB_NR_LEVELS; l++)
		if (memcmp(&t->level[l], &r->level[l], sizeof t->level[l])) {
			const struct tlb_level_stats *a = &t->level[l], *b = &r->level[l];
			snprintf(why, sizeof why,
				 "level %d: model %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
				 "/%" PRIu64 " reference %" PRIu64 "/%" PRIu64 "/%" PRIu64
				 "/%" PRIu64 "/%" PRIu64 " (lookups/hits/misses/fills/evictions)",
				 l, a->lookups, a->hits, a->misses, a->fills, a->evictions,
				 b->lookups, b->hits, b->misses, b->fills, b->evictions);
			return false;
		}
	for (int k = 0; k < TLB_NR_FLUSH_KINDS; k++)
		if (memcmp(&t->flush[k], &r->flush[k], sizeof t->flush[k])) {
			snprintf(why, sizeof why, "flush %s: model %" PRIu64 "/%" PRIu64 "/%" PRIu64
				 " reference %" PRIu64 "/%" PRIu64 "/%" PRIu64,
				 tlb_flush_kind_name[k], t->flush[k].issued,
				 t->flush[k].invalidated_own, t->flush[k].invalidated_collateral,
				 r->flush[k].issued, r->flush[k].invalidated_own,
				 r->flush[k].invalidated_collateral);
			return false;
		}
	for (uint32_t a = 0; a <= t->cfg.max_asids; a++)
		if (memcmp(&t->asid[a], &r->asid[a], sizeof t->asid[a])) {
			snprintf(why, sizeof why, "per-ASID block %u differs", a);
			return false;
		}
	if (t->widened != r->widened) {
		snprintf(why, sizeof why, "widened %" PRIu64 " vs %" PRIu64, t->widened,
			 r->widened);
		return false;
	}
	return true;
}

static bool same_entry(const struct tlb_entry *e, const struct ref_slot *s)
{
	uint8_t flags = (uint8_t)(s->perms | (s->global ? TLB_G : 0) | TLB_VALID);
	return e->asid == s->asid && e->pcid == s->pcid && e->size == s->size &&
	       tlb_entry_va(e) == s->va && e->pa == s->pa && e->host == s->host &&
	       e->flags == flags;
}

/* The isolation invariant for one hit */
static bool isolated(const struct tlb_entry *e, uint32_t asid, uint16_t pcid, uint64_t va)
{
	uint64_t base = tlb_entry_va(e);
	return e->asid == asid && ((e->flags & TLB_G) || e->pcid == (pcid & TLB_PCID_MASK)) &&
	       va >= base && va - base < tlb_page_bytes(e->size) && (e->flags & TLB_VALID);
}

/* docs/tlb.md "Counters": lookups = hits + misses, the L2 sees the L1 misses, and the
 * flush kinds and the ASID blocks account for the same removed entries. */
static bool identities_hold(const struct tlb *t)
{
	for (int l = 0; l < TLB_NR_LEVELS; l++)
		if (t->level[l].lookups != t->level[l].hits + t->level[l].misses) {
			snprintf(why, sizeof why, "level %d lookups != hits + misses", l);
			return false;
		}
	uint64_t inv_asid = 0, inv_kind = 0;
	for (uint32_t a = 0; a <= t->cfg.max_asids; a++) {
		const struct tlb_asid_stats *s = &t->asid[a];
		if (s->lookups != s->hits + s->misses) {
			snprintf(why, sizeof why, "ASID block %u lookups != hits + misses", a);
			return false;
		}
		inv_asid += s->invalidated;
	}
	for (int k = 0; k < TLB_NR_FLUSH_KINDS; k++)
		inv_kind += t->flush[k].invalidated_own + t->flush[k].invalidated_collateral;
	if (inv_asid != inv_kind) {
		snprintf(why, sizeof why, "removed: %" PRIu64 " by ASID, %" PRIu64 " by kind",
			 inv_asid, inv_kind);
		return false;
	}
	if (t->array[TLB_A_L2].sets &&
	    t->level[TLB_L2].lookups != t->level[TLB_L1I].misses + t->level[TLB_L1D].misses) {
		snprintf(why, sizeof why, "L2 lookups != L1 misses");
		return false;
	}
	return true;
}

/* ---- (1) model against reference ---- */

/* Runs one workload; on the first difference returns false with `why` filled. */
static bool run_against_reference(const struct tlb_config *c, uint64_t seed, int ops)
{
	struct tlb t;
	struct ref_tlb r;
	char err[256];
	if (!tlb_init(&t, c, err, sizeof err)) {
		snprintf(why, sizeof why, "tlb_init: %s", err);
		return false;
	}
	ref_init(&r, c);
	struct gen g = { tlb_prng_seed(seed ^ 0xabcdef) };
	bool ok = true;
	uint64_t hits = 0, removed = 0;
	for (int i = 0; i < ops && ok; i++) {
		uint32_t op = below(&g, 1000);
		uint32_t asid = pick_asid(&g);
		uint16_t pcid = pick_pcid(&g);
		uint64_t va = pick_va(&g);
		uint32_t requester = below(&g, 4) ? asid : pick_asid(&g);
		enum tlb_kind kind = below(&g, 3) ? TLB_DATA : TLB_FETCH;
		unsigned n1 = 0, n2 = 0;
		const char *what = "lookup";
		if (op < 600) {
			/* an access: look up, and on a miss fill what the page tables say */
			enum tlb_level lm = TLB_NR_LEVELS;
			const struct tlb_entry *e = tlb_lookup(&t, asid, pcid, va, kind, &lm);
			struct ref_hit h = ref_lookup(&r, asid, pcid, va, kind);
			if (!e != !h.hit || (e && (lm != h.level || !same_entry(e, &h.e)))) {
				snprintf(why, sizeof why, "op %d: lookup asid %u pcid %#x va %#" PRIx64
					 ": model %s (level %d), reference %s (level %d)", i, asid,
					 pcid, va, e ? "hit" : "miss", lm, h.hit ? "hit" : "miss",
					 h.level);
				ok = false;
				break;
			}
			if (e && !isolated(e, asid, pcid, va)) {
				snprintf(why, sizeof why, "op %d: isolation broken", i);
				ok = false;
				break;
			}
			hits += e != NULL;
			if (!e && op < 450) {
				struct tlb_entry n = translation(&g, asid, pcid, va, false);
				tlb_fill(&t, &n, kind);
				ref_fill(&r, &n, kind);
			}
		} else if (op < 850) {
			what = "fill";
			struct tlb_entry n = translation(&g, asid, pcid, va, op >= 800);
			const struct tlb_entry *e = tlb_fill(&t, &n, kind);
			ref_fill(&r, &n, kind);
			if (!e || e->asid != asid || e->size != n.size) {
				snprintf(why, sizeof why, "op %d: fill returned a wrong entry", i);
				ok = false;
				break;
			}
		} else {
			enum tlb_flush_kind fk;
			if (op < 900) {
				fk = TLB_FLUSH_PAGE;
				n1 = tlb_flush_page(&t, asid, va, requester);
			} else if (op < 920) {
				fk = TLB_FLUSH_PAGE_PCID;
				n1 = tlb_flush_page_pcid(&t, asid, pcid, va, requester);
			} else if (op < 950) {
				fk = TLB_FLUSH_PCID;
				n1 = tlb_flush_pcid(&t, asid, pcid, requester);
			} else if (op < 965) {
				fk = TLB_FLUSH_ASID_NONGLOBAL;
				n1 = tlb_flush_asid_nonglobal(&t, asid, requester);
			} else if (op < 980) {
				fk = TLB_FLUSH_ASID;
				n1 = tlb_flush_asid(&t, asid, requester);
			} else if (op < 985) {
				fk = TLB_FLUSH_FULL;
				n1 = tlb_flush_all(&t, requester);
			} else {
				fk = TLB_FLUSH_VM_TRANSITION;
				n1 = tlb_flush_vm_transition(&t, requester);
			}
			what = tlb_flush_kind_name[fk];
			n2 = ref_flush(&r, fk, asid, pcid, va, requester);
			removed += n1;
			if (n1 != n2) {
				snprintf(why, sizeof why, "op %d: flush %s removed %u, reference %u",
					 i, what, n1, n2);
				ok = false;
				break;
			}
		}
		if (!same_counters(&t, &r)) {
			char tmp[512];
			snprintf(tmp, sizeof tmp, "op %d (%s): %.400s", i, what, why);
			memcpy(why, tmp, sizeof why);
			ok = false;
		}
	}
	if (ok && !identities_hold(&t)) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "counter identity broken: %.400s", why);
		memcpy(why, tmp, sizeof why);
		ok = false;
	}
	/* The workload must have exercised what it claims to */
	if (ok && ops >= 10000) {
		uint64_t ev = t.level[TLB_L1D].evictions;
		if (hits == 0 || removed == 0 || (c->l1d.entries <= 16 && ev == 0)) {
			snprintf(why, sizeof why, "workload too weak: %" PRIu64 " hits, %" PRIu64
				 " removed, %" PRIu64 " L1D evictions", hits, removed, ev);
			ok = false;
		}
	}
	ref_free(&r);
	tlb_free(&t);
	return ok;
}

START_TEST(model_matches_reference)
{
	const struct geometry *geo = &geometries[_i / NR_SEEDS];
	uint64_t seed = seeds[_i % NR_SEEDS];
	struct tlb_config c;
	char err[256];
	tlb_config_defaults(&c);
	ck_assert_msg(tlb_config_parse(&c, geo->opt, err, sizeof err), "%s: %s", geo->name, err);
	c.seed = seed;
	/* The Zen-sized reference scans 2,000 slots a lookup: fewer operations there. */
	int ops = c.l2.entries > 256 ? OPS / 4 : OPS;
	ck_assert_msg(run_against_reference(&c, seed, ops), "%s seed %#" PRIx64 ": %s",
		      geo->name, seed, why);
}
END_TEST

/* ---- (2) isolation ---- */

/* Every context (8 ASIDs × 8 PCIDs) maps the same 8 pages; 30 % of fills are global. */
static void isolation_run(const char *opt, uint64_t seed)
{
	struct tlb_config c;
	char err[256];
	tlb_config_defaults(&c);
	ck_assert_msg(tlb_config_parse(&c, opt, err, sizeof err), "%s", err);
	c.seed = seed;
	struct tlb t;
	ck_assert(tlb_init(&t, &c, err, sizeof err));
	struct gen g = { tlb_prng_seed(seed) };
	uint64_t hits = 0, global_hits = 0;
	for (int i = 0; i < OPS; i++) {
		uint32_t asid = below(&g, 8);
		uint16_t pcid = (uint16_t)below(&g, 8);
		uint64_t va = (uint64_t)below(&g, 8) * 0x1000 + below(&g, 0x1000);
		enum tlb_kind kind = below(&g, 2) ? TLB_DATA : TLB_FETCH;
		uint32_t op = below(&g, 100);
		if (op < 60) {
			const struct tlb_entry *e = tlb_lookup(&t, asid, pcid, va, kind, NULL);
			if (e && !isolated(e, asid, pcid, va))
				ck_abort_msg("%s: op %d: lookup (asid %u, pcid %u, va %#" PRIx64
					     ") returned asid %u pcid %u%s va %#" PRIx64,
					     opt, i, asid, pcid, va, e->asid, e->pcid,
					     e->flags & TLB_G ? " global" : "", tlb_entry_va(e));
			hits += e != NULL;
			global_hits += e && (e->flags & TLB_G) && e->pcid != pcid;
		} else if (op < 95) {
			struct tlb_entry n = {
				.vpn = va >> 12, .pa = 0x1000 * (asid * 64 + pcid),
				.asid = asid, .pcid = pcid, .size = TLB_4K,
				.flags = below(&g, 10) < 3 ? TLB_G : 0,
			};
			tlb_fill(&t, &n, kind);
		} else if (op < 98) {
			tlb_flush_pcid(&t, asid, pcid, asid);
		} else {
			tlb_flush_page(&t, asid, va, asid);
		}
	}
	ck_assert_uint_gt(hits, OPS / 50);
	ck_assert_uint_gt(global_hits, 100);   /* globals did match other PCIDs */
	tlb_free(&t);
}

START_TEST(no_lookup_crosses_tags)
{
	static const char *const opts[] = {
		"", "replacement=random", "tagged=off", "l1d.entries=4,l1i.entries=2,l2.entries=8,l2.ways=2",
		"l1d.entries=64,l1d.ways=1,l2.entries=0",
	};
	isolation_run(opts[_i % 5], seeds[_i / 5]);
}
END_TEST

TCase *tlb_property_tcase(void)
{
	TCase *tc = tcase_create("property");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, model_matches_reference, 0, NR_GEOMETRIES * NR_SEEDS);
	return tc;
}

TCase *tlb_isolation_tcase(void)
{
	TCase *tc = tcase_create("isolation");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, no_lookup_crosses_tags, 0, 5 * NR_SEEDS);
	return tc;
}
