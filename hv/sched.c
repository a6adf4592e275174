/* The scheduler: one physical CPU, every VP of every partition in one round-robin
 * list. A VP runs until its slice (hv_config.slice_cycles) ends or it blocks (HLT,
 * an intercept its parent must answer, a suspend); hv's x2APIC timer, one-shot, is set
 * for the nearer of the slice's end and the earliest virtual-timer expiry, and its
 * interrupt leaves the guest with an INTR exit (vmrun.S). When no VP can run, hv halts
 * (STI; HLT) until the timer or an event.
 *
 * hv runs with RFLAGS.IF = 0; the one place it takes its own interrupts is the top of
 * the loop (and the idle halt), where a timer that fired while a guest ran or while hv
 * worked is acknowledged (main.c's handler: EOI). */
#include "apic.h"
#include "hv.h"
#include "kprintf.h"
#include "machine.h"
#include "x86.h"

struct vp *all_vps[HV_MAX_ALL_VPS];
unsigned nr_all_vps;

static struct vp *current;        /* the VP that ran last */
static uint64_t slice_end;        /* TSC at which current's slice ends */
static uint64_t next_vtimer = ~0ull;
static bool vtimers_dirty = true;
static uint64_t programmed;       /* the deadline the physical timer is set for */

void sched_add(struct vp *vp)
{
	all_vps[nr_all_vps++] = vp;
	vtimers_dirty = true;
}

void sched_remove(struct vp *vp)
{
	for (unsigned i = 0; i < nr_all_vps; i++) {
		if (all_vps[i] != vp)
			continue;
		for (unsigned k = i + 1; k < nr_all_vps; k++)
			all_vps[k - 1] = all_vps[k];
		nr_all_vps--;
		break;
	}
	if (current == vp)
		current = 0;
	vtimers_dirty = true;
}

void sched_timer_changed(void)
{
	vtimers_dirty = true;
}

void sched_timer_interrupt(void)
{
	programmed = 0; /* it fired: the next deadline must be set again */
}

/* Interrupts that became pending while IF was 0 are taken here: STI's shadow covers
 * the NOP, then the CPU delivers before CLI (SDM vol. 2B "STI"). */
static void take_interrupts(void)
{
	__asm__ volatile("sti; nop; cli" : : : "memory");
}

static void update_vtimers(uint64_t now)
{
	if (!vtimers_dirty && now < next_vtimer)
		return;
	if (now >= next_vtimer)
		for (unsigned i = 0; i < nr_all_vps; i++)
			vapic_timer_expire(all_vps[i], now);
	next_vtimer = ~0ull;
	for (unsigned i = 0; i < nr_all_vps; i++) {
		const struct vapic *a = &all_vps[i]->apic;
		/* a masked timer raises nothing: it need not wake anyone */
		if (a->timer_armed && !(a->lvt[1] & (1u << 16)) && a->timer_deadline < next_vtimer)
			next_vtimer = a->timer_deadline;
	}
	vtimers_dirty = false;
}

/* One-shot at divide 1 (main.c set the LVT): hv_timer_ratio cycles a tick */
static void program_timer(uint64_t deadline, uint64_t now)
{
	if (deadline == programmed)
		return;
	/* Stop the old countdown and take an expiry it raised since the top of the loop:
	 * left pending, it would end the next entry before the guest's first instruction.
	 * With a slice about as long as hv's own path from an exit to the next VMRUN
	 * (slice=2000), that stale expiry fell inside the path at every entry and the
	 * guest never ran again. After this, a pending timer interrupt is always the
	 * current deadline's. */
	wrmsr(X2APIC_TIMER_INITIAL, 0);
	take_interrupts();
	programmed = deadline;
	if (deadline == ~0ull) {
		wrmsr(X2APIC_TIMER_INITIAL, 0);
		return;
	}
	uint64_t ticks = deadline > now ? (deadline - now + hv_timer_ratio - 1) / hv_timer_ratio : 1;
	wrmsr(X2APIC_TIMER_INITIAL, ticks > 0xFFFFFFFFull ? 0xFFFFFFFFull : ticks);
}

static struct vp *pick(uint64_t now)
{
	if (current && vp_runnable(current) && now < slice_end)
		return current;
	unsigned start = 0;
	for (unsigned i = 0; current && i < nr_all_vps; i++)
		if (all_vps[i] == current)
			start = i + 1;
	for (unsigned k = 0; k < nr_all_vps; k++) {
		struct vp *vp = all_vps[(start + k) % nr_all_vps];
		if (vp_runnable(vp)) {
			current = vp;
			slice_end = now + hv_config.slice_cycles;
			return vp;
		}
	}
	return 0;
}

static void idle(uint64_t now)
{
	if (next_vtimer == ~0ull) {
		/* nothing can make a VP runnable again: no timer, no running VP to send */
		kprintf("hv: fatal: every virtual processor is blocked and no timer is armed: "
			"nothing can run again\n");
		for (unsigned i = 0; i < nr_all_vps; i++) {
			struct vp *vp = all_vps[i];
			kprintf("hv:   partition %llu VP %u at RIP 0x%llx:%s%s%s%s\n",
				(unsigned long long)vp->part->id, vp->index,
				(unsigned long long)vp->vmcb->rip, vp->started ? "" : " not started",
				vp->halted ? " halted" : "",
				vp->intercept_suspend ? " waiting for its parent" : "",
				vp->explicit_suspend ? " suspended" : "");
		}
		if (hv_config.stats)
			stats_print_all();
		machine_exit(HV_EXIT_ROOT_FAULT);
	}
	program_timer(next_vtimer, now);
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

_Noreturn void sched_run(void)
{
	for (;;) {
		take_interrupts();
		uint64_t now = rdtsc();
		update_vtimers(now);
		struct vp *vp = pick(now);
		if (!vp) {
			idle(now);
			continue;
		}
		program_timer(slice_end < next_vtimer ? slice_end : next_vtimer, now);
		svm_run(vp);
		exit_handle(vp);
	}
}
