/* A fuzz test of the readers (sim/machine/tracefile.c, record_read.c, trace_event.c and
 * hvtrace's walk.c): for a bounded time, random bytes and random mutations of a valid
 * recording and of a valid event trace go through rec_load and ht_walk in this process,
 * so that a sanitizer build catches any out-of-bounds access or leak. Mutations are raw
 * (flipped bits, truncation, garbage) and behind a recomputed CRC (a chunk's records are
 * decompressed, damaged and compressed again), which the record decoders must catch.
 *
 * usage: trace_fuzz RECORDING [--seconds N]    (exit 0 unless a reader misbehaves) */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/machine/record_read.h"
#include "sim/machine/trace_event.h"
#include "sim/machine/tracefile.h"
#include "tools/hvtrace/hvtrace.h"

struct buf {
	uint8_t *p;
	size_t n;
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull; /* fixed seed: the same sequence every run */

static uint64_t rnd(void)
{
	/* xorshift64 (Marsaglia 2003) */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static struct buf slurp(const char *path)
{
	struct buf b = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return b;
	fseek(f, 0, SEEK_END);
	b.n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc(b.n ? b.n : 1);
	if (b.p && fread(b.p, 1, b.n, f) != b.n)
		b.n = 0;
	fclose(f);
	return b;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

/* An event trace with every kind of record, written by the real encoder */
static bool make_trace(const char *path)
{
	struct tf_writer w;
	char err[256];
	if (!tf_create(&w, path, TF_KIND_EVENTS, 6, err, sizeof err))
		return false;
	tf_begin_record(&w, TF_CHUNK_META, TF_REC_META, 0);
	tf_put_str(&w, "events");
	tf_put_str(&w, "all");
	tf_end_record(&w);
	tf_begin_record(&w, TF_CHUNK_META, TF_REC_CONFIG, 0);
	tf_put_str(&w, "tlb");
	tf_put_str(&w, "l2.entries=64,l2.ways=4");
	tf_end_record(&w);
	struct trace_codec codec = { 0 };
	for (unsigned i = 0; i < 3000; i++) {
		struct trace_event ev = { .kind = i % TK_NR_KINDS, .insn = i * 7, .cycles = i * 11,
					  .asid = i % 3 };
		switch (ev.kind) {
		case TK_REF:
			ev.ref.va = 0x400000 + (rnd() & 0xFFFFF);
			ev.ref.access = (uint8_t)(i % 3);
			ev.ref.level = (uint8_t)(i % 3);
			ev.ref.walked = ev.ref.level == 2;
			ev.ref.fault = (i % 17) == 0;
			ev.ref.pa = ev.ref.va & ~0xFFFull;
			ev.ref.flags = 0x1B;
			ev.ref.repeat = i % 5;
			break;
		case TK_FILL:
			ev.fill.va = ev.fill.pa = 0x200000;
			ev.fill.size = 1;
			ev.fill.span = 2; /* a 2 MiB piece of a 1 GiB guest page */
			ev.fill.tlb_kind = 1;
			break;
		case TK_FLUSH:
			ev.flush.kind = (uint8_t)(i % 7);
			ev.flush.performed = true;
			snprintf(ev.flush.cause, sizeof ev.flush.cause, "MOV CR3");
			break;
		case TK_EXIT:
			ev.exit.code = 0x81;
			break;
		default:
			break;
		}
		trace_event_write(&w, &codec, &ev);
	}
	tf_begin_record(&w, TF_CHUNK_DATA, TF_REC_END_RUN, 21000);
	for (int i = 0; i < 2; i++)
		tf_put_varint(&w, 21000);
	tf_put_str(&w, "guest-exit");
	tf_put_varint(&w, 0);
	tf_put_str(&w, "");
	for (int i = 0; i < 4; i++)
		tf_put_varint(&w, 0);
	tf_end_record(&w);
	return tf_commit(&w, err, sizeof err);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The chunk offsets of a well-formed file */
static size_t chunk_offsets(const struct buf *b, size_t *off, size_t max)
{
	size_t n = 0, at = TF_PROLOGUE_BYTES;
	while (n < max && at + TF_CHUNK_HEADER_BYTES <= b->n) {
		off[n++] = at;
		at += TF_CHUNK_HEADER_BYTES + rd32(b->p + at + 8);
	}
	return n;
}

/* Damages one chunk's records and re-frames it with a correct length and CRC. */
static struct buf mutate_behind_crc(const struct buf *src)
{
	size_t off[256];
	size_t nch = chunk_offsets(src, off, 256);
	struct buf out = { malloc(src->n + 70000), 0 };
	if (!nch || !out.p)
		return out;
	size_t pick = below(nch);
	memcpy(out.p, src->p, TF_PROLOGUE_BYTES);
	out.n = TF_PROLOGUE_BYTES;
	for (size_t i = 0; i < nch; i++) {
		const uint8_t *h = src->p + off[i];
		uint32_t stored = rd32(h + 8), raw = rd32(h + 12);
		uint8_t head[TF_CHUNK_HEADER_BYTES];
		memcpy(head, h, sizeof head);
		const uint8_t *payload = h + TF_CHUNK_HEADER_BYTES;
		uint8_t *tmp = NULL, *z = NULL;
		if (i == pick && raw <= (1u << 20)) {
			uLongf n = raw + 64;
			tmp = malloc(n);
			if (h[5] == TF_ZLIB ? uncompress(tmp, &n, payload, stored) == Z_OK
					    : (memcpy(tmp, payload, stored), n = stored, true)) {
				for (int k = 0, m = 1 + (int)below(4); k < m && n; k++) {
					size_t at = below(n);
					switch (below(3)) {
					case 0: tmp[at] ^= (uint8_t)(1u << below(8)); break;
					case 1: tmp[at] = 0xFF; break;
					default: n = at; break; /* cut the records short */
					}
				}
				uLongf zn = compressBound(n);
				z = malloc(zn);
				compress2(z, &zn, tmp, n, 1);
				head[5] = TF_ZLIB;
				wr32(head + 8, (uint32_t)zn);
				wr32(head + 12, (uint32_t)n);
				payload = z;
				stored = (uint32_t)zn;
			}
		}
		uLong crc = crc32(crc32(0, head, 28), payload, stored);
		wr32(head + 28, (uint32_t)crc);
		if (out.n + sizeof head + stored <= src->n + 70000) {
			memcpy(out.p + out.n, head, sizeof head);
			memcpy(out.p + out.n + sizeof head, payload, stored);
			out.n += sizeof head + stored;
		}
		free(tmp);
		free(z);
	}
	return out;
}

static struct buf mutate(const struct buf *src)
{
	struct buf b = { malloc(src->n + 64), src->n };
	if (!b.p)
		return b;
	memcpy(b.p, src->p, src->n);
	switch (below(5)) {
	case 0:
		for (size_t k = 0, m = 1 + below(8); k < m && b.n; k++)
			b.p[below(b.n)] ^= (uint8_t)(1u << below(8));
		break;
	case 1:
		b.n = below(b.n + 1);
		break;
	case 2:
		b.n = below(64);
		for (size_t i = 0; i < b.n; i++)
			b.p[i] = (uint8_t)rnd();
		if (rnd() & 1 && b.n >= 8)
			memcpy(b.p, TF_MAGIC, 8);
		break;
	default:
		free(b.p);
		return mutate_behind_crc(src);
	}
	return b;
}

static bool touch_event(void *ctx, const struct trace_event *ev)
{
	*(uint64_t *)ctx += ev->insn + ev->asid;
	return true;
}

int main(int argc, char **argv)
{
	double seconds = 3;
	const char *recording = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else
			recording = argv[i];
	}
	if (!recording) {
		fprintf(stderr, "usage: trace_fuzz RECORDING [--seconds N]\n");
		return 2;
	}
	char dir[] = "/tmp/hvsim-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char trace_path[64], case_path[64];
	snprintf(trace_path, sizeof trace_path, "%s/t.hvtr", dir);
	snprintf(case_path, sizeof case_path, "%s/case", dir);
	struct buf bases[2] = { slurp(recording), { 0 } };
	if (!bases[0].n || !make_trace(trace_path)) {
		fprintf(stderr, "trace_fuzz: cannot read %s or write %s\n", recording, trace_path);
		return 2;
	}
	bases[1] = slurp(trace_path);

	/* The valid files read back first: the readers must accept them. */
	char err[1024];
	struct rec_file rf;
	struct ht_trace t;
	uint64_t sink = 0;
	struct ht_visitor v = { .ctx = &sink, .event = touch_event };
	if (!rec_load(recording, &rf, err, sizeof err)) {
		fprintf(stderr, "trace_fuzz: the valid recording is refused: %s\n", err);
		return 1;
	}
	rec_free(&rf);
	if (ht_walk(trace_path, &t, &v, false) != 0) {
		fprintf(stderr, "trace_fuzz: the valid trace is refused\n");
		return 1;
	}
	ht_trace_free(&t);

	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(null, 2); /* ht_walk prints each refusal; thousands of them */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t cases = 0, accepted = 0;
	do {
		struct buf m = mutate(&bases[below(2)]);
		spit(case_path, m.p, m.n);
		free(m.p);
		if (rec_load(case_path, &rf, err, sizeof err)) {
			accepted++;
			rec_free(&rf);
		}
		if (ht_walk(case_path, &t, &v, true) == 0)
			accepted++;
		ht_trace_free(&t);
		cases++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 <
		 seconds);
	dup2(saved, 2);
	unlink(case_path);
	unlink(trace_path);
	rmdir(dir);
	free(bases[0].p);
	free(bases[1].p);
	printf("trace_fuzz: %" PRIu64 " mutated files read, %" PRIu64 " reads accepted, no "
	       "crash\n", cases, accepted);
	return 0;
}
