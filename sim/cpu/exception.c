#include "exception.h"

#include <stdio.h>

#include "flags.h"
#include "mem.h"
#include "svm.h"

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
	"#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *exception_name(int vector)
{
	static char buf[16];
	if (vector >= 0 && vector < 32 && vector_names[vector])
		return vector_names[vector];
	snprintf(buf, sizeof buf, "vector %d", vector);
	return buf;
}

static bool has_error_code(int v)
{
	return v == EXC_DF || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP ||
	       v == EXC_PF || v == EXC_AC || v == 21;
}

static bool contributory(int v)
{
	return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

/* Descriptor-table and TSS reads are supervisor accesses whatever the CPL (SDM vol. 3
 * §4.6.1 "implicit supervisor-mode accesses"). */
static uint64_t sys_read(struct cpu *c, uint64_t la, unsigned size)
{
	return mem_read_sys(c, la, size);
}

/* The instruction bytes at RIP, read without faulting, for the report. */
static void peek_code(struct cpu *c, char *out, size_t len)
{
	struct walk_req nreq = { .cr3 = c->svm.ncr3, .user = true, .no_ad = true,
				 .nxe = (c->svm.host_efer & EFER_NXE) != 0, .access = MMU_READ };
	struct walk_req req = { .cr3 = c->cr3, .wp = true, .nxe = (c->efer & EFER_NXE) != 0,
				.no_ad = true, .access = MMU_READ,
				.nested = c->svm.guest && c->svm.np ? &nreq : NULL };
	size_t n = 0;
	out[0] = 0;
	for (unsigned k = 0; k < 8 && n + 4 < len; k++) {
		struct walk_result r;
		if (!mmu_walk(c->pm, &req, c->rip + k, &r) || !phys_in_ram(c->pm, r.pa, 1))
			break;
		n += (size_t)snprintf(out + n, len - n, "%s%02x", k ? " " : "", c->pm->host[r.pa]);
	}
	if (!n)
		snprintf(out, len, "unreadable");
}

/* Shutdown: the guest machine is dead. The report names the fault that started it. */
static void triple_fault(struct cpu *c, int last_vector)
{
	char bytes[40];
	peek_code(c, bytes, sizeof bytes);
	cpu_request_stop(c, STOP_TRIPLE_FAULT, 0);
	snprintf(c->stop_detail, sizeof c->stop_detail,
		 "triple fault: %s (error 0x%x) at RIP 0x%llx (bytes %s) after %llu instructions%s",
		 exception_name(c->first_fault), c->first_fault_error, (unsigned long long)c->rip,
		 bytes, (unsigned long long)c->insns_retired,
		 c->idtr.limit == 0 ? "; no IDT is loaded, so it could not be handled"
				    : last_vector == EXC_DF ? "" : "; delivering #DF faulted too");
}

static void deliver(struct cpu *c, int vector, bool push_error, uint32_t error,
		    uint64_t return_rip, bool software)
{
	uint32_t ext = software ? 0 : 1;
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	if ((uint64_t)vector * 16 + 15 > c->idtr.limit)
		cpu_fault(c, EXC_GP, idt_err);
	uint64_t lo = sys_read(c, c->idtr.base + (uint64_t)vector * 16, 8);
	uint64_t hi = sys_read(c, c->idtr.base + (uint64_t)vector * 16 + 8, 8);
	unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3, ist = (lo >> 32) & 7;
	if (type != 0xE && type != 0xF)
		cpu_fault(c, EXC_GP, idt_err);
	if (software && dpl < c->cpl)
		cpu_fault(c, EXC_GP, idt_err);
	if (!((lo >> 47) & 1))
		cpu_fault(c, EXC_NP, idt_err);
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
	if (!mmu_canonical(target)) /* SDM vol. 3 §6.14.1: a non-canonical gate offset is #GP */
		cpu_fault(c, EXC_GP, ext);

	/* the target code segment: a present 64-bit code segment in the GDT */
	if ((sel & ~3u) == 0 || (sel & 4) || (uint64_t)(sel | 7) > c->gdtr.limit)
		cpu_fault(c, EXC_GP, (sel & ~3u) + ext);
	uint64_t desc = sys_read(c, c->gdtr.base + (sel & ~7u), 8);
	bool code = ((desc >> 43) & 3) == 3, present = (desc >> 47) & 1, longmode = (desc >> 53) & 1;
	unsigned new_cpl = (desc >> 45) & 3;
	if (!code || !longmode || new_cpl > c->cpl)
		cpu_fault(c, EXC_GP, (sel & ~3u) + ext);
	if (!present)
		cpu_fault(c, EXC_NP, (sel & ~3u) + ext);

	uint64_t old_rsp = c->gpr[RSP], rsp = old_rsp;
	uint16_t old_ss = c->seg[SEG_SS].sel;
	if (ist || new_cpl < c->cpl) {
		uint64_t off = ist ? 0x24 + 8 * (uint64_t)(ist - 1) : 4 + 8 * (uint64_t)new_cpl;
		if (off + 7 > c->tr.limit)
			cpu_fault(c, EXC_TS, (c->tr.sel & ~3u) + ext);
		rsp = sys_read(c, c->tr.base + off, 8);
	}
	rsp &= ~0xfull;
	uint64_t rflags = cpu_get_rflags(c);
	uint64_t frame[6] = { return_rip, c->seg[SEG_CS].sel, rflags, old_rsp, old_ss, 0 };
	unsigned n = 5;
	if (push_error) {
		/* the error code is pushed last: shift the frame */
		for (int k = 5; k > 0; k--)
			frame[k] = frame[k - 1];
		frame[0] = error;
		n = 6;
	}
	/* the frame is written at the new privilege level (CPL 0 for every gate hvsim
	 * accepts from CPL 3); probe every slot first so that a fault changes nothing */
	uint64_t top = rsp - 8 * n;
	if (!mmu_canonical(top) || !mmu_canonical(rsp - 1))
		cpu_fault(c, EXC_SS, 0);
	if (new_cpl == 0) {
		mem_probe_write_sys(c, top, 8 * n);
		for (unsigned k = 0; k < n; k++)
			mem_write_sys(c, top + 8 * k, 8, frame[k]);
	} else {
		mem_probe_write(c, top, 8 * n);
		for (unsigned k = 0; k < n; k++)
			mem_write(c, top + 8 * k, 8, frame[k]);
	}
	uint8_t cpl = c->cpl;
	if (cpl != new_cpl) {
		c->cpl = (uint8_t)new_cpl;
		cpu_flush_fast_path(c);
	}
	c->gpr[RSP] = top;
	if (new_cpl != cpl)
		c->seg[SEG_SS] = (struct seg){ .sel = (uint16_t)new_cpl, .attr = 0 };
	c->seg[SEG_CS].sel = (uint16_t)((sel & ~3u) | new_cpl);
	c->seg[SEG_CS].attr = (uint16_t)(((desc >> 40) & 0xff) | ((desc >> 44) & 0xf00));
	c->seg[SEG_CS].base = 0;
	c->seg[SEG_CS].limit = 0xffffffff;
	rflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (type == 0xE)
		rflags &= ~FL_IF;
	cpu_set_rflags(c, rflags);
	c->rip = target;
	c->exceptions++;
	c->cycles += c->params->v[PARAM_TIMING_EXCEPTION];
}

/* EXITINTINFO (APM vol. 2 §15.7.2): an exit that interrupts the delivery of an event
 * reports that event (vector, type 3 exception / 0 interrupt, error code). */
static void note_interrupted_event(struct cpu *c)
{
	struct svm_state *s = &c->svm;
	if (c->delivering < 0 || s->exit_intinfo)
		return;
	int v = c->delivering;
	bool exc = v < 32;
	s->exit_intinfo = (uint64_t)v | ((uint64_t)(exc ? 3 : 0) << 8) | (1ull << 31);
	if (exc && has_error_code(v))
		s->exit_intinfo |= (1ull << 11) | ((uint64_t)c->first_fault_error << 32);
}

/* An exit found inside an instruction or an event delivery (intercept, NPF). */
static void raise_vmexit(struct cpu *c)
{
	struct svm_state *s = &c->svm;
	note_interrupted_event(c);
	c->delivering = -1;
	svm_vmexit(c, s->exit_code, s->exit_info1, s->exit_info2);
}

void exception_raise(struct cpu *c, int vector, uint32_t error_code)
{
	if (vector == VEC_VMEXIT) {
		raise_vmexit(c);
		return;
	}
	int raised = vector, prev = c->delivering;
	/* a fault while delivering an interrupt (INT n, an external or injected one) is
	 * handled serially: only exceptions are contributory or page faults (SDM vol. 3
	 * §6.15 Table 6-4) */
	if (prev >= 0 && c->delivering_interrupt)
		prev = -1;
	c->delivering_interrupt = false;
	if (prev >= 0) {
		bool prev_pf = prev == EXC_PF, prev_df = prev == EXC_DF;
		bool serious = contributory(vector) || vector == EXC_PF;
		if (prev_df && serious) {
			/* shutdown: a guest's exits to the host when intercepted (specs/svm.md) */
			if (svm_icpt1(c, SVM_I1_SHUTDOWN)) {
				c->delivering = -1;
				svm_vmexit(c, SVM_EXIT_SHUTDOWN, 0, 0);
				return;
			}
			triple_fault(c, vector);
			return;
		}
		if ((contributory(prev) && contributory(vector)) || (prev_pf && serious)) {
			c->first_fault = c->first_fault >= 0 ? c->first_fault : prev;
			vector = EXC_DF;
			error_code = 0;
		}
	} else {
		c->first_fault = vector;
		c->first_fault_error = error_code;
	}
	/* A page fault loads CR2 as it is recognized, even when it becomes #DF (SDM vol. 3
	 * §6.15 interrupt 14); only an intercepted #PF leaves CR2 alone (APM vol. 2 §15.12). */
	if (raised == EXC_PF && !(vector == EXC_PF && svm_exception_intercepted(c, vector)))
		c->cr2 = c->pf_addr;
	if (svm_exception_intercepted(c, vector)) {
		/* EXITINFO1 the error code, EXITINFO2 the #PF address */
		note_interrupted_event(c);
		c->delivering = -1;
		svm_vmexit(c, SVM_EXIT_EXCP + (uint64_t)vector, has_error_code(vector) ? error_code : 0,
			   vector == EXC_PF ? c->pf_addr : 0);
		return;
	}
	/* an event being injected when this fault came is not reported any more: the
	 * guest handles the fault itself */
	c->svm.exit_intinfo = 0;
	c->delivering = vector;
	deliver(c, vector, has_error_code(vector), error_code, c->rip, false);
	c->delivering = -1;
}

void exception_inject(struct cpu *c, int vector, bool has_error, uint32_t error, bool software,
		      bool interrupt)
{
	c->delivering = vector;
	c->delivering_interrupt = interrupt;
	c->first_fault = vector;
	c->first_fault_error = error;
	deliver(c, vector, has_error, error, c->rip, software);
	c->delivering = -1;
	c->delivering_interrupt = false;
}

void exception_deliver_trap(struct cpu *c, int vector, bool software)
{
	c->delivering = vector;
	c->delivering_interrupt = vector != EXC_BP; /* INT n is an interrupt; INT3 is #BP */
	c->first_fault = vector;
	deliver(c, vector, false, 0, c->rip_next, software);
	c->delivering = -1;
	c->delivering_interrupt = false;
}

/* Between instructions (SDM vol. 3 §6.9 priorities, simplified to what hvsim models):
 * the STI / MOV SS shadow delays recognition by one instruction; then a maskable
 * interrupt is taken when RFLAGS.IF is set. Also re-reads the next device event, which
 * a device register write may have moved. */
bool cpu_poll_events(struct cpu *c)
{
	c->events_pending = false;
	cpu_reschedule(c);
	if (c->interrupt_shadow) {
		c->interrupt_shadow = false;
		cpu_kick(c);
		return false;
	}
	if (c->svm.guest && svm_poll_interrupts(c)) {
		cpu_kick(c);
		return false;
	}
	/* GIF = 0 holds every interrupt (APM vol. 2 §15.17) */
	if (!c->svm.gif || !(c->rflags & FL_IF) || !c->bus.intr_pending)
		return false;
	int v = c->bus.intr_pending(c->bus.ctx);
	if (v < 0)
		return false;
	c->bus.intr_ack(c->bus.ctx, v);
	c->interrupts++;
	c->delivering = v;
	c->first_fault = v;
	c->first_fault_error = 0;
	c->delivering_interrupt = true;
	deliver(c, v, false, 0, c->rip, false);
	c->delivering = -1;
	c->delivering_interrupt = false;
	cpu_kick(c); /* another one may be pending */
	return false;
}

/* HLT: time jumps to the next device event (no busy loop on the host). Returns
 * HALT_WOKEN when an interrupt can be taken, HALT_ASLEEP after one event that woke
 * nothing (the run loop gets control back, so limits and watches still work), and
 * HALT_FOREVER when nothing can ever wake the CPU: interrupts are off, or no device
 * has an event scheduled. */
enum halt_result cpu_halt(struct cpu *c)
{
	/* In a guest with V_INTR_MASKING the host's IF decides whether a physical interrupt
	 * wakes it (and exits); a pending virtual interrupt wakes it too. */
	bool phys_if = c->svm.guest && c->svm.v_intr_masking ? c->svm.host_if
							      : (c->rflags & FL_IF) != 0;
	if (c->svm.guest && c->svm.v_irq && (c->rflags & FL_IF)) {
		cpu_kick(c);
		return HALT_WOKEN;
	}
	if (!phys_if || !c->svm.gif || !c->bus.next_event || !c->bus.intr_pending)
		return HALT_FOREVER;
	if (c->bus.intr_pending(c->bus.ctx) >= 0) {
		cpu_kick(c);
		return HALT_WOKEN;
	}
	uint64_t ev = c->bus.next_event(c->bus.ctx);
	if (ev == ~0ull)
		return HALT_FOREVER;
	if (c->max_cycles && ev > c->max_cycles)
		ev = c->max_cycles; /* the limit ends the sleep; the run loop reports it */
	if (ev > c->cycles) {
		c->halted_cycles += ev - c->cycles;
		c->cycles = ev;
	}
	if (!(c->max_cycles && c->cycles >= c->max_cycles))
		c->bus.run_events(c->bus.ctx, c->cycles);
	cpu_kick(c);
	return c->bus.intr_pending(c->bus.ctx) >= 0 ? HALT_WOKEN : HALT_ASLEEP;
}
