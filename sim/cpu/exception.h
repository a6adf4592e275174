/* Exception and interrupt delivery through the 64-bit IDT (AMD APM vol. 2 §8.9, Intel
 * SDM vol. 3 §6.14), with the double-fault and triple-fault rules (SDM vol. 3 §6.15,
 * Table 6-5). */
#ifndef HVSIM_CPU_EXCEPTION_H
#define HVSIM_CPU_EXCEPTION_H

#include "cpu.h"

/* Delivers a fault raised by the current instruction (RIP stays at it). Escalates to
 * #DF or a triple fault (STOP_TRIPLE_FAULT) when delivery itself faults. */
void exception_raise(struct cpu *c, int vector, uint32_t error_code);
/* Delivers a software interrupt or trap (INT n, INT3): RIP returns after it. */
void exception_deliver_trap(struct cpu *c, int vector, bool software);
/* Delivers an event SVM injects (EVENTINJ, V_IRQ) through the guest's IDT. */
void exception_inject(struct cpu *c, int vector, bool has_error, uint32_t error, bool software,
		      bool interrupt);
/* "#PF", "#GP", ... */
const char *exception_name(int vector);
/* Between instructions: interrupt shadow, pending interrupts. True if the run stops. */
bool cpu_poll_events(struct cpu *c);

#endif
