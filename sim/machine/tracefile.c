/* The recording / event-trace container (docs/trace-format.md "Container"): writing
 * chunks atomically, reading them back without trusting a byte of the file. */
#include "tracefile.h"
#include "atomic_file.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK_TARGET_DEFAULT (1u << 20)

const char *tf_kind_name(unsigned kind)
{
	switch (kind) {
	case TF_KIND_RECORDING: return "recording";
	case TF_KIND_EVENTS: return "event trace";
	default: return "unknown";
	}
}

const char *tf_chunk_type_name(unsigned type)
{
	switch (type) {
	case TF_CHUNK_META: return "meta";
	case TF_CHUNK_IMAGE: return "image";
	case TF_CHUNK_DATA: return "data";
	case TF_CHUNK_END: return "end";
	default: return "unknown";
	}
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- writing ---- */

static void w_fail(struct tf_writer *w, int err)
{
	if (!w->failed)
		w->err = err;
	w->failed = true;
}

static void w_write(struct tf_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (fwrite(p, 1, n, w->f) != n) {
		w_fail(w, errno ? errno : EIO);
		return;
	}
	w->offset += n;
}

bool tf_create(struct tf_writer *w, const char *path, enum tf_kind kind, int level,
	       char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->level = level;
	w->chunk_target = CHUNK_TARGET_DEFAULT;
	w->path = strdup(path);
	w->tmp_path = atomic_temp_name(path);
	if (!w->path || !w->tmp_path) {
		snprintf(err, errlen, "%s: out of host memory", path);
		tf_abort(w);
		return false;
	}
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory; give a file name", path);
		tf_abort(w);
		return false;
	}
	int fd = atomic_temp_create(w->tmp_path);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a file in its directory: %s", path,
			 strerror(errno));
		free(w->tmp_path);
		w->tmp_path = NULL;
		tf_abort(w);
		return false;
	}
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		tf_abort(w);
		return false;
	}
	uint8_t pro[TF_PROLOGUE_BYTES] = { 0 };
	memcpy(pro, TF_MAGIC, TF_MAGIC_BYTES);
	le16(pro + 8, TF_VERSION);
	le16(pro + 10, (uint16_t)kind);
	w_write(w, pro, sizeof pro);
	return true;
}

static void w_reserve(struct tf_writer *w, size_t more)
{
	if (w->len + more <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 64 * 1024;
	while (cap < w->len + more)
		cap *= 2;
	uint8_t *b = realloc(w->buf, cap);
	if (!b) {
		w_fail(w, 0);
		return;
	}
	w->buf = b;
	w->cap = cap;
}

static void w_append(struct tf_writer *w, const void *p, size_t n)
{
	w_reserve(w, n);
	if (w->failed)
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void tf_put_u8(struct tf_writer *w, uint8_t v)
{
	w_append(w, &v, 1);
}

void tf_put_u64le(struct tf_writer *w, uint64_t v)
{
	uint8_t b[8];
	le64(b, v);
	w_append(w, b, 8);
}

void tf_put_raw(struct tf_writer *w, const void *p, size_t n)
{
	w_append(w, p, n);
}

/* LEB128: 7 bits a byte, low first, the top bit set on every byte but the last. */
void tf_put_varint(struct tf_writer *w, uint64_t v)
{
	uint8_t b[10];
	w_append(w, b, tf_encode_varint(b, v));
}

/* Zigzag: small magnitudes of either sign become small unsigned numbers. */
void tf_put_svarint(struct tf_writer *w, int64_t v)
{
	uint8_t b[10];
	w_append(w, b, tf_encode_svarint(b, v));
}

void tf_put_bytes(struct tf_writer *w, const void *p, size_t n)
{
	tf_put_varint(w, n);
	w_append(w, p, n);
}

void tf_put_str(struct tf_writer *w, const char *s)
{
	tf_put_bytes(w, s, strlen(s));
}

void tf_put_meta_kv(struct tf_writer *w, uint8_t type, const char *key, const char *value)
{
	tf_begin_record(w, TF_CHUNK_META, type, 0);
	tf_put_str(w, key);
	tf_put_str(w, value);
	tf_end_record(w);
}

void tf_put_config(void *ctx, const char *key, const char *value)
{
	tf_put_meta_kv(ctx, TF_REC_CONFIG, key, value);
}

static void write_chunk(struct tf_writer *w, uint8_t type, uint8_t compression,
			const uint8_t *payload, uint32_t stored, uint32_t raw, uint32_t nrec,
			uint64_t first_insn)
{
	uint8_t h[TF_CHUNK_HEADER_BYTES] = { 0 };
	le32(h, TF_CHUNK_MAGIC);
	h[4] = type;
	h[5] = compression;
	le32(h + 8, stored);
	le32(h + 12, raw);
	le32(h + 16, nrec);
	le64(h + 20, first_insn);
	uLong crc = crc32(0, h, 28);
	crc = crc32(crc, payload, stored);
	le32(h + 28, (uint32_t)crc);
	w_write(w, h, sizeof h);
	w_write(w, payload, stored);
	w->chunks++;
}

void tf_flush_chunk(struct tf_writer *w)
{
	if (w->failed || w->nrec == 0)
		return;
	if (w->len > TF_CHUNK_RAW_MAX) {
		fprintf(stderr, "hvsim: internal error: a %zu-byte chunk exceeds the format's "
			"limit\n", w->len);
		abort();
	}
	const uint8_t *payload = w->buf;
	uLong stored = w->len;
	uint8_t compression = TF_STORED;
	if (w->level > 0) {
		uLong bound = compressBound(w->len);
		if (bound > w->zcap) {
			uint8_t *z = realloc(w->zbuf, bound);
			if (!z) {
				w_fail(w, 0);
				return;
			}
			w->zbuf = z;
			w->zcap = bound;
		}
		stored = bound;
		if (compress2(w->zbuf, &stored, w->buf, w->len, w->level) != Z_OK) {
			w_fail(w, 0);
			return;
		}
		payload = w->zbuf;
		compression = TF_ZLIB;
	}
	write_chunk(w, w->type, compression, payload, (uint32_t)stored, (uint32_t)w->len,
		    w->nrec, w->first_insn);
	w->records += w->nrec;
	w->len = 0;
	w->nrec = 0;
}

void tf_begin_record(struct tf_writer *w, enum tf_chunk_type type, uint8_t rec_type,
		     uint64_t insn)
{
	if (w->nrec && w->type != type)
		tf_flush_chunk(w);
	w->type = (uint8_t)type;
	if (w->nrec == 0)
		w->first_insn = insn;
	tf_put_u8(w, rec_type);
}

void tf_end_record(struct tf_writer *w)
{
	w->nrec++;
	if (w->len >= w->chunk_target)
		tf_flush_chunk(w);
}

bool tf_commit(struct tf_writer *w, char *err, size_t errlen)
{
	tf_flush_chunk(w);
	/* The END chunk: how many chunks and records precede it (a reader that finds other
	 * numbers knows chunks went missing). */
	uint8_t *saved = w->buf;
	size_t saved_len = w->len, saved_cap = w->cap;
	w->buf = NULL;
	w->len = w->cap = 0;
	uint64_t chunks = w->chunks, records = w->records;
	tf_put_u8(w, TF_REC_END_OF_FILE);
	tf_put_varint(w, chunks);
	tf_put_varint(w, records);
	if (!w->failed)
		write_chunk(w, TF_CHUNK_END, TF_STORED, w->buf, (uint32_t)w->len,
			    (uint32_t)w->len, 1, 0);
	free(w->buf);
	w->buf = saved;
	w->len = saved_len;
	w->cap = saved_cap;

	if (!w->failed && fflush(w->f) != 0)
		w_fail(w, errno);
	if (!w->failed && fsync(fileno(w->f)) != 0 && errno != EINVAL)
		w_fail(w, errno);
	if (fclose(w->f) != 0)
		w_fail(w, errno);
	w->f = NULL;
	if (!w->failed && rename(w->tmp_path, w->path) != 0)
		w_fail(w, errno);
	if (w->failed) {
		snprintf(err, errlen, "%s: cannot write: %s", w->path,
			 w->err ? strerror(w->err) : "out of host memory");
		tf_abort(w);
		return false;
	}
	free(w->tmp_path);
	w->tmp_path = NULL;
	tf_abort(w);
	return true;
}

void tf_abort(struct tf_writer *w)
{
	if (w->f)
		fclose(w->f);
	w->f = NULL;
	if (w->tmp_path)
		unlink(w->tmp_path);
	free(w->tmp_path);
	free(w->path);
	free(w->buf);
	free(w->zbuf);
	w->tmp_path = w->path = NULL;
	w->buf = w->zbuf = NULL;
	w->len = w->cap = w->zcap = 0;
}

/* ---- reading ---- */

static bool r_fail(struct tf_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool r_fail(struct tf_reader *r, const char *fmt, ...)
{
	int n = snprintf(r->err, r->errlen, "%s: ", r->path);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

bool tf_chunk_error(const struct tf_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%s: chunk %u at offset 0x%" PRIx64 ": ", r->path,
			 r->chunk.index, r->chunk.offset);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static bool read_exact(struct tf_reader *r, void *p, size_t n)
{
	return fread(p, 1, n, r->f) == n;
}

bool tf_open(struct tf_reader *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->path = path;
	r->err = err;
	r->errlen = errlen;
	r->f = fopen(path, "rb");
	if (!r->f)
		return r_fail(r, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
		tf_close(r);
		return r_fail(r, "not a regular file; give a recording or an event trace");
	}
	r->size = (uint64_t)st.st_size;
	uint8_t pro[TF_PROLOGUE_BYTES];
	size_t got = fread(pro, 1, sizeof pro, r->f);
	bool ok = true;
	if (r->size == 0)
		ok = r_fail(r, "empty file (not an hvsim recording or event trace)");
	else if (got < TF_MAGIC_BYTES || memcmp(pro, TF_MAGIC, TF_MAGIC_BYTES) != 0)
		ok = r_fail(r, "bad magic: not an hvsim recording or event trace");
	else if (got < sizeof pro)
		ok = r_fail(r, "prologue truncated (%zu of %d bytes; file truncated)", got,
			    TF_PROLOGUE_BYTES);
	if (!ok) {
		tf_close(r);
		return false;
	}
	r->version = rd16(pro + 8);
	r->kind = rd16(pro + 10);
	uint32_t flags = rd32(pro + 12);
	if (r->version != TF_VERSION)
		ok = r_fail(r, "format version %u is not supported (this hvsim reads version %d; "
			    "the file is from another hvsim, or corrupt)", r->version, TF_VERSION);
	else if (r->kind != TF_KIND_RECORDING && r->kind != TF_KIND_EVENTS)
		ok = r_fail(r, "unknown file kind %u in the prologue (file corrupt)", r->kind);
	else if (flags != 0)
		ok = r_fail(r, "unknown prologue flags 0x%x (file corrupt)", flags);
	if (!ok) {
		tf_close(r);
		return false;
	}
	r->next_offset = TF_PROLOGUE_BYTES;
	return true;
}

void tf_close(struct tf_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
	free(r->stored);
	free(r->raw);
	r->stored = r->raw = NULL;
	r->stored_cap = r->raw_cap = 0;
}

static bool grow(uint8_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	uint8_t *n = realloc(*p, need ? need : 1);
	if (!n)
		return false;
	*p = n;
	*cap = need;
	return true;
}

/* The END chunk's one record: the counts must match what came before it. */
static int check_end(struct tf_reader *r)
{
	struct tf_cursor c;
	tf_cursor_init(&c, r);
	if (tf_get_u8(&c) != TF_REC_END_OF_FILE && !c.bad)
		tf_cursor_fail(&c, "not an end-of-file record");
	uint64_t chunks = tf_get_varint(&c), records = tf_get_varint(&c);
	tf_cursor_next_record(&c);
	if (!tf_cursor_finish(&c))
		return tf_cursor_error(&c, r->err, r->errlen), -1;
	if (chunks != r->chunk.index || records != r->records_seen)
		return tf_chunk_error(r, r->err, r->errlen, "the END chunk counts %" PRIu64
				      " chunks and %" PRIu64 " records, the file holds %u and %"
				      PRIu64 " (chunks lost; file corrupt)", chunks, records,
				      r->chunk.index, r->records_seen), -1;
	if (r->next_offset != r->size)
		return r_fail(r, "%" PRIu64 " bytes after the END chunk at offset 0x%" PRIx64
			      " (file corrupt)", r->size - r->next_offset, r->chunk.offset), -1;
	r->at_end = true;
	return 0;
}

int tf_next_chunk(struct tf_reader *r, unsigned skip_types)
{
	if (r->at_end)
		return 0;
	struct tf_chunk *ch = &r->chunk;
	memset(ch, 0, sizeof *ch);
	ch->index = r->next_index;
	ch->offset = r->next_offset;
	if (ch->offset >= r->size) {
		r_fail(r, "ends after %u chunks at offset 0x%" PRIx64 " without an END chunk "
		       "(file truncated)", ch->index, ch->offset);
		return -1;
	}
	uint8_t h[TF_CHUNK_HEADER_BYTES];
	uint64_t left = r->size - ch->offset;
	if (fseeko(r->f, (off_t)ch->offset, SEEK_SET) != 0 ||
	    left < TF_CHUNK_HEADER_BYTES || !read_exact(r, h, sizeof h)) {
		tf_chunk_error(r, r->err, r->errlen, "header truncated (%" PRIu64 " of %d bytes; "
			       "file truncated)", left < TF_CHUNK_HEADER_BYTES ? left : 0,
			       TF_CHUNK_HEADER_BYTES);
		return -1;
	}
	ch->type = h[4];
	ch->compression = h[5];
	ch->stored_bytes = rd32(h + 8);
	ch->raw_bytes = rd32(h + 12);
	ch->records = rd32(h + 16);
	ch->first_insn = rd64(h + 20);
	uint32_t crc = rd32(h + 28);
	const char *bad = NULL;
	if (rd32(h) != TF_CHUNK_MAGIC)
		bad = "bad chunk magic";
	else if (ch->type == 0 || ch->type >= TF_NR_CHUNK_TYPES)
		bad = "unknown chunk type";
	else if (ch->compression > TF_ZLIB)
		bad = "unknown compression";
	else if (rd16(h + 6) != 0)
		bad = "reserved header bytes are not zero";
	else if (ch->raw_bytes > TF_CHUNK_RAW_MAX)
		bad = "uncompressed length exceeds the format's 16 MiB limit";
	else if (ch->compression == TF_STORED ? ch->stored_bytes != ch->raw_bytes
					      : ch->stored_bytes > compressBound(ch->raw_bytes))
		bad = "stored length does not fit the uncompressed length";
	else if (ch->records > ch->raw_bytes || (ch->raw_bytes && !ch->records))
		bad = "record count does not fit the length";
	if (bad) {
		tf_chunk_error(r, r->err, r->errlen, "%s (file corrupt)", bad);
		return -1;
	}
	if (ch->stored_bytes > left - TF_CHUNK_HEADER_BYTES) {
		tf_chunk_error(r, r->err, r->errlen, "payload truncated (%u bytes, %" PRIu64
			       " left in the file; file truncated)", ch->stored_bytes,
			       left - TF_CHUNK_HEADER_BYTES);
		return -1;
	}
	r->next_index++;
	r->next_offset = ch->offset + TF_CHUNK_HEADER_BYTES + ch->stored_bytes;
	if (ch->type != TF_CHUNK_END)
		r->records_seen += ch->records;
	if (ch->type != TF_CHUNK_END && ((skip_types >> ch->type) & 1))
		return 1;

	if (!grow(&r->stored, &r->stored_cap, ch->stored_bytes) ||
	    !grow(&r->raw, &r->raw_cap, ch->raw_bytes)) {
		tf_chunk_error(r, r->err, r->errlen, "out of host memory");
		return -1;
	}
	if (!read_exact(r, r->stored, ch->stored_bytes)) {
		tf_chunk_error(r, r->err, r->errlen, "read error: %s",
			       ferror(r->f) ? strerror(errno) : "short read");
		return -1;
	}
	uLong sum = crc32(0, h, 28);
	sum = crc32(sum, r->stored, ch->stored_bytes);
	if ((uint32_t)sum != crc) {
		tf_chunk_error(r, r->err, r->errlen, "CRC mismatch (file corrupt)");
		return -1;
	}
	if (ch->compression == TF_ZLIB) {
		uLongf n = ch->raw_bytes;
		int zr = uncompress(r->raw, &n, r->stored, ch->stored_bytes);
		if (zr != Z_OK || n != ch->raw_bytes) {
			tf_chunk_error(r, r->err, r->errlen, "zlib data does not decompress to "
				       "its %u bytes (file corrupt)", ch->raw_bytes);
			return -1;
		}
	} else {
		memcpy(r->raw, r->stored, ch->stored_bytes);
	}
	if (ch->type == TF_CHUNK_END)
		return check_end(r);
	return 1;
}

/* ---- decoding records ---- */

void tf_cursor_init(struct tf_cursor *c, const struct tf_reader *r)
{
	c->r = r;
	c->p = r->raw;
	c->end = r->raw + r->chunk.raw_bytes;
	c->record = 0;
	c->bad = NULL;
}

bool tf_cursor_more(const struct tf_cursor *c)
{
	return !c->bad && c->record < c->r->chunk.records;
}

void tf_cursor_fail(struct tf_cursor *c, const char *why)
{
	if (!c->bad)
		c->bad = why;
	c->p = c->end;
}

static bool need(struct tf_cursor *c, size_t n)
{
	if (c->bad)
		return false;
	if ((size_t)(c->end - c->p) < n) {
		tf_cursor_fail(c, "record runs past the end of its chunk");
		return false;
	}
	return true;
}

uint8_t tf_get_u8_slow(struct tf_cursor *c)
{
	return need(c, 1) ? *c->p++ : 0;
}

uint64_t tf_get_u64le(struct tf_cursor *c)
{
	if (!need(c, 8))
		return 0;
	uint64_t v = rd64(c->p);
	c->p += 8;
	return v;
}

uint64_t tf_get_varint_slow(struct tf_cursor *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (!need(c, 1))
			return 0;
		uint8_t b = *c->p++;
		if (shift == 63 && b > 1) {
			tf_cursor_fail(c, "varint overflows 64 bits");
			return 0;
		}
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80))
			return v;
	}
	tf_cursor_fail(c, "varint longer than 10 bytes");
	return 0;
}

const uint8_t *tf_get_bytes(struct tf_cursor *c, size_t *n)
{
	uint64_t len = tf_get_varint(c);
	*n = 0;
	if (c->bad)
		return NULL;
	if (len > (uint64_t)(c->end - c->p)) {
		tf_cursor_fail(c, "byte string runs past the end of its chunk");
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += len;
	*n = (size_t)len;
	return p;
}

void tf_get_str(struct tf_cursor *c, char *buf, size_t len)
{
	size_t n;
	const uint8_t *p = tf_get_bytes(c, &n);
	buf[0] = 0;
	if (!p)
		return;
	if (n >= len || memchr(p, 0, n)) {
		tf_cursor_fail(c, n >= len ? "string too long" : "string holds a NUL byte");
		return;
	}
	memcpy(buf, p, n);
	buf[n] = 0;
}

uint64_t tf_get_count(struct tf_cursor *c, size_t min_bytes)
{
	uint64_t n = tf_get_varint(c);
	if (!c->bad && min_bytes && n > (uint64_t)(c->end - c->p) / min_bytes) {
		tf_cursor_fail(c, "element count larger than the record");
		return 0;
	}
	return n;
}

void tf_cursor_next_record(struct tf_cursor *c)
{
	if (!c->bad)
		c->record++;
}

bool tf_cursor_finish(struct tf_cursor *c)
{
	if (c->bad)
		return false;
	if (c->record != c->r->chunk.records || c->p != c->end) {
		tf_cursor_fail(c, c->p != c->end ? "bytes left after the chunk's last record"
						 : "fewer records than the chunk header counts");
		return false;
	}
	return true;
}

bool tf_cursor_error(const struct tf_cursor *c, char *err, size_t errlen)
{
	return tf_chunk_error(c->r, err, errlen, "record %u: %s (file corrupt)", c->record,
			      c->bad ? c->bad : "malformed");
}
