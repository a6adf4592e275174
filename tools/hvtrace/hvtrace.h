/* hvtrace: reads hvsim's event traces and recordings (docs/trace-format.md).
 *   hvtrace info FILE         header, records per kind, sizes, chunks
 *   hvtrace dump FILE         the events as text (the teaching view)
 *   hvtrace stats FILE        summary counters computed from the trace
 *   hvtrace tlb-replay FILE   the trace's references and flushes through the TLB model
 * Errors are one line, "hvtrace: FILE: ...", exit status 2 (a corrupt or truncated file,
 * bad usage); 1 when tlb-replay --verify finds a reference whose outcome differs; else 0. */
#ifndef HVSIM_TOOLS_HVTRACE_H
#define HVSIM_TOOLS_HVTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/machine/record_read.h"
#include "sim/machine/trace_event.h"
#include "sim/machine/tracefile.h"

#define HT_ERR_LEN 1024

/* What an event trace says besides its events */
struct ht_trace {
	const char *path;
	uint16_t kind;                  /* enum tf_kind */
	uint64_t file_bytes;
	struct rec_kv *meta, *config;
	size_t nmeta, nconfig;
	struct rec_end end;
	bool have_end;
	char **counter_name;            /* the run's final counters (TF_REC_COUNTERS) */
	uint64_t *counter_value;
	size_t ncounters;
	uint64_t per_kind[TK_NR_KINDS]; /* event records of each kind */
	uint64_t chunks, stored_bytes, raw_bytes;
};

/* Called for each chunk (after its checks) and each event, in file order. Returning
 * false from event stops the walk early (not an error). */
struct ht_visitor {
	void *ctx;
	void (*chunk)(void *ctx, const struct tf_chunk *ch);
	bool (*event)(void *ctx, const struct trace_event *ev);
};

/* Walks an event trace. Returns 0, or 2 after printing the one-line error (t is then
 * already freed; ht_trace_free on it again is harmless). A recording
 * is an error unless allow_recording (then only its chunks are visited; read it with
 * rec_load). */
int ht_walk(const char *path, struct ht_trace *t, const struct ht_visitor *v,
	    bool allow_recording);
void ht_trace_free(struct ht_trace *t);
/* The run's final counter `name` from the trace, or NULL */
const uint64_t *ht_counter(const struct ht_trace *t, const char *name);

int ht_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_info(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_tlb_replay(int argc, char **argv);

#endif
