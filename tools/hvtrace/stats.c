/* hvtrace stats FILE: summary counters computed from an event trace alone: references
 * by access and outcome, distinct pages, fills by page size, flushes by kind and cause,
 * exits by code, hypercalls by call code. Where the trace carries the run's own
 * counters, the "check" lines compare the two. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtrace.h"
#include "sim/cpu/svm.h"
#include "sim/tlb/tlb.h"

/* Counts by name, in first-seen order (few distinct names: causes, exit codes...) */
struct tally {
	char (*name)[64];
	uint64_t *n;
	size_t len, cap;
};

static void tally_add(struct tally *t, const char *name, uint64_t by)
{
	for (size_t i = 0; i < t->len; i++) {
		if (strcmp(t->name[i], name) == 0) {
			t->n[i] += by;
			return;
		}
	}
	if (t->len == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char (*nm)[64] = realloc(t->name, cap * sizeof *nm);
		if (nm)
			t->name = nm;
		uint64_t *n = realloc(t->n, cap * sizeof *n);
		if (n)
			t->n = n;
		if (!nm || !n)
			return; /* out of memory: the tally stays short */
		t->cap = cap;
	}
	snprintf(t->name[t->len], sizeof t->name[0], "%s", name);
	t->n[t->len++] = by;
}

static void tally_free(struct tally *t)
{
	free(t->name);
	free(t->n);
}

/* A set of 64-bit keys (open addressing, linear probing; key 0 is stored apart) */
struct page_set {
	uint64_t *slot;
	size_t cap, len;
	bool has_zero;
};

static void set_insert(struct page_set *s, uint64_t k)
{
	if (k == 0) {
		s->len += !s->has_zero;
		s->has_zero = true;
		return;
	}
	if (2 * (s->len + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *n = calloc(cap, sizeof *n);
		if (!n)
			return;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			size_t j = (size_t)(s->slot[i] * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
			while (n[j])
				j = (j + 1) & (cap - 1);
			n[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = n;
		s->cap = cap;
	}
	size_t j = (size_t)(k * 0x9E3779B97F4A7C15ull >> 20) & (s->cap - 1);
	while (s->slot[j] && s->slot[j] != k)
		j = (j + 1) & (s->cap - 1);
	if (!s->slot[j]) {
		s->slot[j] = k;
		s->len++;
	}
}

struct stats {
	uint64_t refs, by_access[3], user, by_level[3], walked, refused, faults;
	uint64_t fills_by_size[TLB_NR_SIZES], fills_global, fills_fetch, fills_data;
	uint64_t flush_issued[TLB_NR_FLUSH_KINDS], flush_removed[TLB_NR_FLUSH_KINDS];
	uint64_t flush_collateral[TLB_NR_FLUSH_KINDS], flush_skipped;
	struct tally causes, exits, hypercalls, asid_refs, asid_misses;
	struct page_set pages;
};

static bool count(void *ctx, const struct trace_event *ev)
{
	struct stats *s = ctx;
	char name[64];
	snprintf(name, sizeof name, "%u", ev->asid);
	switch (ev->kind) {
	case TK_REF: {
		uint64_t n = 1 + ev->ref.repeat;
		s->refs += n;
		s->by_access[ev->ref.access] += n;
		s->user += ev->ref.user ? n : 0;
		s->by_level[ev->ref.level]++;
		s->by_level[TRACE_HIT_L1] += ev->ref.repeat;
		s->walked += ev->ref.walked;
		s->refused += ev->ref.walked && ev->ref.level != TRACE_MISS;
		s->faults += ev->ref.fault;
		tally_add(&s->asid_refs, name, n);
		tally_add(&s->asid_misses, name, ev->ref.level == TRACE_MISS);
		set_insert(&s->pages, (uint64_t)ev->asid << 52 ^ ev->ref.va >> 12);
		break;
	}
	case TK_FILL:
		s->fills_by_size[ev->fill.size]++;
		s->fills_global += (ev->fill.flags & TLB_G) != 0;
		s->fills_fetch += ev->fill.tlb_kind == TLB_FETCH;
		s->fills_data += ev->fill.tlb_kind == TLB_DATA;
		break;
	case TK_FLUSH:
		if (!ev->flush.performed) {
			s->flush_skipped++;
			break;
		}
		s->flush_issued[ev->flush.kind]++;
		s->flush_removed[ev->flush.kind] += ev->flush.removed;
		s->flush_collateral[ev->flush.kind] += ev->flush.collateral;
		/* "MOV CR3" -> flush.cause.MOV_CR3: one token per counter name */
		snprintf(name, sizeof name, "%s", ev->flush.cause);
		for (char *q = name; *q; q++)
			if (*q == ' ')
				*q = '_';
		tally_add(&s->causes, name, 1);
		break;
	case TK_EXIT: {
		char text[256];
		svm_describe_exit(ev->exit.code, ev->exit.info1, ev->exit.info2, text, sizeof text);
		text[strcspn(text, " ")] = 0;
		tally_add(&s->exits, text, 1);
		break;
	}
	case TK_HYPERCALL:
		snprintf(name, sizeof name, "0x%04x", (unsigned)(ev->hypercall.input & 0xFFFF));
		tally_add(&s->hypercalls, name, 1);
		break;
	}
	return true;
}

static void line(const char *name, uint64_t v, const char *desc)
{
	printf("%-44s %14" PRIu64 "  # %s\n", name, v, desc);
}

static void tally_lines(const struct tally *t, const char *fmt, const char *desc)
{
	for (size_t i = 0; i < t->len; i++) {
		char name[128];
		snprintf(name, sizeof name, fmt, t->name[i]);
		line(name, t->n[i], desc);
	}
}

/* "check" lines: a number from the trace against the run's own counters */
static void check(const struct ht_trace *t, const char *what, uint64_t from_trace,
		  const char *const *counters)
{
	uint64_t sum = 0;
	for (const char *const *c = counters; *c; c++) {
		const uint64_t *v = ht_counter(t, *c);
		if (!v)
			return;
		sum += *v;
	}
	printf("check: %s %" PRIu64 " %s the run's", what, from_trace, from_trace == sum ? "=" : "!=");
	for (const char *const *c = counters; *c; c++)
		printf("%s %s", c == counters ? "" : " +", *c);
	printf(" (%" PRIu64 ")\n", sum);
}

int cmd_stats(int argc, char **argv)
{
	if (argc != 2)
		return ht_usage("stats takes one FILE; try 'hvtrace --help'");
	struct stats s = { 0 };
	struct ht_trace t;
	struct ht_visitor v = { .ctx = &s, .event = count };
	int rc = ht_walk(argv[1], &t, &v, false);
	if (rc == 0) {
		const char *events = rec_kv_get(t.meta, t.nmeta, "events");
		printf("# %s: events %s\n", argv[1], events ? events : "?");
		line("run.insns", t.end.insn, "instructions the traced run retired");
		line("run.cycles", t.end.cycles, "its simulated cycles");
		for (unsigned k = 0; k < TK_NR_KINDS; k++) {
			char name[64];
			snprintf(name, sizeof name, "records.%s", trace_kind_name(k));
			line(name, t.per_kind[k], "event records of this kind");
		}
		line("ref.references", s.refs, "memory references (TLB lookups), repeats included");
		line("ref.read", s.by_access[0], "... data reads");
		line("ref.write", s.by_access[1], "... data writes");
		line("ref.fetch", s.by_access[2], "... instruction fetches (one per code page entered)");
		line("ref.user", s.user, "... checked as user (CPL 3) accesses");
		line("ref.l1_hits", s.by_level[TRACE_HIT_L1], "references that hit an L1 TLB");
		line("ref.l2_hits", s.by_level[TRACE_HIT_L2], "references that hit the L2 TLB");
		line("ref.misses", s.by_level[TRACE_MISS], "references that missed every level");
		line("ref.walks", s.walked, "page walks (misses, and hits the permissions refused)");
		line("ref.refused_hits", s.refused, "hits whose permissions forced a walk");
		line("ref.faults", s.faults, "walks that faulted (#PF or nested page fault)");
		line("ref.pages", s.pages.len, "distinct (ASID, 4 KiB page) pairs referenced");
		tally_lines(&s.asid_refs, "ref.asid.%s.references", "references by this ASID");
		tally_lines(&s.asid_misses, "ref.asid.%s.misses", "misses by this ASID");
		static const char *const sizes[TLB_NR_SIZES] = { "4k", "2m", "1g" };
		for (int z = 0; z < TLB_NR_SIZES; z++) {
			char name[64];
			snprintf(name, sizeof name, "fill.%s", sizes[z]);
			line(name, s.fills_by_size[z], "fills of this page size");
		}
		line("fill.global", s.fills_global, "fills of global translations");
		line("fill.fetch", s.fills_fetch, "fills for instruction fetches (L1I)");
		line("fill.data", s.fills_data, "fills for data accesses (L1D)");
		for (int k = 0; k < TLB_NR_FLUSH_KINDS; k++) {
			char name[96];
			snprintf(name, sizeof name, "flush.%s.issued", tlb_flush_kind_name[k]);
			line(name, s.flush_issued[k], "flushes of this kind");
			snprintf(name, sizeof name, "flush.%s.removed", tlb_flush_kind_name[k]);
			line(name, s.flush_removed[k], "entries they removed");
			snprintf(name, sizeof name, "flush.%s.collateral", tlb_flush_kind_name[k]);
			line(name, s.flush_collateral[k], "... of them other ASIDs' entries");
		}
		line("flush.tagged_vm_transitions", s.flush_skipped,
		     "VM transitions a tagged TLB did not flush");
		tally_lines(&s.causes, "flush.cause.%s", "flushes by cause");
		tally_lines(&s.exits, "exit.%s", "#VMEXITs by exit code");
		tally_lines(&s.hypercalls, "hypercall.%s", "hypercalls by call code");
		if (t.per_kind[TK_REF]) {
			static const char *const lookups[] = { "tlb.l1i.lookups", "tlb.l1d.lookups", NULL };
			static const char *const misses[] = { "mmu.walks", NULL };
			check(&t, "references", s.refs, lookups);
			check(&t, "walks", s.walked, misses);
		}
	}
	ht_trace_free(&t);
	tally_free(&s.causes);
	tally_free(&s.exits);
	tally_free(&s.hypercalls);
	tally_free(&s.asid_refs);
	tally_free(&s.asid_misses);
	free(s.pages.slot);
	return rc;
}
