/* hvtrace tlb-replay FILE [--tlb KEY=VAL,...] [--policy lru|random] [--json]: the
 * trace's memory references and flushes fed through the TLB model (sim/tlb) with any
 * configuration, printing the model's counters under their docs/tlb.md names. With the
 * configuration the trace was recorded with, every tlb.* counter equals the run's.
 *
 * A reference is looked up as the CPU does (mem.c translate_as): a hit the permissions
 * allow is a hit; otherwise, unless the recorded walk faulted, the recorded translation
 * of the page is filled. So a geometry that misses where the recorded run hit is filled
 * from the trace, and any geometry can be replayed (docs/trace-format.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hvtrace.h"
#include "sim/tlb/tlb.h"

struct replayer {
	struct tlb tlb;
	uint64_t refs, flushes;
	bool verify;                /* --verify: stop at the first outcome that differs */
	bool differs;
};

/* Replays one reference; returns the outcome level (TRACE_HIT_L1...) and whether it
 * walked, for --verify. */
static void replay_ref(struct tlb *t, const struct trace_event *ev, uint8_t *level,
		       bool *walked)
{
	const typeof(ev->ref) *r = &ev->ref;
	enum tlb_kind kind = r->access == 2 ? TLB_FETCH : TLB_DATA;
	enum tlb_level where = TLB_L1I;
	const struct tlb_entry *e = tlb_lookup(t, ev->asid, r->pcid, r->va, kind, &where);
	*level = !e ? TRACE_MISS : where == TLB_L2 ? TRACE_HIT_L2 : TRACE_HIT_L1;
	*walked = !(e && tlb_entry_allows(e, r->access == 1, r->access == 2, r->user, r->wp));
	if (*walked && !r->fault) {
		struct tlb_entry n = { .vpn = r->va >> TLB_PAGE_SHIFT, .pa = r->pa,
				       .asid = ev->asid, .pcid = r->pcid, .size = r->size,
				       .span = r->span, .flags = r->flags };
		e = tlb_fill(t, &n, kind);
	}
	/* The repeats are L1 hits on that entry in any geometry (trace.c): counted in bulk,
	 * one touch keeps the entry the most recently used, as they would. */
	if (r->repeat && e) {
		tlb_touch(t, tlb_entry_stamp(t, e));
		tlb_count_l1_hits(t, ev->asid, kind, r->repeat);
	}
}

static void replay_flush(struct tlb *t, const struct trace_event *ev)
{
	const typeof(ev->flush) *f = &ev->flush;
	switch (f->kind) {
	case TLB_FLUSH_FULL: tlb_flush_all(t, f->requester); break;
	case TLB_FLUSH_ASID: tlb_flush_asid(t, f->target_asid, f->requester); break;
	case TLB_FLUSH_ASID_NONGLOBAL:
		tlb_flush_asid_nonglobal(t, f->target_asid, f->requester);
		break;
	case TLB_FLUSH_PCID: tlb_flush_pcid(t, f->target_asid, f->pcid, f->requester); break;
	case TLB_FLUSH_PAGE: tlb_flush_page(t, f->target_asid, f->va, f->requester); break;
	case TLB_FLUSH_PAGE_PCID:
		tlb_flush_page_pcid(t, f->target_asid, f->pcid, f->va, f->requester);
		break;
	default:
		/* a VM transition: flushes only untagged hardware (docs/tlb.md), recorded
		 * whether or not the recorded TLB was tagged */
		tlb_flush_vm_transition(t, f->requester);
		break;
	}
}

static bool replay_event(void *ctx, const struct trace_event *ev)
{
	struct replayer *p = ctx;
	if (ev->kind == TK_REF) {
		uint8_t level;
		bool walked;
		replay_ref(&p->tlb, ev, &level, &walked);
		p->refs += 1 + ev->ref.repeat;
		if (p->verify && (level != ev->ref.level || walked != ev->ref.walked)) {
			static const char *const name[] = { "L1 hit", "L2 hit", "miss" };
			fprintf(stderr, "hvtrace: the reference at instruction %" PRIu64 " (asid %u, "
				"va 0x%" PRIx64 ") was a%s %s%s in the run, a%s %s%s here\n", ev->insn,
				ev->asid, ev->ref.va, ev->ref.level == TRACE_MISS ? "" : "n",
				name[ev->ref.level], ev->ref.walked ? " (walked)" : "",
				level == TRACE_MISS ? "" : "n", name[level], walked ? " (walked)" : "");
			p->differs = true;
			return false;
		}
	} else if (ev->kind == TK_FLUSH) {
		replay_flush(&p->tlb, ev);
		p->flushes++;
	}
	return true;
}

/* The trace's configuration before any event: a first, short walk that stops at the
 * first event. */
static bool stop_at_first(void *ctx, const struct trace_event *ev)
{
	(void)ctx;
	(void)ev;
	return false;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_tlb_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tlb", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *overrides[16];
	unsigned noverrides = 0;
	bool json = false, verify = false;
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
		case 'p':
			if (noverrides == 16)
				return ht_usage("at most 16 --tlb and --policy options");
			if (ch == 'p' && strcmp(optarg, "lru") != 0 && strcmp(optarg, "random") != 0)
				return ht_usage("--policy '%s': lru or random", optarg);
			overrides[noverrides++] = ch == 'p' ? (strcmp(optarg, "lru") == 0
							       ? "replacement=lru"
							       : "replacement=random")
							    : optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verify = true;
			break;
		default:
			return ht_usage("tlb-replay: unknown option or missing value '%s'; try "
					"'hvtrace --help'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return ht_usage("tlb-replay takes one FILE; try 'hvtrace --help'");
	const char *path = argv[optind];

	struct ht_trace head;
	struct ht_visitor first = { .event = stop_at_first };
	int rc = ht_walk(path, &head, &first, false);
	if (rc)
		return rc;
	const char *events = rec_kv_get(head.meta, head.nmeta, "events");
	unsigned kinds = 0;
	char err[HT_ERR_LEN];
	if (!events || !trace_kinds_parse(events, &kinds, err, sizeof err) ||
	    !(kinds & TK_BIT(TK_REF)) || !(kinds & TK_BIT(TK_FLUSH))) {
		rc = ht_usage("%s: the trace lacks memory references or flushes (events '%s'); "
			      "record it with --trace-events tlb,flush", path, events ? events : "?");
		ht_trace_free(&head);
		return rc;
	}
	struct tlb_config cfg;
	tlb_config_defaults(&cfg);
	const char *recorded = rec_kv_get(head.config, head.nconfig, "tlb");
	if (recorded && !tlb_config_parse(&cfg, recorded, err, sizeof err)) {
		ht_trace_free(&head);
		return ht_usage("%s: the recorded TLB configuration: %s", path, err);
	}
	ht_trace_free(&head);
	for (unsigned i = 0; i < noverrides; i++)
		if (!tlb_config_parse(&cfg, overrides[i], err, sizeof err))
			return ht_usage("--tlb: %s", err);

	struct replayer p = { .verify = verify };
	if (!tlb_init(&p.tlb, &cfg, err, sizeof err))
		return ht_usage("--tlb: %s", err);
	struct counter_registry reg;
	counters_init(&reg);
	tlb_register_counters(&p.tlb, &reg);

	double t0 = now_seconds();
	struct ht_trace t;
	struct ht_visitor v = { .ctx = &p, .event = replay_event };
	rc = ht_walk(path, &t, &v, false);
	double seconds = now_seconds() - t0;
	if (rc == 0 && p.differs)
		rc = 1;
	if (rc == 0) {
		char conf[512];
		tlb_config_format(&cfg, conf, sizeof conf);
		if (json) {
			printf("{\n  \"tlb\": \"%s\",\n  \"counters\": {\n", conf);
			for (size_t i = 0; i < reg.n; i++)
				printf("    \"%s\": %" PRIu64 "%s\n", reg.v[i].name, *reg.v[i].value,
				       i + 1 < reg.n ? "," : "");
			printf("  }\n}\n");
		} else {
			printf("# tlb %s\n", conf);
			for (size_t i = 0; i < reg.n; i++)
				printf("%-44s %14" PRIu64 "  # %s\n", reg.v[i].name, *reg.v[i].value,
				       reg.v[i].desc);
		}
		fprintf(stderr, "hvtrace: %s: replayed %" PRIu64 " references and %" PRIu64
			" flushes in %.3f s\n", path, p.refs, p.flushes, seconds);
	}
	ht_trace_free(&t);
	counters_free(&reg);
	tlb_free(&p.tlb);
	return rc;
}
