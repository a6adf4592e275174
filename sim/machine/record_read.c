/* Reading a recording (record_read.h): every chunk through tracefile.c's checks, every
 * record's fields bounded, the records' order checked (schema before digests, the
 * images complete, one final digest, END_RUN last). */
#include "record_read.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace_event.h"

#define KEY_MAX 256
#define VALUE_MAX 8192

static bool add_kv(struct rec_kv **kv, size_t *n, const char *k, const char *v)
{
	struct rec_kv *a = realloc(*kv, (*n + 1) * sizeof *a);
	if (!a)
		return false;
	*kv = a;
	a[*n].key = strdup(k);
	a[*n].value = strdup(v);
	if (!a[*n].key || !a[*n].value) {
		free(a[*n].key);
		free(a[*n].value);
		return false;
	}
	(*n)++;
	return true;
}

const char *rec_kv_get(const struct rec_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

void rec_read_end(struct tf_cursor *c, struct rec_end *end)
{
	end->insn = tf_get_varint(c);
	end->cycles = tf_get_varint(c);
	tf_get_str(c, end->stop, sizeof end->stop);
	end->exit_status = tf_get_varint(c);
	tf_get_str(c, end->detail, sizeof end->detail);
	end->console_bytes = tf_get_varint(c);
	end->console_crc = tf_get_varint(c);
	end->region_bytes = tf_get_varint(c);
	end->nregions = tf_get_count(c, 8);
	end->ram = NULL;
	if (c->bad)
		return;
	end->ram = calloc(end->nregions ? end->nregions : 1, sizeof *end->ram);
	if (!end->ram) {
		tf_cursor_fail(c, "out of host memory");
		return;
	}
	for (uint64_t i = 0; i < end->nregions; i++)
		end->ram[i] = tf_get_u64le(c);
}

/* The state of the walk through the records */
struct loader {
	struct rec_file *f;
	bool have_schema, have_end;
	uint64_t *prev;             /* the previous digest's values in this chunk */
};

static bool image_part(struct loader *l, struct tf_cursor *c)
{
	char role[16], name[256];
	tf_get_str(c, role, sizeof role);
	tf_get_str(c, name, sizeof name);
	uint64_t total = tf_get_varint(c), off = tf_get_varint(c);
	size_t n;
	const uint8_t *p = tf_get_bytes(c, &n);
	if (c->bad)
		return false;
	if (strcmp(role, "image") != 0 && strcmp(role, "module") != 0) {
		tf_cursor_fail(c, "image role is neither image nor module");
		return false;
	}
	struct rec_file *f = l->f;
	struct rec_loaded_image *im = f->nimg ? &f->img[f->nimg - 1] : NULL;
	if (off == 0) {
		im = realloc(f->img, (f->nimg + 1) * sizeof *im);
		if (!im) {
			tf_cursor_fail(c, "out of host memory");
			return false;
		}
		f->img = im;
		im = &f->img[f->nimg++];
		*im = (struct rec_loaded_image){ strdup(role), strdup(name), NULL, 0, total };
		if (!im->role || !im->name) {
			tf_cursor_fail(c, "out of host memory");
			return false;
		}
	}
	if (!im || strcmp(im->name, name) != 0 || strcmp(im->role, role) != 0 ||
	    im->total != total || off != im->size || n > total - off) {
		tf_cursor_fail(c, "image parts out of order or inconsistent");
		return false;
	}
	uint8_t *b = realloc(im->bytes, im->size + n ? im->size + n : 1);
	if (!b) {
		tf_cursor_fail(c, "out of host memory");
		return false;
	}
	im->bytes = b;
	memcpy(b + im->size, p, n);
	im->size += n;
	return true;
}

static bool schema(struct loader *l, struct tf_cursor *c)
{
	if (l->have_schema) {
		tf_cursor_fail(c, "a second schema");
		return false;
	}
	uint64_t n = tf_get_count(c, 2);
	for (uint64_t i = 0; i < n && !c->bad; i++) {
		uint8_t g = tf_get_u8(c);
		char name[KEY_MAX];
		tf_get_str(c, name, sizeof name);
		if (!c->bad && g >= DIGEST_NR_GROUPS)
			tf_cursor_fail(c, "schema group out of range");
		if (!c->bad && !digest_schema_add(&l->f->schema, g, name))
			tf_cursor_fail(c, "out of host memory");
	}
	l->have_schema = !c->bad;
	l->prev = calloc(l->f->schema.n ? l->f->schema.n : 1, sizeof *l->prev);
	if (!l->prev)
		tf_cursor_fail(c, "out of host memory");
	return !c->bad;
}

static bool digest(struct loader *l, struct tf_cursor *c)
{
	struct rec_file *f = l->f;
	uint64_t insn = tf_get_varint(c);
	uint8_t flags = tf_get_u8(c);
	uint64_t n = tf_get_varint(c);
	if (c->bad)
		return false;
	const char *bad = !l->have_schema ? "digest before the schema"
			  : n != f->schema.n ? "digest size differs from the schema"
			  : flags > 1 ? "unknown digest flags"
			  : f->ndigests && f->digests[f->ndigests - 1].final ? "digest after the final one"
			  : f->ndigests && insn < f->digests[f->ndigests - 1].insn ? "digests out of order"
			  : NULL;
	if (bad) {
		tf_cursor_fail(c, bad);
		return false;
	}
	struct rec_digest *d = realloc(f->digests, (f->ndigests + 1) * sizeof *d);
	if (!d) {
		tf_cursor_fail(c, "out of host memory");
		return false;
	}
	f->digests = d;
	d = &f->digests[f->ndigests];
	d->insn = insn;
	d->final = flags & 1;
	d->v = malloc((n ? n : 1) * sizeof *d->v);
	if (!d->v) {
		tf_cursor_fail(c, "out of host memory");
		return false;
	}
	f->ndigests++;
	for (uint64_t i = 0; i < n; i++) {
		l->prev[i] += (uint64_t)tf_get_svarint(c);
		d->v[i] = l->prev[i];
	}
	return !c->bad;
}

static bool input(struct loader *l, struct tf_cursor *c)
{
	struct rec_file *f = l->f;
	uint64_t insn = tf_get_varint(c);
	uint8_t src = tf_get_u8(c);
	size_t n;
	const uint8_t *p = tf_get_bytes(c, &n);
	if (c->bad)
		return false;
	if (f->ninputs && insn < f->inputs[f->ninputs - 1].insn) {
		tf_cursor_fail(c, "inputs out of order");
		return false;
	}
	struct rec_input *in = realloc(f->inputs, (f->ninputs + 1) * sizeof *in);
	if (!in) {
		tf_cursor_fail(c, "out of host memory");
		return false;
	}
	f->inputs = in;
	in = &f->inputs[f->ninputs];
	*in = (struct rec_input){ insn, src, malloc(n ? n : 1), n };
	if (!in->bytes) {
		tf_cursor_fail(c, "out of host memory");
		return false;
	}
	memcpy(in->bytes, p, n);
	f->ninputs++;
	return true;
}

static bool one_record(struct loader *l, struct tf_cursor *c)
{
	struct rec_file *f = l->f;
	uint8_t type = tf_get_u8(c);
	if (c->bad)
		return false;
	if (l->have_end) {
		tf_cursor_fail(c, "a record after the end of the run");
		return false;
	}
	switch (type) {
	case TF_REC_META:
	case TF_REC_CONFIG: {
		char key[KEY_MAX], value[VALUE_MAX];
		tf_get_str(c, key, sizeof key);
		tf_get_str(c, value, sizeof value);
		if (c->bad)
			return false;
		bool ok = type == TF_REC_META ? add_kv(&f->meta, &f->nmeta, key, value)
					      : add_kv(&f->config, &f->nconfig, key, value);
		if (!ok)
			tf_cursor_fail(c, "out of host memory");
		return ok;
	}
	case TF_REC_IMAGE:
		return image_part(l, c);
	case TF_REC_SCHEMA:
		return schema(l, c);
	case TF_REC_DIGEST:
		return digest(l, c);
	case TF_REC_INPUT:
		return input(l, c);
	case TF_REC_END_RUN:
		rec_read_end(c, &f->end);
		if (!c->bad && (!f->ndigests || !f->digests[f->ndigests - 1].final ||
				f->digests[f->ndigests - 1].insn != f->end.insn))
			tf_cursor_fail(c, "the end of the run without its final digest");
		l->have_end = !c->bad;
		return !c->bad;
	default:
		tf_cursor_fail(c, trace_is_event_record(type) ? "an event record in a recording"
							   : "unknown record type (written by a newer hvsim?)");
		return false;
	}
}

bool rec_load(const char *path, struct rec_file *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	struct tf_reader r;
	if (!tf_open(&r, path, err, errlen))
		return false;
	f->file_bytes = r.size;
	if (r.kind != TF_KIND_RECORDING) {
		snprintf(err, errlen, "%s: an event trace, not a recording (hvsim replay needs a "
			 "file written by --record; tools/hvtrace reads event traces)", path);
		tf_close(&r);
		return false;
	}
	struct loader l = { .f = f };
	bool ok = true;
	int got;
	while (ok && (got = tf_next_chunk(&r, 0)) == 1) {
		struct tf_cursor c;
		tf_cursor_init(&c, &r);
		if (r.chunk.type == TF_CHUNK_DATA && l.prev) /* deltas restart in every chunk */
			memset(l.prev, 0, f->schema.n * sizeof *l.prev);
		while (tf_cursor_more(&c) && one_record(&l, &c))
			tf_cursor_next_record(&c);
		if (!tf_cursor_finish(&c))
			ok = tf_cursor_error(&c, err, errlen);
	}
	if (ok && got < 0)
		ok = false;
	f->chunks = r.next_index;
	if (ok && !l.have_end)
		ok = tf_chunk_error(&r, err, errlen, "the recording has no end-of-run record "
				    "(file corrupt)");
	for (size_t i = 0; ok && i < f->nimg; i++)
		if (f->img[i].size != f->img[i].total)
			ok = tf_chunk_error(&r, err, errlen, "image %s is incomplete (%zu of %zu "
					    "bytes; file corrupt)", f->img[i].name, f->img[i].size,
					    f->img[i].total);
	free(l.prev);
	tf_close(&r);
	if (!ok)
		rec_free(f);
	return ok;
}

void rec_free(struct rec_file *f)
{
	for (size_t i = 0; i < f->nmeta; i++) {
		free(f->meta[i].key);
		free(f->meta[i].value);
	}
	for (size_t i = 0; i < f->nconfig; i++) {
		free(f->config[i].key);
		free(f->config[i].value);
	}
	free(f->meta);
	free(f->config);
	digest_schema_free(&f->schema);
	for (size_t i = 0; i < f->nimg; i++) {
		free(f->img[i].role);
		free(f->img[i].name);
		free(f->img[i].bytes);
	}
	free(f->img);
	for (size_t i = 0; i < f->ndigests; i++)
		free(f->digests[i].v);
	free(f->digests);
	for (size_t i = 0; i < f->ninputs; i++)
		free(f->inputs[i].bytes);
	free(f->inputs);
	free(f->end.ram);
	memset(f, 0, sizeof *f);
}
