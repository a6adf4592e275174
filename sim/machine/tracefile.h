/* The container shared by recordings (`--record`, `hvsim replay`) and event traces
 * (`--trace`, tools/hvtrace): a 16-byte prologue, then chunks, each zlib-compressed with
 * its length, record count and CRC-32, ending with an END chunk. docs/trace-format.md is
 * the specification; this file and tracefile.c are its only implementation.
 *
 * Reading never trusts the file: every length is bounded, every chunk's CRC is checked
 * before a byte of it is decoded, and every error is one line naming the chunk and its
 * offset ("chunk 3 at offset 0x1a2b: CRC mismatch (file corrupt)"). */
#ifndef HVSIM_MACHINE_TRACEFILE_H
#define HVSIM_MACHINE_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the layout (docs/trace-format.md "Container") ---- */

#define TF_MAGIC "HVSIMTRC"           /* 8 bytes at offset 0 */
#define TF_MAGIC_BYTES 8
#define TF_VERSION 1
#define TF_PROLOGUE_BYTES 16          /* magic, u16 version, u16 kind, u32 flags (0) */

enum tf_kind { TF_KIND_RECORDING = 1, TF_KIND_EVENTS = 2 };

#define TF_CHUNK_MAGIC 0x4B4E4843u    /* "CHNK" little-endian */
#define TF_CHUNK_HEADER_BYTES 32
#define TF_CHUNK_RAW_MAX (16u << 20)  /* a chunk's records, uncompressed: at most 16 MiB */

enum tf_chunk_type {
	TF_CHUNK_META = 1,   /* creation details, configuration, digest schema */
	TF_CHUNK_IMAGE = 2,  /* the guest images' bytes */
	TF_CHUNK_DATA = 3,   /* time-ordered records: digests, inputs, events */
	TF_CHUNK_END = 4,    /* one TF_REC_END_OF_FILE record; nothing may follow */
	TF_NR_CHUNK_TYPES
};

enum tf_compression { TF_STORED = 0, TF_ZLIB = 1 };

/* Record types. Every record starts with one of these bytes; docs/trace-format.md lists
 * each one's fields. 0x01-0x0F are shared, 0x10-0x1F are event-trace records. */
enum tf_record_type {
	TF_REC_META = 0x01,        /* str key, str value: creation details */
	TF_REC_CONFIG = 0x02,      /* str key, str value: the resolved machine configuration */
	TF_REC_IMAGE = 0x03,       /* str role, str name, v total, v offset, bytes */
	TF_REC_SCHEMA = 0x04,      /* v n, n x (u8 group, str name): what a digest holds */
	TF_REC_DIGEST = 0x05,      /* v insn, v n, n x zigzag(delta): state and counters */
	TF_REC_INPUT = 0x06,       /* v insn, u8 source, bytes: a non-deterministic input */
	TF_REC_END_RUN = 0x07,     /* how the run ended (recordings and event traces) */
	TF_REC_COUNTERS = 0x08,    /* v n, n x (str name, v value): a run's final counters */
	TF_REC_END_OF_FILE = 0x09, /* v chunks before the END chunk, v records in them */
	TF_REC_REF = 0x10,         /* event records: trace_event.h */
	TF_REC_FILL = 0x11,
	TF_REC_FLUSH = 0x12,
	TF_REC_EXIT = 0x13,
	TF_REC_VMRUN = 0x14,
	TF_REC_HYPERCALL = 0x15,
};

const char *tf_kind_name(unsigned kind);
const char *tf_chunk_type_name(unsigned type);

/* ---- writing ---- */

/* Records are appended to the open chunk; tf_end_record counts them and flushes the
 * chunk once it holds about chunk_target bytes. The file is created under a temporary
 * name in the destination's directory and renamed over the destination by tf_commit:
 * a reader never sees a half-written file (DESIGN.md). */
struct tf_writer {
	FILE *f;
	char *path, *tmp_path;
	int level;                 /* zlib level */
	size_t chunk_target;
	uint8_t type;              /* enum tf_chunk_type of the open chunk */
	uint8_t *buf;              /* the open chunk's records */
	size_t len, cap;
	uint32_t nrec;
	uint64_t first_insn;       /* instruction count of the chunk's first DATA record */
	uint8_t *zbuf;             /* compression output */
	size_t zcap;
	uint64_t offset;           /* bytes written so far */
	uint64_t chunks, records;  /* written so far */
	bool failed;               /* out of memory or an I/O error: tf_commit reports it */
	int err;                   /* errno of the first failure (0: out of memory) */
};

/* Creates path's temporary twin and writes the prologue. False with one line in err. */
bool tf_create(struct tf_writer *w, const char *path, enum tf_kind kind, int level,
	       char *err, size_t errlen);
/* Starts a record in a chunk of `type` (flushing the open chunk if it has another type).
 * insn: the record's instruction count, kept as the chunk's first_insn. */
void tf_begin_record(struct tf_writer *w, enum tf_chunk_type type, uint8_t rec_type,
		     uint64_t insn);
void tf_end_record(struct tf_writer *w);
void tf_put_u8(struct tf_writer *w, uint8_t v);
void tf_put_u64le(struct tf_writer *w, uint64_t v);
void tf_put_varint(struct tf_writer *w, uint64_t v);
void tf_put_svarint(struct tf_writer *w, int64_t v);   /* zigzag */
void tf_put_str(struct tf_writer *w, const char *s);
void tf_put_bytes(struct tf_writer *w, const void *p, size_t n); /* varint length, bytes */
void tf_put_raw(struct tf_writer *w, const void *p, size_t n);
/* One whole META-chunk record of two strings (TF_REC_META or TF_REC_CONFIG) */
void tf_put_meta_kv(struct tf_writer *w, uint8_t type, const char *key, const char *value);
/* config_each's callback (record_config): one TF_REC_CONFIG record into the writer ctx */
void tf_put_config(void *ctx, const char *key, const char *value);
/* Encoders into a caller's buffer (at least 10 bytes free): hot paths build a record
 * there and append it with tf_put_raw. Return the bytes written. */
static inline size_t tf_encode_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline size_t tf_encode_svarint(uint8_t *p, int64_t v)
{
	return tf_encode_varint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Writes the open chunk, if any. */
void tf_flush_chunk(struct tf_writer *w);
/* Writes the END chunk, flushes to disk and renames the file into place. */
bool tf_commit(struct tf_writer *w, char *err, size_t errlen);
/* Removes the temporary file (after a failure, or when the run is abandoned). */
void tf_abort(struct tf_writer *w);

/* ---- reading ---- */

struct tf_chunk {
	unsigned index;            /* 0-based, in file order */
	uint64_t offset;           /* of its header */
	uint8_t type, compression;
	uint32_t stored_bytes, raw_bytes, records;
	uint64_t first_insn;
};

struct tf_reader {
	const char *path;          /* for messages: as the user gave it */
	FILE *f;
	uint64_t size;             /* bytes in the file */
	uint16_t version, kind;
	struct tf_chunk chunk;     /* the current chunk */
	unsigned next_index;
	uint64_t next_offset;
	uint64_t records_seen;
	bool at_end;               /* the END chunk was read and checked */
	uint8_t *stored, *raw;     /* the current chunk: as stored, and decompressed */
	size_t stored_cap, raw_cap;
	char *err;                 /* the caller's buffer */
	size_t errlen;
};

/* Opens path and checks the prologue. False with one line in err ("FILE: ..."). */
bool tf_open(struct tf_reader *r, const char *path, char *err, size_t errlen);
void tf_close(struct tf_reader *r);
/* Reads the next chunk's header and, unless skip_types has its type's bit set
 * (1u << type), its payload: checks the CRC and decompresses it into r->raw. Returns 1
 * with r->chunk filled, 0 after the END chunk (checked against the chunks and records
 * seen), -1 on an error (in err). A skipped chunk's payload is neither read nor checked. */
int tf_next_chunk(struct tf_reader *r, unsigned skip_types);

/* A cursor over the records of one chunk. Decoding errors stick: after the first, every
 * get returns 0 and tf_cursor_error says what and where. */
struct tf_cursor {
	const struct tf_reader *r;
	const uint8_t *p, *end;
	uint32_t record;           /* index of the record being decoded */
	const char *bad;           /* NULL: no error so far */
};

void tf_cursor_init(struct tf_cursor *c, const struct tf_reader *r);
bool tf_cursor_more(const struct tf_cursor *c);
uint8_t tf_get_u8_slow(struct tf_cursor *c);
uint64_t tf_get_varint_slow(struct tf_cursor *c);
uint64_t tf_get_u64le(struct tf_cursor *c);

/* The common cases inline (a reader decodes millions of these): one byte in bounds. */
static inline uint8_t tf_get_u8(struct tf_cursor *c)
{
	if (__builtin_expect(c->p < c->end, 1))
		return *c->p++;
	return tf_get_u8_slow(c);
}

static inline uint64_t tf_get_varint(struct tf_cursor *c)
{
	if (__builtin_expect(c->p < c->end && *c->p < 0x80, 1))
		return *c->p++;
	return tf_get_varint_slow(c);
}

static inline int64_t tf_get_svarint(struct tf_cursor *c)
{
	uint64_t u = tf_get_varint(c);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}
/* A string into buf (NUL-terminated); too long for buf is an error. */
void tf_get_str(struct tf_cursor *c, char *buf, size_t len);
/* Bytes in place: *n receives their length; the pointer is valid until the next chunk. */
const uint8_t *tf_get_bytes(struct tf_cursor *c, size_t *n);
/* A count of elements that each take at least min_bytes: bounded by what is left. */
uint64_t tf_get_count(struct tf_cursor *c, size_t min_bytes);
void tf_cursor_fail(struct tf_cursor *c, const char *why);
/* Ends a record (tf_cursor_next_record) and, at the chunk's end, checks the count. */
void tf_cursor_next_record(struct tf_cursor *c);
bool tf_cursor_finish(struct tf_cursor *c);
/* One line: "FILE: chunk N at offset 0x..: record R: WHY (file corrupt)". False. */
bool tf_cursor_error(const struct tf_cursor *c, char *err, size_t errlen);

/* A chunk-positioned error for callers that check a record's meaning: "FILE: chunk N
 * at offset 0x..: WHAT". Returns false. */
bool tf_chunk_error(const struct tf_reader *r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
