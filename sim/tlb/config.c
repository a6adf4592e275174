/* The TLB configuration: defaults, the --tlb option string, its checks, and the resolved
 * key=value list for the stats dump (docs/tlb.md "Configuration"). */
#include "tlb.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AMD Family 17h models 30h+ (Zen 2) Software Optimization Guide, TLB section: L1 ITLB
 * and L1 DTLB 64 entries, fully associative, every page size; L2 DTLB 2048 entries,
 * 8-way. hvsim's L2 is unified. */
void tlb_config_defaults(struct tlb_config *c)
{
	*c = (struct tlb_config){
		.l1i = { 64, 0 },
		.l1i_large = { 0, 0 },
		.l1d = { 64, 0 },
		.l1d_large = { 0, 0 },
		.l2 = { 2048, 8 },
		.replacement = TLB_REPLACE_LRU,
		.seed = 1,
		.tagged = true,
		.max_asids = 16,
	};
}

/* ---- the keys, in documentation order ---- */

enum key_type { K_ENTRIES, K_WAYS, K_REPLACEMENT, K_SEED, K_TAGGED, K_MAX_ASIDS };

struct key {
	const char *name;
	enum key_type type;
	size_t geometry;   /* K_ENTRIES, K_WAYS: offset of the struct tlb_geometry */
};

#define GEOMETRY(key, field)                                                       \
	{ key ".entries", K_ENTRIES, offsetof(struct tlb_config, field) },         \
	{ key ".ways", K_WAYS, offsetof(struct tlb_config, field) }
#define LARGE(key, field)                                                          \
	{ key ".large_entries", K_ENTRIES, offsetof(struct tlb_config, field) },   \
	{ key ".large_ways", K_WAYS, offsetof(struct tlb_config, field) }

static const struct key keys[] = {
	GEOMETRY("l1i", l1i), LARGE("l1i", l1i_large),
	GEOMETRY("l1d", l1d), LARGE("l1d", l1d_large),
	GEOMETRY("l2", l2),
	{ "replacement", K_REPLACEMENT, 0 },
	{ "seed", K_SEED, 0 },
	{ "tagged", K_TAGGED, 0 },
	{ "max_asids", K_MAX_ASIDS, 0 },
};
#define NR_KEYS (sizeof keys / sizeof keys[0])

static struct tlb_geometry *geometry(struct tlb_config *c, const struct key *k)
{
	return (struct tlb_geometry *)((char *)c + k->geometry);
}

static const struct tlb_geometry *cgeometry(const struct tlb_config *c, const struct key *k)
{
	return (const struct tlb_geometry *)((const char *)c + k->geometry);
}

/* ---- checks ---- */

/* Names of an array's keys for messages: "l1d.entries" / "l1d.large_entries" */
struct array_names {
	const char *entries, *ways;
	bool needed;   /* an L1's 4K array must have entries */
};

static bool check_array(const struct tlb_geometry *g, struct array_names n, char *err,
			size_t errlen)
{
	if (g->entries == 0) {
		if (!n.needed)
			return true;
		snprintf(err, errlen, "%s=0: an L1 TLB needs at least 1 entry", n.entries);
		return false;
	}
	if (g->entries > TLB_MAX_ENTRIES) {
		snprintf(err, errlen, "%s=%" PRIu32 ": more than the %u entries an array may have",
			 n.entries, g->entries, TLB_MAX_ENTRIES);
		return false;
	}
	uint32_t ways = g->ways ? g->ways : g->entries;
	if (ways > g->entries) {
		snprintf(err, errlen, "%s=%" PRIu32 ": more ways than %s=%" PRIu32, n.ways, ways,
			 n.entries, g->entries);
		return false;
	}
	if (g->entries % ways) {
		snprintf(err, errlen, "%s=%" PRIu32 " does not divide %s=%" PRIu32, n.ways, ways,
			 n.entries, g->entries);
		return false;
	}
	uint32_t sets = g->entries / ways;
	if (sets & (sets - 1)) {
		snprintf(err, errlen,
			 "%s=%" PRIu32 " with %s=%" PRIu32 " gives %" PRIu32 " sets; the number "
			 "of sets (entries / ways) must be a power of two",
			 n.entries, g->entries, n.ways, ways, sets);
		return false;
	}
	return true;
}

bool tlb_config_check(const struct tlb_config *c, char *err, size_t errlen)
{
	if (!check_array(&c->l1i, (struct array_names){ "l1i.entries", "l1i.ways", true },
			 err, errlen) ||
	    !check_array(&c->l1i_large,
			 (struct array_names){ "l1i.large_entries", "l1i.large_ways", false },
			 err, errlen) ||
	    !check_array(&c->l1d, (struct array_names){ "l1d.entries", "l1d.ways", true },
			 err, errlen) ||
	    !check_array(&c->l1d_large,
			 (struct array_names){ "l1d.large_entries", "l1d.large_ways", false },
			 err, errlen) ||
	    !check_array(&c->l2, (struct array_names){ "l2.entries", "l2.ways", false }, err,
			 errlen))
		return false;
	if (c->replacement != TLB_REPLACE_LRU && c->replacement != TLB_REPLACE_RANDOM) {
		snprintf(err, errlen, "replacement: unknown policy %d", (int)c->replacement);
		return false;
	}
	if (c->max_asids > TLB_MAX_ASIDS) {
		snprintf(err, errlen, "max_asids=%" PRIu32 ": more than %u", c->max_asids,
			 TLB_MAX_ASIDS);
		return false;
	}
	return true;
}

/* ---- parsing ---- */

/* A decimal or 0x-hexadecimal number, nothing else (no sign, no spaces, no octal). */
static bool parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!(base == 16 ? isxdigit((unsigned char)s[0]) : isdigit((unsigned char)s[0])))
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;
	if (!parse_u64(s, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool apply(struct tlb_config *c, const struct key *k, const char *v, char *err,
		  size_t errlen)
{
	switch (k->type) {
	case K_ENTRIES:
		if (parse_u32(v, &geometry(c, k)->entries))
			return true;
		snprintf(err, errlen, "%s=%s: not a number of entries (decimal or 0x hex)",
			 k->name, v);
		return false;
	case K_WAYS:
		if (strcmp(v, "full") == 0) {
			geometry(c, k)->ways = 0;
			return true;
		}
		if (parse_u32(v, &geometry(c, k)->ways))
			return true;
		snprintf(err, errlen, "%s=%s: not a number of ways (a number, or 'full' for "
			 "fully associative)", k->name, v);
		return false;
	case K_REPLACEMENT:
		if (strcmp(v, "lru") == 0)
			c->replacement = TLB_REPLACE_LRU;
		else if (strcmp(v, "random") == 0)
			c->replacement = TLB_REPLACE_RANDOM;
		else {
			snprintf(err, errlen, "replacement=%s: must be lru or random", v);
			return false;
		}
		return true;
	case K_SEED:
		if (parse_u64(v, &c->seed))
			return true;
		snprintf(err, errlen, "seed=%s: not a 64-bit number (decimal or 0x hex)", v);
		return false;
	case K_TAGGED:
		if (strcmp(v, "on") == 0)
			c->tagged = true;
		else if (strcmp(v, "off") == 0)
			c->tagged = false;
		else {
			snprintf(err, errlen, "tagged=%s: must be on or off", v);
			return false;
		}
		return true;
	case K_MAX_ASIDS:
		if (parse_u32(v, &c->max_asids))
			return true;
		snprintf(err, errlen, "max_asids=%s: not a number (0 to %u)", v, TLB_MAX_ASIDS);
		return false;
	}
	return false;
}

static const struct key *find_key(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* "unknown key 'x' (keys: l1i.entries, ...)": the list comes from the table. */
static void unknown_key(const char *name, size_t len, char *err, size_t errlen)
{
	size_t at = (size_t)snprintf(err, errlen, "unknown key '%.*s' (keys:", (int)len, name);
	for (size_t i = 0; i < NR_KEYS && at < errlen; i++)
		at += (size_t)snprintf(err + at, errlen - at, "%s %s", i ? "," : "",
				       keys[i].name);
	if (at < errlen)
		snprintf(err + at, errlen - at, ")");
}

bool tlb_config_parse(struct tlb_config *c, const char *opt, char *err, size_t errlen)
{
	struct tlb_config tmp = *c;
	const char *p = opt;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		if (len == 0) {
			snprintf(err, errlen, "'%s': empty item; separate key=value pairs with "
				 "single commas", opt);
			return false;
		}
		if (!eq) {
			snprintf(err, errlen, "'%.*s' is not key=value", (int)len, p);
			return false;
		}
		const struct key *k = find_key(p, (size_t)(eq - p));
		if (!k) {
			unknown_key(p, (size_t)(eq - p), err, errlen);
			return false;
		}
		char value[32];
		size_t vlen = len - (size_t)(eq + 1 - p);
		if (vlen == 0 || vlen >= sizeof value) {
			snprintf(err, errlen, "%s: %s value", k->name, vlen ? "too long a" : "no");
			return false;
		}
		memcpy(value, eq + 1, vlen);
		value[vlen] = '\0';
		if (!apply(&tmp, k, value, err, errlen))
			return false;
		p += len;
		if (*p == ',') {
			p++;
			if (!*p) {
				snprintf(err, errlen, "'%s': trailing comma", opt);
				return false;
			}
		}
	}
	if (!tlb_config_check(&tmp, err, errlen))
		return false;
	*c = tmp;
	return true;
}

/* ---- the resolved configuration ---- */

void tlb_config_each(const struct tlb_config *c, tlb_config_emit_fn emit, void *ctx)
{
	for (size_t i = 0; i < NR_KEYS; i++) {
		const struct key *k = &keys[i];
		char v[24];
		switch (k->type) {
		case K_ENTRIES:
			snprintf(v, sizeof v, "%" PRIu32, cgeometry(c, k)->entries);
			break;
		case K_WAYS: {
			const struct tlb_geometry *g = cgeometry(c, k);
			snprintf(v, sizeof v, "%" PRIu32, g->ways ? g->ways : g->entries);
			break;
		}
		case K_REPLACEMENT:
			snprintf(v, sizeof v, "%s",
				 c->replacement == TLB_REPLACE_RANDOM ? "random" : "lru");
			break;
		case K_SEED:
			snprintf(v, sizeof v, "%" PRIu64, c->seed);
			break;
		case K_TAGGED:
			snprintf(v, sizeof v, "%s", c->tagged ? "on" : "off");
			break;
		case K_MAX_ASIDS:
			snprintf(v, sizeof v, "%" PRIu32, c->max_asids);
			break;
		}
		emit(ctx, k->name, v);
	}
}

struct format_buf {
	char *buf;
	size_t len, need;
};

static void format_one(void *ctx, const char *key, const char *value)
{
	struct format_buf *f = ctx;
	size_t at = f->need;
	int n = snprintf(f->buf && at < f->len ? f->buf + at : NULL,
			 f->buf && at < f->len ? f->len - at : 0, "%s%s=%s", at ? "," : "", key,
			 value);
	f->need += (size_t)n;
}

size_t tlb_config_format(const struct tlb_config *c, char *buf, size_t len)
{
	struct format_buf f = { buf, len, 0 };
	if (buf && len)
		buf[0] = '\0';
	tlb_config_each(c, format_one, &f);
	return f.need;
}
