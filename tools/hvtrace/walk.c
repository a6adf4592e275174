/* Walking an event trace chunk by chunk (hvtrace.h): every chunk is checked by
 * sim/machine/tracefile.c before a byte of it is decoded; events go to the visitor, the
 * other records into struct ht_trace. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtrace.h"

int ht_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("hvtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static bool add_kv(struct rec_kv **kv, size_t *n, const char *k, const char *v)
{
	struct rec_kv *a = realloc(*kv, (*n + 1) * sizeof *a);
	if (!a)
		return false;
	*kv = a;
	a[*n] = (struct rec_kv){ strdup(k), strdup(v) };
	(*n)++;
	return a[*n - 1].key && a[*n - 1].value;
}

static void read_counters(struct tf_cursor *c, struct ht_trace *t)
{
	uint64_t n = tf_get_count(c, 2);
	if (c->bad)
		return;
	t->counter_name = calloc(n ? n : 1, sizeof *t->counter_name);
	t->counter_value = calloc(n ? n : 1, sizeof *t->counter_value);
	if (!t->counter_name || !t->counter_value) {
		tf_cursor_fail(c, "out of host memory");
		return;
	}
	for (uint64_t i = 0; i < n && !c->bad; i++) {
		char name[256];
		tf_get_str(c, name, sizeof name);
		t->counter_value[i] = tf_get_varint(c);
		if (c->bad)
			break;
		t->counter_name[i] = strdup(name);
		if (!t->counter_name[i])
			tf_cursor_fail(c, "out of host memory");
		t->ncounters = i + 1;
	}
}

/* One record of an event trace; false stops the walk (an error is in the cursor). */
static bool one_record(struct tf_cursor *c, struct ht_trace *t, struct trace_codec *codec,
		       const struct ht_visitor *v, bool *stop)
{
	uint8_t type = tf_get_u8(c);
	if (c->bad)
		return false;
	if (t->have_end && type != TF_REC_COUNTERS) {
		tf_cursor_fail(c, "a record after the end of the run");
		return false;
	}
	if (trace_is_event_record(type)) {
		struct trace_event ev;
		trace_event_read(c, type, codec, &ev);
		if (c->bad)
			return false;
		t->per_kind[ev.kind]++;
		if (v && v->event && !v->event(v->ctx, &ev))
			*stop = true;
		return true;
	}
	switch (type) {
	case TF_REC_META:
	case TF_REC_CONFIG: {
		char key[256], value[8192];
		tf_get_str(c, key, sizeof key);
		tf_get_str(c, value, sizeof value);
		if (c->bad)
			return false;
		if (!(type == TF_REC_META ? add_kv(&t->meta, &t->nmeta, key, value)
					  : add_kv(&t->config, &t->nconfig, key, value)))
			tf_cursor_fail(c, "out of host memory");
		return !c->bad;
	}
	case TF_REC_END_RUN:
		rec_read_end(c, &t->end);
		t->have_end = !c->bad;
		return !c->bad;
	case TF_REC_COUNTERS:
		if (t->ncounters || !t->have_end) {
			tf_cursor_fail(c, "counters out of place");
			return false;
		}
		read_counters(c, t);
		return !c->bad;
	case TF_REC_IMAGE:
	case TF_REC_SCHEMA:
	case TF_REC_DIGEST:
	case TF_REC_INPUT:
		tf_cursor_fail(c, "a recording's record in an event trace");
		return false;
	default:
		tf_cursor_fail(c, "unknown record type (written by a newer hvsim?)");
		return false;
	}
}

int ht_walk(const char *path, struct ht_trace *t, const struct ht_visitor *v,
	    bool allow_recording)
{
	memset(t, 0, sizeof *t);
	t->path = path;
	char err[HT_ERR_LEN];
	struct tf_reader r;
	if (!tf_open(&r, path, err, sizeof err))
		return ht_usage("%s", err);
	t->kind = r.kind;
	t->file_bytes = r.size;
	bool recording = r.kind == TF_KIND_RECORDING;
	if (recording && !allow_recording) {
		tf_close(&r);
		return ht_usage("%s: a recording, not an event trace (write one with hvsim run "
				"--trace FILE)", path);
	}
	/* A recording's records are read by rec_load; here only its chunks are listed. */
	unsigned skip = recording ? 1u << TF_CHUNK_META | 1u << TF_CHUNK_IMAGE | 1u << TF_CHUNK_DATA
				  : 0;
	int got = 0;
	bool stop = false;
	while (!stop && (got = tf_next_chunk(&r, skip)) == 1) {
		t->chunks++;
		t->stored_bytes += r.chunk.stored_bytes;
		t->raw_bytes += r.chunk.raw_bytes;
		if (v && v->chunk)
			v->chunk(v->ctx, &r.chunk);
		if (recording)
			continue;
		struct trace_codec codec = { 0 }; /* deltas restart in every chunk */
		struct tf_cursor c;
		tf_cursor_init(&c, &r);
		while (!stop && tf_cursor_more(&c) && one_record(&c, t, &codec, v, &stop))
			tf_cursor_next_record(&c);
		if (!stop && !tf_cursor_finish(&c)) {
			tf_cursor_error(&c, err, sizeof err);
			tf_close(&r);
			ht_trace_free(t);
			return ht_usage("%s", err);
		}
	}
	if (!stop && got == 0) {
		/* the END chunk, checked by tf_next_chunk */
		t->chunks++;
		t->stored_bytes += r.chunk.stored_bytes;
		t->raw_bytes += r.chunk.raw_bytes;
		if (v && v->chunk)
			v->chunk(v->ctx, &r.chunk);
	}
	if (!stop && got < 0) {
		tf_close(&r);
		ht_trace_free(t);
		return ht_usage("%s", err);
	}
	if (!stop && !recording && !t->have_end) {
		tf_close(&r);
		ht_trace_free(t);
		return ht_usage("%s: the trace has no end-of-run record (file corrupt)", path);
	}
	tf_close(&r);
	return 0;
}

void ht_trace_free(struct ht_trace *t)
{
	for (size_t i = 0; i < t->nmeta; i++) {
		free(t->meta[i].key);
		free(t->meta[i].value);
	}
	for (size_t i = 0; i < t->nconfig; i++) {
		free(t->config[i].key);
		free(t->config[i].value);
	}
	free(t->meta);
	free(t->config);
	for (size_t i = 0; i < t->ncounters; i++)
		free(t->counter_name[i]);
	free(t->counter_name);
	free(t->counter_value);
	free(t->end.ram);
	memset(t, 0, sizeof *t);
}

const uint64_t *ht_counter(const struct ht_trace *t, const char *name)
{
	for (size_t i = 0; i < t->ncounters; i++)
		if (t->counter_name[i] && strcmp(t->counter_name[i], name) == 0)
			return &t->counter_value[i];
	return NULL;
}
