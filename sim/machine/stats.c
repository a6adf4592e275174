/* --stats: the resolved configuration, every registered counter (in registration order)
 * and the run's outcome, as JSON or as gem5-style text lines `name value # description`.
 * DESIGN.md: every number printed is a counter measured in this run. The file is
 * written atomically: a temporary file in the same directory, then rename(2). */
#include "atomic_file.h"
#include "machine.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the run's outcome, shared by both formats ---- */

struct run_summary {
	uint64_t insns, cycles;
	double host_seconds, sim_mips;
	const char *exit_reason;
	int exit_status;
	const char *detail;
};

static struct run_summary summarize(const struct machine *m)
{
	struct run_summary r = {
		.insns = m->cpu.insns_retired,
		.cycles = m->cpu.cycles,
		.host_seconds = m->host_seconds,
		.exit_reason = machine_stop_name(m->stop),
		.exit_status = machine_exit_status(m),
		.detail = m->cpu.stop_detail,
	};
	r.sim_mips = r.host_seconds > 0 ? (double)r.insns / r.host_seconds / 1e6 : 0;
	return r;
}

/* ---- JSON ---- */

/* json-c returns NULL when out of memory; `ok` collects every failure. */
static void put(struct json_object *o, const char *key, struct json_object *v, bool *ok)
{
	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		*ok = false;
	}
}

static struct json_object *json_double(double d)
{
	char s[64];
	snprintf(s, sizeof s, "%.9f", d);
	return json_object_new_double_s(d, s);
}

static void json_tlb_key(void *ctx, const char *key, const char *value)
{
	json_object_object_add(ctx, key, json_object_new_string(value));
}

static struct json_object *build_json(const struct machine *m, bool *ok)
{
	const struct machine_config *cfg = &m->cfg;
	struct json_object *root = json_object_new_object();
	struct json_object *config = json_object_new_object();
	struct json_object *params = json_object_new_object();
	struct json_object *counters = json_object_new_object();
	struct json_object *run = json_object_new_object();
	if (!root || !config || !params || !counters || !run) {
		json_object_put(root);
		json_object_put(config);
		json_object_put(params);
		json_object_put(counters);
		json_object_put(run);
		*ok = false;
		return NULL;
	}

	put(config, "image", json_object_new_string(cfg->image_path), ok);
	put(config, "mem_bytes", json_object_new_uint64(cfg->mem_bytes), ok);
	put(config, "cmdline", json_object_new_string(cfg->cmdline ? cfg->cmdline : ""), ok);
	put(config, "max_insns", json_object_new_uint64(cfg->max_insns), ok);
	put(config, "max_cycles", json_object_new_uint64(cfg->max_cycles), ok);
	for (int i = 0; i < PARAM_COUNT; i++)
		put(params, param_info[i].name, json_object_new_uint64(cfg->params.v[i]), ok);
	put(config, "params", params, ok);
	struct json_object *tlb = json_object_new_object();
	if (tlb) {
		tlb_config_each(&cfg->tlb, json_tlb_key, tlb);
		put(config, "tlb", tlb, ok);
	} else {
		*ok = false;
	}
	put(config, "check_tlb", json_object_new_boolean(cfg->check_tlb), ok);

	for (size_t i = 0; i < m->counters.n; i++) {
		const struct counter *c = &m->counters.v[i];
		put(counters, c->name, json_object_new_uint64(*c->value), ok);
	}

	struct run_summary r = summarize(m);
	put(run, "insns_retired", json_object_new_uint64(r.insns), ok);
	put(run, "cycles", json_object_new_uint64(r.cycles), ok);
	put(run, "host_seconds", json_double(r.host_seconds), ok);
	put(run, "sim_mips", json_double(r.sim_mips), ok);
	put(run, "exit_reason", json_object_new_string(r.exit_reason), ok);
	put(run, "exit_status", json_object_new_int(r.exit_status), ok);
	put(run, "detail", json_object_new_string(r.detail), ok);

	put(root, "config", config, ok);
	put(root, "counters", counters, ok);
	put(root, "run", run, ok);
	return root;
}

static bool emit_json(FILE *f, const struct machine *m)
{
	bool ok = true;
	struct json_object *root = build_json(m, &ok);
	if (ok) {
		const char *s = json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		ok = s && fputs(s, f) >= 0 && fputc('\n', f) != EOF;
	}
	json_object_put(root);
	return ok;
}

/* ---- text: gem5's stats.txt layout ---- */

static void line_u64(FILE *f, const char *prefix, const char *name, uint64_t v,
		     const char *desc)
{
	char full[256];
	snprintf(full, sizeof full, "%s%s", prefix, name);
	fprintf(f, "%-44s %20" PRIu64 "  # %s\n", full, v, desc);
}

static void line_str(FILE *f, const char *name, const char *v, const char *desc)
{
	/* Strings are quoted and escaped as JSON strings, so a value is always one token. */
	struct json_object *s = json_object_new_string(v);
	const char *q = s ? json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "\"\"";
	fprintf(f, "%-44s %20s  # %s\n", name, q, desc);
	json_object_put(s);
}

static void line_double(FILE *f, const char *name, double v, const char *desc)
{
	fprintf(f, "%-44s %20.9f  # %s\n", name, v, desc);
}

static void text_tlb_key(void *ctx, const char *key, const char *value)
{
	char name[96];
	snprintf(name, sizeof name, "config.tlb.%s", key);
	line_str(ctx, name, value, "--tlb (docs/tlb.md)");
}

static bool emit_text(FILE *f, const struct machine *m)
{
	const struct machine_config *cfg = &m->cfg;
	fputs("---------- Begin Simulation Statistics ----------\n", f);
	line_str(f, "config.image", cfg->image_path, "the ELF image run");
	line_u64(f, "", "config.mem_bytes", cfg->mem_bytes, "RAM size in bytes (--mem)");
	line_str(f, "config.cmdline", cfg->cmdline ? cfg->cmdline : "", "--cmdline");
	line_u64(f, "", "config.max_insns", cfg->max_insns, "--max-insns (0 = no limit)");
	line_u64(f, "", "config.max_cycles", cfg->max_cycles, "--max-cycles (0 = no limit)");
	for (int i = 0; i < PARAM_COUNT; i++)
		line_u64(f, "config.params.", param_info[i].name, cfg->params.v[i],
			 param_info[i].desc);
	tlb_config_each(&cfg->tlb, text_tlb_key, f);

	for (size_t i = 0; i < m->counters.n; i++) {
		const struct counter *c = &m->counters.v[i];
		line_u64(f, "", c->name, *c->value, c->desc);
	}

	struct run_summary r = summarize(m);
	line_u64(f, "", "run.insns_retired", r.insns, "instructions retired");
	line_u64(f, "", "run.cycles", r.cycles, "simulated cycles");
	line_double(f, "run.host_seconds", r.host_seconds, "host seconds spent running the CPU");
	line_double(f, "run.sim_mips", r.sim_mips,
		    "simulated MIPS (instructions / host seconds / 1e6)");
	line_str(f, "run.exit_reason", r.exit_reason, "why the run ended");
	line_u64(f, "", "run.exit_status", (uint64_t)r.exit_status, "hvsim's exit status");
	line_str(f, "run.detail", r.detail, "what the CPU reported when it stopped");
	fputs("---------- End Simulation Statistics   ----------\n", f);
	return !ferror(f);
}

/* ---- writing the file atomically ---- */

bool stats_check_path(const char *path, char *err, size_t errlen)
{
	char *d = strdup(path);
	if (!d) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	const char *dir = dirname(d);
	struct stat st;
	bool ok = true;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--stats %s: directory %s does not exist; create it first",
			 path, dir);
		ok = false;
	} else if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "--stats %s: directory %s is not writable (%s)", path, dir,
			 strerror(errno));
		ok = false;
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--stats %s: is a directory; give a file name", path);
		ok = false;
	}
	free(d);
	return ok;
}

bool stats_write(const struct machine *m, const char *path, enum stats_format fmt,
		 char *err, size_t errlen)
{
	char *tmp = atomic_temp_name(path);
	if (!tmp) {
		snprintf(err, errlen, "out of host memory writing stats");
		return false;
	}
	int fd = atomic_temp_create(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s for --stats: %s", tmp, strerror(errno));
		free(tmp);
		return false;
	}
	errno = 0;

	FILE *f = fdopen(fd, "w");
	bool ok = f != NULL;
	if (ok)
		ok = fmt == STATS_JSON ? emit_json(f, m) : emit_text(f, m);
	if (f)
		ok = (fclose(f) == 0) && ok;
	else
		close(fd);
	if (ok && rename(tmp, path) < 0)
		ok = false;
	if (!ok) {
		snprintf(err, errlen, "cannot write stats to %s: %s", path,
			 errno ? strerror(errno) : "out of host memory");
		unlink(tmp);
	}
	free(tmp);
	return ok;
}
