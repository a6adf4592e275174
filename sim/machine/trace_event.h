/* The records of an event trace (docs/trace-format.md "Event records"): what each one
 * says, and its encoding both ways. hvsim's --trace (trace.c) writes them; tools/hvtrace
 * reads them. One encoder and one decoder, next to each other, so they cannot drift. */
#ifndef HVSIM_MACHINE_TRACE_EVENT_H
#define HVSIM_MACHINE_TRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracefile.h"

/* Event kinds; each is also a class of --trace-events and of hvtrace dump --kind. */
enum trace_kind {
	TK_REF,        /* a memory reference: one TLB lookup and its outcome */
	TK_FILL,       /* a walked translation inserted into the TLB */
	TK_FLUSH,      /* a TLB flush */
	TK_EXIT,       /* a #VMEXIT */
	TK_VMRUN,      /* a VMRUN entering a guest */
	TK_HYPERCALL,  /* a hypercall: the guest's VMMCALL and the result it resumed with */
	TK_NR_KINDS
};

#define TK_BIT(k) (1u << (k))
#define TK_ALL ((1u << TK_NR_KINDS) - 1)
/* The default set: everything but the memory-reference stream, which turns the CPU's
 * fast path off (cpu_event.h) and is by far the largest. */
#define TK_DEFAULT (TK_ALL & ~TK_BIT(TK_REF))

const char *trace_kind_name(unsigned k);
/* "ref,fill,flush,exit,vmrun,hypercall" plus the aliases tlb (ref,fill), default and
 * all. False with one line in err naming the unknown class. */
bool trace_kinds_parse(const char *list, unsigned *mask, char *err, size_t errlen);
/* The mask as a list of kind names ("none" when empty). */
void trace_kinds_format(unsigned mask, char *buf, size_t len);

/* REF outcome levels (cpu_event.h enum cev_ref_level) */
enum { TRACE_HIT_L1, TRACE_HIT_L2, TRACE_MISS };

struct trace_event {
	unsigned kind;            /* enum trace_kind */
	uint64_t insn;            /* instructions retired before the event */
	uint64_t cycles;          /* the cycle count at the event */
	uint32_t asid;            /* the current ASID (EXIT, VMRUN, HYPERCALL: the guest's) */
	union {
		struct {
			uint64_t va;
			uint16_t pcid;
			uint8_t access;       /* 0 read, 1 write, 2 fetch (enum mmu_access) */
			bool user, wp;
			uint8_t level;        /* TRACE_HIT_L1, TRACE_HIT_L2, TRACE_MISS */
			bool walked, fault;
			uint64_t pa;          /* the translation's page base (not on a fault) */
			uint8_t size, span;   /* enum tlb_page_size; the page a page flush treats
					       * the entry as part of (sim/tlb/tlb.h) */
			uint8_t flags;        /* TLB_W|U|NX|D|G */
			uint64_t repeat;      /* this many more references followed, each an L1
					       * hit of the same 4 KiB page with the same access
					       * (trace.c folds them: the TLB sees pages) */
		} ref;
		struct {
			uint64_t va, pa;      /* page bases */
			uint16_t pcid;
			uint8_t tlb_kind;     /* 0 fetch (L1I), 1 data (L1D) */
			uint8_t size, span, flags;
		} fill;
		struct {
			uint8_t kind;         /* enum tlb_flush_kind */
			bool performed;       /* false: a tagged VM transition, nothing flushed */
			uint32_t target_asid, requester;
			uint16_t pcid;
			uint64_t va;
			uint32_t removed, collateral;
			char cause[32];
		} flush;
		struct {
			uint64_t code, info1, info2, rip, rcx;
		} exit;
		struct {
			uint64_t rip, rax;
		} vmrun;
		struct {
			uint64_t input, result; /* RCX at the VMMCALL; RAX at the next VMRUN */
		} hypercall;
	};
};

/* Delta state: every chunk starts from zero (so a reader can start at any chunk). */
struct trace_codec {
	uint64_t insn, cycles, va;
};

/* Appends ev as one DATA record (resetting the codec when a new chunk begins). */
void trace_event_write(struct tf_writer *w, struct trace_codec *st, const struct trace_event *ev);
/* Whether rec_type is an event record. */
bool trace_is_event_record(uint8_t rec_type);
/* Decodes the event record whose type byte was just read. Errors stick in the cursor. */
void trace_event_read(struct tf_cursor *c, uint8_t rec_type, struct trace_codec *st,
		      struct trace_event *ev);

#endif
