/* The local APIC timer through the x2APIC MSRs (Intel SDM vol. 3 §11.5.4, §11.12;
   DESIGN.md lists the registers hvsim has). */
#ifndef APIC_H
#define APIC_H

#include <stdint.h>

/* x2APIC registers: MSR 0x800 + (xAPIC offset >> 4) (SDM vol. 3 table 11-6) */
#define X2APIC_TPR 0x808u
#define X2APIC_EOI 0x80Bu
#define X2APIC_SVR 0x80Fu
#define X2APIC_ISR0 0x810u
#define X2APIC_IRR0 0x820u
#define X2APIC_ICR 0x830u
#define X2APIC_LVT_TIMER 0x832u
#define X2APIC_TIMER_INITIAL 0x838u
#define X2APIC_TIMER_CURRENT 0x839u
#define X2APIC_TIMER_DIVIDE 0x83Eu
#define X2APIC_SELF_IPI 0x83Fu

/* Turns the APIC on in x2APIC mode with the given spurious vector. 0 on success, -1 if
   CPUID does not report x2APIC. */
int apic_init(uint8_t spurious_vector);

/* Starts the timer: vector, initial count, divide (1, 2, 4, ... 128). Periodic reloads
   the count at zero; one-shot stops there. The interrupt comes every count * divide
   timer ticks (on hvsim a tick is apic.timer_ratio cycles). */
void apic_timer_periodic(uint8_t vector, uint32_t count, unsigned divide);
void apic_timer_oneshot(uint8_t vector, uint32_t count, unsigned divide);
/* Stops the timer: initial count 0, LVT masked. */
void apic_timer_stop(void);
uint32_t apic_timer_current(void);

/* Signals the end of the interrupt being handled (SDM vol. 3 §11.8.5). */
void apic_eoi(void);

#endif
