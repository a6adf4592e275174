/* tests/hv's shared guest code (hvtest.h). */
#include "hvtest.h"

#include <stdarg.h>

#include "idt.h"
#include "kprintf.h"
#include "trap.h"
#include "x86.h"

unsigned hvtest_failures;
const char *hvtest_who = "test";
uint8_t hvtest_hypercall_page[4096] __attribute__((aligned(4096)));
uint8_t hvtest_in[4096] __attribute__((aligned(4096)));
uint8_t hvtest_out[4096] __attribute__((aligned(4096)));

static const char *const status_names[] = {
	[0x00] = "SUCCESS", [0x02] = "INVALID_HYPERCALL_CODE", [0x03] = "INVALID_HYPERCALL_INPUT",
	[0x04] = "INVALID_ALIGNMENT", [0x05] = "INVALID_PARAMETER", [0x06] = "ACCESS_DENIED",
	[0x07] = "INVALID_PARTITION_STATE", [0x0B] = "INSUFFICIENT_MEMORY",
	[0x0D] = "INVALID_PARTITION_ID", [0x0E] = "INVALID_VP_INDEX", [0x11] = "INVALID_PORT_ID",
	[0x12] = "INVALID_CONNECTION_ID", [0x13] = "INSUFFICIENT_BUFFERS",
	[0x18] = "INVALID_SYNIC_STATE",
};

static const char *status_name(uint16_t s)
{
	if (s < sizeof status_names / sizeof status_names[0] && status_names[s])
		return status_names[s];
	return "(unknown status)";
}

int hvtest_check(int ok, const char *fmt, ...)
{
	va_list ap;
	kprintf("%s - %s: ", ok ? "ok" : "FAIL", hvtest_who);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	if (!ok)
		hvtest_failures++;
	return ok;
}

void hvtest_status(uint16_t got, uint16_t want, const char *what)
{
	if (got == want)
		hvtest_check(1, "%s: %s", what, status_name(want));
	else
		hvtest_check(0, "%s: %s (0x%x), expected %s", what, status_name(got), got,
			     status_name(want));
}

int hvtest_enable_hypercalls(uint64_t guest_os_id)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, guest_os_id);
	wrmsr(HV_X64_MSR_HYPERCALL, gpa_of(hvtest_hypercall_page) | HV_HYPERCALL_ENABLE);
	return (rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE) ? 0 : -1;
}

uint64_t hvtest_call(uint64_t control, uint64_t in, uint64_t out, uint64_t *rcx_after)
{
	uint64_t rax, rcx = control, rdx = in;
	register uint64_t r8 __asm__("r8") = out;
	__asm__ volatile("call *%[page]"
			 : "=a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8)
			 : [page] "r"(hvtest_hypercall_page)
			 : "memory");
	if (rcx_after)
		*rcx_after = rcx;
	return rax;
}

/* ---- probes: the handler resumes at the landing address the probe set ---- */

static volatile int fault_vector;
static volatile uint64_t fault_landing;

static void on_fault(struct trap_frame *tf)
{
	fault_vector = (int)tf->vector;
	tf->rip = fault_landing;
}

void hvtest_traps_init(void)
{
	idt_init();
	trap_register(T_UD, on_fault);
	trap_register(T_GP, on_fault);
}

int probe_wrmsr(uint32_t msr, uint64_t v)
{
	fault_vector = -1;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %[landing]\n\t"
			 "wrmsr\n"
			 "1:"
			 : [landing] "=m"(fault_landing)
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "r11", "memory");
	return fault_vector;
}

int probe_rdmsr(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	fault_vector = -1;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %[landing]\n\t"
			 "rdmsr\n"
			 "1:"
			 : [landing] "=m"(fault_landing), "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "r11", "memory");
	*v = (uint64_t)hi << 32 | lo;
	return fault_vector;
}

int probe_write8(volatile uint8_t *p, uint8_t v)
{
	fault_vector = -1;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %[landing]\n\t"
			 "movb %b[v], (%[p])\n"
			 "1:"
			 : [landing] "=m"(fault_landing)
			 : [p] "r"(p), [v] "q"(v)
			 : "r11", "memory");
	return fault_vector;
}

int probe_vmmcall(void)
{
	fault_vector = -1;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %[landing]\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "vmmcall\n"
			 "1:"
			 : [landing] "=m"(fault_landing)
			 :
			 : "rax", "rcx", "rdx", "r8", "r11", "memory");
	return fault_vector;
}

int probe_vmload(void)
{
	fault_vector = -1;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %[landing]\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "vmload %%rax\n"
			 "1:"
			 : [landing] "=m"(fault_landing)
			 :
			 : "rax", "r11", "memory");
	return fault_vector;
}
