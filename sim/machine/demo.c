/* `hvsim demo`: the flush experiment (docs/experiments.md). It boots the default
 * scenario -- the root, one flush-heavy child, one bystander -- under four platform
 * configurations, each one `hvsim boot` run of this same executable, and prints one
 * table: every per-partition counter side by side, with each configuration's ratio to
 * the `full` baseline. The same data go to DIR/demo.csv and DIR/demo.json, and each
 * run's stats file and console stay in DIR too. Every number is a counter one of the
 * runs measured; the CSV and JSON hold no host times, so two runs of the demo give
 * byte-identical files. */
#include "demo.h"
#include "atomic_file.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;


/* ---- the experiment ---- */

struct demo_config {
	const char *name;
	const char *what;        /* one line for the table's legend */
	const char *tlb;         /* --tlb, or NULL */
	const char *flush;       /* hv's flush policy */
	const char *enlightened; /* the children's enlightened= argument */
};

static const struct demo_config configs[] = {
	{ "untagged", "untagged TLB hardware: every VMRUN and #VMEXIT flushes everything",
	  "tagged=off", "full", "off" },
	{ "full", "tagged TLB, hv turns every guest flush into a full flush (TLB_CONTROL 1)",
	  NULL, "full", "auto" },
	{ "asid", "tagged TLB, partition-scoped flushes (TLB_CONTROL 3), enlightened child",
	  NULL, "asid", "auto" },
	{ "precise", "tagged TLB, INVLPGA per page and ASID-scoped space flushes, enlightened",
	  NULL, "precise", "auto" },
};
#define NR_CONFIGS (sizeof configs / sizeof configs[0])
#define BASELINE 1 /* "full" */

/* The children (partitions/child/kernel): one that flushes a lot, one that only suffers */
struct demo_child {
	const char *name;
	const char *args;        /* enlightened= is appended */
	const char *args_quick;
};

static const struct demo_child children[] = {
	{ "flusher", "workload=switch procs=4 pages=24 slices=300",
	  "workload=switch procs=4 pages=24 slices=40" },
	{ "bystander", "workload=bystander pages=48 units=3000", "workload=bystander pages=48 units=300" },
};
#define NR_CHILDREN (sizeof children / sizeof children[0])
#define DEMO_CHILD_IMAGE "partitions/child/kernel/child-kernel.elf"

/* ---- the per-partition counters of the table: name in the stats file with %u for the
 * ASID, and the row's label ---- */
struct demo_row {
	const char *label;
	const char *counter;     /* printf format with the ASID (%u), or NULL for computed rows */
};

static const struct demo_row rows[] = {
	{ "instructions", "cpu.asid.%u.insns" },
	{ "cycles", "cpu.asid.%u.cycles" },
	{ "work units", NULL },
	{ "work units per million cycles", NULL },
	{ "TLB lookups", "tlb.asid.%u.lookups" },
	{ "TLB hits", "tlb.asid.%u.hits" },
	{ "TLB misses (every level)", "tlb.asid.%u.misses" },
	{ "L1 misses (L2 lookups)", "tlb.asid.%u.l2_lookups" },
	{ "L2 hits", "tlb.asid.%u.l2_hits" },
	{ "walk references, guest dimension", "mmu.asid.%u.walk_refs" },
	{ "walk references, nested dimension", "mmu.asid.%u.walk_nested_refs" },
	{ "entries invalidated", "tlb.asid.%u.invalidated" },
	{ "  of them collateral (another's flush)", "tlb.asid.%u.invalidated_collateral" },
	{ "  by full flushes", "tlb.asid.%u.invalidated_by.full" },
	{ "  by ASID flushes", "tlb.asid.%u.invalidated_by.asid" },
	{ "  by ASID non-global flushes", "tlb.asid.%u.invalidated_by.asid_nonglobal" },
	{ "  by MOV CR3 (PCID) flushes", "tlb.asid.%u.invalidated_by.pcid" },
	{ "  by page flushes (INVLPG/INVLPGA)", "tlb.asid.%u.invalidated_by.page" },
	{ "  by VM transitions (untagged)", "tlb.asid.%u.invalidated_by.vm_transition" },
	{ "#VMEXITs: hypercalls (VMMCALL)", "svm.asid.%u.exits.vmmcall" },
	{ "#VMEXITs: CR accesses", "svm.asid.%u.exits.cr" },
	{ "#VMEXITs: INVLPG", "svm.asid.%u.exits.invlpg" },
	{ "#VMEXITs: interrupts", "svm.asid.%u.exits.intr" },
	{ "#VMEXITs: I/O", "svm.asid.%u.exits.ioio" },
	{ "#VMEXITs: MSR", "svm.asid.%u.exits.msr" },
	{ "#VMEXITs: HLT", "svm.asid.%u.exits.hlt" },
	{ "#VMEXITs: NPF", "svm.asid.%u.exits.npf" },
	{ "hypercalls FlushVirtualAddressSpace", "hypercall.asid.%u.flush_virtual_address_space" },
	{ "hypercalls FlushVirtualAddressList", "hypercall.asid.%u.flush_virtual_address_list" },
	{ "hypervisor cycles on its behalf", "svm.asid.%u.host_cycles" },
};
#define NR_ROWS (sizeof rows / sizeof rows[0])
#define ROW_WORK 2
#define ROW_WORK_RATE 3

#define NR_PARTITIONS (1 + NR_CHILDREN) /* the root, then the children */

struct demo_result {
	uint64_t value[NR_PARTITIONS][NR_ROWS];
	bool known[NR_PARTITIONS][NR_ROWS];
	uint64_t total_cycles;
	int exit_status;
};

static const char *partition_name(unsigned p)
{
	return p == 0 ? "root" : children[p - 1].name;
}

/* ---- running one configuration: `hvsim boot` as a child process ---- */

static int run_config(const char *self, const char *dir, const struct demo_config *cfg,
		      bool quick, bool record, pid_t *pid_out)
{
	char stats[PATH_MAX], console[PATH_MAX], rec[PATH_MAX], hv_args[256], image[PATH_MAX + 64];
	char child_spec[NR_CHILDREN][PATH_MAX + 640];
	snprintf(stats, sizeof stats, "%s/%s.stats.json", dir, cfg->name);
	snprintf(console, sizeof console, "%s/%s.console.txt", dir, cfg->name);
	snprintf(rec, sizeof rec, "%s/%s.hvrec", dir, cfg->name);
	snprintf(hv_args, sizeof hv_args, "flush=%s verbose", cfg->flush);
	char exe_dir[PATH_MAX];
	snprintf(exe_dir, sizeof exe_dir, "%s", self);
	char *slash = strrchr(exe_dir, '/');
	if (slash)
		*slash = 0;
	snprintf(image, sizeof image, "%s/%s", exe_dir, DEMO_CHILD_IMAGE);
	const char *argv[32];
	int n = 0;
	argv[n++] = self;
	argv[n++] = "boot";
	argv[n++] = "--quiet";
	argv[n++] = "--stats";
	argv[n++] = stats;
	if (cfg->tlb) {
		argv[n++] = "--tlb";
		argv[n++] = cfg->tlb;
	}
	if (record) { /* a recording per configuration: hvsim replay DIR/NAME.hvrec */
		argv[n++] = "--record";
		argv[n++] = rec;
	}
	argv[n++] = "--hv-args";
	argv[n++] = hv_args;
	for (unsigned k = 0; k < NR_CHILDREN; k++) {
		snprintf(child_spec[k], sizeof child_spec[k], "%s,name=%s,args=%s enlightened=%s",
			 image, children[k].name, quick ? children[k].args_quick : children[k].args,
			 cfg->enlightened);
		argv[n++] = "--child";
		argv[n++] = child_spec[k];
	}
	argv[n] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, console, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = posix_spawn(pid_out, self, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* ---- reading a run back: the console says which ASID each partition got and how much
 * work each child did; the stats file has every counter ---- */

static bool read_console(const char *path, uint32_t asid[NR_PARTITIONS],
			 uint64_t work[NR_PARTITIONS], bool work_known[NR_PARTITIONS])
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[1024];
	/* hv (verbose): "hv: partition P created (ASID A)"; the root: "[root] NAME: partition P," */
	uint64_t part_asid[64] = { 0 };
	asid[0] = 1; /* the root partition: id 1, ASID 1 (hv/abi/hvboot.h) */
	while (fgets(line, sizeof line, f)) {
		unsigned long long pid, a, units;
		if (sscanf(line, "hv: partition %llu created (ASID %llu)", &pid, &a) == 2 && pid < 64)
			part_asid[pid] = a;
		for (unsigned k = 0; k < NR_CHILDREN; k++) {
			char pat[96];
			snprintf(pat, sizeof pat, "[root] %s: partition %%llu,", children[k].name);
			if (sscanf(line, pat, &pid) == 1 && pid < 64)
				asid[1 + k] = (uint32_t)part_asid[pid];
			snprintf(pat, sizeof pat, "[%s] work units: %%llu", children[k].name);
			if (sscanf(line, pat, &units) == 1) {
				work[1 + k] = units;
				work_known[1 + k] = true;
			}
		}
	}
	fclose(f);
	return true;
}

static bool read_stats(const char *path, const uint32_t asid[NR_PARTITIONS],
		       struct demo_result *r)
{
	struct json_object *root = json_object_from_file(path), *counters, *v;
	if (!root || !json_object_object_get_ex(root, "counters", &counters)) {
		json_object_put(root);
		return false;
	}
	for (unsigned p = 0; p < NR_PARTITIONS; p++) {
		for (unsigned k = 0; k < NR_ROWS; k++) {
			if (!rows[k].counter || !asid[p])
				continue;
			char name[128];
			snprintf(name, sizeof name, rows[k].counter, asid[p]);
			if (json_object_object_get_ex(counters, name, &v)) {
				r->value[p][k] = json_object_get_uint64(v);
				r->known[p][k] = true;
			}
		}
	}
	if (json_object_object_get_ex(counters, "cpu.cycles", &v))
		r->total_cycles = json_object_get_uint64(v);
	json_object_put(root);
	return true;
}

/* ---- output ---- */

static void format_value(const struct demo_result *r, unsigned p, unsigned k, char *out, size_t len)
{
	if (!r->known[p][k])
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%" PRIu64, r->value[p][k]);
}

static void format_ratio(const struct demo_result *res, unsigned c, unsigned p, unsigned k,
			 char *out, size_t len)
{
	const struct demo_result *b = &res[BASELINE], *r = &res[c];
	if (!r->known[p][k] || !b->known[p][k] || b->value[p][k] == 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2f", (double)r->value[p][k] / (double)b->value[p][k]);
}

static void print_table(FILE *f, const struct demo_result *res)
{
	fprintf(f, "%-42s", "partition / counter");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		fprintf(f, " %14s", configs[c].name);
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		if (c != BASELINE)
			fprintf(f, " %10s", configs[c].name);
	fprintf(f, "\n%-42s", "");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		fprintf(f, " %14s", "");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		if (c != BASELINE)
			fprintf(f, " %10s", "/ full");
	fputc('\n', f);
	for (unsigned p = 0; p < NR_PARTITIONS; p++) {
		fprintf(f, "%s\n", partition_name(p));
		for (unsigned k = 0; k < NR_ROWS; k++) {
			bool any = false;
			for (unsigned c = 0; c < NR_CONFIGS; c++)
				any = any || res[c].known[p][k];
			if (!any)
				continue;
			fprintf(f, "  %-40s", rows[k].label);
			char buf[32];
			for (unsigned c = 0; c < NR_CONFIGS; c++) {
				format_value(&res[c], p, k, buf, sizeof buf);
				fprintf(f, " %14s", buf);
			}
			for (unsigned c = 0; c < NR_CONFIGS; c++) {
				if (c == BASELINE)
					continue;
				format_ratio(res, c, p, k, buf, sizeof buf);
				fprintf(f, " %10s", buf);
			}
			fputc('\n', f);
		}
	}
	fprintf(f, "%-42s", "machine cycles (all partitions + hv)");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		fprintf(f, " %14" PRIu64, res[c].total_cycles);
	fputc('\n', f);
}

static bool write_csv(const char *path, const struct demo_result *res)
{
	char *tmp;
	FILE *f = atomic_open(path, "w", &tmp);
	if (!f)
		return false;
	fprintf(f, "partition,counter");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		fprintf(f, ",%s", configs[c].name);
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		if (c != BASELINE)
			fprintf(f, ",%s/full", configs[c].name);
	fputc('\n', f);
	for (unsigned p = 0; p < NR_PARTITIONS; p++)
		for (unsigned k = 0; k < NR_ROWS; k++) {
			fprintf(f, "%s,\"%s\"", partition_name(p), rows[k].label + strspn(rows[k].label, " "));
			char buf[32];
			for (unsigned c = 0; c < NR_CONFIGS; c++) {
				format_value(&res[c], p, k, buf, sizeof buf);
				fprintf(f, ",%s", buf[0] == '-' ? "" : buf);
			}
			for (unsigned c = 0; c < NR_CONFIGS; c++) {
				if (c == BASELINE)
					continue;
				format_ratio(res, c, p, k, buf, sizeof buf);
				fprintf(f, ",%s", buf[0] == '-' ? "" : buf);
			}
			fputc('\n', f);
		}
	fprintf(f, "machine,\"cycles\"");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		fprintf(f, ",%" PRIu64, res[c].total_cycles);
	fputc('\n', f);
	return atomic_commit(f, tmp, path, true);
}

static bool write_json(const char *path, const struct demo_result *res)
{
	struct json_object *root = json_object_new_object(), *cfgs = json_object_new_array();
	for (unsigned c = 0; c < NR_CONFIGS; c++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(configs[c].name));
		json_object_object_add(o, "description", json_object_new_string(configs[c].what));
		json_object_object_add(o, "flush_policy", json_object_new_string(configs[c].flush));
		json_object_object_add(o, "tlb", json_object_new_string(configs[c].tlb ? configs[c].tlb : "tagged=on"));
		json_object_object_add(o, "enlightened", json_object_new_string(configs[c].enlightened));
		json_object_object_add(o, "machine_cycles", json_object_new_uint64(res[c].total_cycles));
		json_object_object_add(o, "exit_status", json_object_new_int(res[c].exit_status));
		json_object_array_add(cfgs, o);
	}
	json_object_object_add(root, "configurations", cfgs);
	struct json_object *parts = json_object_new_object();
	for (unsigned p = 0; p < NR_PARTITIONS; p++) {
		struct json_object *po = json_object_new_object();
		for (unsigned k = 0; k < NR_ROWS; k++) {
			struct json_object *ro = json_object_new_object();
			for (unsigned c = 0; c < NR_CONFIGS; c++)
				json_object_object_add(ro, configs[c].name, res[c].known[p][k]
					? json_object_new_uint64(res[c].value[p][k]) : NULL);
			json_object_object_add(po, rows[k].label + strspn(rows[k].label, " "), ro);
		}
		json_object_object_add(parts, partition_name(p), po);
	}
	json_object_object_add(root, "partitions", parts);
	char *tmp;
	FILE *f = atomic_open(path, "w", &tmp);
	bool ok = f != NULL;
	if (ok) {
		bool written = json_object_to_fd(fileno(f), root, JSON_C_TO_STRING_PRETTY) == 0;
		ok = atomic_commit(f, tmp, path, written);
	}
	json_object_put(root);
	return ok;
}

static void print_usage(FILE *f)
{
	fputs("usage: hvsim demo [--out DIR] [--jobs N] [--quick]\n"
	      "  boots the root, a flush-heavy child and a bystander under four configurations\n"
	      "  (untagged TLB; tagged + full flushes; tagged + ASID flushes with an enlightened\n"
	      "  child; tagged + precise flushes with an enlightened child) and prints their\n"
	      "  per-partition counters side by side (docs/experiments.md)\n"
	      "  --out DIR   where demo.csv, demo.json and each run's stats and console go\n"
	      "              (default: demo-out)\n"
	      "  --jobs N    runs at once (default 2)\n"
	      "  --quick     shorter workloads (a few seconds; for tests)\n"
	      "  --record    also record each run: DIR/NAME.hvrec, for hvsim replay\n", f);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "record", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = "demo-out";
	unsigned jobs = 2;
	bool quick = false, record = false;
	int ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': dir = optarg; break;
		case 'j': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 16) {
				fprintf(stderr, "hvsim: demo: --jobs '%s': must be 1 to 16\n", optarg);
				return EXIT_USAGE;
			}
			jobs = (unsigned)v;
			break;
		}
		case 'q': quick = true; break;
		case 'r': record = true; break;
		case 'h': print_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "hvsim: demo: %s needs a value\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "hvsim: demo: unknown option '%s'; try 'hvsim demo --help'\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hvsim: demo: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "hvsim: demo: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_USAGE;
	}
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0) {
		fprintf(stderr, "hvsim: demo: cannot find the hvsim executable: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	self[len] = 0;

	/* run the configurations, `jobs` at a time */
	pid_t pid[NR_CONFIGS];
	int status[NR_CONFIGS];
	unsigned started = 0, finished = 0;
	fprintf(stderr, "hvsim: demo: %u configurations, %u at a time, into %s/\n",
		(unsigned)NR_CONFIGS, jobs, dir);
	while (finished < NR_CONFIGS) {
		while (started < NR_CONFIGS && started - finished < jobs) {
			int rc = run_config(self, dir, &configs[started], quick, record, &pid[started]);
			if (rc) {
				fprintf(stderr, "hvsim: demo: cannot start %s: %s\n", self, strerror(rc));
				return EXIT_USAGE;
			}
			started++;
		}
		int st;
		pid_t done = wait(&st);
		if (done < 0)
			break;
		for (unsigned c = 0; c < NR_CONFIGS; c++)
			if (pid[c] == done) {
				status[c] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				fprintf(stderr, "hvsim: demo: %s done (exit status %d)\n", configs[c].name, status[c]);
			}
		finished++;
	}

	struct demo_result res[NR_CONFIGS];
	memset(res, 0, sizeof res);
	int failed = 0;
	for (unsigned c = 0; c < NR_CONFIGS; c++) {
		char stats[PATH_MAX], console[PATH_MAX];
		snprintf(stats, sizeof stats, "%s/%s.stats.json", dir, configs[c].name);
		snprintf(console, sizeof console, "%s/%s.console.txt", dir, configs[c].name);
		uint32_t asid[NR_PARTITIONS] = { 0 };
		uint64_t work[NR_PARTITIONS] = { 0 };
		bool work_known[NR_PARTITIONS] = { false };
		res[c].exit_status = status[c];
		if (status[c] != 0 || !read_console(console, asid, work, work_known) ||
		    !read_stats(stats, asid, &res[c])) {
			fprintf(stderr, "hvsim: demo: the %s run failed (exit status %d); see %s\n",
				configs[c].name, status[c], console);
			failed = 1;
			continue;
		}
		for (unsigned p = 0; p < NR_PARTITIONS; p++) {
			if (!work_known[p])
				continue;
			res[c].value[p][ROW_WORK] = work[p];
			res[c].known[p][ROW_WORK] = true;
			uint64_t cycles = res[c].value[p][1];
			if (res[c].known[p][1] && cycles) {
				/* work per million cycles, kept as an integer in thousandths */
				res[c].value[p][ROW_WORK_RATE] = work[p] * 1000000000ull / cycles;
				res[c].known[p][ROW_WORK_RATE] = true;
			}
		}
	}
	printf("The flush experiment: root + flusher (%s) + bystander (%s)%s\n",
	       quick ? children[0].args_quick : children[0].args,
	       quick ? children[1].args_quick : children[1].args, quick ? " -- quick mode" : "");
	for (unsigned c = 0; c < NR_CONFIGS; c++)
		printf("  %-9s %s\n", configs[c].name, configs[c].what);
	printf("(work units per million cycles are shown x1000)\n\n");
	print_table(stdout, res);
	char csv[PATH_MAX], json[PATH_MAX];
	snprintf(csv, sizeof csv, "%s/demo.csv", dir);
	snprintf(json, sizeof json, "%s/demo.json", dir);
	if (!write_csv(csv, res) || !write_json(json, res)) {
		fprintf(stderr, "hvsim: demo: cannot write %s or %s: %s\n", csv, json, strerror(errno));
		return 1;
	}
	fprintf(stderr, "hvsim: demo: wrote %s and %s (each run's stats and console are beside them)\n",
		csv, json);
	return failed;
}
