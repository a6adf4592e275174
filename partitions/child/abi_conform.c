/* ABI conformance, from a child partition: every rule of shared/specs/hypercall-abi.md
   that a child can observe, one "PASS what" or "FAIL what: ..." line each. Exits with
   the number of failed checks. Runs only under the hypervisor (hvsim boot --child).

   The order follows the spec: discovery, enabling, the calling convention, the order of
   checks (code, control value, privilege, alignment, parameters, objects), rep calls,
   the TLB calls' own rules, SynIC messages and events, and the MSRs' own rules. */
#include "apic.h"
#include "compiler.h"
#include "hvcall.h"
#include "hvdiscover.h"
#include "hv/abi/hvboot.h"
#include "idt.h"
#include "kprintf.h"
#include "kstring.h"
#include "ktest.h"
#include "machine.h"
#include "palloc.h"
#include "synic.h"
#include "vm.h"
#include "x86.h"

static int failures;
static struct hv_discovery hv;
static uint64_t self_id;
static uint8_t *in_page, *out_page;   /* scratch parameter pages, page-aligned */
static uint64_t in_gpa, out_gpa;

/* ---- reporting ---- */

static void verdict(int ok, const char *what, const char *fmt, ...) KPRINTF_FORMAT(3, 4);
static void verdict(int ok, const char *what, const char *fmt, ...)
{
    va_list ap;

    kprintf("%s %s", ok ? "PASS" : "FAIL", what);
    if (fmt) {
        kprintf(": ");
        va_start(ap, fmt);
        kvprintf(fmt, ap);
        va_end(ap);
    }
    kprintf("\n");
    failures += !ok;
}

/* A result value whose status must be want. */
static void expect(const char *what, uint64_t result, hv_status_t want)
{
    hv_status_t st = HV_RESULT_STATUS(result);
    if (st == want)
        verdict(1, what, "%s", hv_status_name(st));
    else
        verdict(0, what, "%s, want %s", hv_status_name(st), hv_status_name(want));
}

static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        verdict(1, what, "0x%llx", (unsigned long long)got);
    else
        verdict(0, what, "0x%llx, want 0x%llx", (unsigned long long)got,
                (unsigned long long)want);
}

static void expect_fault(const char *what, int faulted, const struct fault *f, unsigned vector)
{
    if (faulted && f->vector == vector)
        verdict(1, what, "%s", trap_name(vector));
    else if (faulted)
        verdict(0, what, "%s, want %s", trap_name((unsigned)f->vector), trap_name(vector));
    else
        verdict(0, what, "no exception, want %s", trap_name(vector));
}

static uint64_t control(uint16_t code, unsigned reps, unsigned start, unsigned varhead)
{
    return hv_input_value(code, reps, start, varhead, 0);
}

static uint64_t call(uint64_t ctl, uint64_t in, uint64_t out)
{
    return hv_hypercall(ctl, in, out);
}

/* ---- discovery (spec "Discovery") ---- */

static void check_discovery(void)
{
    uint32_t r[4];

    int hv1 = hv_discover(&hv);
    verdict(hv.present, "CPUID 1 ECX bit 31 (hypervisor present)", 0);
    verdict(hv.max_leaf >= HV_CPUID_MAX_LEAF, "CPUID 0x40000000 EAX, the highest leaf, "
            "is at least 0x40000006", "0x%x", hv.max_leaf);
    verdict(hv1, "CPUID 0x40000001 EAX is \"Hv#1\"", "0x%x", hv.interface);
    verdict((hv.privileges & HV_PRIVS_EVERY_PARTITION) == HV_PRIVS_EVERY_PARTITION,
            "CPUID 0x40000003: every partition's privileges", "0x%llx",
            (unsigned long long)hv.privileges);
    verdict((hv.privileges & HV_PRIVS_ROOT_ONLY) == 0,
            "CPUID 0x40000003: no root-only privilege for a child", "0x%llx",
            (unsigned long long)hv.privileges);
    verdict(!(hv.features_edx & (1u << 4)), "CPUID 0x40000003 EDX bit 4 (XMM fast input) clear",
            "0x%x", hv.features_edx);
    verdict(hv.max_vps >= 1, "CPUID 0x40000005 EAX, the most VPs", "%u", hv.max_vps);
    verdict(hv.hw_features & HV_HW_FEATURE_SLAT, "CPUID 0x40000006 EAX bit 3 (SLAT)", "0x%x",
            hv.hw_features);
    cpuid(HV_CPUID_ENLIGHTENMENTS, 0, r);
    verdict(r[0] == hv.recommendations, "CPUID 0x40000004 reads the same twice", "0x%x",
            r[0]);
}

/* ---- enabling (spec "Enabling hypercalls") ---- */

static void check_enabling(void)
{
    uint64_t page = hvcall_page_gpa();

    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
    wrmsr(HV_X64_MSR_HYPERCALL, page | HV_HYPERCALL_ENABLE);
    verdict(!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE),
            "enabling the hypercall page with GUEST_OS_ID = 0 leaves it disabled",
            "MSR 0x%llx", (unsigned long long)rdmsr(HV_X64_MSR_HYPERCALL));

    int ok = hvcall_enable(HVSIM_GUEST_OS_ID) == 0;
    verdict(ok, "enabling with a GUEST_OS_ID", "MSR 0x%llx",
            (unsigned long long)rdmsr(HV_X64_MSR_HYPERCALL));
    if (!ok) {
        kprintf("(no hypercall page: the remaining checks need one)\n");
        machine_exit(failures);
    }
    expect_u64("GUEST_OS_ID reads back", rdmsr(HV_X64_MSR_GUEST_OS_ID), HVSIM_GUEST_OS_ID);
    expect_u64("the hypercall MSR's page number", rdmsr(HV_X64_MSR_HYPERCALL) >> 12,
               page >> 12);

    const uint8_t *code = (const uint8_t *)(uintptr_t)page;
    verdict(code[0] == 0x0F && code[1] == 0x01 && code[2] == 0xD9 && code[3] == 0xC3,
            "the hypercall page holds VMMCALL; RET", "%02x %02x %02x %02x", code[0],
            code[1], code[2], code[3]);

    struct fault f;
    expect_fault("a write to the hypercall page", try_write(page, 0, &f), &f, T_GP);
    verdict(code[0] == 0x0F && code[3] == 0xC3, "the page is intact after the write", 0);
}

/* ---- the calling convention ---- */

uint64_t abi_call_capture(const uint64_t *regs_in, uint64_t *regs_out, uint64_t page);

static void check_registers(void)
{
    uint64_t in[16], out[16];
    unsigned changed = 0;

    for (unsigned i = 0; i < 16; i++)
        in[i] = 0x1111111111111111ull * (i + 1) ^ 0x0123456789ABCDEFull;
    in[1] = control(HvCallGetPartitionId, 0, 0, 0);
    in[2] = in_gpa;
    in[8] = out_gpa;
    abi_call_capture(in, out, hvcall_page_gpa());
    expect("GetPartitionId through the page, with every register loaded", out[0],
           HV_STATUS_SUCCESS);
    for (unsigned i = 1; i < 16; i++)
        if (i != 4 && out[i] != in[i])
            changed |= 1u << i;
    verdict(changed == 0, "a simple call changes no register but RAX", "changed mask 0x%x",
            changed);

    /* A fast call: RDX and R8 hold the input, and stay. */
    in[1] = control(HvCallFlushVirtualAddressSpace, 0, 0, 0) | HV_INPUT_FAST;
    in[2] = read_cr3() & ~0xfffull;
    in[8] = HV_FLUSH_ALL_PROCESSORS;
    abi_call_capture(in, out, hvcall_page_gpa());
    changed = 0;
    for (unsigned i = 1; i < 16; i++)
        if (i != 4 && out[i] != in[i])
            changed |= 1u << i;
    verdict(changed == 0, "a fast call changes no register but RAX", "%s, changed mask 0x%x",
            hv_status_name(HV_RESULT_STATUS(out[0])), changed);
}

USER_SNIPPET(vmmcall, "vmmcall\n\tint3");
USER_SNIPPET(call_page, "call *%rax\n\tint3");

#define CPL3_CODE_VA (TEST_VA + 0x10000)
#define CPL3_PAGE_VA (TEST_VA + 0x20000)
#define CPL3_STACK_TOP (TEST_VA + 0x40000)

static void check_cpl3(void)
{
    struct fault f;
    uint64_t stack = ktest_user_stack(CPL3_STACK_TOP) - 64;
    struct trap_frame regs = { .rcx = control(HvCallGetPartitionId, 0, 0, 0),
                               .rdx = in_gpa, .r8 = out_gpa, .rflags = RFLAGS_FIXED };

    uint64_t va = ktest_user_code(CPL3_CODE_VA, snip_vmmcall, snip_vmmcall_end);
    run_user(va, stack, &regs, &f);
    expect_fault("VMMCALL at CPL 3", 1, &f, T_UD);

    /* The hypercall page mapped user-executable: the same #UD through the page. */
    ktest_map(CPL3_PAGE_VA, hvcall_page_gpa(), PTE_U);
    regs.rax = CPL3_PAGE_VA;
    va = ktest_user_code(CPL3_CODE_VA + 0x1000, snip_call_page, snip_call_page_end);
    run_user(va, stack, &regs, &f);
    expect_fault("a call through the hypercall page at CPL 3", 1, &f, T_UD);
}

/* ---- the order of checks: code, control, privilege, alignment, parameters, objects ---- */

static void check_codes(void)
{
    static const uint16_t unknown[] = { 0x0000, 0x0001, 0x0004, 0x0045, 0x0098, 0x00FF,
                                        0x8000, 0xFFFF };
    char what[96];

    for (unsigned i = 0; i < ARRAY_SIZE(unknown); i++) {
        ksnprintf(what, sizeof(what), "unknown call code 0x%04x", unknown[i]);
        expect(what, call(control(unknown[i], 0, 0, 0), in_gpa, out_gpa),
               HV_STATUS_INVALID_HYPERCALL_CODE);
    }
    expect("an unknown code wins over reserved bits",
           call(control(0x0001, 0, 0, 0) | 1ull << 27, in_gpa, out_gpa),
           HV_STATUS_INVALID_HYPERCALL_CODE);
}

static void check_control(void)
{
    static const unsigned reserved_bits[] = { 27, 31, 44, 47, 60, 63 };
    char what[96];
    uint64_t get_id = control(HvCallGetPartitionId, 0, 0, 0);

    expect("GetPartitionId", call(get_id, in_gpa, out_gpa), HV_STATUS_SUCCESS);
    uint64_t id = *(volatile uint64_t *)out_page;
    verdict(id >= 2 && id == self_id, "GetPartitionId gives the child's own id (>= 2)",
            "%llu", (unsigned long long)id);

    for (unsigned i = 0; i < ARRAY_SIZE(reserved_bits); i++) {
        ksnprintf(what, sizeof(what), "reserved bit %u of the input value", reserved_bits[i]);
        expect(what, call(get_id | 1ull << reserved_bits[i], in_gpa, out_gpa),
               HV_STATUS_INVALID_HYPERCALL_INPUT);
    }
    expect("a rep count on a simple call",
           call(control(HvCallGetPartitionId, 1, 0, 0), in_gpa, out_gpa),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("a rep start on a simple call",
           call(get_id | 1ull << HV_INPUT_REP_START_SHIFT, in_gpa, out_gpa),
           HV_STATUS_INVALID_HYPERCALL_INPUT);

    struct hv_flush_va_space *hdr = (void *)in_page;
    *hdr = (struct hv_flush_va_space){ 0, HV_FLUSH_ALL_PROCESSORS |
                                       HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, 0 };
    uint64_t *ranges = (uint64_t *)(in_page + sizeof(*hdr));
    for (unsigned i = 0; i < 8; i++)
        ranges[i] = HV_GVA_RANGE(0x400 + i, 0);
    expect("rep count 0 on a rep call",
           call(control(HvCallFlushVirtualAddressList, 0, 0, 0), in_gpa, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("rep start = rep count",
           call(control(HvCallFlushVirtualAddressList, 2, 2, 0), in_gpa, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("rep start > rep count",
           call(control(HvCallFlushVirtualAddressList, 2, 5, 0), in_gpa, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("a variable header on GetPartitionId",
           call(control(HvCallGetPartitionId, 0, 0, 1), in_gpa, out_gpa),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("a variable header on FlushVirtualAddressSpace",
           call(control(HvCallFlushVirtualAddressSpace, 0, 0, 1), in_gpa, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("a fast GetPartitionId (not a fast call)",
           call(get_id | HV_INPUT_FAST, 0, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("a fast PostMessage (not a fast call)",
           call(control(HvCallPostMessage, 0, 0, 0) | HV_INPUT_FAST, 0, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
}

static void check_privileges(void)
{
    unsigned n;
    const struct hv_call_info *t = hv_call_table(&n);
    char what[96];

    memset(in_page, 0, 4096);
    for (unsigned i = 0; i < n; i++) {
        if (!(t[i].privilege & ~hv.privileges))
            continue;
        /* A valid control value and aligned blocks: only the privilege is missing. */
        unsigned reps = t[i].kind == HVCALL_REP ? 1 : 0;
        ksnprintf(what, sizeof(what), "%s from a child", t[i].name);
        expect(what, call(control(t[i].code, reps, 0, 0), in_gpa, out_gpa),
               HV_STATUS_ACCESS_DENIED);
    }
    expect("the control value is checked before the privilege",
           call(control(HvCallCreatePartition, 1, 0, 0), in_gpa, out_gpa),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("the privilege is checked before the alignment",
           call(control(HvCallCreatePartition, 0, 0, 0), in_gpa + 4, out_gpa + 4),
           HV_STATUS_ACCESS_DENIED);
}

static void post_block(uint64_t gpa, uint32_t connection, uint32_t type, uint32_t size)
{
    struct hv_post_message_in *m = (void *)(uintptr_t)gpa;
    memset(m, 0, sizeof(*m));
    m->connection_id = connection;
    m->message_type = type;
    m->payload_size = size;
}

static void check_alignment(void)
{
    struct hv_flush_va_space space = { 0, HV_FLUSH_ALL_PROCESSORS |
                                          HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, 0 };
    uint64_t flush = control(HvCallFlushVirtualAddressSpace, 0, 0, 0);

    memcpy(in_page, &space, sizeof(space));
    expect("FlushVirtualAddressSpace with an aligned input", call(flush, in_gpa, 0),
           HV_STATUS_SUCCESS);
    memcpy(in_page + 4, &space, sizeof(space));
    expect("an input block 4 bytes off alignment", call(flush, in_gpa + 4, 0),
           HV_STATUS_INVALID_ALIGNMENT);
    memcpy(in_page + 4080, &space, 16);
    expect("an aligned input block crossing a page", call(flush, in_gpa + 4080, 0),
           HV_STATUS_INVALID_ALIGNMENT);
    expect("an output block 4 bytes off alignment",
           call(control(HvCallGetPartitionId, 0, 0, 0), 0, out_gpa + 4),
           HV_STATUS_INVALID_ALIGNMENT);

    /* A rep call's block is its header and all its elements. */
    memcpy(in_page + 4072, &space, sizeof(space));
    expect("a List call whose header fits but whose element crosses a page",
           call(control(HvCallFlushVirtualAddressList, 1, 0, 0), in_gpa + 4072, 0),
           HV_STATUS_INVALID_ALIGNMENT);

    post_block(in_gpa + 3968, HV_CONNECTION_ID(self_id, 5), 1, 4);
    expect("a PostMessage block (256 bytes) crossing a page",
           call(control(HvCallPostMessage, 0, 0, 0), in_gpa + 3968, 0),
           HV_STATUS_INVALID_ALIGNMENT);
    memset(in_page, 0, 4096); /* message type 0 wherever the block is read */
    expect("the alignment is checked before the parameters (PostMessage type 0)",
           call(control(HvCallPostMessage, 0, 0, 0), in_gpa + 4, 0),
           HV_STATUS_INVALID_ALIGNMENT);
}

static void check_parameters(void)
{
    uint32_t self5 = HV_CONNECTION_ID(self_id, 5);
    uint64_t post = control(HvCallPostMessage, 0, 0, 0);

    post_block(in_gpa, self5, 0, 4);
    expect("PostMessage with message type 0", call(post, in_gpa, 0),
           HV_STATUS_INVALID_PARAMETER);
    post_block(in_gpa, self5, 0x80000001u, 4);
    expect("PostMessage with type bit 31 (the hypervisor's types)", call(post, in_gpa, 0),
           HV_STATUS_INVALID_PARAMETER);
    post_block(in_gpa, self5, 1, HV_MESSAGE_PAYLOAD_BYTES + 1);
    expect("PostMessage with a 241-byte payload", call(post, in_gpa, 0),
           HV_STATUS_INVALID_PARAMETER);
    post_block(in_gpa, HV_CONNECTION_ID(0x7ff, 0), 0, 4);
    expect("parameters are checked before objects (type 0 to no partition)",
           call(post, in_gpa, 0), HV_STATUS_INVALID_PARAMETER);
    post_block(in_gpa, HV_CONNECTION_ID(0x7ff, 0), 1, 4);
    expect("PostMessage to a partition that does not exist", call(post, in_gpa, 0),
           HV_STATUS_INVALID_CONNECTION_ID);
    post_block(in_gpa, 0, 1, 4);
    expect("PostMessage to connection 0 (partition 0)", call(post, in_gpa, 0),
           HV_STATUS_INVALID_CONNECTION_ID);
    expect("SignalEvent to a partition that does not exist",
           hv_hypercall_fast(control(HvCallSignalEvent, 0, 0, 0),
                             HV_CONNECTION_ID(0x7ff, 0), 0),
           HV_STATUS_INVALID_CONNECTION_ID);

    uint64_t range = HV_GVA_RANGE(0x400, 0);
    expect("HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY on FlushVirtualAddressList",
           hv_flush_virtual_address_list(0, HV_FLUSH_ALL_PROCESSORS |
                                         HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
                                         HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, 0, &range, 1, 0),
           HV_STATUS_INVALID_PARAMETER);
    struct hv_vp_set all = { HV_VP_SET_ALL, 0, 0 };
    expect("HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY on FlushVirtualAddressListEx",
           hv_flush_virtual_address_list_ex(0, HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
                                            HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, &all, &range,
                                            1, 0),
           HV_STATUS_INVALID_PARAMETER);
    expect("HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY on FlushVirtualAddressSpace is fine",
           hv_flush_virtual_address_space(read_cr3() & ~0xfffull,
                                          HV_FLUSH_ALL_PROCESSORS |
                                          HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, 0),
           HV_STATUS_SUCCESS);
}

/* ---- rep calls (spec "Rules") ---- */

static void check_rep_calls(void)
{
    enum { N = 400 };
    struct hv_flush_va_space *hdr = (void *)in_page;
    uint64_t *ranges = (uint64_t *)(in_page + sizeof(*hdr));
    uint64_t rcx;

    *hdr = (struct hv_flush_va_space){ read_cr3() & ~0xfffull, HV_FLUSH_ALL_PROCESSORS, 0 };
    for (unsigned i = 0; i < N; i++)
        ranges[i] = HV_GVA_RANGE(0x200 + i, i % 4);

    uint64_t r = hv_hypercall_rcx(control(HvCallFlushVirtualAddressList, N, 0, 0), in_gpa, 0,
                                  &rcx);
    expect("FlushVirtualAddressList of 400 ranges", r, HV_STATUS_SUCCESS);
    expect_u64("... reps completed", HV_RESULT_REPS_DONE(r), N);
    verdict(((rcx & HV_INPUT_REP_START_MASK) >> HV_INPUT_REP_START_SHIFT) <= N,
            "... RCX's rep start stays within the rep count", "RCX 0x%llx",
            (unsigned long long)rcx);
    verdict((rcx & ~HV_INPUT_REP_START_MASK) ==
            (control(HvCallFlushVirtualAddressList, N, 0, 0) & ~HV_INPUT_REP_START_MASK),
            "... RCX changes in its rep start only", "RCX 0x%llx", (unsigned long long)rcx);

    r = call(control(HvCallFlushVirtualAddressList, N, 150, 0), in_gpa, 0);
    expect("a List call starting at rep 150", r, HV_STATUS_SUCCESS);
    expect_u64("... reps completed is absolute (the rep count)", HV_RESULT_REPS_DONE(r), N);

    r = call(control(HvCallFlushVirtualAddressList, HV_MAX_REPS, 0, 0), in_gpa, 0);
    expect("a List call whose 4095 elements run past the page", r,
           HV_STATUS_INVALID_ALIGNMENT);

    unsigned done = 0;
    static uint64_t many[2000];
    for (unsigned i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = HV_GVA_RANGE(0x1000 + i, 0);
    hv_status_t st = hv_flush_virtual_address_list(read_cr3() & ~0xfffull,
                                                   HV_FLUSH_ALL_PROCESSORS, 0, many,
                                                   ARRAY_SIZE(many), &done);
    expect("the List wrapper with 2000 ranges (several pages)", st, HV_STATUS_SUCCESS);
    expect_u64("... all of them done", done, ARRAY_SIZE(many));
}

/* ---- the TLB calls' own forms (spec "TLB hypercalls") ---- */

static void check_flush_forms(void)
{
    uint64_t cr3 = read_cr3() & ~0xfffull;

    expect("FlushVirtualAddressSpace, all processors",
           hv_flush_virtual_address_space(cr3, HV_FLUSH_ALL_PROCESSORS, 0), HV_STATUS_SUCCESS);
    expect("FlushVirtualAddressSpace, VP 0 in the mask",
           hv_flush_virtual_address_space(cr3, 0, 1), HV_STATUS_SUCCESS);
    expect("the fast FlushVirtualAddressSpace with HV_FLUSH_ALL_PROCESSORS",
           hv_flush_virtual_address_space_fast(cr3, HV_FLUSH_ALL_PROCESSORS |
                                               HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES),
           HV_STATUS_SUCCESS);

    /* Ex: the variable header is the VP set's banks, one qword each. */
    struct hv_flush_va_space_ex *ex = (void *)in_page;
    uint64_t *banks = (uint64_t *)(in_page + sizeof(*ex));
    uint64_t space_ex = HvCallFlushVirtualAddressSpaceEx;

    *ex = (struct hv_flush_va_space_ex){ cr3, 0, HV_VP_SET_ALL, 0 };
    expect("FlushVirtualAddressSpaceEx, all VPs, no variable header",
           call(control(space_ex, 0, 0, 0), in_gpa, 0), HV_STATUS_SUCCESS);
    expect("FlushVirtualAddressSpaceEx, all VPs, a variable header of 1",
           call(control(space_ex, 0, 0, 1), in_gpa, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
    *ex = (struct hv_flush_va_space_ex){ cr3, 0, HV_VP_SET_SPARSE_4K, 1 };
    banks[0] = 1;
    expect("FlushVirtualAddressSpaceEx, one bank, variable header 1",
           call(control(space_ex, 0, 0, 1), in_gpa, 0), HV_STATUS_SUCCESS);
    expect("FlushVirtualAddressSpaceEx, one bank, variable header 0",
           call(control(space_ex, 0, 0, 0), in_gpa, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("FlushVirtualAddressSpaceEx, one bank, variable header 2",
           call(control(space_ex, 0, 0, 2), in_gpa, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
    ex->vp_set_valid_banks = 0x5;
    banks[1] = 0;
    expect("FlushVirtualAddressSpaceEx, banks 0 and 2, variable header 2",
           call(control(space_ex, 0, 0, 2), in_gpa, 0), HV_STATUS_SUCCESS);

    uint64_t ranges[2] = { HV_GVA_RANGE(0x300, 0), HV_GVA_RANGE(0x310, 3) };
    uint64_t one_bank = 1;
    struct hv_vp_set sparse = { HV_VP_SET_SPARSE_4K, 1, &one_bank };
    unsigned done = 0;
    expect("FlushVirtualAddressListEx through the wrapper",
           hv_flush_virtual_address_list_ex(cr3, 0, &sparse, ranges, 2, &done),
           HV_STATUS_SUCCESS);
    expect_u64("... reps completed", done, 2);
    /* by hand, with a wrong variable header */
    *ex = (struct hv_flush_va_space_ex){ cr3, 0, HV_VP_SET_SPARSE_4K, 1 };
    banks[0] = 1;
    banks[1] = ranges[0];
    expect("FlushVirtualAddressListEx, one bank, variable header 0",
           call(control(HvCallFlushVirtualAddressListEx, 1, 0, 0), in_gpa, 0),
           HV_STATUS_INVALID_HYPERCALL_INPUT);
    expect("FlushVirtualAddressListEx, one bank, variable header 1",
           call(control(HvCallFlushVirtualAddressListEx, 1, 0, 1), in_gpa, 0),
           HV_STATUS_SUCCESS);
}

/* ---- SynIC (spec "SynIC and messages") ---- */

#define SINT_MSG 2
#define SINT_EVENT 3
#define SINT_QUEUE 4
#define VECTOR_MSG (T_IRQ_FIRST + 2)
#define VECTOR_EVENT (T_IRQ_FIRST + 3)
#define VECTOR_QUEUE (T_IRQ_FIRST + 4)

static volatile unsigned sint_count[3];

static void sint_handler(struct trap_frame *tf)
{
    sint_count[tf->vector - VECTOR_MSG]++;
}

/* Interrupts on for a moment: whatever is pending comes in. */
static void let_interrupts_in(void)
{
    sti();
    for (volatile int i = 0; i < 100; i++)
        ;
    cli();
}

static void check_synic(void)
{
    struct hv_message m;
    static const char hello[] = "hello, self";

    expect_u64("SVERSION", rdmsr(HV_X64_MSR_SVERSION), 1);
    for (unsigned v = VECTOR_MSG; v <= VECTOR_QUEUE; v++)
        trap_register(v, sint_handler);
    /* SINT interrupts come through the local APIC (TLFS §11.8): it must be on. */
    verdict(apic_init(T_SPURIOUS) == 0, "the x2APIC is there to take SINT interrupts", 0);
    synic_enable();
    verdict(rdmsr(HV_X64_MSR_SCONTROL) & HV_SYNIC_ENABLE, "SCONTROL enabled", 0);
    synic_sint_set(SINT_MSG, VECTOR_MSG, HV_SINT_AUTO_EOI);
    synic_sint_set(SINT_EVENT, VECTOR_EVENT, HV_SINT_AUTO_EOI);
    synic_sint_set(SINT_QUEUE, VECTOR_QUEUE, HV_SINT_AUTO_EOI);
    expect_u64("SINT2 reads back", rdmsr(HV_X64_MSR_SINT0 + SINT_MSG),
               VECTOR_MSG | HV_SINT_AUTO_EOI);

    expect("PostMessage to the child's own SINT2",
           hv_post_message(HV_CONNECTION_ID(self_id, SINT_MSG), 0x42, hello, sizeof(hello)),
           HV_STATUS_SUCCESS);
    let_interrupts_in();
    verdict(sint_count[0] >= 1, "... raises SINT2's interrupt", "%u", sint_count[0]);
    volatile struct hv_message *slot = synic_message_slot(SINT_MSG);
    expect_u64("... the slot's message type", slot->header.message_type, 0x42);
    expect_u64("... the slot's payload size", slot->header.payload_size, sizeof(hello));
    expect_u64("... the sender", slot->header.sender, self_id);
    verdict(synic_take_message(SINT_MSG, &m) && memcmp(m.payload.bytes, hello,
                                                        sizeof(hello)) == 0,
            "... the payload arrives intact", 0);
    expect_u64("... the slot is free after EOM", slot->header.message_type, HVMSG_NONE);

    expect("SignalEvent flag 5 on the child's own SINT3",
           hv_signal_event(HV_CONNECTION_ID(self_id, SINT_EVENT), 5), HV_STATUS_SUCCESS);
    let_interrupts_in();
    verdict(synic_test_and_clear_event(SINT_EVENT, 5), "... sets the flag in the SIEF page", 0);
    verdict(sint_count[1] >= 1, "... raises SINT3's interrupt", "%u", sint_count[1]);
    verdict(!synic_test_and_clear_event(SINT_EVENT, 6), "... and no other flag", 0);
    /* The root serves no posted messages: it drops them and serves on (the run's
       "[root] dropped 1 posted ..." line). */
    expect("PostMessage to the root's SINT0",
           hv_post_message(HV_CONNECTION_ID(HV_ROOT_PARTITION_ID, 0), 0x43, hello,
                           sizeof(hello)), HV_STATUS_SUCCESS);
    expect("SignalEvent with flag number 2048 (past the SINT's flags)",
           hv_hypercall_fast(control(HvCallSignalEvent, 0, 0, 0),
                             HV_CONNECTION_ID(self_id, SINT_EVENT) | 2048ull << 32, 0),
           HV_STATUS_INVALID_PARAMETER);

    /* The message queue behind a slot is bounded: posting without taking ends in
       INSUFFICIENT_BUFFERS; then EOM by EOM every accepted message comes out in order. */
    unsigned accepted = 0;
    hv_status_t st = HV_STATUS_SUCCESS;
    for (uint32_t i = 0; i < 4096 && st == HV_STATUS_SUCCESS; i++) {
        st = hv_post_message(HV_CONNECTION_ID(self_id, SINT_QUEUE), 0x100 + i, &i, sizeof(i));
        accepted += st == HV_STATUS_SUCCESS;
    }
    verdict(st == HV_STATUS_INSUFFICIENT_BUFFERS && accepted >= 1,
            "posting without taking ends in INSUFFICIENT_BUFFERS", "%u accepted, then %s",
            accepted, hv_status_name(st));
    unsigned taken = 0, in_order = 1;
    while (taken < accepted + 1 && synic_take_message(SINT_QUEUE, &m)) {
        uint32_t seq;
        memcpy(&seq, m.payload.bytes, sizeof(seq));
        in_order &= m.header.message_type == 0x100 + taken && seq == taken;
        taken++;
    }
    verdict(taken == accepted && in_order, "EOM by EOM the queued messages come in order",
            "%u of %u", taken, accepted);
    let_interrupts_in();
}

/* ---- MSRs (spec "Enabling hypercalls") ---- */

static void write_msr(void *arg)
{
    const uint64_t *a = arg;
    wrmsr((uint32_t)a[0], a[1]);
}

static void check_msrs(void)
{
    struct fault f;
    uint64_t args[2];

    expect_u64("VP_INDEX of the only VP", rdmsr(HV_X64_MSR_VP_INDEX), 0);
    args[0] = HV_X64_MSR_VP_INDEX;
    args[1] = 1;
    expect_fault("a write to VP_INDEX", guarded(write_msr, args, &f), &f, T_GP);
    args[0] = HV_X64_MSR_SVERSION;
    expect_fault("a write to SVERSION", guarded(write_msr, args, &f), &f, T_GP);

    /* GUEST_OS_ID = 0 disables the page; a new id enables it again. */
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
    verdict(!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE),
            "writing 0 to GUEST_OS_ID disables the hypercall page", "MSR 0x%llx",
            (unsigned long long)rdmsr(HV_X64_MSR_HYPERCALL));
    verdict(hvcall_enable(HVSIM_GUEST_OS_ID) == 0, "... and enabling works again", 0);
    expect("... and calls work again", call(control(HvCallGetPartitionId, 0, 0, 0), 0,
                                            out_gpa), HV_STATUS_SUCCESS);
}

int main(void)
{
    ktest_init();
    in_page = phys_to_virt(page_alloc());
    out_page = phys_to_virt(page_alloc());
    in_gpa = virt_to_phys(in_page);
    out_gpa = virt_to_phys(out_page);

    check_discovery();
    if (!hv.present || hv.interface != HV_CPUID_SIGNATURE_HV1) {
        kprintf("FAIL no Hv#1 hypervisor: run this as a child (hvsim boot --child)\n");
        return failures;
    }
    check_enabling();
    if (hv_get_partition_id(&self_id) != HV_STATUS_SUCCESS)
        verdict(0, "GetPartitionId through the wrapper", 0);
    check_registers();
    check_cpl3();
    check_codes();
    check_control();
    check_privileges();
    check_alignment();
    check_parameters();
    check_rep_calls();
    check_flush_forms();
    check_synic();
    check_msrs();
    kprintf("%d check%s failed\n", failures, failures == 1 ? "" : "s");
    return failures;
}
