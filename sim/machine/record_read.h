/* Reading a whole recording into memory (docs/trace-format.md "Recordings"), checking
 * every chunk and every record before anything runs: a corrupt or truncated file is one
 * line of error and never a partial replay. hvsim replay and tools/hvtrace use it. */
#ifndef HVSIM_MACHINE_RECORD_READ_H
#define HVSIM_MACHINE_RECORD_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "tracefile.h"

struct rec_kv {
	char *key, *value;
};

struct rec_loaded_image {
	char *role, *name;
	uint8_t *bytes;
	size_t size, total;
};

struct rec_digest {
	uint64_t insn;
	bool final;
	uint64_t *v;                /* schema.n values, in the recorded schema's order */
};

struct rec_input {
	uint64_t insn;
	uint8_t source;
	uint8_t *bytes;
	size_t n;
};

/* END_RUN (shared with event traces) */
struct rec_end {
	uint64_t insn, cycles;
	char stop[32];
	uint64_t exit_status;
	char detail[400];
	uint64_t console_bytes, console_crc;
	uint64_t region_bytes, nregions;
	uint64_t *ram;              /* nregions hashes */
};

struct rec_file {
	struct rec_kv *meta, *config;
	size_t nmeta, nconfig;
	struct digest_schema schema;
	struct rec_loaded_image *img;
	size_t nimg;
	struct rec_digest *digests; /* in file order; the last one is final */
	size_t ndigests;
	struct rec_input *inputs;
	size_t ninputs;
	struct rec_end end;
	uint64_t file_bytes;
	unsigned chunks;
};

/* False with one line in err ("FILE: chunk 3 at offset 0x1a2b: CRC mismatch (file
 * corrupt)", "FILE: an event trace, not a recording ..."). */
bool rec_load(const char *path, struct rec_file *f, char *err, size_t errlen);
void rec_free(struct rec_file *f);
/* The value of a META or CONFIG key, or NULL. */
const char *rec_kv_get(const struct rec_kv *kv, size_t n, const char *key);
/* Reads an END_RUN record (the type byte already read); the caller frees end->ram. */
void rec_read_end(struct tf_cursor *c, struct rec_end *end);

#endif
