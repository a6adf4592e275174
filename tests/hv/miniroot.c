/* tests/hv's root partition: booted by hv (`hvsim run --module root=miniroot.elf
 * --module child:minichild=minichild.elf hv.elf`), it checks the root's view of hv
 * (CPUID, the synthetic MSRs, the hypercall page, the dispatcher's order of checks),
 * then runs three children through the partition-management calls: one that runs
 * minichild's checks with its console and exit port served here, one that triple
 * faults, one that fuzzes the hypercall interface. One ok/FAIL line per check; the exit
 * status is the number of failed checks (a child's failures included).
 *
 * Command line (hv's root=...): flush=POLICY, budget=N (what hv was given, to check
 * CPUID and continuations), seed=N (the fuzzers'). */
#include "elf64.h"
#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "gdt.h"
#include "hvtest.h"
#include "kprintf.h"
#include "kstring.h"
#include "machine.h"
#include "trap.h"
#include "x86.h"

#define SINT_VECTOR (T_IRQ_FIRST + 8)
#define CHILD_RAM (4ull << 20)
#define CHILD_PAGES (CHILD_RAM / 4096)
#define DEPOSIT_PAGES 64
#define MAP_PER_CALL ((unsigned)((4096 - sizeof(struct hv_map_gpa_pages_in)) / 8))
#define REGION_BASE (64ull << 20)  /* root RAM handed to children, 4 MiB-aligned regions */
#define FAR_GPA 0x10000000ull      /* minichild.c */
#define FAR_MARKER 0x5A5A5A5A12345678ull

static uint64_t hv_ram_pages(void);
static char policy[16] = "asid";
static unsigned budget = 128;
static uint64_t seed = 1;
static uint64_t next_region = REGION_BASE;

static struct hv_message message_page[16] __attribute__((aligned(4096)));
static uint8_t event_page[4096] __attribute__((aligned(4096)));

static void sint_interrupt(struct trap_frame *tf) { /* auto-EOI: only the wake-up */ }

/* ---- hypercall helpers ---- */

static uint16_t simple(uint16_t code)
{
	return hvtest_status_of(hvtest_call(hv_input_value(code, 0, 0, 0, 0), gpa_of(hvtest_in),
					    gpa_of(hvtest_out), 0));
}

static uint64_t rep_call(uint16_t code, unsigned count, uint64_t *rcx)
{
	return hvtest_call(hv_input_value(code, count, 0, 0, 0), gpa_of(hvtest_in),
			   gpa_of(hvtest_out), rcx);
}

static uint16_t create_partition(uint64_t *id)
{
	memset(hvtest_in, 0, 16);
	uint16_t s = simple(HvCallCreatePartition);
	*id = *(uint64_t *)hvtest_out;
	return s;
}

static uint16_t partition_call(uint16_t code, uint64_t id)
{
	*(uint64_t *)hvtest_in = id;
	return simple(code);
}

/* count root pages from *next, one rep call of them */
static uint64_t deposit(uint64_t id, uint64_t first_page, unsigned count, uint64_t *rcx)
{
	uint64_t *in = (uint64_t *)hvtest_in;
	in[0] = id;
	for (unsigned i = 0; i < count; i++)
		in[1 + i] = first_page + i;
	return rep_call(HvCallDepositMemory, count, rcx);
}

/* the child's pages [gpa_page, +count) from root pages [src_page, +count) */
static uint64_t map(uint64_t id, uint64_t gpa_page, uint64_t src_page, unsigned count,
		    uint32_t flags, uint64_t *rcx)
{
	struct hv_map_gpa_pages_in *in = (void *)hvtest_in;
	*in = (struct hv_map_gpa_pages_in){ id, gpa_page, flags, 0 };
	uint64_t *list = (uint64_t *)(in + 1);
	for (unsigned i = 0; i < count; i++)
		list[i] = src_page + i;
	return rep_call(HvCallMapGpaPages, count, rcx);
}

static uint16_t set_registers(uint64_t id, unsigned n, const struct hv_register_assoc *regs)
{
	struct hv_vp_registers_in *in = (void *)hvtest_in;
	*in = (struct hv_vp_registers_in){ .partition_id = id, .vp_index = 0 };
	memcpy(in + 1, regs, n * sizeof *regs);
	return hvtest_status_of(rep_call(HvCallSetVpRegisters, n, 0));
}

static uint16_t get_registers(uint64_t id, unsigned n, const uint32_t *names,
			      union hv_register_value *out, unsigned *done)
{
	struct hv_vp_registers_in *in = (void *)hvtest_in;
	*in = (struct hv_vp_registers_in){ .partition_id = id, .vp_index = 0 };
	memcpy(in + 1, names, n * sizeof *names);
	uint64_t r = rep_call(HvCallGetVpRegisters, n, 0);
	memcpy(out, hvtest_out, n * sizeof *out);
	if (done)
		*done = HV_RESULT_REPS_DONE(r);
	return hvtest_status_of(r);
}

static uint16_t start_vp(uint64_t id, const struct hv_initial_vp_context *x)
{
	struct hv_start_vp_in *s = (void *)hvtest_in;
	memset(s, 0, sizeof *s);
	s->partition_id = id;
	s->context = *x;
	return simple(HvCallStartVirtualProcessor);
}

static struct hv_register_assoc reg(uint32_t name, uint64_t v)
{
	return (struct hv_register_assoc){ .name = name, .value.reg64 = v };
}

/* ---- the root's own view ---- */

static void check_root_view(void)
{
	uint32_t r[4];
	uint64_t v;
	cpuid(1, 0, r);
	CHECK(r[2] & HV_CPUID_FEATURES_ECX_HYPERVISOR, "CPUID 1 ECX bit 31: a hypervisor");
	cpuid(HV_CPUID_VENDOR_AND_MAX, 0, r);
	CHECK(r[0] == HV_CPUID_MAX_LEAF && r[1] == HV_CPUID_VENDOR_EBX && r[2] == HV_CPUID_VENDOR_ECX &&
	      r[3] == HV_CPUID_VENDOR_EDX, "CPUID 0x40000000: max leaf 0x%x, \"Microsoft Hv\"", r[0]);
	cpuid(HV_CPUID_INTERFACE, 0, r);
	CHECK(r[0] == HV_CPUID_SIGNATURE_HV1, "CPUID 0x40000001: Hv#1");
	cpuid(HV_CPUID_FEATURES, 0, r);
	uint64_t privs = r[0] | (uint64_t)r[1] << 32;
	CHECK(privs == (HV_PRIVS_EVERY_PARTITION | HV_PRIVS_ROOT_ONLY) && !(r[3] & (1u << 4)),
	      "root privileges 0x%llx, no XMM fast calls", (unsigned long long)privs);
	cpuid(HV_CPUID_ENLIGHTENMENTS, 0, r);
	uint32_t want = strcmp(policy, "full") == 0 ? 0 : 6;
	CHECK((r[0] & 6) == want && r[1] == 0xFFFFFFFFu, "flush=%s: recommendations 0x%x", policy,
	      r[0]);
	cpuid(HV_CPUID_IMPLEMENTATION_LIMITS, 0, r);
	CHECK(r[0] >= 1 && r[1] == 1, "CPUID 0x40000005: %u VPs, %u logical processor", r[0], r[1]);
	cpuid(HV_CPUID_HARDWARE_FEATURES, 0, r);
	CHECK(r[0] & HV_HW_FEATURE_SLAT, "CPUID 0x40000006: SLAT");
	cpuid(0x80000001u, 0, r);
	CHECK(!(r[2] & (1u << 2)), "SVM is not shown to the root");
	cpuid(0x8000000Au, 0, r);
	CHECK(r[0] == 0 && r[1] == 0 && r[3] == 0, "CPUID 0x8000000A reads 0");

	CHECK(probe_vmmcall() == T_UD, "VMMCALL before the hypercall page: #UD");
	wrmsr(HV_X64_MSR_HYPERCALL, gpa_of(hvtest_hypercall_page) | HV_HYPERCALL_ENABLE);
	CHECK(!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE),
	      "with GUEST_OS_ID 0 the enable bit stays 0");
	CHECK(hvtest_enable_hypercalls(0x8100000000010000ull) == 0, "hypercall page enabled");
	CHECK(hvtest_hypercall_page[0] == 0x0F && hvtest_hypercall_page[1] == 0x01 &&
	      hvtest_hypercall_page[2] == 0xD9 && hvtest_hypercall_page[3] == 0xC3,
	      "the page holds VMMCALL; RET");
	CHECK(probe_write8(hvtest_hypercall_page + 100, 7) == T_GP, "a write to it is #GP");
	CHECK(probe_wrmsr(HV_X64_MSR_HYPERCALL, gpa_of(hvtest_hypercall_page) | 0x10) == T_GP,
	      "HYPERCALL reserved bits are #GP");
	CHECK(probe_rdmsr(HV_X64_MSR_VP_INDEX, &v) < 0 && v == 0, "VP_INDEX reads 0");
	CHECK(probe_wrmsr(HV_X64_MSR_VP_INDEX, 0) == T_GP, "VP_INDEX is read-only");
	CHECK(probe_rdmsr(HV_X64_MSR_SVERSION, &v) < 0 && v == 1, "SVERSION reads 1");
	CHECK(probe_wrmsr(HV_X64_MSR_SVERSION, 1) == T_GP, "SVERSION is read-only");
	CHECK(probe_rdmsr(0x40000010u, &v) == T_GP, "an unknown synthetic MSR is #GP");
	CHECK(probe_rdmsr(MSR_EFER, &v) < 0 && !(v & (1u << 12)), "EFER shows no SVME");
	CHECK(probe_vmload() == T_UD, "VMLOAD is #UD");
	CHECK(probe_wrmsr(0xC0010117u, 0x1000) == T_GP, "VM_HSAVE_PA is #GP");
	CHECK(probe_wrmsr(HV_X64_MSR_SINT0 + 3, 5) == T_GP, "SINT vector 5 is #GP");
}

/* ---- the dispatcher: each stage, and pairs where the earlier must win ---- */

static void check_dispatcher(void)
{
	uint64_t out = gpa_of(hvtest_out), in = gpa_of(hvtest_in);
	hvtest_status(simple(HvCallGetPartitionId), HV_STATUS_SUCCESS, "GetPartitionId");
	CHECK(*(uint64_t *)hvtest_out == HV_ROOT_PARTITION_ID, "the root's id is 1");
	const uint64_t reserved = 1ull << 28;
	struct { uint64_t control, in, out; uint16_t want; const char *what; } cases[] = {
		{ 0x0001, in, out, HV_STATUS_INVALID_HYPERCALL_CODE, "unknown code" },
		{ 0x0001 | reserved, in, out, HV_STATUS_INVALID_HYPERCALL_CODE, "code before control" },
		{ HvCallGetPartitionId | reserved, in, out, HV_STATUS_INVALID_HYPERCALL_INPUT,
		  "reserved bit 28" },
		{ HvCallGetPartitionId | reserved, in, out + 4, HV_STATUS_INVALID_HYPERCALL_INPUT,
		  "control value before alignment" },
		{ hv_input_value(HvCallGetPartitionId, 1, 0, 0, 0), in, out,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "a rep count on a simple call" },
		{ hv_input_value(HvCallDepositMemory, 0, 0, 0, 0), in, out,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "no rep count on a rep call" },
		{ hv_input_value(HvCallDepositMemory, 4, 4, 0, 0), in, out,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "rep start = rep count" },
		{ hv_input_value(HvCallGetPartitionId, 0, 0, 0, 1), in, out,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "GetPartitionId as a fast call" },
		{ hv_input_value(HvCallCreatePartition, 0, 0, 2, 0), in, out,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "a variable header on CreatePartition" },
		{ hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0), in, out + 4,
		  HV_STATUS_INVALID_ALIGNMENT, "a misaligned output" },
		{ hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0), in + 3, out,
		  HV_STATUS_SUCCESS, "no input block: RDX is not looked at" },
		{ hv_input_value(HvCallCreatePartition, 0, 0, 0, 0), in + 4088, out,
		  HV_STATUS_INVALID_ALIGNMENT, "an input crossing a page" },
		{ hv_input_value(HvCallDepositMemory, 511, 0, 0, 0), in + 8, out,
		  HV_STATUS_INVALID_ALIGNMENT, "a rep list crossing a page" },
		{ hv_input_value(HvCallCreatePartition, 0, 0, 0, 0), in, in + 8,
		  HV_STATUS_INVALID_PARAMETER, "overlapping blocks" },
		{ hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0), in, 0x7FFFFFF000ull,
		  HV_STATUS_INVALID_PARAMETER, "an output GPA beyond the root's RAM" },
		{ hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0), in,
		  gpa_of(hvtest_hypercall_page), HV_STATUS_INVALID_PARAMETER,
		  "the hypercall page as output" },
		{ hv_input_value(HvCallInitializePartition, 0, 0, 0, 0), 0x7FFFFFF000ull, out,
		  HV_STATUS_INVALID_PARAMETER, "an input GPA beyond the root's RAM" },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
		hvtest_status(hvtest_status_of(hvtest_call(cases[i].control, cases[i].in, cases[i].out, 0)),
			      cases[i].want, cases[i].what);
	/* parameter values before objects */
	*(uint64_t *)hvtest_in = 1; /* flags */
	hvtest_status(simple(HvCallCreatePartition), HV_STATUS_INVALID_PARAMETER,
		      "CreatePartition flags 1");
	struct hv_create_vp_in *cv = (void *)hvtest_in;
	*cv = (struct hv_create_vp_in){ 12345, 99, 1, 0 };
	hvtest_status(simple(HvCallCreateVp), HV_STATUS_INVALID_PARAMETER,
		      "CreateVp: a bad parameter before a bad partition and VP");
	hvtest_status(partition_call(HvCallInitializePartition, 12345), HV_STATUS_INVALID_PARTITION_ID,
		      "InitializePartition of no partition");
	hvtest_status(partition_call(HvCallInitializePartition, HV_PARTITION_ID_SELF),
		      HV_STATUS_INVALID_PARTITION_ID, "InitializePartition of itself");
	hvtest_status(partition_call(HvCallDeletePartition, HV_ROOT_PARTITION_ID),
		      HV_STATUS_INVALID_PARTITION_ID, "DeletePartition of the root");
	/* fast flushes */
	uint64_t fast = hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 0, 1);
	hvtest_status(hvtest_status_of(hvtest_call(fast, 0, HV_FLUSH_ALL_PROCESSORS, 0)),
		      HV_STATUS_SUCCESS, "fast FlushVirtualAddressSpace, one address space");
	hvtest_status(hvtest_status_of(hvtest_call(fast, 0, HV_FLUSH_ALL_PROCESSORS | 8, 0)),
		      HV_STATUS_INVALID_PARAMETER, "an unknown flush flag");
}

/* ---- children ---- */

/* A region of root RAM for a child: its image, its boot tables, its boot info */

/* Lays the child's RAM out as the bare loader would (shared/DESIGN.md "Boot protocol"):
 * segments at their p_paddr, GDT, identity map with 2 MiB pages, boot info, cmdline.
 * Returns the entry point, 0 if the image does not fit. */
static uint64_t lay_out_child(uint8_t *ram, const struct boot_module *image, const char *cmdline)
{
	const struct elf64_ehdr *eh = (const void *)(uintptr_t)image->paddr;
	memset(ram, 0, CHILD_RAM);
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph =
			(const void *)(uintptr_t)(image->paddr + eh->phoff + i * sizeof *ph);
		if (ph->type != PT_LOAD)
			continue;
		if (ph->paddr + ph->memsz > CHILD_RAM)
			return 0;
		memcpy(ram + ph->paddr, (const void *)(uintptr_t)(image->paddr + ph->offset), ph->filesz);
	}
	uint64_t *gdt = (uint64_t *)(ram + 0x1000);
	gdt[1] = 0x00AF9B000000FFFFull;
	gdt[2] = 0x00CF93000000FFFFull;
	*(uint64_t *)(ram + 0x4000) = 0x5000 | 3;
	*(uint64_t *)(ram + 0x5000) = 0x7000 | 3;
	for (uint64_t k = 0; k < CHILD_RAM >> 21; k++)
		((uint64_t *)(ram + 0x7000))[k] = (k << 21) | 0x83;
	struct boot_info *bi = (void *)(ram + 0x2000);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = 1;
	bi->ram_bytes = CHILD_RAM;
	bi->cmdline = 0x3000;
	bi->cpus = 1;
	memcpy(ram + 0x3000, cmdline, strlen(cmdline) + 1);
	return eh->entry;
}

struct child {
	uint64_t id;
	uint8_t *ram;           /* root pointer = root GPA of its RAM */
	uint64_t deposit_first; /* root page number of its deposited pages */
	int exit_status;        /* -1 running, 256 halted */
	uint32_t halt_reason;
	char line[160];
	unsigned line_len;
	bool far_mapped, posted, cpuid_seen;
};

static void next_regions(struct child *c)
{
	c->ram = (uint8_t *)(uintptr_t)next_region;
	c->deposit_first = (next_region + CHILD_RAM) / 4096;
	next_region += CHILD_RAM + 1 * (1ull << 20); /* RAM, then 1 MiB for deposits */
}

/* Create, deposit, initialize, map, create VP 0: with checks on the first child */
static bool build_child(struct child *c, bool checks)
{
	uint64_t rcx;
	next_regions(c);
	c->exit_status = -1;
	if (create_partition(&c->id) != HV_STATUS_SUCCESS)
		return CHECK(0, "CreatePartition");
	if (checks) {
		CHECK(c->id >= 2, "CreatePartition: id %llu", (unsigned long long)c->id);
		hvtest_status(partition_call(HvCallInitializePartition, c->id),
			      HV_STATUS_INSUFFICIENT_MEMORY, "InitializePartition before a deposit");
		uint64_t r = deposit(c->id, (hv_ram_pages() + 5), 1, 0);
		hvtest_status(hvtest_status_of(r), HV_STATUS_INVALID_PARAMETER,
			      "depositing a page beyond the root's RAM");
		/* two good pages, then a bad one: reps done 2 */
		uint64_t *in = (uint64_t *)hvtest_in;
		in[0] = c->id;
		in[1] = c->deposit_first;
		in[2] = c->deposit_first + 1;
		in[3] = c->deposit_first; /* already deposited */
		r = rep_call(HvCallDepositMemory, 3, 0);
		hvtest_status(hvtest_status_of(r), HV_STATUS_INVALID_PARAMETER,
			      "depositing a page twice");
		CHECK(HV_RESULT_REPS_DONE(r) == 2, "... after 2 reps done (%u)", HV_RESULT_REPS_DONE(r));
		r = deposit(c->id, c->deposit_first + 2, DEPOSIT_PAGES - 2, &rcx);
	} else {
		deposit(c->id, c->deposit_first, DEPOSIT_PAGES, 0);
	}
	if (partition_call(HvCallInitializePartition, c->id) != HV_STATUS_SUCCESS)
		return CHECK(0, "InitializePartition");
	if (checks) {
		hvtest_status(partition_call(HvCallInitializePartition, c->id),
			      HV_STATUS_INVALID_PARTITION_STATE, "InitializePartition twice");
		hvtest_status(hvtest_status_of(map(c->id, 0, c->deposit_first, 1, HV_MAP_GPA_READABLE, 0)),
			      HV_STATUS_INVALID_PARAMETER, "mapping a deposited page");
		hvtest_status(hvtest_status_of(map(c->id, 0, gpa_of(c->ram) / 4096, 1, 0, 0)),
			      HV_STATUS_INVALID_PARAMETER, "map flags without READABLE");
	}
	/* its RAM, 1024 pages, as many a call as fit one input page after the header */
	uint32_t rwx = HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE |
		       HV_MAP_GPA_USER_EXECUTABLE;
	for (unsigned done = 0; done < CHILD_PAGES;) {
		unsigned n = CHILD_PAGES - done < MAP_PER_CALL ? (unsigned)(CHILD_PAGES - done)
							       : MAP_PER_CALL;
		uint64_t r = map(c->id, done, gpa_of(c->ram) / 4096 + done, n, rwx, &rcx);
		if (HV_RESULT_STATUS(r) != HV_STATUS_SUCCESS)
			return hvtest_check(0, "MapGpaPages at page %u: status 0x%x", done,
					    HV_RESULT_STATUS(r));
		if (checks && done == 0 && budget < MAP_PER_CALL)
			CHECK(((rcx >> HV_INPUT_REP_START_SHIFT) & 0xFFF) != 0,
			      "MapGpaPages of %u continued past rep_budget=%u", MAP_PER_CALL, budget);
		done += n;
	}
	if (checks)
		hvtest_status(hvtest_status_of(map(c->id, 3, gpa_of(c->ram) / 4096 + 3, 1, rwx, 0)),
			      HV_STATUS_INVALID_PARAMETER, "mapping over a mapped page");
	struct hv_create_vp_in *cv = (void *)hvtest_in;
	*cv = (struct hv_create_vp_in){ c->id, 0, 0, 0 };
	if (simple(HvCallCreateVp) != HV_STATUS_SUCCESS)
		return CHECK(0, "CreateVp");
	if (checks) {
		hvtest_status(simple(HvCallCreateVp), HV_STATUS_INVALID_VP_INDEX, "CreateVp twice");
		*cv = (struct hv_create_vp_in){ c->id, 8, 0, 0 };
		hvtest_status(simple(HvCallCreateVp), HV_STATUS_INVALID_VP_INDEX, "CreateVp 8");
		static const uint32_t names[] = { HvX64RegisterRip, HvX64RegisterCr3, HvX64RegisterEfer,
						  HvX64RegisterCs, HvX64RegisterRsp, 0x12345 };
		union hv_register_value v[6];
		unsigned done;
		hvtest_status(get_registers(c->id, 6, names, v, &done), HV_STATUS_INVALID_PARAMETER,
			      "GetVpRegisters with an unknown name last");
		CHECK(done == 5 && v[1].reg64 == 0x4000 && v[2].reg64 == 0xD00 &&
		      v[3].segment.selector == 8 && v[4].reg64 == 0x80000,
		      "a new VP is in the boot protocol's entry state");
		struct hv_install_intercept_in *ii = (void *)hvtest_in;
		*ii = (struct hv_install_intercept_in){ c->id, HV_INTERCEPT_ACCESS_EXECUTE,
							HV_INTERCEPT_TYPE_CPUID, 0x40001234u };
		hvtest_status(simple(HvCallInstallIntercept), HV_STATUS_SUCCESS,
			      "InstallIntercept of CPUID 0x40001234");
		ii->intercept_type = 7;
		hvtest_status(simple(HvCallInstallIntercept), HV_STATUS_INVALID_PARAMETER,
			      "InstallIntercept type 7");
	}
	return true;
}

static bool start_child(struct child *c, const char *cmdline, bool by_context)
{
	const struct boot_module *image = boot_module_find("child:minichild");
	if (!image)
		return CHECK(0, "no child:minichild module");
	uint64_t entry = lay_out_child(c->ram, image, cmdline);
	if (!entry)
		return CHECK(0, "minichild does not fit its RAM");
	if (by_context) {
		struct hv_initial_vp_context x = {
			.rip = entry, .rsp = 0x80000, .rflags = 2,
			.cs = { 0, 0xFFFFFFFF, 8, 0xA9B },
			.ds = { 0, 0xFFFFFFFF, 0x10, 0xC93 },
			.es = { 0, 0xFFFFFFFF, 0x10, 0xC93 },
			.ss = { 0, 0xFFFFFFFF, 0x10, 0xC93 },
			.tr = { 0, 0xFFFF, 0, 0x8B },
			.ldtr = { 0, 0xFFFF, 0, 0x82 },
			.gdtr = { .limit = 23, .base = 0x1000 },
			.efer = 0xD00, .cr0 = 0x80010033, .cr3 = 0x4000, .cr4 = 0x20,
			.msr_cr_pat = 0x0007040600070406ull,
		};
		x.cr0 = 0x33; /* no paging: hvsim's CPU runs 64-bit code only */
		hvtest_status(start_vp(c->id, &x), HV_STATUS_INVALID_PARAMETER,
			      "StartVirtualProcessor without paging");
		x.cr0 = 0x80010033;
		/* RDI = the boot info: not part of the context, so set before the start */
		struct hv_register_assoc rdi = reg(HvX64RegisterRdi, 0x2000);
		if (set_registers(c->id, 1, &rdi) != HV_STATUS_SUCCESS)
			return CHECK(0, "SetVpRegisters RDI");
		uint16_t st = start_vp(c->id, &x);
		hvtest_status(st, HV_STATUS_SUCCESS, "StartVirtualProcessor");
		hvtest_status(start_vp(c->id, &x), HV_STATUS_INVALID_PARTITION_STATE,
			      "StartVirtualProcessor twice");
		return st == HV_STATUS_SUCCESS;
	}
	/* the VP is in the entry state already: RIP, then let it go */
	struct hv_register_assoc regs[2] = { reg(HvX64RegisterRip, entry),
					     reg(HvRegisterExplicitSuspend, 0) };
	uint16_t st = set_registers(c->id, 2, regs);
	hvtest_status(st, HV_STATUS_SUCCESS, "SetVpRegisters RIP, ExplicitSuspend = 0");
	return st == HV_STATUS_SUCCESS;
}

/* ---- serving a child's intercepts ---- */

static void resume(struct child *c, uint64_t rip, bool set_rax, uint64_t rax)
{
	struct hv_register_assoc regs[3] = { reg(HvX64RegisterRip, rip),
					     reg(HvRegisterInterceptSuspend, 0),
					     reg(HvX64RegisterRax, rax) };
	uint16_t st = set_registers(c->id, set_rax ? 3 : 2, regs);
	if (st != HV_STATUS_SUCCESS)
		CHECK(0, "resuming the child: status 0x%x", st);
}

static void child_console(struct child *c, char ch)
{
	if (ch == '\n' || c->line_len + 1 >= sizeof c->line) {
		c->line[c->line_len] = 0;
		kprintf("  [child %llu] %s\n", (unsigned long long)c->id, c->line);
		if (strncmp(c->line, "FAIL", 4) == 0)
			hvtest_failures++;
		c->line_len = 0;
		if (ch == '\n')
			return;
	}
	c->line[c->line_len++] = ch;
}

static void handle(struct child *c, const struct hv_message *m)
{
	switch (m->header.message_type) {
	case HVMSG_X64_IO_PORT_INTERCEPT: {
		const struct hv_x64_io_port_intercept_message *io = (const void *)m->payload.bytes;
		uint64_t next = io->header.rip + io->header.instruction_length;
		bool in = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_TYPE_READ;
		if (!in && io->port_number == 0x3F8) {
			child_console(c, (char)io->rax);
		} else if (!in && io->port_number == 0xF4) {
			c->exit_status = (int)(io->rax & 0xFF);
			return; /* not resumed: it is done */
		}
		/* IN: the UART's LSR says "empty"; anything else reads all-ones */
		uint64_t v = io->port_number == 0x3FD ? 0x60 : 0xFF;
		resume(c, next, in, (io->rax & ~0xFFull) | v);
		return;
	}
	case HVMSG_X64_CPUID_INTERCEPT: {
		const struct hv_x64_cpuid_intercept_message *x = (const void *)m->payload.bytes;
		c->cpuid_seen = x->rax == 0x40001234u;
		resume(c, x->header.rip + x->header.instruction_length, true, 0xC0FFEE);
		return;
	}
	case HVMSG_UNMAPPED_GPA: {
		const struct hv_x64_memory_intercept_message *x = (const void *)m->payload.bytes;
		if (x->guest_physical_address >> 12 == FAR_GPA >> 12 && !c->far_mapped) {
			static uint64_t far_page[512] __attribute__((aligned(4096)));
			far_page[0] = FAR_MARKER;
			uint64_t r = map(c->id, FAR_GPA >> 12, gpa_of(far_page) >> 12, 1,
					 HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, 0);
			hvtest_status(HV_RESULT_STATUS(r), HV_STATUS_SUCCESS,
				      "HVMSG_UNMAPPED_GPA at 0x10000000: mapped a page there");
			c->far_mapped = true;
			struct hv_register_assoc s = reg(HvRegisterInterceptSuspend, 0);
			set_registers(c->id, 1, &s); /* RIP stays: the access is made again */
			return;
		}
		CHECK(0, "unexpected HVMSG_UNMAPPED_GPA at 0x%llx",
		      (unsigned long long)x->guest_physical_address);
		c->exit_status = 255;
		return;
	}
	case HVMSG_HVSIM_PARTITION_HALTED: {
		const struct hv_partition_halt_message *h = (const void *)m->payload.bytes;
		c->halt_reason = h->reason;
		c->exit_status = 256;
		return;
	}
	default:
		CHECK(0, "unexpected message type 0x%x", m->header.message_type);
		c->exit_status = 255;
		return;
	}
}

/* Messages until the child is done; also the child's posted message (SINT1) */
static void serve(struct child *c)
{
	while (c->exit_status < 0) {
		cli();
		struct hv_message *slot = &message_page[0];
		struct hv_message *posted = &message_page[1];
		if (posted->header.message_type != HVMSG_NONE) {
			c->posted = posted->header.message_type == 0x1234 &&
				    posted->header.sender == c->id &&
				    memcmp(posted->payload.bytes, "hello", 6) == 0;
			posted->header.message_type = HVMSG_NONE;
			wrmsr(HV_X64_MSR_EOM, 0);
			continue;
		}
		if (slot->header.message_type == HVMSG_NONE) {
			sti_hlt();
			continue;
		}
		struct hv_message m = *slot;
		slot->header.message_type = HVMSG_NONE;
		wrmsr(HV_X64_MSR_EOM, 0); /* the next one, if any */
		if (m.header.sender != c->id) {
			CHECK(0, "a message about partition %llu", (unsigned long long)m.header.sender);
			continue;
		}
		handle(c, &m);
	}
	sti();
}

static void delete_child(struct child *c)
{
	hvtest_status(partition_call(HvCallDeletePartition, c->id), HV_STATUS_SUCCESS,
		      "DeletePartition");
	/* its deposited pages are the root's again: touching one must not fault */
	volatile uint64_t *p = (uint64_t *)(uintptr_t)(c->deposit_first * 4096);
	*p = 1;
	CHECK(*p == 1, "a deposited page is the root's again after the delete");
	hvtest_status(partition_call(HvCallInitializePartition, c->id), HV_STATUS_INVALID_PARTITION_ID,
		      "the deleted partition is gone");
}

/* Random hypercalls from the root: wild values, GPAs and rep counts, partition ids
 * that are mostly not children (a real child would lose pages to random deposits);
 * outputs only to the scratch page or beyond RAM, so the root survives to check hv
 * did. A spare child, never run, is the target of some: maps, unmaps, registers. */
static void root_fuzz(void)
{
	static const uint16_t codes[] = { 0x0002, 0x0003, 0x0013, 0x0014, 0x0040, 0x0041,
					  0x0043, 0x0046, 0x0048, 0x004B, 0x004C, 0x004D,
					  0x004E, 0x0050, 0x0051, 0x005C, 0x005D, 0x0099 };
	static const uint8_t rep[] = { 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0 };
	struct child spare = { 0 };
	bool have_spare = build_child(&spare, false);
	unsigned calls = 4000, statuses[32] = { 0 };
	for (unsigned i = 0; i < calls; i++) {
		uint64_t x = hvtest_rand(&seed);
		unsigned k = (unsigned)((x >> 8) % (sizeof codes / sizeof codes[0]));
		unsigned reps = rep[k] ? 1 + (unsigned)((x >> 20) % ((x >> 5) & 1 ? 4095 : 16)) : 0;
		uint64_t control = (x & 7) ? hv_input_value(codes[k], reps, 0, 0, (x >> 42) % 8 == 0) : x;
		for (unsigned j = 0; j < 512; j++) {
			uint64_t r = hvtest_rand(&seed);
			((uint64_t *)hvtest_in)[j] = (r & 3) == 0 ? r : (r >> 4) & 0xFFF;
		}
		/* The first word is the target partition: sometimes the spare. A deposit gives
		 * hv only pages of the spare's own window (a random small id could name a
		 * child and hand over the root's own code); nothing deletes the spare. */
		uint64_t *words = (uint64_t *)hvtest_in;
		if (have_spare && (x >> 61) == 0)
			words[0] = spare.id;
		if (codes[k] == HvCallDepositMemory) {
			words[0] = have_spare && (x >> 61) < 4 ? spare.id : ~0ull - 1;
			for (unsigned j = 1; j < 512; j++)
				words[j] = spare.deposit_first + words[j] % 256;
		}
		if (codes[k] == HvCallDeletePartition && words[0] == spare.id)
			words[0] = 0;
		uint64_t in = (x >> 1) & 3 ? gpa_of(hvtest_in) + ((x >> 40) & 0x3F8) : hvtest_rand(&seed);
		uint64_t out = (x >> 3) & 3 ? gpa_of(hvtest_out) + ((x >> 50) & 0xF8)
					    : 0x7F00000000ull + (hvtest_rand(&seed) & 0xFFFFF8ull);
		uint64_t r = hvtest_call(control, in, out, 0);
		statuses[HV_RESULT_STATUS(r) & 31]++;
	}
	kprintf("miniroot: fuzz: %u calls: success %u, input %u, alignment %u, parameter %u, "
		"partition id %u, partition state %u, memory %u, vp index %u\n", calls, statuses[0],
		statuses[3], statuses[4], statuses[5], statuses[13], statuses[7], statuses[11],
		statuses[14]);
	CHECK(statuses[0] > 0 && statuses[5] > 0 && statuses[13] > 0,
	      "the root's fuzz reached the handlers");
	hvtest_status(simple(HvCallGetPartitionId), HV_STATUS_SUCCESS,
		      "GetPartitionId after the root's random hypercalls");
	if (have_spare)
		hvtest_status(partition_call(HvCallDeletePartition, spare.id), HV_STATUS_SUCCESS,
			      "DeletePartition of the fuzzed spare child");
}

static uint64_t ram_pages;
static uint64_t hv_ram_pages(void) { return ram_pages; }

int main(void)
{
	const char *cmdline = boot_cmdline();
	hvtest_who = "miniroot";
	gdt_init();
	hvtest_traps_init();
	ram_pages = boot_info()->ram_bytes / 4096;
	budget = (unsigned)cmdline_u64(cmdline, "budget", 128);
	seed = cmdline_u64(cmdline, "seed", 1);
	for (const char *p = cmdline; *p; p++)
		if (strncmp(p, "flush=", 6) == 0) {
			unsigned k = 0;
			for (p += 6; *p && *p != ' ' && k + 1 < sizeof policy; p++)
				policy[k++] = *p;
			policy[k] = 0;
			break;
		}
	kprintf("miniroot: cmdline \"%s\", %llu MiB, %u boot modules\n", cmdline,
		(unsigned long long)(boot_info()->ram_bytes >> 20), boot_info()->nr_modules);

	check_root_view();
	check_dispatcher();

	/* SynIC: intercepts on SINT0, posted messages on SINT1, events on SINT2 */
	CHECK(apic_init(0xFF) == 0, "x2APIC enabled");
	trap_register(SINT_VECTOR, sint_interrupt);
	wrmsr(HV_X64_MSR_SIMP, gpa_of(message_page) | HV_SYNIC_ENABLE);
	wrmsr(HV_X64_MSR_SIEFP, gpa_of(event_page) | HV_SYNIC_ENABLE);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
	for (unsigned s = 0; s < 3; s++)
		wrmsr(HV_X64_MSR_SINT0 + s, SINT_VECTOR | HV_SINT_AUTO_EOI);

	char child_cmdline[128];
	struct child a = { 0 }, b = { 0 }, f = { 0 };

	/* 1: minichild's checks */
	ksnprintf(child_cmdline, sizeof child_cmdline, "mode=checks flush=%s budget=%u", policy,
		  budget);
	if (build_child(&a, true) && start_child(&a, child_cmdline, false)) {
		serve(&a);
		CHECK(a.exit_status == 0, "minichild exited with status %d", a.exit_status);
		CHECK(a.cpuid_seen, "the intercepted CPUID leaf came as a message");
		CHECK(a.posted, "minichild's PostMessage arrived on SINT1");
		CHECK(event_page[2 * 256] & (1u << 5), "minichild's SignalEvent set flag 5 of SINT2");
		delete_child(&a);
	}
	/* 2: a triple fault halts only that child */
	if (build_child(&b, false) && start_child(&b, "mode=triple", true)) {
		serve(&b);
		CHECK(b.exit_status == 256 && b.halt_reason == HV_HALT_TRIPLE_FAULT,
		      "a child's triple fault: HVMSG_HVSIM_PARTITION_HALTED (reason %u)", b.halt_reason);
		delete_child(&b);
	}
	/* 3: a child fuzzing hv */
	ksnprintf(child_cmdline, sizeof child_cmdline, "mode=fuzz seed=%llu",
		  (unsigned long long)seed);
	if (build_child(&f, false) && start_child(&f, child_cmdline, false)) {
		serve(&f);
		CHECK(f.exit_status == 0, "the fuzzing child ended with status %d", f.exit_status);
		delete_child(&f);
	}
	root_fuzz();
	kprintf("miniroot: %u failed\n", hvtest_failures);
	return (int)hvtest_failures;
}
