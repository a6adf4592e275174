/* What tests/hv's guest images (miniroot, minichild) share: checks that print ok/FAIL
 * lines, raw hypercalls through the hypercall page, and probes that catch the #GP or
 * #UD an instruction raises. Self-contained on purpose: these images test hv against
 * the spec (shared/specs/hypercall-abi.md), not against a guest library. */
#ifndef HVTEST_H
#define HVTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/hvboot.h"
#include "abi/hvcall.h"
#include "abi/hvcpuid.h"
#include "abi/hvmsr.h"
#include "abi/hvregs.h"
#include "abi/hvsynic.h"

extern unsigned hvtest_failures;
extern const char *hvtest_who; /* prefix of every line: "miniroot", "minichild" */

/* One "ok - WHO: what" or "FAIL - WHO: what" line */
int hvtest_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK(cond, ...) hvtest_check((cond) != 0, __VA_ARGS__)
/* A status, named in the line when it is not the expected one */
void hvtest_status(uint16_t got, uint16_t want, const char *what);

/* The hypercall page (page-aligned, in .bss) and its enabling */
extern uint8_t hvtest_hypercall_page[4096];
int hvtest_enable_hypercalls(uint64_t guest_os_id);

/* RCX = control, RDX = input GPA, R8 = output GPA; RCX as hv left it in *rcx_after */
uint64_t hvtest_call(uint64_t control, uint64_t in, uint64_t out, uint64_t *rcx_after);
static inline uint16_t hvtest_status_of(uint64_t result) { return HV_RESULT_STATUS(result); }

/* Scratch input/output pages (identity-mapped: a pointer is the GPA) */
extern uint8_t hvtest_in[4096], hvtest_out[4096];
static inline uint64_t gpa_of(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Probes: -1 when the instruction completed, else the vector it raised. Need
 * hvtest_traps_init (the IDT). */
void hvtest_traps_init(void);
int probe_wrmsr(uint32_t msr, uint64_t v);
int probe_rdmsr(uint32_t msr, uint64_t *v);
int probe_write8(volatile uint8_t *p, uint8_t v);
int probe_vmmcall(void);
int probe_vmload(void);

/* xorshift64 */
static inline uint64_t hvtest_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#endif
