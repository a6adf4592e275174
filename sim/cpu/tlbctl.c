#include "tlbctl.h"

static inline uint16_t current_pcid(const struct cpu *c)
{
	return (c->cr4 & CR4_PCIDE) ? (uint16_t)(c->cr3 & TLB_PCID_MASK) : 0;
}

/* After a model flush: the fast path mirrors only L1 entries, whose generation changed,
 * but the code-page cache holds a translation of its own. */
static void after_flush(struct cpu *c, uint64_t cost_cycles)
{
	c->code_page_la = ~0ull;
	c->cycles += cost_cycles;
}

/* MOV CR3 (SDM vol. 3 §4.10.4.1): flushes the non-global entries of the new PCID (of
 * PCID 0 without CR4.PCIDE) unless bit 63 asked not to. The fast path is untagged, so
 * it always starts over. */
void tlbctl_cr3_write(struct cpu *c, bool no_flush)
{
	cpu_flush_fast_path(c);
	if (no_flush)
		return;
	tlb_flush_pcid(&c->tlb, c->asid, current_pcid(c), c->asid);
	after_flush(c, c->params->v[PARAM_TIMING_FLUSH_ASID]);
}

/* A CR4.PGE or CR4.PCIDE change flushes everything of this ASID, globals included. */
void tlbctl_flush_all(struct cpu *c)
{
	cpu_flush_fast_path(c);
	tlb_flush_asid(&c->tlb, c->asid, c->asid);
	after_flush(c, c->params->v[PARAM_TIMING_FLUSH_ASID]);
}

/* INVLPG: one page of the current ASID, every PCID, globals too (specs/svm.md). */
void tlbctl_invlpg(struct cpu *c, uint64_t la)
{
	tlb_flush_page(&c->tlb, c->asid, la, c->asid);
	after_flush(c, c->params->v[PARAM_TIMING_INVLPG]);
}

/* INVPCID types 0-3 (SDM vol. 2 INVPCID) */
void tlbctl_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t la)
{
	switch (type) {
	case 0: tlb_flush_page_pcid(&c->tlb, c->asid, pcid, la, c->asid); break;
	case 1: tlb_flush_pcid(&c->tlb, c->asid, pcid, c->asid); break;
	case 2: tlb_flush_asid(&c->tlb, c->asid, c->asid); break;
	default: tlb_flush_asid_nonglobal(&c->tlb, c->asid, c->asid); break;
	}
	after_flush(c, c->params->v[type == 0 ? PARAM_TIMING_INVLPG : PARAM_TIMING_FLUSH_ASID]);
}
