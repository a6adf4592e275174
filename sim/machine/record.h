/* Recordings and event traces of a machine run (docs/trace-format.md).
 *
 * A recording (--record FILE) holds everything needed to run the same machine again:
 * the resolved configuration, the guest images' bytes, every non-deterministic input
 * with the instruction count it arrived at, digests of the architectural state and the
 * counters every --record-interval instructions, and how the run ended. `hvsim replay`
 * runs it again and checks every digest. An event trace (--trace FILE) is a stream of
 * TLB, flush and SVM events for tools/hvtrace.
 *
 * Every command that runs a machine takes the same options and makes the same four
 * calls: record_option() while parsing, capture_prepare() before machine_init,
 * capture_start() after machine_boot, capture_finish() after machine_run. */
#ifndef HVSIM_MACHINE_RECORD_H
#define HVSIM_MACHINE_RECORD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "machine.h"

/* ---- the options (record_option.c) ---- */

#define RECORD_INTERVAL_DEFAULT 1000000ull

struct record_options {
	const char *record_path;   /* --record FILE */
	uint64_t record_interval;  /* --record-interval N; 0: RECORD_INTERVAL_DEFAULT */
	const char *trace_path;    /* --trace FILE */
	unsigned trace_kinds;      /* --trace-events LIST (trace_event.h); 0: TK_DEFAULT */
	bool trace_kinds_given;
};

/* getopt_long values: far above any command's own */
enum {
	OPT_RECORD = 0x1000,
	OPT_RECORD_INTERVAL,
	OPT_TRACE,
	OPT_TRACE_EVENTS,
};

#define RECORD_LONG_OPTIONS                                                        \
	{ "record", required_argument, NULL, OPT_RECORD },                         \
	{ "record-interval", required_argument, NULL, OPT_RECORD_INTERVAL },       \
	{ "trace", required_argument, NULL, OPT_TRACE },                           \
	{ "trace-events", required_argument, NULL, OPT_TRACE_EVENTS }

#define RECORD_USAGE                                                                      \
	"  --record FILE          write a recording of the run (hvsim replay FILE checks it)\n" \
	"  --record-interval N    a digest of the state every N instructions (1000000)\n"  \
	"  --trace FILE           write an event trace (tools/hvtrace reads it)\n"         \
	"  --trace-events LIST    ref,fill,flush,exit,vmrun,hypercall; tlb = ref,fill; all;\n" \
	"                         default: all but ref (ref turns the fast path off)\n"

/* Handles one of the options above: 0 when handled, -1 when ch is not one of them, else
 * the exit status after printing the one-line error. */
int record_option(struct record_options *o, int ch, const char *arg);
/* Checks combinations after parsing (--trace-events without --trace...): 0 or a status. */
int record_options_check(const struct record_options *o);

/* ---- the configuration as key = value text (record_config.c) ---- */

typedef void (*config_emit_fn)(void *ctx, const char *key, const char *value);
/* Every key of the resolved configuration that changes what the machine does: mem_bytes,
 * cmdline, max_insns, max_cycles, check_tlb, tlb (one --tlb string), param.NAME. Not the
 * views (--trace-insns, --log) nor where output goes. */
void config_each(const struct machine_config *cfg, config_emit_fn emit, void *ctx);
/* Sets one key. cfg keeps pointers into value: it must outlive cfg. */
bool config_set(struct machine_config *cfg, const char *key, const char *value, char *err,
		size_t errlen);

/* ---- the console, hashed on its way out (console_tee.c) ---- */

struct console_tee {
	FILE *f;          /* give this to the machine as its console */
	FILE *out;        /* where the bytes go on to; NULL: discarded */
	uint64_t bytes;
	uint32_t crc;     /* CRC-32 (zlib) of every byte */
};

bool console_tee_open(struct console_tee *t, FILE *out);
void console_tee_close(struct console_tee *t);

/* ---- writing a recording (record.c) ---- */

struct recording;

/* One image embedded in a recording: role "image" (the one the loader starts) or
 * "module" (a boot module, in order). */
struct rec_image {
	const char *role, *name;
	const uint8_t *bytes;
	size_t size;
};

/* Input sources (TF_REC_INPUT) */
enum rec_input_source { REC_INPUT_CONSOLE = 0 };

struct recording *recording_create(const char *path, uint64_t interval, char *err,
				   size_t errlen);
/* Writes the creation details, the configuration, the digest schema and the images. */
bool recording_start(struct recording *r, struct machine *m, const char *command,
		     const struct rec_image *img, unsigned nimg, char *err, size_t errlen);
/* The instruction count of the next periodic digest. */
uint64_t recording_next_digest(const struct recording *r);
/* A periodic digest at the current instruction count (call it at recording_next_digest). */
void recording_digest(struct recording *r, struct machine *m);
/* A non-deterministic input that reached the machine between instructions, at the
 * current instruction count. A device that takes host input (a UART receiver) calls
 * this as it delivers it; replay delivers it again at the same count. */
void recording_input(struct recording *r, uint64_t insn, enum rec_input_source src,
		     const void *bytes, size_t n);
/* The final digest, how the run ended, the console's hash and RAM; then the file is
 * renamed into place. */
bool recording_finish(struct recording *r, struct machine *m, const struct console_tee *con,
		      char *err, size_t errlen);
/* Frees r; an unfinished recording's temporary file is removed. */
void recording_free(struct recording *r);

/* ---- event traces (trace.c) ---- */

struct event_trace;

struct event_trace *event_trace_create(const char *path, unsigned kinds, char *err,
				       size_t errlen);
/* Writes the creation details and the configuration and attaches the CPU hooks. */
void event_trace_start(struct event_trace *t, struct machine *m, const char *command);
/* How the run ended and its final counters; then the file is renamed into place. */
bool event_trace_finish(struct event_trace *t, struct machine *m, char *err, size_t errlen);
void event_trace_free(struct event_trace *t);

/* ---- one command's capture: recording and/or trace (capture.c) ---- */

struct capture;

/* Before machine_init. Reads the image (cfg->image_path) and the modules into memory,
 * so that the recording holds exactly the bytes that run (cfg->image_bytes,
 * mods[i].bytes), and puts the console tee in cfg->console. *out is NULL when neither
 * --record nor --trace was given. False with one line in err. */
bool capture_prepare(struct capture **out, const struct record_options *o,
		     struct machine_config *cfg, struct boot_module *mods, unsigned nmods,
		     char *err, size_t errlen);
/* After machine_boot: writes the headers and attaches the watch and the hooks. */
bool capture_start(struct capture *c, struct machine *m, const char *command, char *err,
		   size_t errlen);
/* After machine_run: the final records; the files are renamed into place. */
bool capture_finish(struct capture *c, struct machine *m, char *err, size_t errlen);
void capture_free(struct capture *c);

/* ---- hvsim replay (replay.c) ---- */

int cmd_replay(int argc, char **argv);

#endif
