/* The --trace hooks (cpu_event.h): each fills one struct cpu_event from the CPU's state
 * and hands it to the tracer. Callers test c->tracer first, so none of this runs when
 * tracing is off. */
#include "cpu.h"
#include "cpu_event.h"

/* tools/hvtrace tlb-replay refills its model from REF events, so every field of an entry
 * that the model acts on (vpn, pa, asid, pcid, size, span, flags) must be in them. */
_Static_assert(sizeof(struct tlb_entry) == 40,
	       "struct tlb_entry changed: does the trace need the new field? "
	       "(cpu_event.h, sim/machine/trace_event.c, docs/trace-format.md)");

static inline bool wanted(const struct cpu *c, enum cpu_event_kind k)
{
	return c->tracer && (c->tracer->mask & CEV_BIT(k));
}

static inline uint16_t current_pcid(const struct cpu *c)
{
	return (c->cr4 & CR4_PCIDE) ? (uint16_t)(c->cr3 & TLB_PCID_MASK) : 0;
}

void cpu_trace_ref(struct cpu *c, uint64_t la, unsigned access, bool user,
		   enum cev_ref_level level, bool walked, const struct tlb_entry *e)
{
	if (!wanted(c, CEV_REF))
		return;
	struct cpu_event ev = { .kind = CEV_REF, .asid = c->asid };
	ev.ref.va = la;
	ev.ref.pcid = current_pcid(c);
	ev.ref.access = (uint8_t)access;
	ev.ref.user = user;
	ev.ref.wp = (c->cr0 & CR0_WP) != 0;
	ev.ref.level = (uint8_t)level;
	ev.ref.walked = walked;
	ev.ref.fault = e == NULL;
	if (e) {
		ev.ref.pa = e->pa;
		ev.ref.size = e->size;
		ev.ref.span = e->span;
		ev.ref.flags = e->flags & TLB_PERM_FLAGS;
	}
	c->tracer->emit(c->tracer->ctx, c, &ev);
}

void cpu_trace_fill(struct cpu *c, uint64_t la, unsigned access, const struct tlb_entry *e)
{
	if (!wanted(c, CEV_FILL) || !e)
		return;
	struct cpu_event ev = { .kind = CEV_FILL, .asid = c->asid };
	ev.fill.va = tlb_entry_va(e);
	ev.fill.pa = e->pa;
	ev.fill.pcid = e->pcid;
	ev.fill.tlb_kind = access == MMU_EXEC ? TLB_FETCH : TLB_DATA;
	ev.fill.size = e->size;
	ev.fill.span = e->span;
	ev.fill.flags = e->flags & TLB_PERM_FLAGS;
	(void)la;
	c->tracer->emit(c->tracer->ctx, c, &ev);
}

void cpu_trace_flush(struct cpu *c, enum tlb_flush_kind kind, bool performed, uint32_t asid,
		     uint16_t pcid, uint64_t va, uint32_t requester, unsigned removed,
		     uint64_t collateral, const char *cause)
{
	if (!wanted(c, CEV_FLUSH))
		return;
	struct cpu_event ev = { .kind = CEV_FLUSH, .asid = c->asid };
	ev.flush.kind = (uint8_t)kind;
	ev.flush.performed = performed;
	ev.flush.target_asid = asid;
	ev.flush.pcid = pcid;
	ev.flush.va = va;
	ev.flush.requester = requester;
	ev.flush.removed = removed;
	ev.flush.collateral = (uint32_t)collateral;
	ev.flush.cause = cause;
	c->tracer->emit(c->tracer->ctx, c, &ev);
}

void cpu_trace_exit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2)
{
	if (!wanted(c, CEV_EXIT))
		return;
	struct cpu_event ev = { .kind = CEV_EXIT, .asid = c->svm.asid };
	ev.exit.code = code;
	ev.exit.info1 = info1;
	ev.exit.info2 = info2;
	ev.exit.rip = c->rip;
	ev.exit.rcx = c->gpr[RCX];
	c->tracer->emit(c->tracer->ctx, c, &ev);
}

void cpu_trace_vmrun(struct cpu *c)
{
	if (!wanted(c, CEV_VMRUN))
		return;
	struct cpu_event ev = { .kind = CEV_VMRUN, .asid = c->svm.asid };
	ev.vmrun.rip = c->rip;
	ev.vmrun.rax = c->gpr[RAX];
	c->tracer->emit(c->tracer->ctx, c, &ev);
}
