/* The TLB's counters in the registry (docs/tlb.md "Counters"). The per-ASID table is
 * registered whole, up front, for ASIDs 0..max_asids-1 plus "other": the registry holds
 * addresses, so the set of names is fixed at start, and every run of one configuration
 * prints the same names (stats files compare line by line). */
#include "tlb.h"

#include <stdio.h>

static const char *const level_name[TLB_NR_LEVELS] = {
	[TLB_L1I] = "l1i", [TLB_L1D] = "l1d", [TLB_L2] = "l2",
};

static const char *const level_desc[TLB_NR_LEVELS] = {
	[TLB_L1I] = "L1 instruction TLB",
	[TLB_L1D] = "L1 data TLB",
	[TLB_L2] = "unified L2 TLB",
};

static void reg(struct counter_registry *r, const uint64_t *v, const char *desc,
		const char *fmt, const char *a, const char *b)
{
	char name[96];
	snprintf(name, sizeof name, fmt, a, b);
	counter_register(r, name, desc, v);
}

static void register_level(struct tlb *t, struct counter_registry *r, enum tlb_level l)
{
	const struct tlb_level_stats *s = &t->level[l];
	const char *n = level_name[l];
	char d[128];
	snprintf(d, sizeof d, "%s lookups", level_desc[l]);
	reg(r, &s->lookups, d, "tlb.%s.%s", n, "lookups");
	snprintf(d, sizeof d, "%s hits", level_desc[l]);
	reg(r, &s->hits, d, "tlb.%s.%s", n, "hits");
	snprintf(d, sizeof d, "%s misses", level_desc[l]);
	reg(r, &s->misses, d, "tlb.%s.%s", n, "misses");
	snprintf(d, sizeof d, "%s fills (walks and L2 refills)", level_desc[l]);
	reg(r, &s->fills, d, "tlb.%s.%s", n, "fills");
	snprintf(d, sizeof d, "%s valid entries replaced by a fill", level_desc[l]);
	reg(r, &s->evictions, d, "tlb.%s.%s", n, "evictions");
}

static void register_asid(struct counter_registry *r, const struct tlb_asid_stats *s,
			  const char *id)
{
	char d[128], name[64];
	snprintf(d, sizeof d, "TLB lookups by ASID %s", id);
	reg(r, &s->lookups, d, "tlb.asid.%s.%s", id, "lookups");
	snprintf(d, sizeof d, "TLB lookups by ASID %s that hit (any level)", id);
	reg(r, &s->hits, d, "tlb.asid.%s.%s", id, "hits");
	snprintf(d, sizeof d, "TLB lookups by ASID %s that missed every level", id);
	reg(r, &s->misses, d, "tlb.asid.%s.%s", id, "misses");
	snprintf(d, sizeof d, "TLB lookups by ASID %s that missed the L1 and looked in the L2", id);
	reg(r, &s->l2_lookups, d, "tlb.asid.%s.%s", id, "l2_lookups");
	snprintf(d, sizeof d, "TLB lookups by ASID %s that hit in the L2", id);
	reg(r, &s->l2_hits, d, "tlb.asid.%s.%s", id, "l2_hits");
	snprintf(d, sizeof d, "TLB entries of ASID %s removed by flushes", id);
	reg(r, &s->invalidated, d, "tlb.asid.%s.%s", id, "invalidated");
	snprintf(d, sizeof d, "TLB entries of ASID %s removed by flushes another ASID requested", id);
	reg(r, &s->invalidated_collateral, d, "tlb.asid.%s.%s", id, "invalidated_collateral");
	for (int k = 0; k < TLB_NR_FLUSH_KINDS; k++) {
		snprintf(d, sizeof d, "TLB entries of ASID %s removed by %s flushes", id,
			 tlb_flush_kind_name[k]);
		snprintf(name, sizeof name, "invalidated_by.%s", tlb_flush_kind_name[k]);
		reg(r, &s->invalidated_by_kind[k], d, "tlb.asid.%s.%s", id, name);
	}
}

static void register_flush(struct counter_registry *r, const struct tlb_flush_stats *s,
			   const char *kind)
{
	char d[128];
	snprintf(d, sizeof d, "TLB flushes of kind %s", kind);
	reg(r, &s->issued, d, "tlb.flush.%s.%s", kind, "issued");
	snprintf(d, sizeof d, "entries of the requesting ASID removed by %s flushes", kind);
	reg(r, &s->invalidated_own, d, "tlb.flush.%s.%s", kind, "invalidated_own");
	snprintf(d, sizeof d, "entries of other ASIDs removed by %s flushes", kind);
	reg(r, &s->invalidated_collateral, d, "tlb.flush.%s.%s", kind,
	    "invalidated_collateral");
}

void tlb_register_counters(struct tlb *t, struct counter_registry *r)
{
	for (int l = 0; l < TLB_NR_LEVELS; l++)
		register_level(t, r, l);
	for (int k = 0; k < TLB_NR_FLUSH_KINDS; k++)
		register_flush(r, &t->flush[k], tlb_flush_kind_name[k]);
	counter_register(r, "tlb.flush.widened",
			 "flushes that untagged mode turned into whole-TLB flushes", &t->widened);
	for (uint32_t a = 0; a < t->cfg.max_asids; a++) {
		char id[12];
		snprintf(id, sizeof id, "%u", a);
		register_asid(r, &t->asid[a], id);
	}
	register_asid(r, &t->asid[t->cfg.max_asids], "other");
}
