/* --trace FILE --trace-events LIST: the CPU's event hooks (sim/cpu/cpu_event.h) written
 * as an event trace (trace_event.h, docs/trace-format.md). A hypercall is one event made
 * of two: the guest's VMMCALL #VMEXIT (its input in RCX) and the VMRUN that resumes the
 * same ASID (the result in RAX, TLFS "Hypercall Interface"). */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "../cpu/cpu_event.h"
#include "../cpu/svm.h"
#include "record.h"
#include "sim/machine/hvsim_version.h"
#include "trace_event.h"
#include "tracefile.h"

/* Event traces are written while the machine runs: fast compression. */
#define TRACE_ZLIB_LEVEL 1

struct event_trace {
	struct tf_writer w;
	unsigned kinds;                 /* TK_BIT(k) for each kind written */
	struct trace_codec codec;
	struct cpu_tracer hooks;
	struct machine *m;
	bool hypercall_pending[SVM_NR_ASIDS];
	uint64_t hypercall_input[SVM_NR_ASIDS];
	struct trace_event ref;         /* a reference held back to fold repeats into */
	bool ref_held;
};

struct event_trace *event_trace_create(const char *path, unsigned kinds, char *err,
				       size_t errlen)
{
	struct event_trace *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "%s: out of host memory", path);
		return NULL;
	}
	t->kinds = kinds;
	if (!tf_create(&t->w, path, TF_KIND_EVENTS, TRACE_ZLIB_LEVEL, err, errlen)) {
		free(t);
		return NULL;
	}
	return t;
}

static void flush_ref(struct event_trace *t)
{
	if (t->ref_held)
		trace_event_write(&t->w, &t->codec, &t->ref);
	t->ref_held = false;
}

/* A reference that hit the L1 in the same 4 KiB page, with the same access, context and
 * translation as the one held back only counts as a repeat of it: in any TLB geometry it
 * is an L1 hit on the entry the first one left there (docs/trace-format.md). */
static bool repeats_held(const struct event_trace *t, const struct trace_event *ev)
{
	const struct trace_event *h = &t->ref;
	return t->ref_held && ev->ref.level == TRACE_HIT_L1 && !ev->ref.walked &&
	       !ev->ref.fault && !h->ref.fault && ev->asid == h->asid &&
	       ev->ref.pcid == h->ref.pcid && (ev->ref.va >> 12) == (h->ref.va >> 12) &&
	       ev->ref.access == h->ref.access && ev->ref.user == h->ref.user &&
	       ev->ref.wp == h->ref.wp && ev->ref.pa == h->ref.pa &&
	       ev->ref.size == h->ref.size && ev->ref.span == h->ref.span &&
	       ev->ref.flags == h->ref.flags;
}

static void write_event(struct event_trace *t, const struct cpu *c, struct trace_event *ev)
{
	ev->insn = c->insns_retired;
	ev->cycles = c->cycles;
	if (ev->kind == TK_REF) {
		if (repeats_held(t, ev)) {
			t->ref.ref.repeat++;
			return;
		}
		flush_ref(t);
		t->ref = *ev;
		t->ref_held = true;
		return;
	}
	flush_ref(t);
	trace_event_write(&t->w, &t->codec, ev);
}

static void hypercall_done(struct event_trace *t, const struct cpu *c, uint32_t asid)
{
	if (asid >= SVM_NR_ASIDS || !t->hypercall_pending[asid])
		return;
	t->hypercall_pending[asid] = false;
	struct trace_event ev = { .kind = TK_HYPERCALL, .asid = asid };
	ev.hypercall.input = t->hypercall_input[asid];
	ev.hypercall.result = c->gpr[RAX];
	write_event(t, c, &ev);
}

static void on_event(void *ctx, const struct cpu *c, const struct cpu_event *ce)
{
	struct event_trace *t = ctx;
	struct trace_event ev = { .asid = ce->asid };
	switch (ce->kind) {
	case CEV_REF:
		ev.kind = TK_REF;
		ev.ref.va = ce->ref.va;
		ev.ref.pcid = ce->ref.pcid;
		ev.ref.access = ce->ref.access;
		ev.ref.user = ce->ref.user;
		ev.ref.wp = ce->ref.wp;
		ev.ref.level = ce->ref.level;
		ev.ref.walked = ce->ref.walked;
		ev.ref.fault = ce->ref.fault;
		ev.ref.pa = ce->ref.pa;
		ev.ref.size = ce->ref.size;
		ev.ref.span = ce->ref.span;
		ev.ref.flags = ce->ref.flags;
		break;
	case CEV_FILL:
		ev.kind = TK_FILL;
		ev.fill.va = ce->fill.va;
		ev.fill.pa = ce->fill.pa;
		ev.fill.pcid = ce->fill.pcid;
		ev.fill.tlb_kind = ce->fill.tlb_kind;
		ev.fill.size = ce->fill.size;
		ev.fill.span = ce->fill.span;
		ev.fill.flags = ce->fill.flags;
		break;
	case CEV_FLUSH:
		ev.kind = TK_FLUSH;
		ev.flush.kind = ce->flush.kind;
		ev.flush.performed = ce->flush.performed;
		ev.flush.target_asid = ce->flush.target_asid;
		ev.flush.requester = ce->flush.requester;
		ev.flush.pcid = ce->flush.pcid;
		ev.flush.va = ce->flush.va;
		ev.flush.removed = ce->flush.removed;
		ev.flush.collateral = ce->flush.collateral;
		snprintf(ev.flush.cause, sizeof ev.flush.cause, "%s", ce->flush.cause);
		break;
	case CEV_EXIT:
		if (ce->exit.code == SVM_EXIT_VMMCALL && ce->asid < SVM_NR_ASIDS) {
			t->hypercall_pending[ce->asid] = true;
			t->hypercall_input[ce->asid] = ce->exit.rcx;
		}
		ev.kind = TK_EXIT;
		ev.exit.code = ce->exit.code;
		ev.exit.info1 = ce->exit.info1;
		ev.exit.info2 = ce->exit.info2;
		ev.exit.rip = ce->exit.rip;
		ev.exit.rcx = ce->exit.rcx;
		break;
	case CEV_VMRUN:
		if (t->kinds & TK_BIT(TK_HYPERCALL))
			hypercall_done(t, c, ce->asid);
		ev.kind = TK_VMRUN;
		ev.vmrun.rip = ce->vmrun.rip;
		ev.vmrun.rax = ce->vmrun.rax;
		break;
	default:
		return;
	}
	if (t->kinds & TK_BIT(ev.kind))
		write_event(t, c, &ev);
}

void event_trace_start(struct event_trace *t, struct machine *m, const char *command)
{
	char list[128];
	trace_kinds_format(t->kinds, list, sizeof list);
	tf_put_meta_kv(&t->w, TF_REC_META, "creator", "hvsim " HVSIM_VERSION);
	tf_put_meta_kv(&t->w, TF_REC_META, "command", command);
	tf_put_meta_kv(&t->w, TF_REC_META, "events", list);
	char *copy = strdup(m->cfg.image_path ? m->cfg.image_path : "");
	tf_put_meta_kv(&t->w, TF_REC_META, "image", copy ? basename(copy) : "");
	free(copy);
	config_each(&m->cfg, tf_put_config, &t->w);
	tf_flush_chunk(&t->w);

	/* What the CPU must report: a hypercall is made of an exit and a VMRUN. */
	unsigned mask = 0;
	static const unsigned cpu_kind[TK_NR_KINDS] = {
		[TK_REF] = CEV_BIT(CEV_REF), [TK_FILL] = CEV_BIT(CEV_FILL),
		[TK_FLUSH] = CEV_BIT(CEV_FLUSH), [TK_EXIT] = CEV_BIT(CEV_EXIT),
		[TK_VMRUN] = CEV_BIT(CEV_VMRUN),
		[TK_HYPERCALL] = CEV_BIT(CEV_EXIT) | CEV_BIT(CEV_VMRUN),
	};
	for (unsigned k = 0; k < TK_NR_KINDS; k++)
		if (t->kinds & TK_BIT(k))
			mask |= cpu_kind[k];
	t->m = m;
	t->hooks = (struct cpu_tracer){ .mask = mask, .ctx = t, .emit = on_event };
	m->cpu.tracer = &t->hooks;
	/* With references traced, nothing may be served by the fast path from now on. */
	cpu_flush_fast_path(&m->cpu);
}

bool event_trace_finish(struct event_trace *t, struct machine *m, char *err, size_t errlen)
{
	struct tf_writer *w = &t->w;
	const struct cpu *c = &m->cpu;
	m->cpu.tracer = NULL;
	flush_ref(t);
	cpu_sync_counters(&m->cpu);
	/* END_RUN as in a recording, without the console and RAM, which a trace omits */
	tf_begin_record(w, TF_CHUNK_DATA, TF_REC_END_RUN, c->insns_retired);
	tf_put_varint(w, c->insns_retired);
	tf_put_varint(w, c->cycles);
	tf_put_str(w, machine_stop_name(m->stop));
	tf_put_varint(w, (uint64_t)machine_exit_status(m));
	tf_put_str(w, c->stop_detail);
	for (int i = 0; i < 4; i++)
		tf_put_varint(w, 0); /* console bytes, console CRC, region bytes, regions */
	tf_end_record(w);
	/* COUNTERS: the run's final counters, for hvtrace to compare with */
	tf_begin_record(w, TF_CHUNK_DATA, TF_REC_COUNTERS, c->insns_retired);
	tf_put_varint(w, m->counters.n);
	for (size_t i = 0; i < m->counters.n; i++) {
		tf_put_str(w, m->counters.v[i].name);
		tf_put_varint(w, *m->counters.v[i].value);
	}
	tf_end_record(w);
	return tf_commit(w, err, errlen);
}

void event_trace_free(struct event_trace *t)
{
	if (!t)
		return;
	if (t->m && t->m->cpu.tracer == &t->hooks)
		t->m->cpu.tracer = NULL;
	tf_abort(&t->w);
	free(t);
}
