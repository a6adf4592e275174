/* The hvsim command line: `hvsim run [options] IMAGE.elf`, `hvsim params`,
 * `hvsim --version`. Exit statuses (DESIGN.md "Boot protocol"): the guest's byte on port
 * 0xF4; 2 bad usage or input; 3 the guest machine crashed; 4 a limit was reached.
 * stdout is the guest's console: hvsim's own lines go to stderr, each starting "hvsim: ". */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/machine/boot_cmd.h"
#include "sim/machine/hvsim_version.h"
#include "sim/machine/cli.h"
#include "sim/machine/compare.h"
#include "sim/machine/demo.h"
#include "sim/machine/machine.h"
#include "sim/machine/record.h"

#define CONSOLE_BUFFER_BYTES (1 << 16)

static void print_usage(FILE *f)
{
	fputs("usage: hvsim run [options] IMAGE.elf   run a bare-machine image (DESIGN.md boot protocol)\n"
	      "       hvsim boot [options] [--hv IMAGE] [--root IMAGE] [--hv-args STR]\n"
	      "                  --child IMAGE[,name=NAME][,args=STR] ...\n"
	      "                                       boot the hypervisor, the root partition and\n"
	      "                                       child partitions (docs/platform.md)\n"
	      "       hvsim demo [--out DIR]          the flush experiment: four platform\n"
	      "                                       configurations side by side (--help)\n"
	      "       hvsim compare A.json B.json     two runs' counters side by side (--help)\n"
	      "       hvsim replay [options] FILE     re-run a recording and check it (--help)\n"
	      "       hvsim params                    list the simulation parameters\n"
	      "       hvsim --version\n"
	      "\n"
	      "run options:\n"
	      "  --mem SIZE             guest RAM: 256M, 1G, 4096K or bytes; a multiple of 2 MiB,\n"
	      "                         16 MiB to 1 TiB (default 256M)\n"
	      "  --cmdline STR          command line handed to the image in the boot info\n"
	      "  --max-insns N          stop after N instructions (exit status 4)\n"
	      "  --max-cycles N         stop after N simulated cycles (exit status 4)\n"
	      "  --stats FILE           write the configuration, counters and outcome to FILE\n"
	      "  --stats-format FMT     json (default) or text (gem5-style lines)\n"
	      "  --param NAME=VALUE     override a parameter (repeatable; see hvsim params)\n"
	      "  --trace-insns          print each retired instruction to stderr\n"
	      "  --tlb KEY=VAL,...      TLB geometry, replacement, tagging (docs/tlb.md)\n"
	      "  --check-tlb            re-walk the page tables on every TLB hit and stop at the\n"
	      "                         first stale translation (slow; exit status 3)\n"
	      "  --log VIEW,...         teaching views on stderr, one line per event: exits\n"
	      "                         (#VMEXIT), flushes (TLB flushes), hypercalls\n"
	      "  --module NAME=PATH     hand the image a boot module (repeatable; run only): for\n"
	      "                         hv.elf, root=, children=, child:NAME= (hv/abi/hvboot.h)\n"
	      RECORD_USAGE
	      "  -q, --quiet            no informational lines from hvsim (the console still prints)\n"
	      "  -h, --help             this text\n"
	      "\n"
	      "boot options (and every run option; --mem defaults to 512M):\n"
	      "  --child IMAGE[,name=NAME][,args=STR]\n"
	      "                         a child partition (repeatable): its ELF image, its name\n"
	      "                         (default: the image's file name; a repeated name gets -2,\n"
	      "                         -3, ...) and its command line (args= takes the rest)\n"
	      "  --hv IMAGE             the hypervisor (default: hv/hv.elf beside hvsim)\n"
	      "  --root IMAGE           the root partition (default: partitions/root/root.elf)\n"
	      "  --hv-args STR          hv.elf's command line (--cmdline means the same);\n"
	      "                         'root=...' at its end is the root's (root=child_mem=32)\n"
	      "A child's console lines appear as '[NAME] text'; the run ends when every child has\n"
	      "ended, with status 0 if every child exited 0, else 1.\n"
	      "\n"
	      "The guest's console (UART 0x3F8) is stdout. Exit status: the byte the guest wrote\n"
	      "to port 0xF4; 2 bad usage or input; 3 the guest machine crashed (triple fault,\n"
	      "halt with interrupts off); 4 --max-insns or --max-cycles reached.\n",
	      f);
}

/* ---- numbers: digits only, no sign, no overflow ---- */

static bool parse_u64(const char *s, uint64_t *out, const char **rest)
{
	uint64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	*rest = p;
	return true;
}

static int parse_count(const char *opt, const char *s, uint64_t *out)
{
	const char *rest;
	if (!parse_u64(s, out, &rest) && s[strspn(s, "0123456789")] == '\0')
		return cli_error("%s %s: too large (at most %" PRIu64 ")", opt, s, UINT64_MAX);
	if (!parse_u64(s, out, &rest) || *rest)
		return cli_error("%s '%s': not a number; give a positive decimal integer", opt, s);
	if (*out == 0)
		return cli_error("%s 0: must be at least 1 (leave the option out for no limit)",
				   opt);
	return 0;
}

/* SIZE: digits and an optional K, M, G or T suffix (binary units). */
static int parse_mem(const char *s, uint64_t *out)
{
	const char *rest;
	uint64_t v, unit = 1;
	bool too_big = false;
	if (!parse_u64(s, &v, &rest)) {
		if (*s >= '0' && *s <= '9')
			too_big = true;
		else
			return cli_error("--mem '%s': not a size; use e.g. 256M, 1G, 4096K or a "
					   "byte count", s);
	}
	if (!too_big) {
		switch (*rest) {
		case '\0': break;
		case 'K': case 'k': unit = KiB; rest++; break;
		case 'M': case 'm': unit = MiB; rest++; break;
		case 'G': case 'g': unit = GiB; rest++; break;
		case 'T': case 't': unit = TiB; rest++; break;
		default: rest = NULL; break;
		}
		if (!rest || *rest)
			return cli_error("--mem '%s': not a size; use e.g. 256M, 1G, 4096K or a "
					   "byte count", s);
		too_big = v > MACHINE_MEM_MAX / unit;
	}
	if (too_big)
		return cli_error("--mem %s: more than the 1 TiB hvsim can address", s);
	v *= unit;
	if (v < MACHINE_MEM_MIN)
		return cli_error("--mem %s: less than the 16 MiB minimum", s);
	if (v % MACHINE_MEM_ALIGN)
		return cli_error("--mem %s: not a multiple of 2 MiB (the identity map's page "
				   "size)", s);
	*out = v;
	return 0;
}

/* ---- hvsim params ---- */

static int cmd_params(int argc, char **argv)
{
	if (argc > 1)
		return cli_error("params takes no arguments (got '%s')", argv[1]);
	printf("%-28s %8s  %s\n", "NAME", "DEFAULT", "DESCRIPTION");
	for (int i = 0; i < PARAM_COUNT; i++)
		printf("%-28s %8" PRIu64 "  %s\n", param_info[i].name, param_info[i].def,
		       param_info[i].desc);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- hvsim run ---- */

struct run_options {
	struct machine_config cfg;
	const char *stats_path;
	enum stats_format stats_format;
	bool quiet;
	struct record_options rec; /* --record, --trace (record.h) */
	struct boot_cmd *boot;   /* hvsim boot: its options and modules; NULL for run */
	struct boot_module modules[BOOT_MODULES_MAX]; /* run --module NAME=PATH */
	char module_names[BOOT_MODULES_MAX][BOOT_MODULE_NAME_LEN];
	unsigned nr_modules;
};

enum {
	OPT_MEM = 256,
	OPT_CMDLINE,
	OPT_MAX_INSNS,
	OPT_MAX_CYCLES,
	OPT_STATS,
	OPT_STATS_FORMAT,
	OPT_PARAM,
	OPT_TRACE_INSNS,
	OPT_TLB,
	OPT_CHECK_TLB,
	OPT_LOG,
	OPT_MODULE,
};

static const struct option run_long_options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
	{ "max-cycles", required_argument, NULL, OPT_MAX_CYCLES },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-format", required_argument, NULL, OPT_STATS_FORMAT },
	{ "param", required_argument, NULL, OPT_PARAM },
	{ "trace-insns", no_argument, NULL, OPT_TRACE_INSNS },
	{ "tlb", required_argument, NULL, OPT_TLB },
	{ "check-tlb", no_argument, NULL, OPT_CHECK_TLB },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "module", required_argument, NULL, OPT_MODULE },
	RECORD_LONG_OPTIONS,
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The option as the user typed it, without "=value". */
static const char *typed_option(const char *arg, char *buf, size_t len)
{
	size_t n = strcspn(arg, "=");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), arg);
	return buf;
}

/* Returns -1 to go on, or an exit status. */
/* --log exits,flushes,hypercalls */
static bool parse_log_views(const char *arg, unsigned *mask, char *err, size_t errlen)
{
	static const struct { const char *name; unsigned bit; } views[] = {
		{ "exits", LOG_EXITS }, { "flushes", LOG_FLUSHES }, { "hypercalls", LOG_HYPERCALLS },
	};
	const char *p = arg;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (size_t k = 0; k < sizeof views / sizeof views[0]; k++) {
			if (strlen(views[k].name) == n && strncmp(views[k].name, p, n) == 0) {
				*mask |= views[k].bit;
				found = true;
			}
		}
		if (!found) {
			snprintf(err, errlen, "unknown view '%.*s' (views: exits, flushes, hypercalls)",
				 (int)n, p);
			return false;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

static int parse_run_options(int argc, char **argv, struct run_options *o)
{
	char buf[128];
	int ch;
	/* hvsim boot takes run's options and its own (boot_cmd.h) */
	struct option options[sizeof run_long_options / sizeof run_long_options[0] + 8];
	size_t nr_options = 0;
	for (const struct option *p = run_long_options; p->name; p++)
		options[nr_options++] = *p;
	for (const struct option *p = boot_cmd_long_options; o->boot && p->name; p++)
		options[nr_options++] = *p;
	options[nr_options] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0; /* every message is ours: one line, "hvsim: " first */
	while ((ch = getopt_long(argc, argv, ":hq", options, NULL)) != -1) {
		int rc = 0;
		switch (ch) {
		case OPT_MEM:
			rc = parse_mem(optarg, &o->cfg.mem_bytes);
			break;
		case OPT_CMDLINE:
			if (strlen(optarg) > BOOT_CMDLINE_MAX)
				rc = cli_error("--cmdline is %zu bytes; the boot protocol allows at "
						 "most %d", strlen(optarg), BOOT_CMDLINE_MAX);
			o->cfg.cmdline = optarg;
			break;
		case OPT_MAX_INSNS:
			rc = parse_count("--max-insns", optarg, &o->cfg.max_insns);
			break;
		case OPT_MAX_CYCLES:
			rc = parse_count("--max-cycles", optarg, &o->cfg.max_cycles);
			break;
		case OPT_STATS:
			if (!*optarg)
				rc = cli_error("--stats needs a file name");
			o->stats_path = optarg;
			break;
		case OPT_STATS_FORMAT:
			if (strcmp(optarg, "json") == 0)
				o->stats_format = STATS_JSON;
			else if (strcmp(optarg, "text") == 0)
				o->stats_format = STATS_TEXT;
			else
				rc = cli_error("--stats-format '%s': must be json or text", optarg);
			break;
		case OPT_PARAM: {
			char err[256];
			if (!params_set(&o->cfg.params, optarg, err, sizeof err))
				rc = cli_error("--param: %s", err);
			break;
		}
		case OPT_TRACE_INSNS:
			o->cfg.trace_insns = true;
			break;
		case OPT_TLB: {
			char err[256];
			if (!tlb_config_parse(&o->cfg.tlb, optarg, err, sizeof err))
				rc = cli_error("--tlb: %s", err);
			break;
		}
		case OPT_CHECK_TLB:
			o->cfg.check_tlb = true;
			break;
		case OPT_LOG: {
			char err[256];
			if (!parse_log_views(optarg, &o->cfg.log_mask, err, sizeof err))
				rc = cli_error("--log: %s", err);
			break;
		}
		case OPT_MODULE: {
			size_t n = strcspn(optarg, "=");
			if (o->boot)
				rc = cli_error("--module is run's; boot builds its modules from --root "
						 "and --child");
			else if (n == 0 || !optarg[n] || !optarg[n + 1])
				rc = cli_error("--module '%s': want NAME=PATH", optarg);
			else if (n >= BOOT_MODULE_NAME_LEN)
				rc = cli_error("--module '%s': the name is longer than %d bytes", optarg,
						 BOOT_MODULE_NAME_LEN - 1);
			else if (o->nr_modules == BOOT_MODULES_MAX)
				rc = cli_error("more than %d --module options; the boot info holds no "
						 "more", (int)BOOT_MODULES_MAX);
			else {
				char *name = o->module_names[o->nr_modules];
				memcpy(name, optarg, n);
				name[n] = '\0';
				o->modules[o->nr_modules++] = (struct boot_module){ .name = name,
										    .path = optarg + n + 1 };
			}
			break;
		}
		case BOOT_OPT_HV:
		case BOOT_OPT_ROOT:
		case BOOT_OPT_HV_ARGS:
		case BOOT_OPT_CHILD: {
			char err[MACHINE_ERR_LEN];
			if (!boot_cmd_option(o->boot, ch, optarg, err, sizeof err))
				rc = cli_error("%s", err);
			break;
		}
		case OPT_RECORD:
		case OPT_RECORD_INTERVAL:
		case OPT_TRACE:
		case OPT_TRACE_EVENTS:
			rc = record_option(&o->rec, ch, optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case ':':
			return cli_error("option %s needs a value; try 'hvsim run --help'",
					   typed_option(argv[optind - 1], buf, sizeof buf));
		default:
			if (optopt)
				return cli_error("unknown option '-%c'; try 'hvsim run --help'", optopt);
			return cli_error("unknown option '%s'; try 'hvsim run --help'",
					   typed_option(argv[optind - 1], buf, sizeof buf));
		}
		if (rc)
			return rc;
	}
	int rc = record_options_check(&o->rec);
	if (rc)
		return rc;
	int nr_images = argc - optind;
	if (o->boot && nr_images > 0)
		return cli_error("boot takes no IMAGE ('%s'); give each child with --child IMAGE",
				   argv[optind]);
	if (o->boot)
		return -1;
	if (nr_images == 0)
		return cli_error("run needs an IMAGE.elf; try 'hvsim run --help'");
	if (nr_images > 1)
		return cli_error("run takes one IMAGE.elf, got %d ('%s', '%s'%s)", nr_images,
				   argv[optind], argv[optind + 1], nr_images > 2 ? ", ..." : "");
	o->cfg.image_path = argv[optind];
	return -1;
}

/* The one line that says how a run that did not exit cleanly ended, and where. The
 * CPU words the detail (what, RIP, instruction count); hvsim adds the image and, for a
 * limit, the option that set it. */
static void report_stop(const struct machine *m)
{
	const struct cpu *c = &m->cpu;
	const char *option = m->stop == STOP_INSN_LIMIT    ? " (--max-insns)"
			     : m->stop == STOP_CYCLE_LIMIT ? " (--max-cycles)"
							   : "";
	if (c->stop_detail[0])
		fprintf(stderr, "hvsim: %s: %s%s\n", m->cfg.image_path, c->stop_detail, option);
	else
		fprintf(stderr, "hvsim: %s: the run ended (%s) at RIP 0x%" PRIx64 " after %" PRIu64
			" instructions%s\n", m->cfg.image_path, machine_stop_name(m->stop), c->rip,
			c->insns_retired, option);
}

/* hvsim run, and hvsim boot (boot != NULL): the same machine and run, with hv.elf as
 * the image and boot's modules. */
static int cmd_run(int argc, char **argv, struct boot_cmd *boot)
{
	struct run_options o = {
		.boot = boot,
		.cfg = {
			.mem_bytes = boot ? BOOT_CMD_MEM_DEFAULT : MACHINE_MEM_DEFAULT,
			.cmdline = "",
			.console = stdout,
			.trace_out = stderr,
		},
		.stats_format = STATS_JSON,
	};
	params_defaults(&o.cfg.params);
	tlb_config_defaults(&o.cfg.tlb);
	int rc = parse_run_options(argc, argv, &o);
	if (rc >= 0)
		return rc;

	char err[MACHINE_ERR_LEN];
	if (boot && !boot_cmd_prepare(boot, &o.cfg, err, sizeof err))
		return cli_error("%s", err);
	if (o.stats_path && !stats_check_path(o.stats_path, err, sizeof err))
		return cli_error("%s", err);

	/* The console is stdout: buffer it, unless a person watches it line by line or
	 * the trace must interleave with it. */
	bool line_buffered = o.cfg.trace_insns || isatty(STDOUT_FILENO);
	setvbuf(stdout, NULL, line_buffered ? _IOLBF : _IOFBF, CONSOLE_BUFFER_BYTES);
	if (o.cfg.trace_insns)
		setvbuf(stderr, NULL, _IOLBF, CONSOLE_BUFFER_BYTES);

	/* the image's boot modules: boot's, or run's --module options */
	struct boot_module *mods = boot ? boot->mods : o.modules;
	unsigned nr_mods = boot ? boot->nr_mods : o.nr_modules;
	struct capture *cap = NULL;
	if (!capture_prepare(&cap, &o.rec, &o.cfg, mods, nr_mods, err, sizeof err)) {
		capture_free(cap);
		return cli_error("%s", err);
	}
	struct machine *m = calloc(1, sizeof *m);
	if (!m) {
		capture_free(cap);
		return cli_error("out of host memory creating the machine");
	}
	int status;
	if (!machine_init(m, &o.cfg, err, sizeof err) ||
	    !machine_boot(m, mods, nr_mods, err, sizeof err) ||
	    (cap && !capture_start(cap, m, boot ? "boot" : "run", err, sizeof err))) {
		status = cli_error("%s", err);
		goto out;
	}

	machine_run(m);
	status = machine_exit_status(m);
	if (fflush(stdout) != 0)
		fprintf(stderr, "hvsim: writing the console to stdout failed: %s\n",
			strerror(errno));

	if (m->stop != STOP_EXIT)
		report_stop(m);
	else if (!o.quiet)
		fprintf(stderr, "hvsim: %s: exit status %d after %" PRIu64 " instructions, %"
			PRIu64 " cycles (%.3f s, %.1f MIPS)\n", o.cfg.image_path, status,
			m->cpu.insns_retired, m->cpu.cycles, m->host_seconds,
			m->host_seconds > 0 ? (double)m->cpu.insns_retired / m->host_seconds / 1e6
					    : 0.0);

	if (o.stats_path && !stats_write(m, o.stats_path, o.stats_format, err, sizeof err))
		status = cli_error("%s", err);
	if (cap && !capture_finish(cap, m, err, sizeof err))
		status = cli_error("%s", err);
out:
	capture_free(cap); /* before the machine: it detaches from it */
	machine_free(m);
	free(m);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_error("missing command; try 'hvsim --help'");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("hvsim %s\n", HVSIM_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1, NULL);
	if (strcmp(cmd, "boot") == 0) {
		struct boot_cmd *boot = calloc(1, sizeof *boot);
		if (!boot)
			return cli_error("out of host memory");
		int status = cmd_run(argc - 1, argv + 1, boot);
		boot_cmd_free(boot);
		free(boot);
		return status;
	}
	if (strcmp(cmd, "params") == 0)
		return cmd_params(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "compare") == 0)
		return cmd_compare(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return cli_error("unknown option '%s' (options follow the command: hvsim run "
				   "[options] IMAGE.elf); try 'hvsim --help'", cmd);
	return cli_error("unknown command '%s'; try 'hvsim --help'", cmd);
}
