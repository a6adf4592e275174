/* The local APIC in x2APIC mode (x2apic.h). Section numbers are Intel SDM vol. 3
 * chapter 11; the register address space is table 11-6. */
#include "x2apic.h"

/* IA32_APIC_BASE: bits 7:0 and 9 are reserved, as is everything at or above the
 * physical address width (40 bits: CPUID 0x80000008, MMU_PHYS_ADDR_BITS). The base
 * address field is kept but means nothing: there is no MMIO page (x2APIC only). */
#define APIC_BASE_PHYS_BITS 40
#define APIC_BASE_RESERVED (0x2FFull | ~((1ull << APIC_BASE_PHYS_BITS) - 1))

/* ICR bits reserved in x2APIC mode: 12 (no delivery status), 13, 17:16, 31:20
 * (SDM §11.12.9). */
#define ICR_RESERVED ((1ull << 12) | (1ull << 13) | (3ull << 16) | (0xFFFull << 20))

/* Divide configuration: bits 0, 1 and 3 (SDM §11.5.4, figure 11-10) */
#define DIVIDE_CONFIG_BITS 0xBu

/* Vectors 0-15 are reserved for exceptions: an interrupt may not use them (§11.5.2). */
#define FIRST_LEGAL_VECTOR 16

/* Per LVT entry: bits software may write, and read-only bits a write may carry but
 * which do not change (delivery status, remote IRR: nothing is ever in flight here).
 * Any other bit is reserved: setting it is #GP (x2APIC reserved-bit checking,
 * §11.12.1.3). Figure 11-8. */
static const struct {
	uint32_t writable, read_only;
} lvt_bits[LVT_COUNT] = {
	[LVT_CMCI] = { LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASKED, LVT_DELIVERY_STATUS },
	[LVT_TIMER] = { LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE, LVT_DELIVERY_STATUS },
	[LVT_THERMAL] = { LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASKED, LVT_DELIVERY_STATUS },
	[LVT_PERF] = { LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASKED, LVT_DELIVERY_STATUS },
	[LVT_LINT0] = { LVT_VECTOR | LVT_DELIVERY_MODE | LVT_PIN_POLARITY | LVT_TRIGGER_MODE |
				LVT_MASKED, LVT_DELIVERY_STATUS | LVT_REMOTE_IRR },
	[LVT_LINT1] = { LVT_VECTOR | LVT_DELIVERY_MODE | LVT_PIN_POLARITY | LVT_TRIGGER_MODE |
				LVT_MASKED, LVT_DELIVERY_STATUS | LVT_REMOTE_IRR },
	[LVT_ERROR] = { LVT_VECTOR | LVT_MASKED, LVT_DELIVERY_STATUS },
};

/* ---- 256-bit vector sets (IRR, ISR) ---- */

static bool vec_test(const uint32_t set[8], unsigned v)
{
	return set[v / 32] >> (v % 32) & 1;
}

static void vec_set(uint32_t set[8], unsigned v)
{
	set[v / 32] |= 1u << (v % 32);
}

static void vec_clear(uint32_t set[8], unsigned v)
{
	set[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector in the set, or -1 */
static int vec_highest(const uint32_t set[8])
{
	for (int w = 7; w >= 0; w--)
		if (set[w])
			return w * 32 + 31 - __builtin_clz(set[w]);
	return -1;
}

/* ---- state ---- */

static bool x2apic_enabled(const struct x2apic *a)
{
	return (a->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
	       (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool software_enabled(const struct x2apic *a)
{
	return a->svr & SVR_APIC_ENABLED;
}

/* x2APIC logical ID: cluster ID[19:4] in bits 31:16, one bit 1 << ID[3:0] (§11.12.10.2) */
static uint32_t logical_id(const struct x2apic *a)
{
	return ((a->x2apic_id >> 4) << 16) | (1u << (a->x2apic_id & 0xF));
}

/* Timer divisor from the divide configuration: bits 3,1:0 = 111b is 1, else 2 << value
 * (§11.5.4, figure 11-10). */
static uint64_t timer_divisor(uint32_t divide_config)
{
	unsigned value = (divide_config & 3) | ((divide_config >> 1) & 4);
	return value == 7 ? 1 : 2u << value;
}

static uint64_t saturating_mul(uint64_t x, uint64_t y)
{
	uint64_t r;
	return __builtin_mul_overflow(x, y, &r) ? UINT64_MAX : r;
}

/* The registers' power-up values (§11.4.7.1); also what disabling the APIC through
 * IA32_APIC_BASE leaves behind (§11.4.3). The x2APIC ID and IA32_APIC_BASE stay. */
static void reset_registers(struct x2apic *a)
{
	a->tpr = 0;
	a->svr = 0xFF;
	a->esr = a->esr_pending = 0;
	for (int w = 0; w < 8; w++)
		a->irr[w] = a->isr[w] = 0;
	for (int i = 0; i < LVT_COUNT; i++)
		a->lvt[i] = LVT_MASKED;
	a->icr = 0;
	a->divide_config = 0;
	a->initial_count = 0;
	a->timer_armed = false;
	a->timer_base_count = 0;
	a->timer_base_cycle = 0;
	a->timer_tick_cycles = saturating_mul(a->timer_ratio, timer_divisor(0));
}

void x2apic_init(struct x2apic *a, uint64_t timer_ratio)
{
	*a = (struct x2apic){
		.apic_base = APIC_BASE_DEFAULT_ADDR | APIC_BASE_BSP,
		.x2apic_id = 0,
		.timer_ratio = timer_ratio ? timer_ratio : 1,
	};
	reset_registers(a);
}

void x2apic_register_counters(struct x2apic *a, struct counter_registry *reg)
{
	counter_register(reg, "apic.timer_fires",
			 "x2APIC timer expiries (count reached zero), masked or not; each "
			 "coalesced periodic expiry counts", &a->timer_fires);
	counter_register(reg, "apic.interrupts_delivered",
			 "interrupts the CPU accepted from the APIC (IRR -> ISR)",
			 &a->interrupts_delivered);
	counter_register(reg, "apic.eois", "writes to the x2APIC EOI register", &a->eois);
	counter_register(reg, "apic.self_ipis",
			 "fixed IPIs to this CPU (SELF IPI register or ICR) that set an IRR bit",
			 &a->self_ipis);
	counter_register(reg, "apic.ipi_dropped",
			 "IPIs that reached no CPU: another destination (one CPU), a non-fixed "
			 "delivery mode, or a software-disabled APIC", &a->ipi_dropped);
	counter_register(reg, "apic.illegal_vectors",
			 "interrupts refused for an illegal vector 0-15 (ESR bit 5 or 6)",
			 &a->illegal_vectors);
}

/* ---- priority (§11.8.3.1) ---- */

/* PPR: TPR if its class is at least that of the highest in-service vector, else that
 * vector's class with sub-class 0. */
static uint32_t processor_priority(const struct x2apic *a)
{
	int isrv = vec_highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	return (a->tpr & 0xF0) >= isr_class ? a->tpr & 0xFF : isr_class;
}

int x2apic_intr_pending(const struct x2apic *a)
{
	if (!x2apic_enabled(a) || !software_enabled(a))
		return -1;
	int v = vec_highest(a->irr);
	if (v < 0 || ((uint32_t)v & 0xF0) <= (processor_priority(a) & 0xF0))
		return -1;
	return v;
}

void x2apic_intr_ack(struct x2apic *a, int vector)
{
	if (vector < 0 || vector > 255 || !vec_test(a->irr, (unsigned)vector))
		return;
	vec_clear(a->irr, (unsigned)vector);
	vec_set(a->isr, (unsigned)vector);
	a->interrupts_delivered++;
}

/* EOI: the highest-priority in-service interrupt is done (§11.8.5). */
static void end_of_interrupt(struct x2apic *a)
{
	int v = vec_highest(a->isr);
	if (v >= 0)
		vec_clear(a->isr, (unsigned)v);
	a->eois++;
}

/* ---- errors and local delivery ---- */

/* An illegal vector was seen (§11.5.3): log it in the ESR and, if the LVT error entry
 * is unmasked, raise the error interrupt. An illegal vector in the LVT error entry
 * itself is logged but raises nothing more. */
static void illegal_vector(struct x2apic *a, uint32_t esr_bits)
{
	a->esr_pending |= esr_bits;
	a->illegal_vectors++;
	uint32_t lvt = a->lvt[LVT_ERROR];
	if (lvt & LVT_MASKED)
		return;
	unsigned v = lvt & LVT_VECTOR;
	if (v < FIRST_LEGAL_VECTOR) {
		a->esr_pending |= ESR_RECEIVE_ILLEGAL_VECTOR;
		a->illegal_vectors++;
		return;
	}
	vec_set(a->irr, v);
}

/* A local interrupt from an LVT entry (fixed delivery): into the IRR unless masked. */
static void lvt_deliver(struct x2apic *a, enum lvt_index i)
{
	uint32_t lvt = a->lvt[i];
	if (lvt & LVT_MASKED)
		return;
	unsigned v = lvt & LVT_VECTOR;
	if (v < FIRST_LEGAL_VECTOR)
		illegal_vector(a, ESR_RECEIVE_ILLEGAL_VECTOR);
	else
		vec_set(a->irr, v);
}

/* A fixed IPI this APIC sends to itself. A software-disabled APIC accepts no fixed
 * interrupts (§11.4.7.2: it answers only NMI, SMI, INIT and SIPI). */
static void self_ipi(struct x2apic *a, unsigned vector)
{
	if (vector < FIRST_LEGAL_VECTOR) {
		illegal_vector(a, ESR_SEND_ILLEGAL_VECTOR | ESR_RECEIVE_ILLEGAL_VECTOR);
		return;
	}
	if (!software_enabled(a)) {
		a->ipi_dropped++;
		return;
	}
	vec_set(a->irr, vector);
	a->self_ipis++;
}

/* ---- the timer (§11.5.4) ---- */

static bool timer_periodic(const struct x2apic *a)
{
	return (a->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC;
}

/* A write of the initial count (re)starts the count-down from it; 0 stops the timer. */
static void timer_start(struct x2apic *a, uint64_t now)
{
	a->timer_armed = a->initial_count != 0;
	a->timer_base_count = a->initial_count;
	a->timer_base_cycle = now;
}

static uint32_t timer_current_count(const struct x2apic *a, uint64_t now)
{
	if (!a->timer_armed)
		return 0;
	uint64_t ticks = now > a->timer_base_cycle
				 ? (now - a->timer_base_cycle) / a->timer_tick_cycles : 0;
	if (ticks < a->timer_base_count)
		return (uint32_t)(a->timer_base_count - ticks);
	/* past an expiry not yet processed (callers run the events first) */
	if (!timer_periodic(a))
		return 0;
	return a->initial_count - (uint32_t)((ticks - a->timer_base_count) % a->initial_count);
}

/* A new divisor applies from now: the count keeps its value, the tick in progress
 * starts over at the new rate. */
static void timer_set_divide(struct x2apic *a, uint32_t divide_config, uint64_t now)
{
	if (a->timer_armed) {
		a->timer_base_count = timer_current_count(a, now);
		a->timer_base_cycle = now;
	}
	a->divide_config = divide_config;
	a->timer_tick_cycles = saturating_mul(a->timer_ratio, timer_divisor(divide_config));
}

/* When the count next reaches zero, whether or not the entry is masked */
static uint64_t timer_expiry(const struct x2apic *a)
{
	if (!a->timer_armed)
		return UINT64_MAX;
	uint64_t span = saturating_mul(a->timer_base_count, a->timer_tick_cycles);
	return span > UINT64_MAX - a->timer_base_cycle ? UINT64_MAX : a->timer_base_cycle + span;
}

/* A masked expiry raises nothing, so it need not wake anyone: it is counted the next
 * time the APIC is brought up to date. A CPU halted with only a masked timer running
 * is halted for good. */
uint64_t x2apic_next_event(const struct x2apic *a)
{
	return (a->lvt[LVT_TIMER] & LVT_MASKED) ? UINT64_MAX : timer_expiry(a);
}

void x2apic_run_events(struct x2apic *a, uint64_t now)
{
	uint64_t expiry = timer_expiry(a);
	if (expiry == UINT64_MAX || expiry > now)
		return;
	uint64_t fires = 1;
	if (timer_periodic(a)) {
		/* reload and go on; expiries missed since then coalesce into one IRR bit */
		uint64_t period = saturating_mul(a->initial_count, a->timer_tick_cycles);
		uint64_t more = (now - expiry) / period;
		fires += more;
		a->timer_base_cycle = expiry + more * period;
		a->timer_base_count = a->initial_count;
	} else {
		a->timer_armed = false;
	}
	a->timer_fires += fires;
	lvt_deliver(a, LVT_TIMER);
}

/* ---- register writes with side effects ---- */

/* IA32_APIC_BASE (§11.4.4, §11.12.5). hvsim has no xAPIC mode: it has no MMIO APIC
 * page, so EN without EXTD is refused with #GP, and the transition disabled -> x2APIC,
 * which the SDM routes through xAPIC mode, is made directly. EXTD without EN is an
 * invalid state (#GP). Disabling resets the registers; BSP is read-only. */
static bool apic_base_write(struct x2apic *a, uint64_t v)
{
	if (v & APIC_BASE_RESERVED)
		return false;
	bool en = v & APIC_BASE_EN, extd = v & APIC_BASE_EXTD;
	if (en != extd)
		return false;
	if (!en && x2apic_enabled(a))
		reset_registers(a);
	a->apic_base = (v & ~APIC_BASE_BSP) | (a->apic_base & APIC_BASE_BSP);
	return true;
}

/* SVR (§11.4.7.2, §11.9): clearing the software enable masks every LVT entry. Focus
 * processor checking (bit 9) and EOI-broadcast suppression (bit 12) are not supported:
 * reserved. */
static bool svr_write(struct x2apic *a, uint32_t v)
{
	if (v & ~(SVR_VECTOR | SVR_APIC_ENABLED))
		return false;
	a->svr = v;
	if (!software_enabled(a))
		for (int i = 0; i < LVT_COUNT; i++)
			a->lvt[i] |= LVT_MASKED;
	return true;
}

/* An LVT entry (§11.5.1). While the APIC is software-disabled the mask bit cannot be
 * cleared (§11.4.7.2). Timer mode 10b (TSC-deadline) is not supported (CPUID.1:ECX[24]
 * is clear, so the encoding is reserved) and 11b is reserved: both #GP. */
static bool lvt_write(struct x2apic *a, enum lvt_index i, uint32_t v)
{
	if (v & ~(lvt_bits[i].writable | lvt_bits[i].read_only))
		return false;
	if (i == LVT_TIMER && (v & LVT_TIMER_MODE) != LVT_TIMER_ONE_SHOT &&
	    (v & LVT_TIMER_MODE) != LVT_TIMER_PERIODIC)
		return false;
	v &= lvt_bits[i].writable;
	if (!software_enabled(a))
		v |= LVT_MASKED;
	a->lvt[i] = v;
	return true;
}

/* Does an ICR destination name this APIC? Physical: the x2APIC ID; logical: the same
 * cluster and an overlapping bit (§11.12.10.2); FFFF_FFFFh is a broadcast (§11.12.9). */
static bool icr_destination_is_self(const struct x2apic *a, uint64_t icr)
{
	uint32_t dest = (uint32_t)(icr >> ICR_DESTINATION_SHIFT);
	if (dest == X2APIC_BROADCAST)
		return true;
	if (!(icr & ICR_DESTINATION_LOGICAL))
		return dest == a->x2apic_id;
	uint32_t ldr = logical_id(a);
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF);
}

/* ICR: one 64-bit write sends the IPI (§11.12.9, §11.6.1). Only fixed delivery to this
 * CPU is modelled; anything else reaches no CPU and is counted as dropped. */
static bool icr_write(struct x2apic *a, uint64_t v)
{
	if (v & ICR_RESERVED)
		return false;
	a->icr = v;

	bool to_self;
	switch (v & ICR_SHORTHAND) {
	case ICR_SH_SELF:
	case ICR_SH_ALL_INCLUDING_SELF:
		to_self = true;
		break;
	case ICR_SH_ALL_EXCLUDING_SELF:
		to_self = false;
		break;
	default:
		to_self = icr_destination_is_self(a, v);
		break;
	}
	if ((v & ICR_DELIVERY_MODE) != ICR_DM_FIXED) {
		a->ipi_dropped++; /* lowest priority, SMI, NMI, INIT, SIPI: not modelled */
		return true;
	}
	unsigned vector = v & ICR_VECTOR;
	if (to_self)
		self_ipi(a, vector);
	else if (vector < FIRST_LEGAL_VECTOR)
		illegal_vector(a, ESR_SEND_ILLEGAL_VECTOR);
	else
		a->ipi_dropped++;
	return true;
}

/* ---- the MSR interface ---- */

static int lvt_index_of(uint32_t msr)
{
	switch (msr) {
	case X2APIC_LVT_CMCI: return LVT_CMCI;
	case X2APIC_LVT_TIMER: return LVT_TIMER;
	case X2APIC_LVT_THERMAL: return LVT_THERMAL;
	case X2APIC_LVT_PERF: return LVT_PERF;
	case X2APIC_LVT_LINT0: return LVT_LINT0;
	case X2APIC_LVT_LINT1: return LVT_LINT1;
	case X2APIC_LVT_ERROR: return LVT_ERROR;
	default: return -1;
	}
}

/* x2APIC MSRs #GP unless the APIC is in x2APIC mode; so do reads of the write-only
 * registers (EOI, SELF IPI) and any address table 11-6 does not list (§11.12.1.2). */
bool x2apic_msr_read(struct x2apic *a, uint32_t msr, uint64_t now, uint64_t *v)
{
	x2apic_run_events(a, now);
	if (msr == MSR_IA32_APIC_BASE) {
		*v = a->apic_base;
		return true;
	}
	if (!x2apic_enabled(a) || msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST)
		return false;
	int lvt = lvt_index_of(msr);
	if (lvt >= 0) {
		*v = a->lvt[lvt];
		return true;
	}
	if (msr >= X2APIC_ISR0 && msr < X2APIC_ISR0 + 8) {
		*v = a->isr[msr - X2APIC_ISR0];
		return true;
	}
	if (msr >= X2APIC_TMR0 && msr < X2APIC_TMR0 + 8) {
		*v = 0; /* every interrupt hvsim delivers is edge-triggered */
		return true;
	}
	if (msr >= X2APIC_IRR0 && msr < X2APIC_IRR0 + 8) {
		*v = a->irr[msr - X2APIC_IRR0];
		return true;
	}
	switch (msr) {
	case X2APIC_ID: *v = a->x2apic_id; return true;
	case X2APIC_VERSION: *v = X2APIC_VERSION_VALUE; return true;
	case X2APIC_TPR: *v = a->tpr; return true;
	case X2APIC_PPR: *v = processor_priority(a); return true;
	case X2APIC_LDR: *v = logical_id(a); return true;
	case X2APIC_SVR: *v = a->svr; return true;
	case X2APIC_ESR: *v = a->esr; return true;
	case X2APIC_ICR: *v = a->icr; return true;
	case X2APIC_TIMER_INITIAL_COUNT: *v = a->initial_count; return true;
	case X2APIC_TIMER_CURRENT_COUNT: *v = timer_current_count(a, now); return true;
	case X2APIC_TIMER_DIVIDE_CONFIG: *v = a->divide_config; return true;
	default: return false;
	}
}

/* Writes #GP outside x2APIC mode, to read-only registers (ID, version, PPR, LDR, ISR,
 * TMR, IRR, current count), to unlisted addresses, and when a reserved bit is set:
 * bits 63:32 of every register but the ICR (§11.12.1.2), and the bits each register
 * below names. */
bool x2apic_msr_write(struct x2apic *a, uint32_t msr, uint64_t v, uint64_t now)
{
	x2apic_run_events(a, now);
	if (msr == MSR_IA32_APIC_BASE)
		return apic_base_write(a, v);
	if (!x2apic_enabled(a) || msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST)
		return false;
	if (msr == X2APIC_ICR)
		return icr_write(a, v);
	if (v >> 32)
		return false;
	uint32_t lo = (uint32_t)v;
	int lvt = lvt_index_of(msr);
	if (lvt >= 0)
		return lvt_write(a, (enum lvt_index)lvt, lo);
	switch (msr) {
	case X2APIC_TPR: /* bits 7:0 */
		if (lo & ~0xFFu)
			return false;
		a->tpr = lo;
		return true;
	case X2APIC_EOI: /* a non-zero write is #GP in x2APIC mode (§11.12.1.2) */
		if (lo)
			return false;
		end_of_interrupt(a);
		return true;
	case X2APIC_SVR:
		return svr_write(a, lo);
	case X2APIC_ESR: /* write 0 to latch the errors seen since the last write (§11.5.3) */
		if (lo)
			return false;
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return true;
	case X2APIC_TIMER_INITIAL_COUNT: /* all 32 bits */
		a->initial_count = lo;
		timer_start(a, now);
		return true;
	case X2APIC_TIMER_DIVIDE_CONFIG:
		if (lo & ~DIVIDE_CONFIG_BITS)
			return false;
		timer_set_divide(a, lo, now);
		return true;
	case X2APIC_SELF_IPI: /* vector in bits 7:0 (§11.12.11) */
		if (lo & ~0xFFu)
			return false;
		self_ipi(a, lo);
		return true;
	default:
		return false;
	}
}
