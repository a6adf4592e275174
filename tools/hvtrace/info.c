/* hvtrace info FILE: what a file is, how it was made, what it holds, and its chunks. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hvtrace.h"

struct chunk_list {
	unsigned n;
	unsigned per_type[TF_NR_CHUNK_TYPES];
};

static void print_chunk(void *ctx, const struct tf_chunk *ch)
{
	struct chunk_list *l = ctx;
	if (l->n++ == 0)
		printf("  %5s  %-12s %-6s %10s %10s %9s %14s\n", "chunk", "offset", "type",
		       "stored", "raw", "records", "first insn");
	if (ch->type < TF_NR_CHUNK_TYPES)
		l->per_type[ch->type]++;
	printf("  %5u  0x%-10" PRIx64 " %-6s %10u %10u %9u %14" PRIu64 "\n", ch->index,
	       ch->offset, tf_chunk_type_name(ch->type), ch->stored_bytes, ch->raw_bytes,
	       ch->records, ch->first_insn);
}

static void print_kv(const char *label, const struct rec_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%-10s %s = %s\n", i ? "" : label, kv[i].key, kv[i].value);
}

static void print_end(const struct rec_end *e)
{
	printf("%-10s %" PRIu64 " instructions, %" PRIu64 " cycles, %s, exit status %" PRIu64
	       "\n", "run", e->insn, e->cycles, e->stop, e->exit_status);
	if (e->detail[0])
		printf("%-10s %s\n", "", e->detail);
}

static int info_recording(const char *path)
{
	char err[HT_ERR_LEN];
	struct rec_file f;
	if (!rec_load(path, &f, err, sizeof err))
		return ht_usage("%s", err);
	printf("%s: recording, format version %d, %" PRIu64 " bytes\n", path, TF_VERSION,
	       f.file_bytes);
	print_kv("meta", f.meta, f.nmeta);
	for (size_t i = 0; i < f.nimg; i++)
		printf("%-10s %s %s, %zu bytes\n", i ? "" : "images", f.img[i].role, f.img[i].name,
		       f.img[i].size);
	print_kv("config", f.config, f.nconfig);
	size_t ncounters = 0;
	for (size_t i = 0; i < f.schema.n; i++)
		ncounters += f.schema.group[i] == DIGEST_GROUP_COUNTER;
	printf("%-10s %zu (%zu periodic, 1 final), each %zu values: %zu of CPU state, %zu "
	       "counters\n", "digests", f.ndigests, f.ndigests - 1, f.schema.n,
	       f.schema.n - ncounters, ncounters);
	printf("%-10s %zu\n", "inputs", f.ninputs);
	print_end(&f.end);
	printf("%-10s %" PRIu64 " bytes, CRC-32 0x%08" PRIx64 "\n", "console",
	       f.end.console_bytes, f.end.console_crc);
	printf("%-10s %" PRIu64 " regions of %" PRIu64 " MiB hashed\n", "ram", f.end.nregions,
	       f.end.region_bytes >> 20);
	rec_free(&f);

	struct ht_trace t;
	struct chunk_list l = { 0 };
	printf("chunks\n");
	struct ht_visitor v = { .ctx = &l, .chunk = print_chunk };
	int rc = ht_walk(path, &t, &v, true);
	ht_trace_free(&t);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	if (argc != 2)
		return ht_usage("info takes one FILE; try 'hvtrace --help'");
	const char *path = argv[1];
	struct tf_reader r;
	char err[HT_ERR_LEN];
	if (!tf_open(&r, path, err, sizeof err))
		return ht_usage("%s", err);
	bool recording = r.kind == TF_KIND_RECORDING;
	tf_close(&r);
	if (recording)
		return info_recording(path);

	/* An event trace: one pass lists the chunks and counts the records. */
	struct ht_trace t;
	struct chunk_list l = { 0 };
	struct ht_visitor v = { .ctx = &l, .chunk = print_chunk };
	printf("%s: event trace, format version %d\n", path, TF_VERSION);
	printf("chunks\n");
	int rc = ht_walk(path, &t, &v, false);
	if (rc) {
		ht_trace_free(&t);
		return rc;
	}
	printf("%-10s %" PRIu64 " bytes; %" PRIu64 " chunks (%u meta, %u data, %u end), %" PRIu64
	       " bytes of records compressed to %" PRIu64 "\n", "size", t.file_bytes, t.chunks,
	       l.per_type[TF_CHUNK_META], l.per_type[TF_CHUNK_DATA], l.per_type[TF_CHUNK_END],
	       t.raw_bytes, t.stored_bytes);
	print_kv("meta", t.meta, t.nmeta);
	print_kv("config", t.config, t.nconfig);
	printf("%-10s", "records");
	for (unsigned k = 0; k < TK_NR_KINDS; k++)
		printf(" %s %" PRIu64 "%s", trace_kind_name(k), t.per_kind[k],
		       k + 1 < TK_NR_KINDS ? "," : "\n");
	print_end(&t.end);
	printf("%-10s %zu final counters of the run\n", "counters", t.ncounters);
	ht_trace_free(&t);
	return 0;
}
