/* The local APIC, in x2APIC mode only (DESIGN.md "Boot protocol"; Intel SDM vol. 3
 * ch. 11, "Advanced Programmable Interrupt Controller"). Registers are MSRs: the base
 * MSR IA32_APIC_BASE (0x1B) and the x2APIC range 0x800-0x8FF (SDM §11.12.1.2, table
 * 11-6). Modelled: IRR/ISR/TPR/PPR priority, EOI, the timer (one-shot and periodic),
 * fixed self-IPIs (SELF IPI and the ICR), ESR. Not modelled: xAPIC (MMIO) mode,
 * TSC-deadline mode, non-fixed delivery modes, other CPUs (docs/devices.md).
 *
 * The device knows nothing of the CPU: every entry point that depends on time takes the
 * current cycle count, and everything it does is a function of those counts. */
#ifndef HVSIM_DEVICES_X2APIC_H
#define HVSIM_DEVICES_X2APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/base/counters.h"

#define MSR_IA32_APIC_BASE 0x1Bu
#define X2APIC_MSR_FIRST 0x800u
#define X2APIC_MSR_LAST 0x8FFu

/* IA32_APIC_BASE bits (SDM §11.4.4, figure 11-5; §11.12.1 for EXTD) */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define APIC_BASE_EN (1ull << 11)   /* APIC global enable */
#define APIC_BASE_DEFAULT_ADDR 0xFEE00000ull

/* x2APIC register MSRs (SDM table 11-6) */
enum {
	X2APIC_ID = 0x802,
	X2APIC_VERSION = 0x803,
	X2APIC_TPR = 0x808,
	X2APIC_PPR = 0x80A,
	X2APIC_EOI = 0x80B,
	X2APIC_LDR = 0x80D,
	X2APIC_SVR = 0x80F,
	X2APIC_ISR0 = 0x810, /* ISR 0x810-0x817, TMR 0x818-0x81F, IRR 0x820-0x827 */
	X2APIC_TMR0 = 0x818,
	X2APIC_IRR0 = 0x820,
	X2APIC_ESR = 0x828,
	X2APIC_LVT_CMCI = 0x82F,
	X2APIC_ICR = 0x830,
	X2APIC_LVT_TIMER = 0x832,
	X2APIC_LVT_THERMAL = 0x833,
	X2APIC_LVT_PERF = 0x834,
	X2APIC_LVT_LINT0 = 0x835,
	X2APIC_LVT_LINT1 = 0x836,
	X2APIC_LVT_ERROR = 0x837,
	X2APIC_TIMER_INITIAL_COUNT = 0x838,
	X2APIC_TIMER_CURRENT_COUNT = 0x839,
	X2APIC_TIMER_DIVIDE_CONFIG = 0x83E,
	X2APIC_SELF_IPI = 0x83F,
};

/* Version register: version 0x14 (an integrated APIC, SDM §11.4.8), Max LVT Entry 6
 * (seven LVT entries, CMCI included), bit 24 clear: no EOI-broadcast suppression. */
#define X2APIC_VERSION_VALUE (0x14u | (6u << 16))

/* Local vector table entries (SDM §11.5.1, figure 11-8) */
#define LVT_VECTOR 0xFFu
#define LVT_DELIVERY_MODE (7u << 8)
#define LVT_DELIVERY_STATUS (1u << 12)
#define LVT_PIN_POLARITY (1u << 13)
#define LVT_REMOTE_IRR (1u << 14)
#define LVT_TRIGGER_MODE (1u << 15)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE (3u << 17)
#define LVT_TIMER_ONE_SHOT (0u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)

/* Spurious-interrupt vector register (SDM §11.9, figure 11-23) */
#define SVR_VECTOR 0xFFu
#define SVR_APIC_ENABLED (1u << 8)

/* Error status register bits hvsim can set (SDM §11.5.3, figure 11-9) */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)

/* Interrupt command register, 64 bits in x2APIC mode (SDM §11.12.9, figure 11-28) */
#define ICR_VECTOR 0xFFull
#define ICR_DELIVERY_MODE (7ull << 8)
#define ICR_DM_FIXED (0ull << 8)
#define ICR_DESTINATION_LOGICAL (1ull << 11)
#define ICR_LEVEL_ASSERT (1ull << 14)
#define ICR_TRIGGER_LEVEL (1ull << 15)
#define ICR_SHORTHAND (3ull << 18)
#define ICR_SH_NONE (0ull << 18)
#define ICR_SH_SELF (1ull << 18)
#define ICR_SH_ALL_INCLUDING_SELF (2ull << 18)
#define ICR_SH_ALL_EXCLUDING_SELF (3ull << 18)
#define ICR_DESTINATION_SHIFT 32
#define X2APIC_BROADCAST 0xFFFFFFFFu

/* The LVT entries, in the order of their MSRs */
enum lvt_index { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1,
		 LVT_ERROR, LVT_COUNT };

struct x2apic {
	uint64_t apic_base;    /* IA32_APIC_BASE */
	uint32_t x2apic_id;    /* 0: the one CPU (CPUID leaf 1 EBX[31:24]) */
	uint32_t tpr, svr;
	uint32_t esr;          /* what software reads: errors latched by the last ESR write */
	uint32_t esr_pending;  /* errors seen since the last ESR write (SDM §11.5.3) */
	uint32_t irr[8], isr[8]; /* 256 bits each, vector v in word v/32, bit v%32 */
	uint32_t lvt[LVT_COUNT];
	uint64_t icr;
	uint32_t divide_config;

	/* The timer (SDM §11.5.4). Never ticked: the count is a function of the cycle
	 * clock. While armed, the count was timer_base_count at cycle timer_base_cycle (a
	 * tick boundary) and drops by one every timer_tick_cycles; it reaches zero at
	 * timer_base_cycle + timer_base_count * timer_tick_cycles. */
	uint64_t timer_ratio;  /* cycles per tick before the divider: apic.timer_ratio */
	uint32_t initial_count;
	bool timer_armed;
	uint32_t timer_base_count;
	uint64_t timer_base_cycle;
	uint64_t timer_tick_cycles;

	/* counters */
	uint64_t timer_fires, interrupts_delivered, eois, self_ipis, ipi_dropped,
		illegal_vectors;
};

/* Power-up state (SDM §11.4.7.1): globally disabled (the reset value of IA32_APIC_BASE
 * is 0xFEE00000 | BSP), SVR 0xFF, every LVT entry masked, the timer idle.
 * timer_ratio is apic.timer_ratio: simulated cycles per timer tick before the divide
 * configuration; it must be at least 1. */
void x2apic_init(struct x2apic *a, uint64_t timer_ratio);
void x2apic_register_counters(struct x2apic *a, struct counter_registry *reg);

/* RDMSR / WRMSR of IA32_APIC_BASE or an x2APIC register at cycle now_cycles. False
 * means #GP. Both first bring the timer up to now_cycles (x2apic_run_events), so a
 * read sees every expiry that has happened. */
bool x2apic_msr_read(struct x2apic *a, uint32_t msr, uint64_t now_cycles, uint64_t *v);
bool x2apic_msr_write(struct x2apic *a, uint32_t msr, uint64_t v, uint64_t now_cycles);

/* The highest-priority vector the APIC would deliver now (SDM §11.8.3.1): the highest
 * IRR vector whose priority class is above PPR's; -1 if none, or if the APIC is
 * disabled (globally or by software). */
int x2apic_intr_pending(const struct x2apic *a);
/* The CPU accepts vector (as returned by x2apic_intr_pending): IRR -> ISR. */
void x2apic_intr_ack(struct x2apic *a, int vector);

/* The cycle at which the timer next raises an interrupt: ~0 when it is not counting or
 * its LVT entry is masked. A masked timer still counts down; its expiries are counted
 * whenever the APIC is next brought up to date (an MSR access, x2apic_run_events). */
uint64_t x2apic_next_event(const struct x2apic *a);
/* Processes every timer expiry at or before now_cycles, masked or not. A periodic timer
 * that was not serviced for several periods sets its IRR bit once; timer_fires counts
 * each expiry. Call it once more at the end of a run so the counters are complete. */
void x2apic_run_events(struct x2apic *a, uint64_t now_cycles);

#endif
