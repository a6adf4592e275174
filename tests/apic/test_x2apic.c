/* Unit tests of the x2APIC (devices/x2apic.c) through its API alone: no CPU, the cycle
 * count is whatever each test passes. Section numbers are Intel SDM vol. 3 ch. 11. */
#include "unit.h"

#include "devices/x2apic.h"

static struct x2apic apic;

#define ENABLE_BITS (APIC_BASE_DEFAULT_ADDR | APIC_BASE_EN | APIC_BASE_EXTD)

/* RDMSR/WRMSR that must succeed, and the #GP checks; `now` is the cycle count. */
#define RD(msr, now) rd_ok(msr, now, __LINE__)
#define WR(msr, v, now) wr_ok(msr, v, now, __LINE__)
#define RD_GP(msr) ck_assert_msg(!x2apic_msr_read(&apic, msr, 0, &(uint64_t){ 0 }), \
				 "RDMSR 0x%x should #GP", (unsigned)(msr))
#define WR_GP(msr, v) ck_assert_msg(!x2apic_msr_write(&apic, msr, v, 0), \
				    "WRMSR 0x%x <- 0x%llx should #GP", (unsigned)(msr), \
				    (unsigned long long)(v))

static uint64_t rd_ok(uint32_t msr, uint64_t now, int line)
{
	uint64_t v = 0xDEAD;
	ck_assert_msg(x2apic_msr_read(&apic, msr, now, &v), "line %d: RDMSR 0x%x #GP", line,
		      msr);
	return v;
}

static void wr_ok(uint32_t msr, uint64_t v, uint64_t now, int line)
{
	ck_assert_msg(x2apic_msr_write(&apic, msr, v, now), "line %d: WRMSR 0x%x <- 0x%llx #GP",
		      line, msr, (unsigned long long)v);
}

/* An APIC in x2APIC mode, software-enabled (spurious vector 0xFF) */
static void enabled_apic(uint64_t timer_ratio)
{
	x2apic_init(&apic, timer_ratio);
	WR(MSR_IA32_APIC_BASE, ENABLE_BITS, 0);
	WR(X2APIC_SVR, SVR_APIC_ENABLED | 0xFF, 0);
}

static bool irr_has(unsigned v)
{
	return RD(X2APIC_IRR0 + v / 32, 0) >> (v % 32) & 1;
}

static bool isr_has(unsigned v)
{
	return RD(X2APIC_ISR0 + v / 32, 0) >> (v % 32) & 1;
}

/* ESR as software reads it: write 0 first (§11.5.3) */
static uint32_t read_esr(void)
{
	WR(X2APIC_ESR, 0, 0);
	return (uint32_t)RD(X2APIC_ESR, 0);
}

/* ---- IA32_APIC_BASE and enabling (§11.4.4, §11.12.1, §11.12.5) ---- */

START_TEST(reset_state_is_disabled)
{
	x2apic_init(&apic, 1);
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEE00000u | APIC_BASE_BSP);
	RD_GP(X2APIC_ID);
	RD_GP(X2APIC_TPR);
	WR_GP(X2APIC_TPR, 0);
	WR_GP(X2APIC_SELF_IPI, 0x40);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
}
END_TEST

START_TEST(enable_rules)
{
	x2apic_init(&apic, 1);
	/* xAPIC mode (EN without EXTD): hvsim has no MMIO APIC */
	WR_GP(MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT_ADDR | APIC_BASE_EN);
	/* EXTD without EN: the invalid state */
	WR_GP(MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT_ADDR | APIC_BASE_EXTD);
	/* reserved bits: 7:0, 9, 63:40 */
	WR_GP(MSR_IA32_APIC_BASE, ENABLE_BITS | 1);
	WR_GP(MSR_IA32_APIC_BASE, ENABLE_BITS | 0x80);
	WR_GP(MSR_IA32_APIC_BASE, ENABLE_BITS | (1u << 9));
	WR_GP(MSR_IA32_APIC_BASE, ENABLE_BITS | (1ull << 40));
	WR_GP(MSR_IA32_APIC_BASE, ENABLE_BITS | (1ull << 63));
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEE00000u | APIC_BASE_BSP);

	/* disabled -> x2APIC directly; BSP is read-only (a write without it keeps it) */
	WR(MSR_IA32_APIC_BASE, ENABLE_BITS, 0);
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEE00D00u);
	ck_assert_uint_eq(RD(X2APIC_ID, 0), 0);
	/* x2APIC -> xAPIC is #GP and leaves the mode alone */
	WR_GP(MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT_ADDR | APIC_BASE_EN);
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEE00D00u);
	/* the base address is kept (no MMIO page: it means nothing) */
	WR(MSR_IA32_APIC_BASE, 0xFEC00000u | APIC_BASE_EN | APIC_BASE_EXTD, 0);
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEC00D00u);
}
END_TEST

START_TEST(disable_resets_registers)
{
	enabled_apic(1);
	WR(X2APIC_TPR, 0x30, 0);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 100, 0);
	WR(X2APIC_SELF_IPI, 0x80, 0);
	ck_assert_uint_ne(x2apic_next_event(&apic), UINT64_MAX);

	WR(MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT_ADDR, 10);
	ck_assert_uint_eq(RD(MSR_IA32_APIC_BASE, 0), 0xFEE00100u);
	RD_GP(X2APIC_TPR);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);

	WR(MSR_IA32_APIC_BASE, ENABLE_BITS, 20);
	ck_assert_uint_eq(RD(X2APIC_TPR, 20), 0);
	ck_assert_uint_eq(RD(X2APIC_SVR, 20), 0xFF);
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 20), LVT_MASKED);
	ck_assert_uint_eq(RD(X2APIC_TIMER_INITIAL_COUNT, 20), 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_DIVIDE_CONFIG, 20), 0);
	ck_assert(!irr_has(0x80));
}
END_TEST

/* ---- the register map (table 11-6) ---- */

START_TEST(read_only_registers)
{
	enabled_apic(1);
	ck_assert_uint_eq(RD(X2APIC_ID, 0), 0);
	ck_assert_uint_eq(RD(X2APIC_VERSION, 0), 0x00060014u);
	ck_assert_uint_eq(RD(X2APIC_LDR, 0), 1); /* cluster 0, bit 1 << ID[3:0] */
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 0), 0);
	static const uint32_t ro[] = { X2APIC_ID, X2APIC_VERSION, X2APIC_PPR, X2APIC_LDR,
				       X2APIC_TIMER_CURRENT_COUNT };
	for (unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++)
		WR_GP(ro[i], 0);
	for (uint32_t msr = X2APIC_ISR0; msr < X2APIC_IRR0 + 8; msr++) {
		ck_assert_uint_eq(RD(msr, 0), 0);
		WR_GP(msr, 0);
	}
}
END_TEST

START_TEST(write_only_and_unlisted_registers)
{
	enabled_apic(1);
	RD_GP(X2APIC_EOI);
	RD_GP(X2APIC_SELF_IPI);
	/* addresses table 11-6 does not list (APR, RRD, DFR and the gaps among them) */
	static const uint32_t unlisted[] = { 0x800, 0x801, 0x804, 0x807, 0x809, 0x80C, 0x80E,
					     0x829, 0x82E, 0x831, 0x83A, 0x83D, 0x840, 0x8FF };
	for (unsigned i = 0; i < sizeof unlisted / sizeof unlisted[0]; i++) {
		RD_GP(unlisted[i]);
		WR_GP(unlisted[i], 0);
	}
}
END_TEST

START_TEST(reserved_bits)
{
	enabled_apic(1);
	/* bits 63:32 are reserved in every register but the ICR */
	WR_GP(X2APIC_TPR, 1ull << 32);
	WR_GP(X2APIC_LVT_TIMER, (1ull << 40) | 0x40);
	WR_GP(X2APIC_TIMER_INITIAL_COUNT, 1ull << 32);
	WR_GP(X2APIC_TPR, 0x100);
	WR_GP(X2APIC_EOI, 1);
	WR_GP(X2APIC_ESR, 0x40);
	WR_GP(X2APIC_SVR, 0x3FF);              /* focus processor checking */
	WR_GP(X2APIC_SVR, 0x11FF);             /* EOI-broadcast suppression */
	WR_GP(X2APIC_LVT_TIMER, 0x40 | (1u << 8));  /* the timer has no delivery mode */
	WR_GP(X2APIC_LVT_TIMER, 0x40 | (1u << 19));
	WR_GP(X2APIC_LVT_TIMER, 0x40 | LVT_TIMER_TSC_DEADLINE); /* not supported */
	WR_GP(X2APIC_LVT_TIMER, 0x40 | LVT_TIMER_MODE);         /* reserved mode 11b */
	WR_GP(X2APIC_LVT_ERROR, 0x40 | (4u << 8));
	WR_GP(X2APIC_LVT_LINT0, 0x40 | (1u << 17));
	WR_GP(X2APIC_LVT_CMCI, 0x40 | LVT_TRIGGER_MODE);
	WR_GP(X2APIC_TIMER_DIVIDE_CONFIG, 4);
	WR_GP(X2APIC_SELF_IPI, 0x140);
	WR_GP(X2APIC_ICR, 0x40 | (1u << 12));
	WR_GP(X2APIC_ICR, 0x40 | (1u << 13));
	WR_GP(X2APIC_ICR, 0x40 | (1u << 16));
	WR_GP(X2APIC_ICR, 0x40 | (1u << 31));
	/* nothing changed */
	ck_assert_uint_eq(RD(X2APIC_TPR, 0), 0);
	ck_assert_uint_eq(RD(X2APIC_SVR, 0), 0x1FF);
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 0), LVT_MASKED);
	ck_assert_uint_eq(RD(X2APIC_ICR, 0), 0);
	ck_assert_uint_eq(apic.self_ipis + apic.ipi_dropped + apic.eois, 0);
}
END_TEST

START_TEST(read_write_round_trips)
{
	enabled_apic(1);
	WR(X2APIC_TPR, 0xA7, 0);
	ck_assert_uint_eq(RD(X2APIC_TPR, 0), 0xA7);
	WR(X2APIC_SVR, 0x1F3, 0);
	ck_assert_uint_eq(RD(X2APIC_SVR, 0), 0x1F3);
	WR(X2APIC_LVT_LINT0, 0x0001E7F3, 0); /* remote IRR (bit 14) is read-only */
	ck_assert_uint_eq(RD(X2APIC_LVT_LINT0, 0), 0x0001A7F3);
	WR(X2APIC_LVT_LINT1, 4u << 8, 0); /* NMI, unmasked */
	ck_assert_uint_eq(RD(X2APIC_LVT_LINT1, 0), 4u << 8);
	WR(X2APIC_LVT_ERROR, LVT_DELIVERY_STATUS | 0xFE, 0); /* read-only bit ignored */
	ck_assert_uint_eq(RD(X2APIC_LVT_ERROR, 0), 0xFE);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | LVT_MASKED | 0x31, 0);
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 0), LVT_TIMER_PERIODIC | LVT_MASKED | 0x31);
	WR(X2APIC_LVT_THERMAL, 0x55, 0);
	ck_assert_uint_eq(RD(X2APIC_LVT_THERMAL, 0), 0x55);
	WR(X2APIC_LVT_PERF, 0x56, 0);
	ck_assert_uint_eq(RD(X2APIC_LVT_PERF, 0), 0x56);
	WR(X2APIC_LVT_CMCI, 0x57, 0);
	ck_assert_uint_eq(RD(X2APIC_LVT_CMCI, 0), 0x57);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_DIVIDE_CONFIG, 0), 0xB);
	WR(X2APIC_TIMER_INITIAL_COUNT, 0xFFFFFFFFu, 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_INITIAL_COUNT, 0), 0xFFFFFFFFu);
	/* the ICR is one 64-bit register: destination in 63:32 (a dropped IPI here) */
	uint64_t icr = (7ull << 32) | ICR_TRIGGER_LEVEL | ICR_LEVEL_ASSERT | 0x99;
	WR(X2APIC_ICR, icr, 0);
	ck_assert_uint_eq(RD(X2APIC_ICR, 0), icr);
}
END_TEST

/* ---- acceptance and priority (§11.8) ---- */

START_TEST(priority_tpr_ppr_eoi)
{
	enabled_apic(1);
	WR(X2APIC_SELF_IPI, 0x50, 0);
	WR(X2APIC_SELF_IPI, 0x31, 0);
	ck_assert(irr_has(0x50) && irr_has(0x31));
	ck_assert_uint_eq(RD(X2APIC_IRR0 + 2, 0), 1u << 16);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x50);

	/* a vector is deliverable only if its class is above PPR's (TPR's here) */
	WR(X2APIC_TPR, 0x50, 0);
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x50);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	WR(X2APIC_TPR, 0x4F, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x50);

	x2apic_intr_ack(&apic, 0x50);
	ck_assert(!irr_has(0x50) && isr_has(0x50));
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x50); /* ISR class wins over TPR 0x4F */
	WR(X2APIC_TPR, 0x5A, 0);
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x5A); /* same class: TPR, sub-class and all */
	WR(X2APIC_TPR, 0x4F, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1); /* 0x31: class 3 <= 5 */

	WR(X2APIC_SELF_IPI, 0x61, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x61);
	x2apic_intr_ack(&apic, 0x61);
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x60);

	/* the same vector may be pending again while in service; it waits for EOI */
	WR(X2APIC_SELF_IPI, 0x61, 0);
	ck_assert(irr_has(0x61) && isr_has(0x61));
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);

	/* EOI ends the highest in-service vector */
	WR(X2APIC_EOI, 0, 0);
	ck_assert(!isr_has(0x61) && isr_has(0x50));
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x61);
	x2apic_intr_ack(&apic, 0x61);
	WR(X2APIC_EOI, 0, 0);
	WR(X2APIC_EOI, 0, 0);
	ck_assert(!isr_has(0x50));
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x4F); /* TPR again */
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1); /* 0x31: class 3 <= 4 */
	WR(X2APIC_TPR, 0x2A, 0);
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x2A);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x31);
	x2apic_intr_ack(&apic, 0x31);
	ck_assert_uint_eq(RD(X2APIC_PPR, 0), 0x30);
	WR(X2APIC_EOI, 0, 0);
	WR(X2APIC_EOI, 0, 0); /* nothing in service: harmless */

	ck_assert_uint_eq(apic.interrupts_delivered, 4);
	ck_assert_uint_eq(apic.eois, 5);
	ck_assert_uint_eq(apic.self_ipis, 4);

	/* an ack of a vector that is not pending changes nothing */
	x2apic_intr_ack(&apic, 0x77);
	x2apic_intr_ack(&apic, -1);
	x2apic_intr_ack(&apic, 256);
	ck_assert_uint_eq(apic.interrupts_delivered, 4);
}
END_TEST

START_TEST(highest_vector_first)
{
	enabled_apic(1);
	for (unsigned v = 16; v < 256; v += 7)
		WR(X2APIC_SELF_IPI, v, 0);
	int last = 256;
	for (;;) {
		int v = x2apic_intr_pending(&apic);
		if (v < 0)
			break;
		ck_assert_int_lt(v, last);
		last = v;
		x2apic_intr_ack(&apic, v);
		WR(X2APIC_EOI, 0, 0);
	}
	ck_assert_int_eq(last, 16);
}
END_TEST

/* ---- IPIs to self (§11.6.1, §11.12.9, §11.12.11) ---- */

START_TEST(self_ipi_and_icr_to_self)
{
	enabled_apic(1);
	WR(X2APIC_SELF_IPI, 0x40, 0);
	ck_assert(irr_has(0x40));
	WR(X2APIC_ICR, ICR_SH_SELF | 0x41, 0);
	ck_assert(irr_has(0x41));
	WR(X2APIC_ICR, ICR_SH_ALL_INCLUDING_SELF | 0x42, 0);
	ck_assert(irr_has(0x42));
	WR(X2APIC_ICR, (0ull << 32) | 0x43, 0); /* physical destination 0: this CPU */
	ck_assert(irr_has(0x43));
	WR(X2APIC_ICR, (0xFFFFFFFFull << 32) | 0x44, 0); /* broadcast */
	ck_assert(irr_has(0x44));
	WR(X2APIC_ICR, (1ull << 32) | ICR_DESTINATION_LOGICAL | 0x45, 0); /* cluster 0, bit 0 */
	ck_assert(irr_has(0x45));
	ck_assert_uint_eq(apic.self_ipis, 6);
	ck_assert_uint_eq(apic.ipi_dropped, 0);
}
END_TEST

START_TEST(ipis_to_nobody)
{
	enabled_apic(1);
	WR(X2APIC_ICR, (1ull << 32) | 0x50, 0);                 /* physical ID 1 */
	WR(X2APIC_ICR, ICR_SH_ALL_EXCLUDING_SELF | 0x51, 0);
	WR(X2APIC_ICR, (2ull << 32) | ICR_DESTINATION_LOGICAL | 0x52, 0);
	WR(X2APIC_ICR, (0x10001ull << 32) | ICR_DESTINATION_LOGICAL | 0x53, 0); /* cluster 1 */
	WR(X2APIC_ICR, ICR_SH_SELF | (4u << 8) | 0x54, 0);     /* NMI: not modelled */
	WR(X2APIC_ICR, ICR_SH_SELF | (5u << 8), 0);            /* INIT */
	WR(X2APIC_ICR, (1ull << 32) | (6u << 8) | 0x10, 0);    /* SIPI */
	ck_assert_uint_eq(apic.ipi_dropped, 7);
	ck_assert_uint_eq(apic.self_ipis, 0);
	for (uint32_t msr = X2APIC_IRR0; msr < X2APIC_IRR0 + 8; msr++)
		ck_assert_uint_eq(RD(msr, 0), 0);
	ck_assert_uint_eq(read_esr(), 0);
}
END_TEST

/* ---- illegal vectors (§11.5.2, §11.5.3) ---- */

START_TEST(illegal_vectors)
{
	enabled_apic(1);
	WR(X2APIC_SELF_IPI, 5, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	ck_assert_uint_eq(RD(X2APIC_IRR0, 0), 0);
	ck_assert_uint_eq(RD(X2APIC_ESR, 0), 0); /* not latched until ESR is written */
	ck_assert_uint_eq(read_esr(), ESR_SEND_ILLEGAL_VECTOR | ESR_RECEIVE_ILLEGAL_VECTOR);
	ck_assert_uint_eq(read_esr(), 0);

	WR(X2APIC_ICR, (3ull << 32) | 15, 0); /* to another CPU: only the send error */
	ck_assert_uint_eq(read_esr(), ESR_SEND_ILLEGAL_VECTOR);
	WR(X2APIC_ICR, ICR_SH_SELF | 0, 0);
	ck_assert_uint_eq(read_esr(), ESR_SEND_ILLEGAL_VECTOR | ESR_RECEIVE_ILLEGAL_VECTOR);

	/* from the LVT timer: a receive error at each expiry */
	WR(X2APIC_LVT_TIMER, 7, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 10, 100);
	x2apic_run_events(&apic, 110);
	ck_assert_uint_eq(apic.timer_fires, 1);
	ck_assert_uint_eq(RD(X2APIC_IRR0, 110), 0);
	ck_assert_uint_eq(read_esr(), ESR_RECEIVE_ILLEGAL_VECTOR);
	ck_assert_uint_eq(apic.illegal_vectors, 4);
	ck_assert_uint_eq(apic.self_ipis + apic.ipi_dropped, 0);

	/* an unmasked LVT error entry raises its vector */
	WR(X2APIC_LVT_ERROR, 0xE0, 0);
	WR(X2APIC_SELF_IPI, 1, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0xE0);
	/* ... unless its own vector is illegal: logged, nothing more */
	x2apic_intr_ack(&apic, 0xE0);
	WR(X2APIC_EOI, 0, 0);
	WR(X2APIC_LVT_ERROR, 0x3, 0);
	WR(X2APIC_SELF_IPI, 2, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	ck_assert_uint_eq(read_esr(), ESR_SEND_ILLEGAL_VECTOR | ESR_RECEIVE_ILLEGAL_VECTOR);
	ck_assert_uint_eq(apic.illegal_vectors, 7);
}
END_TEST

/* ---- software disable (§11.4.7.2) ---- */

START_TEST(software_disabled)
{
	enabled_apic(1);
	WR(X2APIC_SELF_IPI, 0x70, 0);
	WR(X2APIC_LVT_TIMER, 0x80, 0);
	WR(X2APIC_LVT_LINT0, 0x81, 0);

	WR(X2APIC_SVR, 0xFF, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1); /* held, not delivered */
	ck_assert(irr_has(0x70));
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 0), LVT_MASKED | 0x80);
	ck_assert_uint_eq(RD(X2APIC_LVT_LINT0, 0), LVT_MASKED | 0x81);
	/* the mask cannot be cleared while disabled */
	WR(X2APIC_LVT_TIMER, 0x90, 0);
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 0), LVT_MASKED | 0x90);
	/* no fixed interrupt is accepted */
	WR(X2APIC_SELF_IPI, 0x71, 0);
	WR(X2APIC_ICR, ICR_SH_SELF | 0x72, 0);
	ck_assert(!irr_has(0x71) && !irr_has(0x72));
	ck_assert_uint_eq(apic.ipi_dropped, 2);
	/* the timer still counts, but its entry is masked */
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 5, 0);
	x2apic_run_events(&apic, 5);
	ck_assert_uint_eq(apic.timer_fires, 1);
	ck_assert(!irr_has(0x90));

	/* enabling again: the held interrupt is delivered, the entries stay masked */
	WR(X2APIC_SVR, 0x1FF, 5);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x70);
	ck_assert_uint_eq(RD(X2APIC_LVT_TIMER, 5), LVT_MASKED | 0x90);
}
END_TEST

/* ---- the timer (§11.5.4) ---- */

/* Divide configuration values and their divisors (figure 11-10) */
static const struct {
	uint32_t config;
	uint64_t divisor;
} divides[] = {
	{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
	{ 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
};

START_TEST(one_shot_each_divide)
{
	const uint64_t ratio = 3, t0 = 1000, count = 10;
	uint64_t tick = ratio * divides[_i].divisor;
	uint64_t expiry = t0 + count * tick;
	enabled_apic(ratio);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_ONE_SHOT | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, divides[_i].config, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, count, t0);

	ck_assert_uint_eq(x2apic_next_event(&apic), expiry);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, t0), 10);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, t0 + tick - 1), 10);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, t0 + tick), 9);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, t0 + 7 * tick + 1), 3);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry - 1), 1);
	x2apic_run_events(&apic, expiry - 1);
	ck_assert_uint_eq(apic.timer_fires, 0);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);

	x2apic_run_events(&apic, expiry);
	ck_assert_uint_eq(apic.timer_fires, 1);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x40);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry), 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry + 1000000), 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_INITIAL_COUNT, expiry), count);
	x2apic_run_events(&apic, expiry + 1000000);
	ck_assert_uint_eq(apic.timer_fires, 1);
}
END_TEST

START_TEST(periodic_each_divide)
{
	const uint64_t ratio = 2, t0 = 100, count = 5;
	uint64_t tick = ratio * divides[_i].divisor, period = count * tick;
	enabled_apic(ratio);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, divides[_i].config, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, count, t0);

	for (uint64_t k = 1; k <= 3; k++) {
		uint64_t expiry = t0 + k * period;
		ck_assert_uint_eq(x2apic_next_event(&apic), expiry);
		ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry - 1), 1);
		ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
		x2apic_run_events(&apic, expiry);
		ck_assert_uint_eq(apic.timer_fires, k);
		/* reloaded at the expiry */
		ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry), count);
		ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, expiry + tick), count - 1);
		ck_assert_int_eq(x2apic_intr_pending(&apic), 0x40);
		x2apic_intr_ack(&apic, 0x40);
		WR(X2APIC_EOI, 0, expiry + tick);
	}
}
END_TEST

START_TEST(periodic_coalesces)
{
	enabled_apic(2);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0x1, 0); /* divide by 4: a tick every 8 cycles */
	WR(X2APIC_TIMER_INITIAL_COUNT, 5, 100); /* period 40: expiries at 140, 180, ... */
	x2apic_run_events(&apic, 140);
	ck_assert_uint_eq(apic.timer_fires, 1);
	/* serviced late: 180 .. 500 are nine expiries, one IRR bit */
	x2apic_run_events(&apic, 505);
	ck_assert_uint_eq(apic.timer_fires, 10);
	ck_assert_uint_eq(x2apic_next_event(&apic), 540);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 505), 5);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 508), 4);
	ck_assert_int_eq(x2apic_intr_pending(&apic), 0x40);
	x2apic_intr_ack(&apic, 0x40);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);
	ck_assert_uint_eq(apic.interrupts_delivered, 1);
}
END_TEST

START_TEST(masked_timer_counts_without_interrupts)
{
	enabled_apic(1);
	WR(X2APIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 10, 0);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX); /* nothing to wake for */
	x2apic_run_events(&apic, 35);
	ck_assert_uint_eq(apic.timer_fires, 3);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 35), 5);
	ck_assert(!irr_has(0x40));
	/* one-shot, masked: one expiry, then idle */
	WR(X2APIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONE_SHOT | 0x40, 35);
	x2apic_run_events(&apic, 1000);
	ck_assert_uint_eq(apic.timer_fires, 4);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
	ck_assert(!irr_has(0x40));
	/* unmasking later delivers nothing retroactively */
	WR(X2APIC_LVT_TIMER, 0x40, 1000);
	ck_assert_int_eq(x2apic_intr_pending(&apic), -1);

	/* masked periodic, unmasked mid-way: expiries up to then raise nothing, the next
	 * one does, on the original schedule */
	WR(X2APIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_PERIODIC | 0x40, 1000);
	WR(X2APIC_TIMER_INITIAL_COUNT, 10, 1000);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 1025);
	ck_assert_uint_eq(apic.timer_fires, 6);
	ck_assert_uint_eq(x2apic_next_event(&apic), 1030);
	ck_assert(!irr_has(0x40));
	x2apic_run_events(&apic, 1030);
	ck_assert(irr_has(0x40));
	ck_assert_uint_eq(apic.timer_fires, 7);
}
END_TEST

START_TEST(timer_restart_stop_and_divide_change)
{
	enabled_apic(1);
	WR(X2APIC_LVT_TIMER, 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 100, 0);
	/* a new initial count restarts from it */
	WR(X2APIC_TIMER_INITIAL_COUNT, 50, 30);
	ck_assert_uint_eq(x2apic_next_event(&apic), 80);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 40), 40);
	/* a new divisor applies from now, the count kept: 40 left, 2 cycles a tick */
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0x0, 40);
	ck_assert_uint_eq(x2apic_next_event(&apic), 120);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 41), 40);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 42), 39);
	/* 0 stops it */
	WR(X2APIC_TIMER_INITIAL_COUNT, 0, 50);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, 60), 0);
	x2apic_run_events(&apic, 1000);
	ck_assert_uint_eq(apic.timer_fires, 0);
}
END_TEST

START_TEST(timer_mode_change_while_counting)
{
	enabled_apic(1);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 10, 0);
	/* periodic -> one-shot mid-count: this count-down ends the timer */
	WR(X2APIC_LVT_TIMER, LVT_TIMER_ONE_SHOT | 0x40, 15);
	ck_assert_uint_eq(apic.timer_fires, 1);
	ck_assert_uint_eq(x2apic_next_event(&apic), 20);
	x2apic_run_events(&apic, 100);
	ck_assert_uint_eq(apic.timer_fires, 2);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
	/* a finished one-shot timer stays idle when made periodic */
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 100);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
}
END_TEST

START_TEST(msr_access_processes_overdue_expiry)
{
	enabled_apic(4);
	WR(X2APIC_LVT_TIMER, 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xB, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 25, 0); /* fires at 100 */
	ck_assert_uint_eq(RD(X2APIC_IRR0 + 2, 99), 0);
	ck_assert_uint_eq(RD(X2APIC_IRR0 + 2, 100), 1u);
	ck_assert_uint_eq(apic.timer_fires, 1);
}
END_TEST

START_TEST(large_counts_do_not_overflow)
{
	enabled_apic(UINT64_MAX / 4);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xA, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 0xFFFFFFFFu, 1000);
	ck_assert_uint_eq(x2apic_next_event(&apic), UINT64_MAX);
	x2apic_run_events(&apic, UINT64_MAX - 1);
	ck_assert_uint_eq(apic.timer_fires, 0);
	ck_assert_uint_eq(RD(X2APIC_TIMER_CURRENT_COUNT, UINT64_MAX - 1), 0xFFFFFFFFu);

	/* the largest period that fits: 2^32-1 ticks of 128 cycles, many times over */
	enabled_apic(1);
	WR(X2APIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x40, 0);
	WR(X2APIC_TIMER_DIVIDE_CONFIG, 0xA, 0);
	WR(X2APIC_TIMER_INITIAL_COUNT, 0xFFFFFFFFu, 0);
	uint64_t period = 0xFFFFFFFFull * 128;
	x2apic_run_events(&apic, 1000 * period + 5);
	ck_assert_uint_eq(apic.timer_fires, 1000);
	ck_assert_uint_eq(x2apic_next_event(&apic), 1001 * period);
}
END_TEST

/* ---- counters ---- */

START_TEST(counters_registered)
{
	struct counter_registry reg;
	counters_init(&reg);
	x2apic_init(&apic, 1);
	x2apic_register_counters(&apic, &reg);
	static const char *names[] = { "apic.timer_fires", "apic.interrupts_delivered",
				       "apic.eois", "apic.self_ipis", "apic.ipi_dropped",
				       "apic.illegal_vectors" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_ptr_nonnull(counter_find(&reg, names[i]));
	ck_assert_ptr_eq(counter_find(&reg, "apic.eois")->value, &apic.eois);
	counters_free(&reg);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x2apic");
	TCase *tc = tcase_create("enable");
	tcase_add_test(tc, reset_state_is_disabled);
	tcase_add_test(tc, enable_rules);
	tcase_add_test(tc, disable_resets_registers);
	suite_add_tcase(s, tc);

	tc = tcase_create("registers");
	tcase_add_test(tc, read_only_registers);
	tcase_add_test(tc, write_only_and_unlisted_registers);
	tcase_add_test(tc, reserved_bits);
	tcase_add_test(tc, read_write_round_trips);
	tcase_add_test(tc, counters_registered);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupts");
	tcase_add_test(tc, priority_tpr_ppr_eoi);
	tcase_add_test(tc, highest_vector_first);
	tcase_add_test(tc, self_ipi_and_icr_to_self);
	tcase_add_test(tc, ipis_to_nobody);
	tcase_add_test(tc, illegal_vectors);
	tcase_add_test(tc, software_disabled);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	int nr_divides = (int)(sizeof divides / sizeof divides[0]);
	tcase_add_loop_test(tc, one_shot_each_divide, 0, nr_divides);
	tcase_add_loop_test(tc, periodic_each_divide, 0, nr_divides);
	tcase_add_test(tc, periodic_coalesces);
	tcase_add_test(tc, masked_timer_counts_without_interrupts);
	tcase_add_test(tc, timer_restart_stop_and_divide_change);
	tcase_add_test(tc, timer_mode_change_while_counting);
	tcase_add_test(tc, msr_access_processes_overdue_expiry);
	tcase_add_test(tc, large_counts_do_not_overflow);
	suite_add_tcase(s, tc);
	return s;
}
