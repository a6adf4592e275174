/* The IDT (SDM vol. 3 §6.10, §6.14.1): one 16-byte gate per vector. */
#ifndef IDT_H
#define IDT_H

#include <stdint.h>

/* Installs an interrupt gate to the entry routine of every vector that has one (0-47,
   255; trap.h), DPL 0, no IST, except: #DF on IST_DOUBLE_FAULT, and #BP with DPL 3 so
   that INT3 works in user code. Then LIDT. */
void idt_init(void);

/* Per-gate settings, for kernels and tests that need them. Each returns the old one. */
unsigned idt_set_ist(unsigned vector, unsigned ist);      /* 0: no stack switch */
unsigned idt_set_dpl(unsigned vector, unsigned dpl);      /* who may INT n to it */
int idt_set_present(unsigned vector, int present);

#endif
