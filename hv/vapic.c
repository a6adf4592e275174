/* Each VP's virtual x2APIC (Intel SDM vol. 3 ch. 11; the registers are the ones the
 * board's x2APIC has, docs/devices.md): IRR/ISR/TPR priority, EOI, the timer (one-shot
 * and periodic, counting at the machine's rate), self-IPIs and fixed IPIs to the
 * partition's other VPs, and the SynIC's vectors (auto-EOI). Every access is an MSR
 * intercept (svm.c's MSR map); the physical x2APIC stays hv's. hv offers the best
 * deliverable vector with V_IRQ at each VMRUN (svm.c) and moves it from IRR to ISR
 * when the guest took it. */
#include "hv.h"
#include "kstring.h"
#include "x86.h"

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_RESERVED (0x2FFull | ~((1ull << 40) - 1))
#define APIC_VERSION (0x14u | (6u << 16))
#define SVR_ENABLED (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_TIMER_MODE (3u << 17)
#define LVT_TIMER 1
#define LVT_ERROR 6
#define ICR_RESERVED ((1ull << 12) | (1ull << 13) | (3ull << 16) | (0xFFFull << 20))
#define ICR_LOGICAL (1ull << 11)
#define ICR_DM_MASK (7ull << 8)
#define ICR_SHORTHAND_SHIFT 18
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECEIVE_ILLEGAL (1u << 6)

/* The bits each LVT entry may hold (SDM figure 11-8): CMCI, timer, thermal, perf,
 * LINT0, LINT1, error */
static const uint32_t lvt_writable[7] = { 0x107FF, 0x700FF, 0x107FF, 0x107FF, 0x1A7FF,
					  0x1A7FF, 0x100FF };

static bool vec_test(const uint32_t s[8], unsigned v) { return s[v / 32] >> (v % 32) & 1; }
static void vec_set(uint32_t s[8], unsigned v) { s[v / 32] |= 1u << (v % 32); }
static void vec_clear(uint32_t s[8], unsigned v) { s[v / 32] &= ~(1u << (v % 32)); }

static int vec_highest(const uint32_t s[8])
{
	for (int w = 7; w >= 0; w--)
		if (s[w])
			return w * 32 + 31 - __builtin_clz(s[w]);
	return -1;
}

static bool hw_enabled(const struct vapic *a)
{
	return (a->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

static void reset_registers(struct vapic *a)
{
	a->tpr = 0;
	a->svr = 0xFF;
	a->esr = 0;
	for (int i = 0; i < 7; i++)
		a->lvt[i] = LVT_MASKED;
	memset(a->irr, 0, sizeof a->irr);
	a->irr_bits = 0;
	memset(a->isr, 0, sizeof a->isr);
	a->icr = 0;
	a->divide_config = 0;
	a->initial_count = 0;
	a->timer_armed = false;
}

void vapic_reset(struct vp *vp)
{
	struct vapic *a = &vp->apic;
	memset(a, 0, sizeof *a);
	/* power-up: globally disabled; VP 0 is the bootstrap processor (SDM §11.4.7.1) */
	a->apic_base = 0xFEE00000ull | (vp->index == 0 ? APIC_BASE_BSP : 0);
	reset_registers(a);
}

/* PPR (SDM §11.8.3.1) */
static uint32_t ppr(const struct vapic *a)
{
	int v = vec_highest(a->isr);
	uint32_t isr_class = v < 0 ? 0 : (uint32_t)v & 0xF0;
	return (a->tpr & 0xF0) >= isr_class ? a->tpr & 0xFF : isr_class;
}

bool vapic_accepts(const struct vp *vp)
{
	return hw_enabled(&vp->apic) && (vp->apic.svr & SVR_ENABLED);
}

int vapic_pending(const struct vp *vp)
{
	const struct vapic *a = &vp->apic;
	if (a->irr_bits == 0 || !hw_enabled(a) || !(a->svr & SVR_ENABLED))
		return -1;
	int v = vec_highest(a->irr);
	if (v < 0 || ((uint32_t)v & 0xF0) <= (ppr(a) & 0xF0))
		return -1;
	return v;
}

void vapic_accept(struct vp *vp, int vector)
{
	struct vapic *a = &vp->apic;
	if (vec_test(a->irr, (unsigned)vector)) {
		vec_clear(a->irr, (unsigned)vector);
		a->irr_bits--;
	}
	if (!vec_test(a->auto_eoi, (unsigned)vector))
		vec_set(a->isr, (unsigned)vector);
}

bool vp_interruptible(const struct vp *vp)
{
	return vapic_pending(vp) >= 0 && (vp->vmcb->rflags & (1ull << 9)); /* RFLAGS.IF */
}

void vp_wake_if_interrupted(struct vp *vp)
{
	if (vp->halted && vp_interruptible(vp))
		vp->halted = false;
}

void vapic_raise(struct vp *vp, unsigned vector, bool auto_eoi)
{
	struct vapic *a = &vp->apic;
	if (vector < 16) {
		a->esr |= ESR_RECEIVE_ILLEGAL; /* vectors 0-15 are the exceptions' (§11.5.2) */
		return;
	}
	if (!vapic_accepts(vp))
		return; /* a disabled APIC accepts no fixed interrupt (§11.4.7.2) */
	if (!vec_test(a->irr, vector)) {
		vec_set(a->irr, vector);
		a->irr_bits++;
	}
	if (auto_eoi)
		vec_set(a->auto_eoi, vector);
	else
		vec_clear(a->auto_eoi, vector);
	vp_wake_if_interrupted(vp);
}

void vapic_sync_tpr(struct vp *vp)
{
	uint32_t vtpr = vp->vmcb->vintr & VMCB_V_TPR_MASK;
	if (vtpr != (vp->apic.tpr >> 4))
		vp->apic.tpr = vtpr << 4;
}

/* ---- the timer (SDM §11.5.4), in the board's ticks: hv_timer_ratio cycles each at
 * divide 1 ---- */

static uint64_t tick_cycles(const struct vapic *a)
{
	unsigned value = (a->divide_config & 3) | ((a->divide_config >> 1) & 4);
	return hv_timer_ratio * (value == 7 ? 1 : 2u << value);
}

/* A periodic timer faster than this would keep the VP in INTR exits: its expiries
 * come at least this far apart (KVM has a minimum period for the same reason). */
#define MIN_PERIOD_CYCLES 2000

static void timer_load(struct vapic *a, uint32_t count, uint64_t now)
{
	uint64_t span = (uint64_t)count * tick_cycles(a);
	if ((a->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_PERIODIC && span < MIN_PERIOD_CYCLES)
		span = MIN_PERIOD_CYCLES;
	a->timer_armed = count != 0;
	a->timer_base_count = count;
	a->timer_start = now;
	a->timer_deadline = now + span;
	sched_timer_changed();
}

static uint32_t timer_current(const struct vapic *a, uint64_t now)
{
	if (!a->timer_armed)
		return 0;
	uint64_t ticks = (now - a->timer_start) / tick_cycles(a);
	if (ticks < a->timer_base_count)
		return (uint32_t)(a->timer_base_count - ticks);
	if ((a->lvt[LVT_TIMER] & LVT_TIMER_MODE) != LVT_PERIODIC || !a->initial_count)
		return 0;
	return a->initial_count - (uint32_t)((ticks - a->timer_base_count) % a->initial_count);
}

void vapic_timer_expire(struct vp *vp, uint64_t now)
{
	struct vapic *a = &vp->apic;
	if (!a->timer_armed || now < a->timer_deadline)
		return;
	if (!(a->lvt[LVT_TIMER] & LVT_MASKED))
		vapic_raise(vp, a->lvt[LVT_TIMER] & 0xFF, false);
	if ((a->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_PERIODIC && a->initial_count) {
		/* reload; periods missed meanwhile coalesce into the one IRR bit */
		uint64_t period = (uint64_t)a->initial_count * tick_cycles(a);
		if (period < MIN_PERIOD_CYCLES)
			period = MIN_PERIOD_CYCLES;
		uint64_t reload = a->timer_deadline + (now - a->timer_deadline) / period * period;
		timer_load(a, a->initial_count, reload);
	} else {
		a->timer_armed = false;
		sched_timer_changed();
	}
}

/* ---- IPIs (SDM §11.12.9): fixed delivery to this partition's VPs only ---- */

static void send_ipi(struct vp *vp, uint64_t icr)
{
	struct partition *p = vp->part;
	unsigned vector = icr & 0xFF;
	if ((icr & ICR_DM_MASK) != 0)
		return; /* only fixed delivery is modelled, as on the board */
	if (vector < 16) {
		vp->apic.esr |= ESR_SEND_ILLEGAL;
		return;
	}
	uint32_t dest = (uint32_t)(icr >> 32);
	unsigned shorthand = (unsigned)(icr >> ICR_SHORTHAND_SHIFT) & 3;
	for (unsigned i = 0; i < HV_MAX_VPS; i++) {
		struct vp *t = p->vp[i];
		if (!t)
			continue;
		bool hit;
		switch (shorthand) {
		case 1: hit = t == vp; break;                 /* self */
		case 2: hit = true; break;                    /* all including self */
		case 3: hit = t != vp; break;                 /* all excluding self */
		default:
			if (dest == 0xFFFFFFFFu)
				hit = true;
			else if (icr & ICR_LOGICAL) /* cluster 31:16, one bit per ID 3:0 */
				hit = (dest >> 16) == (t->index >> 4) && (dest & (1u << (t->index & 15)));
			else
				hit = dest == t->index;
			break;
		}
		if (hit)
			vapic_raise(t, vector, false);
	}
}

/* ---- the registers ---- */

bool vapic_read(struct vp *vp, uint32_t msr, uint64_t *v)
{
	struct vapic *a = &vp->apic;
	if (msr == 0x1B) {
		*v = a->apic_base;
		return true;
	}
	if (!hw_enabled(a))
		return false; /* x2APIC registers #GP until x2APIC mode is on */
	if (msr >= 0x810 && msr <= 0x817) {
		*v = a->isr[msr - 0x810];
		return true;
	}
	if (msr >= 0x818 && msr <= 0x81F) {
		*v = 0; /* TMR: every interrupt here is edge-triggered */
		return true;
	}
	if (msr >= 0x820 && msr <= 0x827) {
		*v = a->irr[msr - 0x820];
		return true;
	}
	switch (msr) {
	case 0x802: *v = vp->index; return true;   /* ID: the VP index */
	case 0x803: *v = APIC_VERSION; return true;
	case 0x808: *v = a->tpr; return true;
	case 0x80A: *v = ppr(a); return true;
	case 0x80D: *v = ((vp->index >> 4) << 16) | (1u << (vp->index & 15)); return true;
	case 0x80F: *v = a->svr; return true;
	case 0x828: *v = a->esr; return true;
	case 0x82F: *v = a->lvt[0]; return true;
	case 0x830: *v = a->icr; return true;
	case 0x832: case 0x833: case 0x834: case 0x835: case 0x836: case 0x837:
		*v = a->lvt[msr - 0x831];
		return true;
	case 0x838: *v = a->initial_count; return true;
	case 0x839: *v = timer_current(a, rdtsc()); return true;
	case 0x83E: *v = a->divide_config; return true;
	default: return false; /* EOI and SELF IPI are write-only; the rest is reserved */
	}
}

static bool lvt_write(struct vapic *a, unsigned i, uint64_t v)
{
	if (v & ~(uint64_t)(lvt_writable[i] | (1u << 12)))
		return false;
	if (i == LVT_TIMER && (v & LVT_TIMER_MODE) > LVT_PERIODIC)
		return false; /* TSC-deadline and the reserved mode */
	uint32_t x = (uint32_t)v & lvt_writable[i];
	if (!(a->svr & SVR_ENABLED))
		x |= LVT_MASKED;
	a->lvt[i] = x;
	return true;
}

bool vapic_write(struct vp *vp, uint32_t msr, uint64_t v)
{
	struct vapic *a = &vp->apic;
	uint64_t now = rdtsc();
	if (msr == 0x1B) {
		bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
		if ((v & APIC_BASE_RESERVED) || en != extd)
			return false; /* no xAPIC mode, as on the board */
		if (!en && hw_enabled(a))
			reset_registers(a);
		a->apic_base = (v & ~APIC_BASE_BSP) | (a->apic_base & APIC_BASE_BSP);
		sched_timer_changed();
		return true;
	}
	if (!hw_enabled(a))
		return false;
	switch (msr) {
	case 0x808:
		if (v & ~0xFFull)
			return false;
		a->tpr = (uint32_t)v;
		return true;
	case 0x80B: { /* EOI: the highest in service is done (§11.8.5) */
		if (v)
			return false;
		int s = vec_highest(a->isr);
		if (s >= 0)
			vec_clear(a->isr, (unsigned)s);
		return true;
	}
	case 0x80F:
		if (v & ~0x1FFull)
			return false;
		a->svr = (uint32_t)v;
		if (!(a->svr & SVR_ENABLED))
			for (int i = 0; i < 7; i++)
				a->lvt[i] |= LVT_MASKED;
		sched_timer_changed();
		return true;
	case 0x828:
		if (v)
			return false;
		return true;
	case 0x82F:
		return lvt_write(a, 0, v);
	case 0x832: case 0x833: case 0x834: case 0x835: case 0x836: case 0x837: {
		bool ok = lvt_write(a, msr - 0x831, v);
		sched_timer_changed();
		return ok;
	}
	case 0x830:
		if (v & ICR_RESERVED)
			return false;
		a->icr = v;
		send_ipi(vp, v);
		return true;
	case 0x838:
		if (v >> 32)
			return false;
		a->initial_count = (uint32_t)v;
		timer_load(a, a->initial_count, now);
		return true;
	case 0x83E: {
		if (v & ~0xBull)
			return false;
		uint32_t left = timer_current(a, now);
		a->divide_config = (uint32_t)v;
		if (a->timer_armed) /* the count keeps its value; the new rate applies from now */
			timer_load(a, left, now);
		return true;
	}
	case 0x83F:
		if (v & ~0xFFull)
			return false;
		send_ipi(vp, (v & 0xFF) | (1ull << ICR_SHORTHAND_SHIFT));
		return true;
	default:
		return false; /* read-only or reserved */
	}
}
