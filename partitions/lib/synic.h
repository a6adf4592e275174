/* The synthetic interrupt controller, guest side (shared/specs/hypercall-abi.md "SynIC
   and messages"; TLFS §11): the message page (SIMP), the event-flags page (SIEFP), the
   SINT registers, and taking a message out of its slot. */
#ifndef SYNIC_H
#define SYNIC_H

#include <stdint.h>

#include "hv/abi/hvmsr.h"
#include "hv/abi/hvsynic.h"

/* Points SIMP and SIEFP at pages this image reserves, enables both, then SCONTROL.
   Every SINT stays as it was (masked after reset) until synic_sint_set. */
void synic_enable(void);
void synic_disable(void);

/* SINTn = vector with flags (HV_SINT_AUTO_EOI, HV_SINT_MASKED). vector >= 16. With
   auto-EOI the interrupt needs no EOI at the local APIC. */
void synic_sint_set(unsigned sint, uint8_t vector, uint64_t flags);

/* The message slot of a SINT in the message page, and its event flags in the SIEF
   page (HV_EVENT_FLAGS_PER_SINT bits). */
volatile struct hv_message *synic_message_slot(unsigned sint);
volatile uint8_t *synic_event_flags(unsigned sint);

/* If SINT's slot holds a message: copies it to *out, frees the slot and writes EOM so
   the hypervisor delivers the next queued one (TLFS §11.10.3), and returns 1. Else 0. */
int synic_take_message(unsigned sint, struct hv_message *out);

/* Tests and clears event flag n of a SINT (atomically, the hypervisor sets them). */
int synic_test_and_clear_event(unsigned sint, unsigned flag);

#endif
