/* tests/hv's child partition: started by miniroot inside a child partition (the boot
 * protocol's entry state, its RAM identity-mapped), it checks what a child sees of hv.
 * Its console and exit port are intercepted: miniroot prints its lines and gets its exit
 * status (the number of failed checks). Its command line picks what it does:
 *   mode=checks   (default) the checks below; flush=POLICY says what CPUID 0x40000004
 *                 must recommend, budget=N hv's rep_budget
 *   mode=triple   a triple fault: miniroot expects HVMSG_HVSIM_PARTITION_HALTED
 *   mode=fuzz     random hypercalls, wild GPAs, huge rep counts; then one more call must
 *                 still work (seed=N) */
#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "gdt.h"
#include "hvtest.h"
#include "kprintf.h"
#include "kstring.h"
#include "machine.h"
#include "portio.h"
#include "trap.h"
#include "x86.h"

#define CHILD_TIMER_VECTOR (T_IRQ_FIRST + 9)
#define FAR_GPA 0x10000000ull     /* not in this child's map until miniroot maps it */
#define FAR_MARKER 0x5A5A5A5A12345678ull
#define ROOT_CONNECTION(sint) HV_CONNECTION_ID(1, (sint))

static volatile unsigned timer_ticks;

static void timer_tick(struct trap_frame *tf)
{
	timer_ticks++;
	apic_eoi();
}

static uint16_t call_simple(uint16_t code, uint64_t in, uint64_t out)
{
	return hvtest_status_of(hvtest_call(hv_input_value(code, 0, 0, 0, 0), in, out, 0));
}

static void check_cpuid(const char *policy)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	CHECK(r[2] & HV_CPUID_FEATURES_ECX_HYPERVISOR, "CPUID 1 ECX bit 31: a hypervisor");
	cpuid(HV_CPUID_INTERFACE, 0, r);
	CHECK(r[0] == HV_CPUID_SIGNATURE_HV1, "CPUID 0x40000001 is Hv#1");
	cpuid(HV_CPUID_FEATURES, 0, r);
	uint64_t privs = r[0] | (uint64_t)r[1] << 32;
	CHECK(privs == HV_PRIVS_EVERY_PARTITION, "a child's privileges 0x%llx have no root-only bit",
	      (unsigned long long)privs);
	cpuid(HV_CPUID_ENLIGHTENMENTS, 0, r);
	uint32_t want = strcmp(policy, "full") == 0 ? 0 : HV_RECOMMEND_HYPERCALL_FOR_LOCAL_FLUSH |
							  HV_RECOMMEND_HYPERCALL_FOR_REMOTE_FLUSH;
	CHECK((r[0] & 6) == want, "flush=%s: recommendations 0x%x", policy, r[0]);
	cpuid(0x80000001u, 0, r);
	CHECK(!(r[2] & (1u << 2)), "SVM is not shown to a child");
	/* a leaf miniroot intercepts: it answers EAX = 0xC0FFEE */
	cpuid(0x40001234u, 0, r);
	CHECK(r[0] == 0xC0FFEE, "CPUID 0x40001234 answered by the parent (EAX 0x%x)", r[0]);
}

static void check_msrs(void)
{
	uint64_t v;
	CHECK(probe_vmmcall() == T_UD, "VMMCALL before the hypercall page: #UD");
	wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
	wrmsr(HV_X64_MSR_HYPERCALL, gpa_of(hvtest_hypercall_page) | HV_HYPERCALL_ENABLE);
	CHECK(!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE),
	      "with GUEST_OS_ID 0 the enable bit stays 0");
	CHECK(hvtest_enable_hypercalls(0x8100000000010000ull) == 0, "hypercall page enabled");
	CHECK(probe_write8(hvtest_hypercall_page + 8, 1) == T_GP, "a write to it is #GP");
	CHECK(probe_rdmsr(HV_X64_MSR_VP_INDEX, &v) < 0 && v == 0, "VP_INDEX 0");
	CHECK(probe_wrmsr(HV_X64_MSR_VP_INDEX, 1) == T_GP, "VP_INDEX is read-only");
	CHECK(probe_rdmsr(MSR_EFER, &v) < 0 && !(v & (1u << 12)), "EFER shows no SVME");
	CHECK(probe_wrmsr(MSR_EFER, v | (1u << 12)) == T_GP, "EFER.SVME cannot be set");
	CHECK(probe_rdmsr(0xC0010117u, &v) == T_GP, "VM_HSAVE_PA is #GP");
	CHECK(probe_vmload() == T_UD, "VMLOAD is #UD");
}

static void check_hypercalls(unsigned budget)
{
	uint64_t rcx;
	/* the root's calls */
	hvtest_status(call_simple(HvCallCreatePartition, gpa_of(hvtest_in), gpa_of(hvtest_out)),
		      HV_STATUS_ACCESS_DENIED, "CreatePartition from a child");
	hvtest_status(hvtest_status_of(hvtest_call(hv_input_value(HvCallDepositMemory, 1, 0, 0, 0),
						   gpa_of(hvtest_in), 0, 0)),
		      HV_STATUS_ACCESS_DENIED, "DepositMemory from a child");
	hvtest_status(call_simple(HvCallStartVirtualProcessor, gpa_of(hvtest_in), 0),
		      HV_STATUS_ACCESS_DENIED, "StartVirtualProcessor from a child");
	/* its id */
	hvtest_status(call_simple(HvCallGetPartitionId, 0, gpa_of(hvtest_out)), HV_STATUS_SUCCESS,
		      "GetPartitionId");
	uint64_t id = *(uint64_t *)hvtest_out;
	CHECK(id >= 2, "a child's id %llu is 2 or more", (unsigned long long)id);
	/* a GPA that is not this child's RAM, for input and for output */
	hvtest_status(call_simple(HvCallGetPartitionId, 0, 0x3F000000), HV_STATUS_INVALID_PARAMETER,
		      "an output GPA outside the child's map");
	hvtest_status(call_simple(HvCallPostMessage, 0x3F000000, 0), HV_STATUS_INVALID_PARAMETER,
		      "an input GPA outside the child's map");

	/* flushes */
	uint64_t fast = hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 0, 1);
	hvtest_status(hvtest_status_of(hvtest_call(fast, 0, HV_FLUSH_ALL_PROCESSORS |
						   HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, 0)),
		      HV_STATUS_SUCCESS, "fast FlushVirtualAddressSpace");
	hvtest_status(hvtest_status_of(hvtest_call(fast, 0, HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, 0)),
		      HV_STATUS_INVALID_PARAMETER, "fast flush without ALL_PROCESSORS");
	struct hv_flush_va_space *f = (void *)hvtest_in;
	*f = (struct hv_flush_va_space){ read_cr3(), 0, 1 };
	uint64_t *ranges = (uint64_t *)(f + 1);
	unsigned n = 200;
	for (unsigned i = 0; i < n; i++)
		ranges[i] = HV_GVA_RANGE(0x200 + i, i % 3);
	uint64_t r = hvtest_call(hv_input_value(HvCallFlushVirtualAddressList, n, 0, 0, 0),
				 gpa_of(hvtest_in), 0, &rcx);
	hvtest_status(hvtest_status_of(r), HV_STATUS_SUCCESS, "FlushVirtualAddressList of 200");
	CHECK(HV_RESULT_REPS_DONE(r) == n, "200 reps done (%u)", HV_RESULT_REPS_DONE(r));
	unsigned last_start = (unsigned)((rcx >> HV_INPUT_REP_START_SHIFT) & 0xFFF);
	if (budget < n)
		CHECK(last_start > 0, "continued past rep_budget=%u: RCX rep start %u", budget,
		      last_start);
	f->flags = HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY;
	hvtest_status(hvtest_status_of(hvtest_call(hv_input_value(HvCallFlushVirtualAddressList, 1, 0, 0, 0),
						   gpa_of(hvtest_in), 0, 0)),
		      HV_STATUS_INVALID_PARAMETER, "NON_GLOBAL_MAPPINGS_ONLY on a List call");
	struct hv_flush_va_space_ex *x = (void *)hvtest_in;
	*x = (struct hv_flush_va_space_ex){ 0, 0, HV_VP_SET_SPARSE_4K, 1 };
	((uint64_t *)(x + 1))[0] = 1; /* bank 0: VP 0 */
	hvtest_status(call_simple(HvCallFlushVirtualAddressSpaceEx, gpa_of(hvtest_in), 0),
		      HV_STATUS_INVALID_HYPERCALL_INPUT, "SpaceEx: one bank but no variable header");
	hvtest_status(hvtest_status_of(hvtest_call(hv_input_value(HvCallFlushVirtualAddressSpaceEx, 0, 0, 1, 0),
						   gpa_of(hvtest_in), 0, 0)),
		      HV_STATUS_SUCCESS, "SpaceEx with its bank");
	x->vp_set_format = HV_VP_SET_ALL;
	((uint64_t *)(x + 1))[0] = HV_GVA_RANGE(0x300, 2);
	hvtest_status(hvtest_status_of(hvtest_call(hv_input_value(HvCallFlushVirtualAddressListEx, 1, 0, 0, 0),
						   gpa_of(hvtest_in), 0, 0)),
		      HV_STATUS_SUCCESS, "ListEx for all VPs");

	/* messages and events to the root */
	struct hv_post_message_in *m = (void *)hvtest_in;
	memset(m, 0, sizeof *m);
	m->connection_id = ROOT_CONNECTION(1);
	m->message_type = 0x1234;
	m->payload_size = 6;
	memcpy(m->payload, "hello", 6);
	hvtest_status(call_simple(HvCallPostMessage, gpa_of(hvtest_in), 0), HV_STATUS_SUCCESS,
		      "PostMessage to the root");
	m->connection_id = HV_CONNECTION_ID(999, 1);
	hvtest_status(call_simple(HvCallPostMessage, gpa_of(hvtest_in), 0),
		      HV_STATUS_INVALID_CONNECTION_ID, "PostMessage to no partition");
	m->connection_id = ROOT_CONNECTION(1);
	m->message_type = 0x80000001u;
	hvtest_status(call_simple(HvCallPostMessage, gpa_of(hvtest_in), 0),
		      HV_STATUS_INVALID_PARAMETER, "PostMessage of a hypervisor message type");
	m->message_type = 1;
	m->payload_size = 241;
	hvtest_status(call_simple(HvCallPostMessage, gpa_of(hvtest_in), 0),
		      HV_STATUS_INVALID_PARAMETER, "PostMessage of 241 bytes");
	uint64_t sig = hv_input_value(HvCallSignalEvent, 0, 0, 0, 1);
	hvtest_status(hvtest_status_of(hvtest_call(sig, ROOT_CONNECTION(2) | 5ull << 32, 0, 0)),
		      HV_STATUS_SUCCESS, "SignalEvent to the root, flag 5");
	hvtest_status(hvtest_status_of(hvtest_call(sig, ROOT_CONNECTION(2) | 2048ull << 32, 0, 0)),
		      HV_STATUS_INVALID_PARAMETER, "SignalEvent flag 2048");
}

/* A GPA beyond this child's RAM: the first touch goes to miniroot as
 * HVMSG_UNMAPPED_GPA, which maps a page there and lets the child go on. */
static void check_unmapped_gpa(void)
{
	uint64_t *pd = (uint64_t *)0x7000; /* the loader's page directory for GiB 0 */
	pd[FAR_GPA >> 21] = FAR_GPA | 0x83; /* P, W, PS: 2 MiB */
	invlpg(FAR_GPA);
	uint64_t v = *(volatile uint64_t *)FAR_GPA;
	CHECK(v == FAR_MARKER, "the page the parent mapped after HVMSG_UNMAPPED_GPA (0x%llx)",
	      (unsigned long long)v);
}

static void check_timer(void)
{
	CHECK(apic_init(0xFF) == 0, "x2APIC enabled");
	trap_register(CHILD_TIMER_VECTOR, timer_tick);
	apic_timer_periodic(CHILD_TIMER_VECTOR, 20000, 1);
	uint64_t t0 = rdtsc();
	while (timer_ticks < 10 && rdtsc() - t0 < 20000000)
		sti_hlt();
	cli();
	apic_timer_stop();
	uint64_t elapsed = rdtsc() - t0;
	CHECK(timer_ticks >= 10 && elapsed >= 180000, "10 virtual timer interrupts in %llu cycles",
	      (unsigned long long)elapsed);
}

static void triple_fault(void)
{
	kprintf("minichild: about to triple fault\n");
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" : : "m"(idtr));
}

/* Random hypercalls: every status is fine, hv must only survive. Outputs go to a
 * scratch page or nowhere the child owns, so the child survives too. */
static void fuzz(uint64_t seed)
{
	/* the codes and whether each is a rep call, so most calls get past the control
	 * value and reach the parameter and object checks */
	static const struct { uint16_t code; uint8_t rep; } calls_of[] = {
		{ 0x0002, 0 }, { 0x0003, 1 }, { 0x0013, 0 }, { 0x0014, 1 }, { 0x0040, 0 },
		{ 0x0041, 0 }, { 0x0043, 0 }, { 0x0046, 0 }, { 0x0048, 1 }, { 0x004B, 1 },
		{ 0x004C, 1 }, { 0x004D, 0 }, { 0x004E, 0 }, { 0x0050, 1 }, { 0x0051, 1 },
		{ 0x005C, 0 }, { 0x005D, 0 }, { 0x0099, 0 }, { 0x0001, 0 }, { 0x00FF, 1 },
	};
	unsigned n = sizeof calls_of / sizeof calls_of[0];
	unsigned calls = 4000, statuses[32] = { 0 };
	for (unsigned i = 0; i < calls; i++) {
		uint64_t x = hvtest_rand(&seed);
		uint64_t control = x; /* one call in eight: a fully random input value */
		if (x & 7) {
			unsigned k = (unsigned)((x >> 8) % n);
			unsigned reps = calls_of[k].rep ? 1 + (unsigned)((x >> 20) % ((x >> 5) & 1 ? 4095 : 8)) : 0;
			unsigned start = reps && ((x >> 33) & 1) ? (unsigned)((x >> 34) % reps) : 0;
			control = hv_input_value(calls_of[k].code, reps, start, (x >> 40) % 4 == 0 ? 1 : 0,
						 (x >> 42) % 8 == 0);
		}
		/* inputs: small numbers (partition ids, VP indexes, page numbers) or junk */
		for (unsigned k = 0; k < 512; k++) {
			uint64_t r = hvtest_rand(&seed);
			((uint64_t *)hvtest_in)[k] = (r & 3) == 0 ? r : (r & 3) == 1 ? (r >> 4) % 8
								      : (r >> 4) & 0xFFFFF;
		}
		uint64_t in = (x >> 44) & 3 ? gpa_of(hvtest_in) + ((x >> 46) & 0x7F8) : hvtest_rand(&seed);
		uint64_t out = (x >> 54) & 3 ? gpa_of(hvtest_out) + ((x >> 56) & 0xF8)
					     : 0x40000000ull + (hvtest_rand(&seed) & 0xFFFFFFF8ull);
		uint64_t r = hvtest_call(control, in, out, 0);
		statuses[HV_RESULT_STATUS(r) & 31]++;
	}
	kprintf("minichild: fuzz: %u calls: success %u, code %u, input %u, alignment %u, "
		"parameter %u, denied %u, partition id %u, connection %u, synic state %u\n", calls,
		statuses[0], statuses[2], statuses[3], statuses[4], statuses[5], statuses[6],
		statuses[13], statuses[18], statuses[24]);
	CHECK(statuses[0] > 0 && statuses[5] > 0 && statuses[6] > 0,
	      "the fuzz reached the handlers (successes, parameter errors, denials)");
	hvtest_status(call_simple(HvCallGetPartitionId, 0, gpa_of(hvtest_out)), HV_STATUS_SUCCESS,
		      "GetPartitionId after the fuzz");
}

int main(void)
{
	const char *cmdline = boot_cmdline();
	char policy[16] = "asid";
	hvtest_who = "minichild";
	gdt_init();
	hvtest_traps_init();
	const char *p = strchr(cmdline, 'f');
	for (; p; p = strchr(p + 1, 'f'))
		if (strncmp(p, "flush=", 6) == 0) {
			unsigned k = 0;
			for (p += 6; *p && *p != ' ' && k + 1 < sizeof policy; p++)
				policy[k++] = *p;
			policy[k] = 0;
			break;
		}
	kprintf("minichild: cmdline \"%s\", RAM %llu KiB\n", cmdline,
		(unsigned long long)(boot_info()->ram_bytes >> 10));

	if (cmdline_has(cmdline, "mode=triple")) {
		triple_fault();
		return 99;
	}
	if (cmdline_has(cmdline, "mode=fuzz")) {
		CHECK(hvtest_enable_hypercalls(0x8100000000010000ull) == 0, "hypercall page enabled");
		fuzz(cmdline_u64(cmdline, "seed", 1));
		return (int)hvtest_failures;
	}
	check_msrs();
	check_cpuid(policy);
	check_hypercalls((unsigned)cmdline_u64(cmdline, "budget", 128));
	check_unmapped_gpa();
	check_timer();
	kprintf("minichild: %u failed\n", hvtest_failures);
	return (int)hvtest_failures;
}
