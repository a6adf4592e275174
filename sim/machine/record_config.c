/* The resolved machine configuration as key = value text: what a recording stores so
 * that replay builds the same machine, and what an event trace carries for tlb-replay.
 * Values are parsed back by the same parsers the command line uses (params_set,
 * tlb_config_parse), so a recording accepts exactly what `hvsim run` accepts. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

void config_each(const struct machine_config *cfg, config_emit_fn emit, void *ctx)
{
	char v[512];
	snprintf(v, sizeof v, "%" PRIu64, cfg->mem_bytes);
	emit(ctx, "mem_bytes", v);
	emit(ctx, "cmdline", cfg->cmdline ? cfg->cmdline : "");
	snprintf(v, sizeof v, "%" PRIu64, cfg->max_insns);
	emit(ctx, "max_insns", v);
	snprintf(v, sizeof v, "%" PRIu64, cfg->max_cycles);
	emit(ctx, "max_cycles", v);
	emit(ctx, "check_tlb", cfg->check_tlb ? "on" : "off");
	tlb_config_format(&cfg->tlb, v, sizeof v);
	emit(ctx, "tlb", v);
	for (int i = 0; i < PARAM_COUNT; i++) {
		char key[96];
		snprintf(key, sizeof key, "param.%s", param_info[i].name);
		snprintf(v, sizeof v, "%" PRIu64, cfg->params.v[i]);
		emit(ctx, key, v);
	}
}

static bool number(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool config_set(struct machine_config *cfg, const char *key, const char *value, char *err,
		size_t errlen)
{
	uint64_t n;
	if (strcmp(key, "mem_bytes") == 0) {
		if (!number(value, &n) || n < MACHINE_MEM_MIN || n > MACHINE_MEM_MAX ||
		    n % MACHINE_MEM_ALIGN) {
			snprintf(err, errlen, "mem_bytes '%s' is not a valid RAM size", value);
			return false;
		}
		cfg->mem_bytes = n;
	} else if (strcmp(key, "cmdline") == 0) {
		if (strlen(value) > BOOT_CMDLINE_MAX) {
			snprintf(err, errlen, "cmdline is longer than %d bytes", BOOT_CMDLINE_MAX);
			return false;
		}
		cfg->cmdline = value;
	} else if (strcmp(key, "max_insns") == 0 || strcmp(key, "max_cycles") == 0) {
		if (!number(value, &n)) {
			snprintf(err, errlen, "%s '%s' is not a number", key, value);
			return false;
		}
		if (strcmp(key, "max_insns") == 0)
			cfg->max_insns = n;
		else
			cfg->max_cycles = n;
	} else if (strcmp(key, "check_tlb") == 0) {
		if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
			snprintf(err, errlen, "check_tlb '%s' is neither on nor off", value);
			return false;
		}
		cfg->check_tlb = strcmp(value, "on") == 0;
	} else if (strcmp(key, "tlb") == 0) {
		char e[256];
		if (!tlb_config_parse(&cfg->tlb, value, e, sizeof e)) {
			snprintf(err, errlen, "tlb: %s", e);
			return false;
		}
	} else if (strncmp(key, "param.", 6) == 0) {
		char assignment[256], e[256];
		snprintf(assignment, sizeof assignment, "%s=%s", key + 6, value);
		if (!params_set(&cfg->params, assignment, e, sizeof e)) {
			snprintf(err, errlen, "%s", e);
			return false;
		}
	} else {
		snprintf(err, errlen, "unknown configuration key '%s' (written by a newer hvsim?)",
			 key);
		return false;
	}
	return true;
}
