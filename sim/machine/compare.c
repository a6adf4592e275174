/* `hvsim compare A.json B.json`: the counters of two runs side by side, with B's ratio
 * to A, for users' own experiments. Reads the files `hvsim run|boot --stats` writes
 * (stats.c). */
#include "compare.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The "counters" object of a stats file, or NULL with *why set. */
static struct json_object *load_counters(const char *path, struct json_object **root,
					 const char **why)
{
	*root = json_object_from_file(path);
	if (!*root) {
		FILE *f = fopen(path, "r");
		*why = f ? "not a JSON stats file (hvsim run --stats writes one)" : strerror(errno);
		if (f)
			fclose(f);
		return NULL;
	}
	struct json_object *counters;
	if (!json_object_object_get_ex(*root, "counters", &counters) ||
	    !json_object_is_type(counters, json_type_object)) {
		*why = "has no \"counters\" object: not a file hvsim --stats wrote";
		json_object_put(*root);
		*root = NULL;
		return NULL;
	}
	return counters;
}

static void print_usage(FILE *f)
{
	fputs("usage: hvsim compare [--prefix P] [--changed] A.json B.json\n"
	      "  prints every counter of two --stats files side by side, with B/A\n"
	      "  --prefix P   only counters whose name starts with P (repeatable)\n"
	      "  --changed    only counters whose values differ\n", f);
}

static bool wanted(const char *name, char **prefixes, int nr_prefixes)
{
	if (nr_prefixes == 0)
		return true;
	for (int k = 0; k < nr_prefixes; k++)
		if (strncmp(name, prefixes[k], strlen(prefixes[k])) == 0)
			return true;
	return false;
}

static void print_row(const char *name, bool in_a, uint64_t a, bool in_b, uint64_t b)
{
	char sa[24] = "-", sb[24] = "-", ratio[24] = "";
	if (in_a)
		snprintf(sa, sizeof sa, "%" PRIu64, a);
	if (in_b)
		snprintf(sb, sizeof sb, "%" PRIu64, b);
	if (in_a && in_b && a)
		snprintf(ratio, sizeof ratio, "%.3f", (double)b / (double)a);
	else if (in_a && in_b && !a && !b)
		snprintf(ratio, sizeof ratio, "=");
	printf("%-52s %18s %18s %10s\n", name, sa, sb, ratio);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "changed", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *prefixes[32];
	int nr_prefixes = 0, ch;
	bool changed_only = false;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (nr_prefixes == 32)
				return cli_error("compare: at most 32 --prefix options");
			prefixes[nr_prefixes++] = optarg;
			break;
		case 'c':
			changed_only = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case ':':
			return cli_error("compare: %s needs a value", argv[optind - 1]);
		default:
			return cli_error("compare: unknown option '%s'; try 'hvsim compare --help'",
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_error("compare takes two stats files, A.json and B.json");
	const char *pa = argv[optind], *pb = argv[optind + 1], *why = NULL;
	struct json_object *ra, *rb;
	struct json_object *a = load_counters(pa, &ra, &why);
	if (!a)
		return cli_error("%s: %s", pa, why);
	struct json_object *b = load_counters(pb, &rb, &why);
	if (!b) {
		json_object_put(ra);
		return cli_error("%s: %s", pb, why);
	}

	printf("%-52s %18s %18s %10s\n", "counter", "A", "B", "B/A");
	unsigned shown = 0;
	/* A's counters in A's order, then those only B has */
	json_object_object_foreach(a, name, va) {
		if (!wanted(name, prefixes, nr_prefixes))
			continue;
		struct json_object *vb;
		bool in_b = json_object_object_get_ex(b, name, &vb);
		uint64_t x = json_object_get_uint64(va), y = in_b ? json_object_get_uint64(vb) : 0;
		if (changed_only && in_b && x == y)
			continue;
		print_row(name, true, x, in_b, y);
		shown++;
	}
	json_object_object_foreach(b, nameb, vb2) {
		if (!wanted(nameb, prefixes, nr_prefixes) || json_object_object_get_ex(a, nameb, NULL))
			continue;
		print_row(nameb, false, 0, true, json_object_get_uint64(vb2));
		shown++;
	}
	fprintf(stderr, "hvsim: compare: %u counters (A = %s, B = %s)\n", shown, pa, pb);
	json_object_put(ra);
	json_object_put(rb);
	return 0;
}
