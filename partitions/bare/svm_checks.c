/* VMRUN's consistency checks and the SVM instructions' own faults (AMD APM vol. 2
   §15.5.1 "Basic Operation" under "VMRUN Instruction", §15.4 "Enabling SVM"; APM vol. 3
   VMRUN, VMLOAD, VMSAVE, STGI, CLGI, INVLPGA; shared/specs/svm.md "VMRUN / #VMEXIT").

   A VMCB that fails a check does not enter the guest: VMRUN ends at once with EXITCODE
   -1 (VMEXIT_INVALID) and the host goes on after the VMRUN with its own state. Each case
   below breaks one field of an otherwise good VMCB; the guest, had it run, would have
   counted one in a host variable.

   The instructions: with EFER.SVME clear, VMRUN, VMLOAD, VMSAVE, STGI, CLGI and INVLPGA
   are #UD (at any CPL: the SVME check comes first); with it set, they are #GP(0) at
   CPL 3. VMMCALL is #UD wherever no VMMCALL intercept catches it. */
#include "kprintf.h"
#include "ktest.h"
#include "palloc.h"
#include "svm_host.h"
#include "vm.h"
#include "x86.h"

#define CODE_VA (TEST_VA + 0x10000)
#define STACK_TOP (TEST_VA + 0x80000)

SVM_GUEST(count, "incq (%rbx)");

static volatile uint64_t guest_runs;
static struct svm_vcpu vcpu;

static void good_vmcb(void)
{
    svm_vcpu_init(&vcpu, 1, svm_addr(g_count));
    vcpu.gprs.rbx = svm_pa((const void *)&guest_runs);
}

/* One broken field each (specs/svm.md "Consistency checks"). */
static void no_vmrun_intercept(struct vmcb *v) { v->control.intercept_misc2 &= ~SVM_I2_VMRUN; }
static void asid_zero(struct vmcb *v) { v->control.guest_asid = 0; }
static void efer_svme_clear(struct vmcb *v) { v->save.efer &= ~EFER_SVME; }
static void efer_bit9(struct vmcb *v) { v->save.efer |= 1ull << 9; }
static void efer_bit40(struct vmcb *v) { v->save.efer |= 1ull << 40; }
static void cr0_bit32(struct vmcb *v) { v->save.cr0 |= 1ull << 32; }
static void cr0_nw_without_cd(struct vmcb *v) { v->save.cr0 = (v->save.cr0 & ~CR0_CD) | CR0_NW; }
static void cr3_bit52(struct vmcb *v) { v->save.cr3 |= 1ull << 52; }
static void cr4_bit40(struct vmcb *v) { v->save.cr4 |= 1ull << 40; }
static void long_mode_without_pae(struct vmcb *v) { v->save.cr4 &= ~CR4_PAE; }
static void long_mode_without_pe(struct vmcb *v) { v->save.cr0 &= ~CR0_PE; }
static void cs_l_and_d(struct vmcb *v) { v->save.cs.attr |= VMCB_ATTR_L | VMCB_ATTR_D; }

static const struct {
    const char *name;
    void (*do_break)(struct vmcb *v);
} broken[] = {
    { "VMRUN intercept clear", no_vmrun_intercept },
    { "guest ASID 0", asid_zero },
    { "guest EFER.SVME clear", efer_svme_clear },
    { "guest EFER bit 9 (MBZ) set", efer_bit9 },
    { "guest EFER bit 40 (MBZ) set", efer_bit40 },
    { "guest CR0 bit 32 (MBZ) set", cr0_bit32 },
    { "guest CR0.NW set with CR0.CD clear", cr0_nw_without_cd },
    { "guest CR3 bit 52 (MBZ) set", cr3_bit52 },
    { "guest CR4 bit 40 (MBZ) set", cr4_bit40 },
    { "EFER.LME and CR0.PG with CR4.PAE clear", long_mode_without_pae },
    { "EFER.LME and CR0.PG with CR0.PE clear", long_mode_without_pe },
    { "long mode with CS.L and CS.D both set", cs_l_and_d },
};

static void test_consistency(void)
{
    char what[128];
    uint64_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4(), efer = rdmsr(MSR_EFER);

    good_vmcb();
    guest_runs = 0;
    check_str("a good VMCB runs: EXITCODE", svm_exit_name(svm_run(&vcpu)), "VMMCALL");
    check_u64("a good VMCB runs: the guest counted", guest_runs, 1);

    for (unsigned i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        good_vmcb();
        broken[i].do_break(vcpu.vmcb);
        vcpu.vmcb->control.exitcode = 0x5A5A;   /* VMRUN must write it */
        guest_runs = 0;
        uint64_t code = svm_run(&vcpu);
        ksnprintf(what, sizeof(what), "%s: EXITCODE", broken[i].name);
        check_str(what, svm_exit_name(code), "INVALID");
        ksnprintf(what, sizeof(what), "%s: the guest did not run", broken[i].name);
        check_u64(what, guest_runs, 0);
        ksnprintf(what, sizeof(what), "%s: the host goes on with its own CR0/CR3/CR4/EFER",
                  broken[i].name);
        check_true(what, read_cr0() == cr0 && read_cr3() == cr3 && read_cr4() == cr4 &&
                             rdmsr(MSR_EFER) == efer);
    }

    good_vmcb();
    guest_runs = 0;
    check_str("after the failed VMRUNs, a good VMCB runs again: EXITCODE",
              svm_exit_name(svm_run(&vcpu)), "VMMCALL");
    check_u64("after the failed VMRUNs, a good VMCB runs again: the guest counted",
              guest_runs, 1);
}

/* ---- the instructions' faults ---- */

static struct svm_gprs spare_gprs;

static void do_vmrun(void *p) { svm_vmrun_raw(svm_pa(vcpu.vmcb) + (uintptr_t)p, &spare_gprs); }
static void do_vmload(void *p) { svm_vmload(svm_pa(vcpu.vmcb)); }
static void do_vmsave(void *p) { svm_vmsave(svm_pa(vcpu.vmcb)); }
static void do_stgi(void *p) { svm_stgi(); }
static void do_clgi(void *p) { svm_clgi(); }
static void do_invlpga(void *p) { svm_invlpga(TEST_VA, 1); }
static void do_vmmcall(void *p) { __asm__ volatile("vmmcall" : : : "memory"); }
static void do_wrmsr_hsave(void *p) { wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)p); }

static const struct {
    const char *name;
    void (*run)(void *);
} insns[] = {
    { "VMRUN", do_vmrun }, { "VMLOAD", do_vmload }, { "VMSAVE", do_vmsave },
    { "STGI", do_stgi }, { "CLGI", do_clgi }, { "INVLPGA", do_invlpga },
};

USER_SNIPPET(u_vmrun, "vmrun %rax");
USER_SNIPPET(u_vmload, "vmload %rax");
USER_SNIPPET(u_vmsave, "vmsave %rax");
USER_SNIPPET(u_stgi, "stgi");
USER_SNIPPET(u_clgi, "clgi");
USER_SNIPPET(u_invlpga, "invlpga %rax, %ecx");
USER_SNIPPET(u_vmmcall, "vmmcall");

static const struct {
    const char *name;
    const char *start, *end;
} user_insns[] = {
    { "VMRUN", snip_u_vmrun, snip_u_vmrun_end }, { "VMLOAD", snip_u_vmload, snip_u_vmload_end },
    { "VMSAVE", snip_u_vmsave, snip_u_vmsave_end }, { "STGI", snip_u_stgi, snip_u_stgi_end },
    { "CLGI", snip_u_clgi, snip_u_clgi_end }, { "INVLPGA", snip_u_invlpga, snip_u_invlpga_end },
};

static uint64_t user_code[sizeof(user_insns) / sizeof(user_insns[0])];
static uint64_t user_vmmcall, user_stack;

static void expect_fault(const char *what, int faulted, const struct fault *f,
                         uint64_t vector, uint64_t error)
{
    char name[128];
    ksnprintf(name, sizeof(name), "%s: %s", what, vector == T_UD ? "#UD" : "#GP(0)");
    check_true(name, faulted && f->vector == vector && f->error == error);
    if (!(faulted && f->vector == vector && f->error == error))
        kprintf("     (saw %s vector %lld error 0x%llx)\n", faulted ? "a fault" : "no fault",
                (long long)f->vector, (unsigned long long)f->error);
}

static void run_at_cpl3(unsigned i, struct fault *f)
{
    /* Operands that are good at CPL 0, so that only the privilege can fault */
    struct trap_frame regs = { .rax = svm_pa(vcpu.vmcb), .rcx = 1, .rflags = RFLAGS_FIXED };
    run_user(user_code[i], user_stack, &regs, f);
}

static void test_instruction_faults(void)
{
    struct fault f;
    char what[128];
    uint64_t efer = rdmsr(MSR_EFER);
    unsigned n = sizeof(insns) / sizeof(insns[0]);

    good_vmcb();
    for (unsigned i = 0; i < n; i++)
        user_code[i] = ktest_user_code(CODE_VA + i * 0x1000, user_insns[i].start,
                                       user_insns[i].end);
    user_vmmcall = ktest_user_code(CODE_VA + n * 0x1000, snip_u_vmmcall, snip_u_vmmcall_end);
    user_stack = ktest_user_stack(STACK_TOP);

    /* EFER.SVME set: CPL 3 is #GP(0) */
    for (unsigned i = 0; i < n; i++) {
        run_at_cpl3(i, &f);
        ksnprintf(what, sizeof(what), "%s at CPL 3 with EFER.SVME set", user_insns[i].name);
        expect_fault(what, 1, &f, T_GP, 0);
    }
    run_user(user_vmmcall, user_stack, 0, &f);
    expect_fault("VMMCALL at CPL 3 in the host", 1, &f, T_UD, 0);
    expect_fault("VMMCALL at CPL 0 in the host", guarded(do_vmmcall, 0, &f), &f, T_UD, 0);

    /* VMRUN's operand: a 4 KiB-aligned physical address */
    expect_fault("VMRUN with RAX not 4 KiB aligned", guarded(do_vmrun, (void *)0x10, &f), &f,
                 T_GP, 0);
    /* VM_HSAVE_PA: 4 KiB aligned too */
    uint64_t hsave = rdmsr(MSR_VM_HSAVE_PA);
    expect_fault("WRMSR VM_HSAVE_PA with bits 11:0 set",
                 guarded(do_wrmsr_hsave, (void *)(uintptr_t)(hsave + 0x80), &f), &f, T_GP, 0);
    check_u64("VM_HSAVE_PA unchanged by the failed WRMSR", rdmsr(MSR_VM_HSAVE_PA), hsave);

    /* EFER.SVME clear: #UD at CPL 0 and at CPL 3 */
    wrmsr(MSR_EFER, efer & ~EFER_SVME);
    for (unsigned i = 0; i < n; i++) {
        ksnprintf(what, sizeof(what), "%s at CPL 0 with EFER.SVME clear", insns[i].name);
        expect_fault(what, guarded(insns[i].run, 0, &f), &f, T_UD, 0);
    }
    for (unsigned i = 0; i < n; i++) {
        run_at_cpl3(i, &f);
        ksnprintf(what, sizeof(what), "%s at CPL 3 with EFER.SVME clear", user_insns[i].name);
        expect_fault(what, 1, &f, T_UD, 0);
    }
    wrmsr(MSR_EFER, efer);

    guest_runs = 0;
    good_vmcb();
    check_str("EFER.SVME set again: a guest runs", svm_exit_name(svm_run(&vcpu)), "VMMCALL");
    check_u64("EFER.SVME set again: the guest counted", guest_runs, 1);
}

int main(void)
{
    ktest_init();
    if (svm_host_init() != 0)
        return 1;
    test_consistency();
    test_instruction_faults();
    return check_failures();
}
