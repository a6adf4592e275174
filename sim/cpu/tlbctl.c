#include "tlbctl.h"

#include <inttypes.h>
#include <stdio.h>

#include "cpu_event.h"

static inline uint16_t current_pcid(const struct cpu *c)
{
	return (c->cr4 & CR4_PCIDE) ? (uint16_t)(c->cr3 & TLB_PCID_MASK) : 0;
}

/* Every flush goes through here: the model's operation, its fixed cost (the refills
 * are charged as they happen), --log flushes. The fast path mirrors only L1 entries,
 * whose generations change, but the code-page cache holds a translation of its own. */
static void flush(struct cpu *c, enum tlb_flush_kind kind, uint32_t asid, uint16_t pcid,
		  uint64_t va, uint32_t requester, uint64_t cost_param, const char *why)
{
	struct tlb *t = &c->tlb;
	uint64_t collateral = t->flush[kind].invalidated_collateral;
	unsigned removed;
	switch (kind) {
	case TLB_FLUSH_FULL: removed = tlb_flush_all(t, requester); break;
	case TLB_FLUSH_ASID: removed = tlb_flush_asid(t, asid, requester); break;
	case TLB_FLUSH_ASID_NONGLOBAL: removed = tlb_flush_asid_nonglobal(t, asid, requester); break;
	case TLB_FLUSH_PCID: removed = tlb_flush_pcid(t, asid, pcid, requester); break;
	case TLB_FLUSH_PAGE: removed = tlb_flush_page(t, asid, va, requester); break;
	case TLB_FLUSH_PAGE_PCID: removed = tlb_flush_page_pcid(t, asid, pcid, va, requester); break;
	default: removed = tlb_flush_vm_transition(t, requester); break;
	}
	c->code_page_la = ~0ull;
	c->cycles += c->params->v[cost_param];
	if (c->log_mask & LOG_FLUSHES)
		fprintf(c->log_out ? (FILE *)c->log_out : stderr,
			"[flush] cycle %" PRIu64 " %s: %s by asid %u, %u entries invalidated, %" PRIu64
			" of them other ASIDs' (collateral)\n",
			c->cycles, why, tlb_flush_kind_name[kind], requester, removed,
			t->flush[kind].invalidated_collateral - collateral);
	if (c->tracer != NULL)
		cpu_trace_flush(c, kind, true, asid, pcid, va, requester, removed,
				t->flush[kind].invalidated_collateral - collateral, why);
}

/* MOV CR3 (SDM vol. 3 §4.10.4.1): flushes the non-global entries of the new PCID (of
 * PCID 0 without CR4.PCIDE) unless bit 63 asked not to. The fast path is untagged, so
 * it always starts over. */
void tlbctl_cr3_write(struct cpu *c, bool no_flush)
{
	cpu_flush_fast_path(c);
	if (!no_flush)
		flush(c, TLB_FLUSH_PCID, c->asid, current_pcid(c), 0, c->asid,
		      PARAM_TIMING_FLUSH_ASID, "MOV CR3");
}

/* A CR4.PGE or CR4.PCIDE change flushes everything of this ASID, globals included. */
void tlbctl_flush_all(struct cpu *c)
{
	cpu_flush_fast_path(c);
	flush(c, TLB_FLUSH_ASID, c->asid, 0, 0, c->asid, PARAM_TIMING_FLUSH_ASID, "MOV CR4");
}

/* INVLPG: one page of the current ASID, every PCID, globals too (specs/svm.md). */
void tlbctl_invlpg(struct cpu *c, uint64_t la)
{
	flush(c, TLB_FLUSH_PAGE, c->asid, 0, la, c->asid, PARAM_TIMING_INVLPG, "INVLPG");
}

/* INVPCID types 0-3 (SDM vol. 2 INVPCID) */
void tlbctl_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t la)
{
	static const enum tlb_flush_kind kinds[4] = { TLB_FLUSH_PAGE_PCID, TLB_FLUSH_PCID,
						      TLB_FLUSH_ASID, TLB_FLUSH_ASID_NONGLOBAL };
	flush(c, kinds[type & 3], c->asid, pcid, la, c->asid,
	      type == 0 ? PARAM_TIMING_INVLPG : PARAM_TIMING_FLUSH_ASID, "INVPCID");
}

void tlbctl_svm_flush(struct cpu *c, enum tlb_flush_kind kind, uint32_t guest_asid)
{
	flush(c, kind, guest_asid, 0, 0, guest_asid,
	      kind == TLB_FLUSH_FULL ? PARAM_TIMING_FLUSH_FULL : PARAM_TIMING_FLUSH_ASID,
	      "VMRUN TLB_CONTROL");
}

void tlbctl_invlpga(struct cpu *c, uint64_t va, uint32_t asid)
{
	flush(c, TLB_FLUSH_PAGE, asid, 0, va, asid, PARAM_TIMING_INVLPG, "INVLPGA");
}

void tlbctl_vm_transition(struct cpu *c)
{
	if (c->tlb.cfg.tagged) {
		/* --trace still reports it, so that tlb-replay can replay untagged hardware */
		if (c->tracer != NULL)
			cpu_trace_flush(c, TLB_FLUSH_VM_TRANSITION, false, 0, 0, 0, c->asid, 0, 0,
					c->svm.guest ? "VMRUN" : "#VMEXIT");
		return;
	}
	flush(c, TLB_FLUSH_VM_TRANSITION, 0, 0, 0, c->asid, PARAM_TIMING_FLUSH_FULL,
	      c->svm.guest ? "VMRUN (untagged TLB)" : "#VMEXIT (untagged TLB)");
}
