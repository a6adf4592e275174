/* hvtrace dump FILE [--kind K,...] [--asid N] [--limit N]: one line per event, the
 * teaching view of what the TLB and the virtualization hardware did. A recording dumps
 * as its configuration, images, digests and end. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtrace.h"
#include "sim/cpu/svm.h"
#include "sim/tlb/tlb.h"

static const char *const access_name[3] = { "read", "write", "fetch" };
static const char *const size_name[TLB_NR_SIZES] = { "4K", "2M", "1G" };
static const char *const level_name[3] = { "L1 hit", "L2 hit", "miss" };

/* Permissions as five letters, '-' where clear: w(ritable) u(ser) n(o-execute)
 * d(irty known) g(lobal) */
static const char *perms(uint8_t f, char *b)
{
	b[0] = (f & TLB_W) ? 'w' : '-';
	b[1] = (f & TLB_U) ? 'u' : '-';
	b[2] = (f & TLB_NX) ? 'n' : '-';
	b[3] = (f & TLB_D) ? 'd' : '-';
	b[4] = (f & TLB_G) ? 'g' : '-';
	b[5] = 0;
	return b;
}

static void print_event(const struct trace_event *ev)
{
	char p[8], text[256];
	printf("%12" PRIu64 " %12" PRIu64 " %4u  ", ev->insn, ev->cycles, ev->asid);
	switch (ev->kind) {
	case TK_REF: {
		const typeof(ev->ref) *r = &ev->ref;
		printf("ref   %-5s va 0x%-14" PRIx64 " pcid %-4u %s%s%s", access_name[r->access],
		       r->va, r->pcid, level_name[r->level],
		       r->walked && r->level != TRACE_MISS ? " refused, walked" :
		       r->walked ? ", walked" : "", r->user ? " (user)" : "");
		if (r->fault)
			printf(": fault\n");
		else
			printf(" -> pa 0x%" PRIx64 " %s%s%s %s\n", r->pa, size_name[r->size],
			       r->span != r->size ? " of " : "",
			       r->span != r->size ? size_name[r->span] : "", perms(r->flags, p));
		if (r->repeat)
			printf("%31s ... and %" PRIu64 " more L1 hit%s on this page\n", "", r->repeat,
			       r->repeat == 1 ? "" : "s");
		break;
	}
	case TK_FILL:
		printf("fill  %-5s va 0x%-14" PRIx64 " pcid %-4u -> pa 0x%" PRIx64 " %s%s%s %s\n",
		       ev->fill.tlb_kind ? "data" : "fetch", ev->fill.va, ev->fill.pcid,
		       ev->fill.pa, size_name[ev->fill.size],
		       ev->fill.span != ev->fill.size ? " of " : "",
		       ev->fill.span != ev->fill.size ? size_name[ev->fill.span] : "",
		       perms(ev->fill.flags, p));
		break;
	case TK_FLUSH: {
		const typeof(ev->flush) *f = &ev->flush;
		printf("flush %s (%s) asid %u", tlb_flush_kind_name[f->kind], f->cause,
		       f->target_asid);
		if (f->kind == TLB_FLUSH_PCID || f->kind == TLB_FLUSH_PAGE_PCID)
			printf(" pcid %u", f->pcid);
		if (f->kind == TLB_FLUSH_PAGE || f->kind == TLB_FLUSH_PAGE_PCID)
			printf(" va 0x%" PRIx64, f->va);
		if (f->performed)
			printf(" for asid %u: %u removed, %u of them collateral\n", f->requester,
			       f->removed, f->collateral);
		else
			printf(": tagged TLB, nothing flushed\n");
		break;
	}
	case TK_EXIT:
		svm_describe_exit(ev->exit.code, ev->exit.info1, ev->exit.info2, text, sizeof text);
		printf("exit  %s, guest rip 0x%" PRIx64 "\n", text, ev->exit.rip);
		break;
	case TK_VMRUN:
		printf("vmrun guest rip 0x%" PRIx64 ", rax 0x%" PRIx64 "\n", ev->vmrun.rip,
		       ev->vmrun.rax);
		break;
	case TK_HYPERCALL: {
		/* TLFS "Hypercall Inputs": call code 15:0, fast 16, rep count 43:32; the
		 * result: status 15:0, reps completed 43:32 */
		uint64_t in = ev->hypercall.input, out = ev->hypercall.result;
		printf("hypercall code 0x%04x%s reps %u: status 0x%04x, reps done %u\n",
		       (unsigned)(in & 0xFFFF), (in >> 16) & 1 ? " fast" : "",
		       (unsigned)((in >> 32) & 0xFFF), (unsigned)(out & 0xFFFF),
		       (unsigned)((out >> 32) & 0xFFF));
		break;
	}
	}
}

struct dump_filter {
	unsigned kinds;
	bool by_asid;
	uint32_t asid;
	uint64_t limit, shown;
	bool header_done;
};

static bool dump_event(void *ctx, const struct trace_event *ev)
{
	struct dump_filter *f = ctx;
	if (!(f->kinds & TK_BIT(ev->kind)) || (f->by_asid && ev->asid != f->asid))
		return true;
	if (!f->header_done)
		printf("%12s %12s %4s  %s\n", "insn", "cycle", "asid", "event");
	f->header_done = true;
	print_event(ev);
	return !f->limit || ++f->shown < f->limit;
}

static int dump_recording(const char *path)
{
	char err[HT_ERR_LEN];
	struct rec_file f;
	if (!rec_load(path, &f, err, sizeof err))
		return ht_usage("%s", err);
	for (size_t i = 0; i < f.nmeta; i++)
		printf("meta    %s = %s\n", f.meta[i].key, f.meta[i].value);
	for (size_t i = 0; i < f.nconfig; i++)
		printf("config  %s = %s\n", f.config[i].key, f.config[i].value);
	for (size_t i = 0; i < f.nimg; i++)
		printf("image   %s %s, %zu bytes\n", f.img[i].role, f.img[i].name, f.img[i].size);
	long rip = digest_schema_find(&f.schema, "rip");
	long cycles = digest_schema_find(&f.schema, "cpu.cycles");
	for (size_t i = 0; i < f.ndigests; i++) {
		const struct rec_digest *d = &f.digests[i];
		printf("digest  insn %" PRIu64 "%s", d->insn, d->final ? " (final)" : "");
		if (rip >= 0)
			printf(" rip 0x%" PRIx64, d->v[rip]);
		if (cycles >= 0)
			printf(" cycles %" PRIu64, d->v[cycles]);
		printf("\n");
	}
	for (size_t i = 0; i < f.ninputs; i++)
		printf("input   insn %" PRIu64 " source %u, %zu bytes\n", f.inputs[i].insn,
		       f.inputs[i].source, f.inputs[i].n);
	printf("end     insn %" PRIu64 " cycles %" PRIu64 " %s, exit status %" PRIu64
	       ", console %" PRIu64 " bytes\n", f.end.insn, f.end.cycles, f.end.stop,
	       f.end.exit_status, f.end.console_bytes);
	rec_free(&f);
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "asid", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_filter f = { .kinds = TK_ALL };
	char err[HT_ERR_LEN], *end;
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (!trace_kinds_parse(optarg, &f.kinds, err, sizeof err))
				return ht_usage("--kind: %s", err);
			break;
		case 'a':
			f.asid = (uint32_t)strtoul(optarg, &end, 0);
			if (!*optarg || *end)
				return ht_usage("--asid '%s': not a number", optarg);
			f.by_asid = true;
			break;
		case 'n':
			f.limit = strtoull(optarg, &end, 0);
			if (!*optarg || *end)
				return ht_usage("--limit '%s': not a number", optarg);
			break;
		default:
			return ht_usage("dump: unknown option or missing value '%s'; try 'hvtrace "
					"--help'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return ht_usage("dump takes one FILE; try 'hvtrace --help'");
	const char *path = argv[optind];
	struct tf_reader r;
	if (!tf_open(&r, path, err, sizeof err))
		return ht_usage("%s", err);
	bool recording = r.kind == TF_KIND_RECORDING;
	tf_close(&r);
	if (recording)
		return dump_recording(path);
	struct ht_trace t;
	struct ht_visitor v = { .ctx = &f, .event = dump_event };
	int rc = ht_walk(path, &t, &v, false);
	ht_trace_free(&t);
	if (fflush(stdout) != 0)
		return ht_usage("writing to stdout failed");
	return rc;
}
