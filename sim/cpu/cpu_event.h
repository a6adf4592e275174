/* Event hooks for --trace (sim/machine/trace.c writes them to a file). The CPU reports
 * what the TLB and SVM do through one callback; with no tracer attached (c->tracer ==
 * NULL) each hook is one pointer test on a slow path: TLB lookups that missed the
 * host-pointer fast path, flushes, #VMEXIT, VMRUN. With CEV_REF on, the fast path is not
 * used, so every memory reference reaches translate_as (mem.c) and is reported. */
#ifndef HVSIM_CPU_CPU_EVENT_H
#define HVSIM_CPU_CPU_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../tlb/tlb.h"

struct cpu;

enum cpu_event_kind {
	CEV_REF,        /* a TLB lookup: one memory reference's translation */
	CEV_FILL,       /* a walked translation inserted into the TLB */
	CEV_FLUSH,      /* a flush (tlbctl.c), or a tagged VM transition that flushed nothing */
	CEV_EXIT,       /* a #VMEXIT */
	CEV_VMRUN,      /* a VMRUN that entered a guest */
	CEV_NR_KINDS
};

#define CEV_BIT(k) (1u << (k))

/* REF outcomes: where the lookup hit, and whether a walk followed */
enum cev_ref_level { CEV_HIT_L1, CEV_HIT_L2, CEV_MISS };

struct cpu_event {
	enum cpu_event_kind kind;
	uint32_t asid;              /* the current TLB tag (0 = host) */
	union {
		struct {
			uint64_t va;
			uint16_t pcid;
			uint8_t access;     /* enum mmu_access: read, write, exec */
			bool user, wp;      /* checked as CPL 3; CR0.WP */
			uint8_t level;      /* enum cev_ref_level */
			bool walked;        /* a miss, or a hit the permissions refused */
			bool fault;         /* the walk failed: #PF or a nested page fault */
			uint64_t pa;        /* the translation used (page base); not on a fault */
			uint8_t size, span; /* enum tlb_page_size; the entry's span (tlb.h) */
			uint8_t flags;      /* TLB_W|U|NX|D|G */
		} ref;
		struct {
			uint64_t va, pa;    /* page bases */
			uint16_t pcid;
			uint8_t tlb_kind;   /* enum tlb_kind */
			uint8_t size, span, flags;
		} fill;
		struct {
			uint8_t kind;       /* enum tlb_flush_kind */
			bool performed;     /* false: a tagged VM transition (nothing flushed) */
			uint32_t target_asid, requester;
			uint16_t pcid;
			uint64_t va;
			uint32_t removed, collateral;
			const char *cause;  /* "MOV CR3", "INVLPG", ... */
		} flush;
		struct {
			uint64_t code, info1, info2;
			uint64_t rip;       /* the guest's */
			uint64_t rcx;       /* the guest's RCX: a VMMCALL's hypercall input */
		} exit;
		struct {
			uint64_t rip, rax;  /* the guest's, after the entry */
		} vmrun;
	};
};

struct cpu_tracer {
	unsigned mask;              /* CEV_BIT(kind) for each kind reported */
	void *ctx;
	void (*emit)(void *ctx, const struct cpu *c, const struct cpu_event *ev);
};

/* cpu_trace.c: the hooks, called only when c->tracer is set */
void cpu_trace_ref(struct cpu *c, uint64_t la, unsigned access, bool user,
		   enum cev_ref_level level, bool walked, const struct tlb_entry *e);
void cpu_trace_fill(struct cpu *c, uint64_t la, unsigned access, const struct tlb_entry *e);
void cpu_trace_flush(struct cpu *c, enum tlb_flush_kind kind, bool performed, uint32_t asid,
		     uint16_t pcid, uint64_t va, uint32_t requester, unsigned removed,
		     uint64_t collateral, const char *cause);
void cpu_trace_exit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2);
void cpu_trace_vmrun(struct cpu *c);

#endif
