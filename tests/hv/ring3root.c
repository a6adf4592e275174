/* tests/hv's root for CPL 3: a hypercall from user mode is #UD (TLFS; spec "Calling
 * convention"), even with the hypercall page enabled, and nothing in the VP changes;
 * CPUID's hypervisor leaves are open to user mode. Built on partitions/bare's ktest
 * harness (run_user). One ok/FAIL line per check; exit status: the failures. */
#include "hvtest.h"
#include "kprintf.h"
#include "ktest.h"
#include "x86.h"

#define CODE_VA (TEST_VA + 0x10000)
#define STACK_TOP (TEST_VA + 0x30000)

USER_SNIPPET(user_vmmcall, "vmmcall\n\tint3");
USER_SNIPPET(user_cpuid, "cpuid\n\tint3");

int main(void)
{
	struct fault f;
	hvtest_who = "ring3root";
	ktest_init();
	CHECK(hvtest_enable_hypercalls(0x8100000000010000ull) == 0, "hypercall page enabled");
	uint64_t stack = ktest_user_stack(STACK_TOP) - 64;

	uint64_t va = ktest_user_code(CODE_VA, snip_user_vmmcall, snip_user_vmmcall_end);
	uint64_t control = hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0);
	struct trap_frame regs = { .rax = 0x1234, .rcx = control, .rflags = 2 };
	run_user(va, stack, &regs, &f);
	CHECK(f.vector == T_UD && f.tf.rip == va, "VMMCALL at CPL 3: #UD at the VMMCALL "
	      "(vector %llu)", (unsigned long long)f.vector);
	CHECK(f.tf.rax == 0x1234 && f.tf.rcx == control, "... RAX and RCX unchanged");

	va = ktest_user_code(CODE_VA + 0x1000, snip_user_cpuid, snip_user_cpuid_end);
	regs = (struct trap_frame){ .rax = HV_CPUID_INTERFACE, .rflags = 2 };
	run_user(va, stack, &regs, &f);
	CHECK(f.vector == T_BP && f.tf.rax == HV_CPUID_SIGNATURE_HV1,
	      "CPUID 0x40000001 at CPL 3: Hv#1");

	hvtest_status(hvtest_status_of(hvtest_call(control, 0, gpa_of(hvtest_out), 0)),
		      HV_STATUS_SUCCESS, "GetPartitionId at CPL 0 still works");
	kprintf("ring3root: %u failed\n", hvtest_failures);
	return (int)hvtest_failures;
}
