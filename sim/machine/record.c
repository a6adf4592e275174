/* Writing a recording (record.h; docs/trace-format.md "Recordings"): the header chunks,
 * periodic digests at multiples of the interval, inputs, and the end of the run. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "record.h"
#include "sim/machine/hvsim_version.h"
#include "tracefile.h"

#define IMAGE_PART_BYTES (1u << 20) /* an image is stored in records of at most 1 MiB */
#define RECORDING_ZLIB_LEVEL 6      /* zlib's default: 9 is 4x slower for 0.3% smaller images */

struct recording {
	struct tf_writer w;
	uint64_t interval, next;
	struct digest_schema schema;
	uint64_t *prev, *cur;       /* digest values: the previous one in this chunk, and now */
};

struct recording *recording_create(const char *path, uint64_t interval, char *err,
				   size_t errlen)
{
	struct recording *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "%s: out of host memory", path);
		return NULL;
	}
	r->interval = interval ? interval : RECORD_INTERVAL_DEFAULT;
	if (!tf_create(&r->w, path, TF_KIND_RECORDING, RECORDING_ZLIB_LEVEL, err, errlen)) {
		free(r);
		return NULL;
	}
	return r;
}

bool recording_start(struct recording *r, struct machine *m, const char *command,
		     const struct rec_image *img, unsigned nimg, char *err, size_t errlen)
{
	struct tf_writer *w = &r->w;
	char v[32];
	tf_put_meta_kv(w, TF_REC_META, "creator", "hvsim " HVSIM_VERSION);
	tf_put_meta_kv(w, TF_REC_META, "command", command);
	snprintf(v, sizeof v, "%" PRIu64, r->interval);
	tf_put_meta_kv(w, TF_REC_META, "record_interval", v);
	config_each(&m->cfg, tf_put_config, w);

	if (!digest_schema_of(&r->schema, m) ||
	    !(r->prev = calloc(r->schema.n, sizeof *r->prev)) ||
	    !(r->cur = calloc(r->schema.n, sizeof *r->cur))) {
		snprintf(err, errlen, "out of host memory starting the recording");
		return false;
	}
	tf_begin_record(w, TF_CHUNK_META, TF_REC_SCHEMA, 0);
	tf_put_varint(w, r->schema.n);
	for (size_t i = 0; i < r->schema.n; i++) {
		tf_put_u8(w, r->schema.group[i]);
		tf_put_str(w, r->schema.names[i]);
	}
	tf_end_record(w);

	for (unsigned k = 0; k < nimg; k++) {
		size_t off = 0;
		do {
			size_t part = img[k].size - off;
			if (part > IMAGE_PART_BYTES)
				part = IMAGE_PART_BYTES;
			tf_begin_record(w, TF_CHUNK_IMAGE, TF_REC_IMAGE, 0);
			tf_put_str(w, img[k].role);
			tf_put_str(w, img[k].name);
			tf_put_varint(w, img[k].size);
			tf_put_varint(w, off);
			tf_put_bytes(w, img[k].bytes + off, part);
			tf_end_record(w);
			off += part;
		} while (off < img[k].size);
	}
	tf_flush_chunk(w);
	r->next = 0; /* the first digest: the state at entry */
	return true;
}

uint64_t recording_next_digest(const struct recording *r)
{
	return r->next;
}

/* DIGEST: v insn, u8 flags (1: final), v n, n x zigzag(value - previous value); the
 * previous values restart at zero in every chunk. */
static void write_digest(struct recording *r, uint64_t insn, uint8_t flags)
{
	struct tf_writer *w = &r->w;
	if (w->nrec == 0 || w->type != TF_CHUNK_DATA)
		memset(r->prev, 0, r->schema.n * sizeof *r->prev);
	tf_begin_record(w, TF_CHUNK_DATA, TF_REC_DIGEST, insn);
	tf_put_varint(w, insn);
	tf_put_u8(w, flags);
	tf_put_varint(w, r->schema.n);
	for (size_t i = 0; i < r->schema.n; i++)
		tf_put_svarint(w, (int64_t)(r->cur[i] - r->prev[i]));
	tf_end_record(w);
	memcpy(r->prev, r->cur, r->schema.n * sizeof *r->prev);
}

void recording_digest(struct recording *r, struct machine *m)
{
	uint64_t insn = m->cpu.insns_retired;
	digest_read(m, &r->schema, r->cur);
	write_digest(r, insn, 0);
	r->next = insn - insn % r->interval + r->interval;
}

void recording_input(struct recording *r, uint64_t insn, enum rec_input_source src,
		     const void *bytes, size_t n)
{
	tf_begin_record(&r->w, TF_CHUNK_DATA, TF_REC_INPUT, insn);
	tf_put_varint(&r->w, insn);
	tf_put_u8(&r->w, (uint8_t)src);
	tf_put_bytes(&r->w, bytes, n);
	tf_end_record(&r->w);
}

bool recording_finish(struct recording *r, struct machine *m, const struct console_tee *con,
		      char *err, size_t errlen)
{
	struct tf_writer *w = &r->w;
	const struct cpu *c = &m->cpu;
	digest_read(m, &r->schema, r->cur);
	write_digest(r, c->insns_retired, 1);

	uint64_t region = digest_ram_region_bytes(m->pm.size_bytes);
	uint64_t nregions = (m->pm.size_bytes + region - 1) / region;
	uint64_t *ram = calloc(nregions, sizeof *ram);
	if (!ram) {
		snprintf(err, errlen, "out of host memory finishing the recording");
		return false;
	}
	digest_ram(&m->pm, region, ram);
	/* END_RUN: v insn, v cycles, str stop, v exit status, str detail, v console bytes,
	 * v console CRC, v region bytes, v regions, regions x u64 hash */
	tf_begin_record(w, TF_CHUNK_DATA, TF_REC_END_RUN, c->insns_retired);
	tf_put_varint(w, c->insns_retired);
	tf_put_varint(w, c->cycles);
	tf_put_str(w, machine_stop_name(m->stop));
	tf_put_varint(w, (uint64_t)machine_exit_status(m));
	tf_put_str(w, c->stop_detail);
	tf_put_varint(w, con ? con->bytes : 0);
	tf_put_varint(w, con ? con->crc : 0);
	tf_put_varint(w, region);
	tf_put_varint(w, nregions);
	for (uint64_t i = 0; i < nregions; i++)
		tf_put_u64le(w, ram[i]);
	tf_end_record(w);
	free(ram);
	return tf_commit(w, err, errlen);
}

void recording_free(struct recording *r)
{
	if (!r)
		return;
	tf_abort(&r->w);
	digest_schema_free(&r->schema);
	free(r->prev);
	free(r->cur);
	free(r);
}
