/* hvsim replay FILE: rebuilds the recorded machine from the recording alone (its
 * configuration and its embedded images), runs it, and checks every digest at the
 * instruction count it was taken (the watch, cpu.h). The first difference stops the run
 * and is reported by name: which registers, control registers, counters. --update
 * re-records instead (after an intended change). Exit status: 0 every digest matched,
 * 1 the replay diverged, 2 bad usage or a bad file (docs/trace-format.md "Replay"). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "digest.h"
#include "record.h"
#include "record_read.h"
#include "trace_event.h"

enum { EXIT_DIVERGED = 1 }; /* and cli.h's */

#define MAX_PERTURB 8
#define ERR_LEN 1024

/* Commands whose machine is machine_init + machine_boot(image, modules) and nothing
 * else, so that the recording rebuilds it (hvsim boot: hv.elf and its modules). A
 * command that sets up more (hvsim demo?) adds a builder here. */
static const char *const replayable[] = { "run", "boot" };

struct replay {
	const char *path;
	struct rec_file f;
	struct machine *m;
	struct digest_schema now;   /* this build's schema of the machine */
	long *map;                  /* recorded value i -> index in `now`, or -1 */
	uint64_t *vals;
	size_t next_digest;         /* the next periodic digest to check */
	size_t nperiodic;
	uint64_t verified;
	bool diverged;
	bool update;                /* --update: report the first difference, go on */
	struct recording *rec;      /* --update: the new recording */
	bool perturb_insn_set, perturbed;
	uint64_t perturb_insn;
};

static void print_usage(FILE *f)
{
	fputs("usage: hvsim replay [options] FILE.hvrec\n"
	      "  re-runs a recording (hvsim run --record) and checks every digest\n"
	      "\n"
	      "  --update               re-record instead: write a new recording of this run\n"
	      "                         over FILE (atomically), after an intended change\n"
	      "  --output OUT           with --update: write the new recording to OUT\n"
	      "  --record-interval N    with --update: the new digest interval\n"
	      "  --console              print the guest's console (default: only checked)\n"
	      "  --stats FILE           write the replayed run's configuration and counters\n"
	      "  --trace FILE           write an event trace of the replayed run\n"
	      "  --trace-events LIST    its event classes (as for hvsim run)\n"
	      "  --perturb SPEC         for testing replay: insn=N flips bit 0 of RAX after\n"
	      "                         instruction N; tlb.KEY=VAL or param.NAME=VAL changes\n"
	      "                         the configuration (repeatable)\n"
	      "  -q, --quiet            no line on success\n"
	      "\n"
	      "Exit status: 0 every digest matched; 1 the replay diverged (the first difference\n"
	      "is reported: instruction count, RIP, ASID, what differs); 2 bad usage or a\n"
	      "corrupt, truncated or unsupported file.\n",
	      f);
}

/* ---- comparing ---- */

static const char *asid_role(uint32_t asid)
{
	return asid == 0 ? "the host" : "a guest";
}

/* Prints the differences between recorded values d and the machine's now, one line per
 * group. Returns whether anything differs. `what` is the header's position text. */
static bool compare(struct replay *r, const uint64_t *rec_v, const char *what, bool print)
{
	const struct digest_schema *s = &r->f.schema;
	digest_read(r->m, &r->now, r->vals);
	size_t ndiff = 0;
	for (size_t i = 0; i < s->n; i++)
		if (r->map[i] < 0 || r->vals[r->map[i]] != rec_v[i])
			ndiff++;
	if (!ndiff || !print)
		return ndiff != 0;
	const struct cpu *c = &r->m->cpu;
	fprintf(stderr, "hvsim: %s: %sreplay diverged %s: RIP 0x%" PRIx64 ", ASID %u (%s), %zu "
		"value%s differ%s\n", r->path, r->update ? "note: the " : "", what, c->rip,
		c->asid, asid_role(c->asid), ndiff, ndiff == 1 ? "" : "s", ndiff == 1 ? "s" : "");
	/* one line per group: "hvsim:   registers: rax 0x1 (recorded 0x0), ..." */
	for (unsigned g = 0; g < DIGEST_NR_GROUPS; g++) {
		size_t shown = 0, more = 0;
		for (size_t i = 0; i < s->n; i++) {
			if (s->group[i] != g || (r->map[i] >= 0 && r->vals[r->map[i]] == rec_v[i]))
				continue;
			if (shown == 6) {
				more++;
				continue;
			}
			if (shown)
				fputs(", ", stderr);
			else
				fprintf(stderr, "hvsim:   %s: ", cpu_state_group_name(g));
			bool hex = g != DIGEST_GROUP_COUNTER;
			if (r->map[i] < 0)
				fprintf(stderr, "%s (recorded, unknown to this hvsim)", s->names[i]);
			else if (hex)
				fprintf(stderr, "%s 0x%" PRIx64 " (recorded 0x%" PRIx64 ")", s->names[i],
					r->vals[r->map[i]], rec_v[i]);
			else
				fprintf(stderr, "%s %" PRIu64 " (recorded %" PRIu64 ")", s->names[i],
					r->vals[r->map[i]], rec_v[i]);
			shown++;
		}
		if (more)
			fprintf(stderr, " and %zu more", more);
		if (shown)
			fputc('\n', stderr);
	}
	return true;
}

static void diverge(struct replay *r)
{
	r->diverged = true;
	if (!r->update)
		cpu_request_stop(&r->m->cpu, STOP_WATCH, 0);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Between instructions at every recorded digest, the perturbation and one past the
 * recording's end (cpu.h "The watch"). */
static void replay_watch(struct cpu *c, void *ctx)
{
	struct replay *r = ctx;
	uint64_t n = c->insns_retired;
	if (r->perturb_insn_set && !r->perturbed && n >= r->perturb_insn) {
		c->gpr[RAX] ^= 1; /* --perturb insn=N: before the digest at N is compared */
		r->perturbed = true;
	}
	while (r->next_digest < r->nperiodic && r->f.digests[r->next_digest].insn <= n) {
		const struct rec_digest *d = &r->f.digests[r->next_digest];
		char what[96];
		snprintf(what, sizeof what, "at instruction %" PRIu64 " (digest %zu of %zu)",
			 d->insn, r->next_digest + 1, r->f.ndigests);
		if (!r->diverged && compare(r, d->v, what, true))
			diverge(r);
		else if (!r->diverged)
			r->verified++;
		r->next_digest++;
	}
	if (r->rec && n >= recording_next_digest(r->rec))
		recording_digest(r->rec, r->m);
	if (!r->diverged && !r->update && n > r->f.end.insn) {
		fprintf(stderr, "hvsim: %s: replay diverged at instruction %" PRIu64 ": RIP 0x%"
			PRIx64 ", ASID %u (%s): the recorded run ended at instruction %" PRIu64
			" (%s), this one goes on\n", r->path, n, c->rip, c->asid,
			asid_role(c->asid), r->f.end.insn, r->f.end.stop);
		diverge(r);
	}
	uint64_t next = ~0ull;
	if (r->perturb_insn_set && !r->perturbed)
		next = min_u64(next, r->perturb_insn);
	if (r->next_digest < r->nperiodic)
		next = min_u64(next, r->f.digests[r->next_digest].insn);
	if (r->rec)
		next = min_u64(next, recording_next_digest(r->rec));
	if (!r->update && n <= r->f.end.insn)
		next = min_u64(next, r->f.end.insn + 1);
	c->watch_at = next;
}

/* After the run: the final digest, how the run ended, the console, RAM. */
static bool compare_end(struct replay *r, const struct console_tee *con)
{
	const struct rec_file *f = &r->f;
	const struct rec_end *e = &f->end;
	struct machine *m = r->m;
	const struct cpu *c = &m->cpu;
	if (r->next_digest < r->nperiodic) {
		fprintf(stderr, "hvsim: %s: %sreplay diverged: the run ended at instruction %" PRIu64
			" (%s) at RIP 0x%" PRIx64 ", ASID %u (%s), before the recording's digest at "
			"instruction %" PRIu64 "\n", r->path, r->update ? "note: the " : "",
			c->insns_retired, machine_stop_name(m->stop), c->rip, c->asid,
			asid_role(c->asid), f->digests[r->next_digest].insn);
		return false;
	}
	char what[96];
	snprintf(what, sizeof what, "at the end of the run, instruction %" PRIu64,
		 c->insns_retired);
	bool differs = compare(r, f->digests[f->ndigests - 1].v, what, true);
	char line[512];
	int n = 0;
	if (strcmp(e->stop, machine_stop_name(m->stop)) != 0 ||
	    e->exit_status != (uint64_t)machine_exit_status(m))
		n += snprintf(line + n, sizeof line - (size_t)n, "; ended %s, exit status %d "
			      "(recorded %s, %" PRIu64 ")", machine_stop_name(m->stop),
			      machine_exit_status(m), e->stop, e->exit_status);
	if (e->console_bytes != con->bytes || e->console_crc != con->crc)
		n += snprintf(line + n, sizeof line - (size_t)n, "; console %" PRIu64 " bytes, "
			      "CRC 0x%08x (recorded %" PRIu64 " bytes, CRC 0x%08" PRIx64 ")",
			      con->bytes, con->crc, e->console_bytes, e->console_crc);
	uint64_t region = digest_ram_region_bytes(m->pm.size_bytes);
	uint64_t nregions = (m->pm.size_bytes + region - 1) / region;
	if (region != e->region_bytes || nregions != e->nregions) {
		n += snprintf(line + n, sizeof line - (size_t)n, "; RAM layout differs");
	} else {
		uint64_t *ram = calloc(nregions, sizeof *ram);
		if (ram) {
			digest_ram(&m->pm, region, ram);
			uint64_t first = nregions, count = 0;
			for (uint64_t i = 0; i < nregions; i++) {
				if (ram[i] == e->ram[i])
					continue;
				if (first == nregions)
					first = i;
				count++;
			}
			if (count)
				n += snprintf(line + n, sizeof line - (size_t)n, "; RAM differs in "
					      "[0x%" PRIx64 ", 0x%" PRIx64 ")%s", first * region,
					      (first + 1) * region, count > 1 ? " and other regions" : "");
			free(ram);
		}
	}
	if (n) {
		if (!differs)
			fprintf(stderr, "hvsim: %s: %sreplay diverged %s: RIP 0x%" PRIx64 ", ASID "
				"%u (%s)\n", r->path, r->update ? "note: the " : "", what, c->rip,
				c->asid, asid_role(c->asid));
		fprintf(stderr, "hvsim:   end: %s\n", line + 2);
	}
	return !differs && !n;
}

/* ---- building the recorded machine ---- */

static int build_config(struct replay *r, struct machine_config *cfg, struct boot_module **mods,
			unsigned *nmods, char **perturb, unsigned nperturb)
{
	const struct rec_file *f = &r->f;
	char err[ERR_LEN];
	const char *command = rec_kv_get(f->meta, f->nmeta, "command");
	bool known = false;
	for (size_t i = 0; command && i < sizeof replayable / sizeof replayable[0]; i++)
		known = known || strcmp(command, replayable[i]) == 0;
	if (!known)
		return cli_error("%s: recorded by 'hvsim %s', which this hvsim cannot replay", r->path,
			     command ? command : "?");
	params_defaults(&cfg->params);
	tlb_config_defaults(&cfg->tlb);
	cfg->mem_bytes = MACHINE_MEM_DEFAULT;
	cfg->cmdline = "";
	for (size_t i = 0; i < f->nconfig; i++)
		if (!config_set(cfg, f->config[i].key, f->config[i].value, err, sizeof err))
			return cli_error("%s: recorded configuration: %s", r->path, err);
	*mods = calloc(f->nimg ? f->nimg : 1, sizeof **mods);
	if (!*mods)
		return cli_error("out of host memory");
	unsigned nimage = 0;
	for (size_t i = 0; i < f->nimg; i++) {
		const struct rec_loaded_image *im = &f->img[i];
		if (strcmp(im->role, "image") == 0) {
			cfg->image_path = im->name;
			cfg->image_bytes = im->bytes;
			cfg->image_size = im->size;
			nimage++;
		} else {
			(*mods)[(*nmods)++] = (struct boot_module){ im->name, im->name, im->bytes,
								    im->size };
		}
	}
	if (nimage != 1)
		return cli_error("%s: the recording holds %u images to start, not one (file corrupt)",
			     r->path, nimage);
	for (unsigned i = 0; i < nperturb; i++) {
		const char *p = perturb[i];
		if (strncmp(p, "insn=", 5) == 0) {
			char *end;
			errno = 0;
			r->perturb_insn = strtoull(p + 5, &end, 10);
			if (p[5] < '0' || p[5] > '9' || *end || errno)
				return cli_error("--perturb %s: give insn=N with N an instruction count", p);
			if (r->perturb_insn > f->end.insn)
				return cli_error("--perturb %s: the recording ends at instruction %" PRIu64,
					     p, f->end.insn);
			r->perturb_insn_set = true;
		} else if (strncmp(p, "tlb.", 4) == 0) {
			if (!tlb_config_parse(&cfg->tlb, p + 4, err, sizeof err))
				return cli_error("--perturb %s: %s", p, err);
		} else if (strncmp(p, "param.", 6) == 0) {
			if (!params_set(&cfg->params, p + 6, err, sizeof err))
				return cli_error("--perturb %s: %s", p, err);
		} else {
			return cli_error("--perturb '%s': give insn=N, tlb.KEY=VAL or param.NAME=VAL", p);
		}
	}
	if (f->ninputs)
		return cli_error("%s: the recording holds %zu console inputs, but this hvsim's UART has "
			     "no receiver to deliver them to (recorded by a newer hvsim?)", r->path,
			     f->ninputs);
	return -1;
}

static bool map_schema(struct replay *r)
{
	if (!digest_schema_of(&r->now, r->m))
		return false;
	r->map = calloc(r->f.schema.n ? r->f.schema.n : 1, sizeof *r->map);
	r->vals = calloc(r->now.n ? r->now.n : 1, sizeof *r->vals);
	if (!r->map || !r->vals)
		return false;
	for (size_t i = 0; i < r->f.schema.n; i++)
		r->map[i] = digest_schema_find(&r->now, r->f.schema.names[i]);
	r->nperiodic = r->f.ndigests - 1; /* the last one is final (record_read.c) */
	return true;
}

/* ---- the command ---- */

enum {
	OPT_UPDATE = 0x2000,
	OPT_OUTPUT,
	OPT_PERTURB,
	OPT_CONSOLE,
	OPT_STATS,
};

static const struct option replay_options[] = {
	{ "update", no_argument, NULL, OPT_UPDATE },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "perturb", required_argument, NULL, OPT_PERTURB },
	{ "console", no_argument, NULL, OPT_CONSOLE },
	{ "stats", required_argument, NULL, OPT_STATS },
	RECORD_LONG_OPTIONS,
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct replay_cli {
	bool update, console, quiet;
	const char *output, *stats_path;
	char *perturb[MAX_PERTURB];
	unsigned nperturb;
	struct record_options rec;
};

static int parse(int argc, char **argv, struct replay_cli *o)
{
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hq", replay_options, NULL)) != -1) {
		switch (ch) {
		case OPT_UPDATE: o->update = true; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_CONSOLE: o->console = true; break;
		case OPT_STATS: o->stats_path = optarg; break;
		case OPT_PERTURB:
			if (o->nperturb == MAX_PERTURB)
				return cli_error("at most %d --perturb options", MAX_PERTURB);
			o->perturb[o->nperturb++] = optarg;
			break;
		case OPT_RECORD:
			return cli_error("replay does not take --record; use --update [--output FILE]");
		case 'q': o->quiet = true; break;
		case 'h': print_usage(stdout); return 0;
		case ':':
			return cli_error("option %s needs a value; try 'hvsim replay --help'",
				     argv[optind - 1]);
		default: {
			int rc = record_option(&o->rec, ch, optarg);
			if (rc > 0)
				return rc;
			if (rc < 0)
				return cli_error("unknown option '%s'; try 'hvsim replay --help'",
					     argv[optind - 1]);
		}
		}
	}
	if (argc - optind == 0)
		return cli_error("replay needs a recording FILE; try 'hvsim replay --help'");
	if (argc - optind > 1)
		return cli_error("replay takes one recording, got %d", argc - optind);
	if (o->output && !o->update)
		return cli_error("--output goes with --update");
	if (o->rec.record_interval && !o->update)
		return cli_error("--record-interval goes with --update");
	if (o->update && o->nperturb)
		return cli_error("--perturb tests replay; it cannot be combined with --update");
	if (o->rec.trace_kinds_given && !o->rec.trace_path)
		return cli_error("--trace-events needs --trace FILE");
	return -1;
}

static uint64_t recorded_interval(const struct rec_file *f)
{
	const char *v = rec_kv_get(f->meta, f->nmeta, "record_interval");
	uint64_t n = v ? strtoull(v, NULL, 10) : 0;
	return n ? n : RECORD_INTERVAL_DEFAULT;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_cli o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	struct replay r = { .path = argv[optind], .update = o.update };
	char err[ERR_LEN];
	if (!rec_load(r.path, &r.f, err, sizeof err))
		return cli_error("%s", err);

	struct machine_config cfg = { .console = stdout, .trace_out = stderr };
	struct boot_module *mods = NULL;
	unsigned nmods = 0;
	struct console_tee tee = { 0 };
	struct event_trace *trace = NULL;
	int status = build_config(&r, &cfg, &mods, &nmods, o.perturb, o.nperturb);
	if (status >= 0)
		goto out;
	status = EXIT_USAGE;
	if (o.stats_path && !stats_check_path(o.stats_path, err, sizeof err)) {
		cli_error("%s", err);
		goto out;
	}
	if (!console_tee_open(&tee, o.console ? stdout : NULL)) {
		cli_error("cannot hash the console: %s", strerror(errno));
		goto out;
	}
	cfg.console = tee.f;
	r.m = calloc(1, sizeof *r.m);
	if (!r.m) {
		cli_error("out of host memory creating the machine");
		goto out;
	}
	if (!machine_init(r.m, &cfg, err, sizeof err) ||
	    !machine_boot(r.m, mods, nmods, err, sizeof err)) {
		cli_error("%s: %s", r.path, err);
		goto out;
	}
	if (!map_schema(&r)) {
		cli_error("out of host memory");
		goto out;
	}
	if (o.update) {
		const char *command = rec_kv_get(r.f.meta, r.f.nmeta, "command");
		struct rec_image *img = calloc(r.f.nimg ? r.f.nimg : 1, sizeof *img);
		if (!img) {
			cli_error("out of host memory");
			goto out;
		}
		for (size_t i = 0; i < r.f.nimg; i++)
			img[i] = (struct rec_image){ r.f.img[i].role, r.f.img[i].name,
						     r.f.img[i].bytes, r.f.img[i].size };
		uint64_t interval = o.rec.record_interval ? o.rec.record_interval
							  : recorded_interval(&r.f);
		r.rec = recording_create(o.output ? o.output : r.path, interval, err, sizeof err);
		bool ok = r.rec && recording_start(r.rec, r.m, command, img, (unsigned)r.f.nimg,
						   err, sizeof err);
		free(img);
		if (!ok) {
			cli_error("%s", err);
			goto out;
		}
	}
	if (o.rec.trace_path) {
		unsigned kinds = o.rec.trace_kinds_given ? o.rec.trace_kinds : TK_DEFAULT;
		trace = event_trace_create(o.rec.trace_path, kinds, err, sizeof err);
		if (!trace) {
			cli_error("%s", err);
			goto out;
		}
		event_trace_start(trace, r.m, "replay");
	}
	r.m->cpu.watch_fn = replay_watch;
	r.m->cpu.watch_ctx = &r;
	r.m->cpu.watch_at = 0;

	machine_run(r.m);
	r.m->cpu.watch_fn = NULL;
	fflush(stdout);

	bool matched = !r.diverged && compare_end(&r, &tee);
	if (matched)
		r.verified++;
	status = matched || o.update ? 0 : EXIT_DIVERGED;
	if (trace && !event_trace_finish(trace, r.m, err, sizeof err))
		status = cli_error("%s", err);
	if (r.rec && !recording_finish(r.rec, r.m, &tee, err, sizeof err))
		status = cli_error("%s", err);
	if (o.stats_path && !stats_write(r.m, o.stats_path, STATS_JSON, err, sizeof err))
		status = cli_error("%s", err);
	if (status == 0 && !o.quiet) {
		const struct cpu *c = &r.m->cpu;
		if (o.update)
			fprintf(stderr, "hvsim: %s: re-recorded %s: %" PRIu64 " instructions, %s, "
				"exit status %d\n", r.path, o.output ? o.output : "in place",
				c->insns_retired, machine_stop_name(r.m->stop),
				machine_exit_status(r.m));
		else
			fprintf(stderr, "hvsim: %s: replay matches: %" PRIu64 " digests verified (%"
				PRIu64 " instructions, %s, exit status %d)\n", r.path, r.verified,
				c->insns_retired, machine_stop_name(r.m->stop),
				machine_exit_status(r.m));
	}
out:
	event_trace_free(trace);
	recording_free(r.rec);
	if (r.m)
		machine_free(r.m);
	free(r.m);
	console_tee_close(&tee);
	digest_schema_free(&r.now);
	free(r.map);
	free(r.vals);
	free(mods);
	rec_free(&r.f);
	return status;
}
