/* SVM intercepts (AMD APM vol. 2 ch. 15 "Instruction Intercepts", "IOIO Intercepts",
   "MSR Intercepts", "Exception Intercepts", "Decode Assists"; shared/specs/svm.md "Exit
   codes"): each intercept exits with its EXITCODE and EXITINFO1/2, the guest's RIP
   still at the intercepted instruction and NRIP at the next one. The host then does
   what a hypervisor does after emulating: RIP = NRIP, VMRUN, and the guest goes on to
   the VMMCALL that ends it. Without the intercept (or with its bitmap bit clear) the
   instruction runs in the guest and nothing exits. Exception intercepts report the
   error code and (#PF) the address without writing CR2; one raised while the CPU
   delivers another event reports that event in EXITINTINFO ("Intercepts During IDT
   Interrupt Delivery").

   Every guest here runs at CPL 0 in the host's address space (no nested paging), with
   ASID 1 and the guest IDT of svm_asm.S. */
#include "kprintf.h"
#include "ktest.h"
#include "palloc.h"
#include "svm_host.h"
#include "vm.h"
#include "x86.h"

#define MSR_TSC 0x10u
#define MSR_TSC_AUX 0xC0000103u
#define UNMAPPED_VA (TEST_VA + 0x5008)      /* nothing maps it */
#define READONLY_VA (TEST_VA + 0x6018)      /* a supervisor read-only page */
#define NONCANONICAL_VA 0x8000000000000000ull

/* Control registers (MOV CRn: EXITINFO1 bit 63 and the GPR with decode assists) */
SVM_GUEST(cr0_read, "movq %cr0, %rax");
SVM_GUEST(cr3_read, "movq %cr3, %r11");
SVM_GUEST(cr4_read, "movq %cr4, %rsi");
SVM_GUEST(cr8_read, "movq %cr8, %r15");
SVM_GUEST(cr0_write, "movq %rdx, %cr0");
SVM_GUEST(cr3_write, "movq %r9, %cr3");
SVM_GUEST(cr4_write, "movq %rbx, %cr4");
SVM_GUEST(cr0_free, "movq %cr0, %rax");
/* Exceptions */
SVM_GUEST(ud, "ud2");
SVM_GUEST(pf_read, "movq (%rbx), %rax");
SVM_GUEST(pf_write, "movq %rax, (%rbx)");
SVM_GUEST(gp, "movq (%rbx), %rax");
SVM_GUEST(int3, "int3");
/* Instructions */
SVM_GUEST(cpuid, "cpuid");
SVM_GUEST(hlt, "hlt");
SVM_GUEST(invlpg, "invlpg 0x10(%rbx)");
SVM_GUEST(invlpga, "invlpga %rax, %ecx");
SVM_GUEST(vmrun, "vmrun %rax");
SVM_GUEST(vmmcall, "nop");       /* the VMMCALL the macro appends is the one tested */
SVM_GUEST(vmload, "vmload %rax");
SVM_GUEST(vmsave, "vmsave %rax");
SVM_GUEST(stgi, "stgi");
SVM_GUEST(clgi, "clgi");
/* Port I/O */
SVM_GUEST(in_imm8, "inb $0x80, %al");
SVM_GUEST(out_dx16, "outw %ax, %dx");
SVM_GUEST(in_dx32, "inl %dx, %eax");
SVM_GUEST(out_imm32, "outl %eax, $0x71");
SVM_GUEST(out_dx16_straddle, "outw %ax, %dx");
SVM_GUEST(io_free, "outb %al, $0x84\n\tinb $0x85, %al");
/* MSRs */
SVM_GUEST(rdmsr, "rdmsr");
SVM_GUEST(wrmsr, "wrmsr");
/* A triple fault: no IDT (the VMCB's IDTR limit is 0) */
SVM_GUEST(shutdown, "ud2");

static struct svm_vcpu vcpu;
static uint64_t iopm_pa, msrpm_pa, scratch_pa;

/* A fresh VCPU (ASID 1) whose guest starts at label g */
static struct svm_vcpu *guest_at(const char *g)
{
    svm_vcpu_init(&vcpu, 1, svm_addr(g));
    return &vcpu;
}

/* The end every guest reaches when nothing (more) exits: its VMMCALL at g_X_next. */
static void check_ends(const char *what, struct svm_vcpu *v, const char *next)
{
    char name[128];
    ksnprintf(name, sizeof(name), "%s: no exit until the final VMMCALL", what);
    check_true(name, v->vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                         v->vmcb->save.rip == svm_addr(next));
}

/* Runs v once and checks an instruction intercept; then, as a hypervisor does after
   emulating the instruction, resumes at NRIP and checks the guest ends normally. */
static void intercept(const char *what, struct svm_vcpu *v, const char *g, const char *next,
                      uint64_t code, uint64_t info1, uint64_t info2)
{
    char name[128];
    svm_run(v);
    svm_check_exit(what, v, code, info1, info2, svm_addr(g), svm_addr(next));
    svm_skip(v);
    svm_run(v);
    ksnprintf(name, sizeof(name), "%s, resumed at NRIP", what);
    check_ends(name, v, next);
}

static void test_cr(void)
{
    struct svm_vcpu *v;
    uint64_t cr3_before, new_cr3;

    v = guest_at(g_cr0_read);
    v->vmcb->control.intercept_cr = SVM_CR_READ(0);   /* MOV from CR0 exits */
    intercept("MOV RAX, CR0", v, g_cr0_read, g_cr0_read_next, SVM_EXIT_CR_READ(0),
              SVM_CR_INFO_MOV | 0, 0);

    v = guest_at(g_cr3_read);
    v->vmcb->control.intercept_cr = SVM_CR_READ(3); /* MOV from CR3 exits */
    intercept("MOV R11, CR3", v, g_cr3_read, g_cr3_read_next, SVM_EXIT_CR_READ(3),
              SVM_CR_INFO_MOV | 11, 0);

    v = guest_at(g_cr4_read);
    v->vmcb->control.intercept_cr = SVM_CR_READ(4); /* MOV from CR4 exits */
    intercept("MOV RSI, CR4", v, g_cr4_read, g_cr4_read_next, SVM_EXIT_CR_READ(4),
              SVM_CR_INFO_MOV | 6, 0);

    v = guest_at(g_cr8_read);
    v->vmcb->control.intercept_cr = SVM_CR_READ(8); /* MOV from CR8 exits */
    intercept("MOV R15, CR8", v, g_cr8_read, g_cr8_read_next, SVM_EXIT_CR_READ(8),
              SVM_CR_INFO_MOV | 15, 0);

    v = guest_at(g_cr0_write);
    v->vmcb->control.intercept_cr = SVM_CR_WRITE(0);  /* MOV to CR0 exits */
    v->gprs.rdx = read_cr0();
    intercept("MOV CR0, RDX", v, g_cr0_write, g_cr0_write_next, SVM_EXIT_CR_WRITE(0),
              SVM_CR_INFO_MOV | 2, 0);

    /* CR3 write with decode assist: the new value never reaches the guest's CR3; the
       hypervisor would emulate it from GPR 9. */
    v = guest_at(g_cr3_write);
    v->vmcb->control.intercept_cr = SVM_CR_WRITE(3); /* MOV to CR3 exits */
    new_cr3 = virt_to_phys(vm_create());
    v->gprs.r9 = new_cr3;
    cr3_before = v->vmcb->save.cr3;
    intercept("MOV CR3, R9", v, g_cr3_write, g_cr3_write_next, SVM_EXIT_CR_WRITE(3),
              SVM_CR_INFO_MOV | 9, 0);
    check_u64("MOV CR3, R9: the guest's CR3 is unchanged", v->vmcb->save.cr3, cr3_before);
    check_true("MOV CR3, R9: R9 still holds the operand, for the hypervisor to emulate",
               v->gprs.r9 == new_cr3);

    v = guest_at(g_cr4_write);
    v->vmcb->control.intercept_cr = SVM_CR_WRITE(4); /* MOV to CR4 exits */
    v->gprs.rbx = read_cr4();
    intercept("MOV CR4, RBX", v, g_cr4_write, g_cr4_write_next, SVM_EXIT_CR_WRITE(4),
              SVM_CR_INFO_MOV | 3, 0);

    /* A write intercept does not catch reads */
    v = guest_at(g_cr0_free);
    v->vmcb->control.intercept_cr = SVM_CR_WRITE(0) | SVM_CR_READ(3); /* not CR0 reads */
    svm_run(v);
    check_ends("MOV RAX, CR0 with only CR0 writes and CR3 reads intercepted", v,
               g_cr0_free_next);
    check_u64("MOV RAX, CR0 not intercepted: the guest read its CR0", v->vmcb->save.rax,
              v->vmcb->save.cr0);
}

static void test_exceptions(void)
{
    struct svm_vcpu *v;
    struct svm_guest_trap t;
    uint64_t frame = ktest_frame(0x1234);

    ktest_map(READONLY_VA, frame, 0);   /* present, read-only, supervisor */
    check_true("CR0.WP is set (a supervisor write to a read-only page faults)",
               (read_cr0() & CR0_WP) != 0);

    v = guest_at(g_ud);
    v->vmcb->control.intercept_exceptions = 1u << T_UD; /* #UD exits */
    svm_run(v);
    svm_check_exit("UD2, #UD intercepted", v, SVM_EXIT_EXCP(T_UD), 0, 0, svm_addr(g_ud),
                   SVM_ANY);

    v = guest_at(g_ud);
    svm_run(v);
    check_true("UD2, #UD not intercepted: delivered through the guest's IDT",
               svm_guest_trap(v, &t) && t.vector == T_UD && t.rip == svm_addr(g_ud));

    /* #PF: EXITINFO1 the error code, EXITINFO2 the address; CR2 is not written
       (APM vol. 2 "#PF (Page Fault)" under "Exception Intercepts") */
    v = guest_at(g_pf_read);
    v->vmcb->control.intercept_exceptions = 1u << T_PF; /* #PF exits */
    v->vmcb->save.cr2 = 0xC2C2C2C2ull;  /* a marker: the exit must leave it */
    v->gprs.rbx = UNMAPPED_VA;
    svm_run(v);
    svm_check_exit("read of an unmapped page, #PF intercepted", v, SVM_EXIT_EXCP(T_PF), 0,
                   UNMAPPED_VA, svm_addr(g_pf_read), SVM_ANY);
    check_u64("read of an unmapped page, #PF intercepted: guest CR2 not written",
              v->vmcb->save.cr2, 0xC2C2C2C2ull);

    v = guest_at(g_pf_write);
    v->vmcb->control.intercept_exceptions = 1u << T_PF; /* #PF exits */
    v->vmcb->save.cr2 = 0xC2C2C2C2ull; /* a marker: see who writes CR2 */
    v->gprs.rbx = READONLY_VA;
    svm_run(v);
    svm_check_exit("write to a read-only page, #PF intercepted", v, SVM_EXIT_EXCP(T_PF),
                   0x3 /* P | W */, READONLY_VA, svm_addr(g_pf_write), SVM_ANY);
    check_u64("write to a read-only page, #PF intercepted: guest CR2 not written",
              v->vmcb->save.cr2, 0xC2C2C2C2ull);

    /* Not intercepted: the guest takes its own #PF, and CR2 is written */
    v = guest_at(g_pf_read);
    v->vmcb->save.cr2 = 0xC2C2C2C2ull; /* a marker: see who writes CR2 */
    v->gprs.rbx = UNMAPPED_VA;
    svm_run(v);
    check_true("read of an unmapped page, #PF not intercepted: the guest's handler runs",
               svm_guest_trap(v, &t) && t.vector == T_PF && t.error == 0 &&
                   t.rip == svm_addr(g_pf_read));
    check_u64("read of an unmapped page, #PF not intercepted: guest CR2",
              v->vmcb->save.cr2, UNMAPPED_VA);

    /* INT3 raises #BP, which the exception bitmap intercepts like any other vector; the
       VMCB's RIP is the INT3's (KVM's bp_interception reports it as the breakpoint) */
    v = guest_at(g_int3);
    v->vmcb->control.intercept_exceptions = 1u << T_BP; /* #BP exits */
    svm_run(v);
    svm_check_exit("INT3, #BP intercepted", v, SVM_EXIT_EXCP(T_BP), 0, 0, svm_addr(g_int3),
                   SVM_ANY);
    v = guest_at(g_int3);
    svm_run(v);
    check_true("INT3, #BP not intercepted: the guest's handler, saved RIP after INT3",
               svm_guest_trap(v, &t) && t.vector == T_BP && t.rip == svm_addr(g_int3_next));

    /* An intercepted #PF while the CPU delivers another exception (pushing #UD's frame on
       an unmapped stack): EXITINTINFO holds the #UD (APM vol. 2 "Intercepts During IDT
       Interrupt Delivery") */
    v = guest_at(g_ud);
    v->vmcb->control.intercept_exceptions = 1u << T_PF; /* #PF exits */
    v->vmcb->save.rsp = UNMAPPED_VA + 0x1000 - 8; /* a stack no page maps */
    svm_run(v);
    svm_check_exit("#PF intercepted while delivering #UD", v, SVM_EXIT_EXCP(T_PF),
                   0x2 /* W */, SVM_ANY, svm_addr(g_ud), SVM_ANY);
    check_u64("#PF intercepted while delivering #UD: EXITINTINFO (vector 6, type 3, valid)",
              v->vmcb->control.exitintinfo, T_UD | 3ull << 8 | 1ull << 31);

    v = guest_at(g_gp);
    v->vmcb->control.intercept_exceptions = 1u << T_GP; /* #GP exits */
    v->gprs.rbx = NONCANONICAL_VA;
    svm_run(v);
    svm_check_exit("non-canonical read, #GP intercepted", v, SVM_EXIT_EXCP(T_GP), 0, 0,
                   svm_addr(g_gp), SVM_ANY);
}

static void test_instructions(void)
{
    struct svm_vcpu *v;

    v = guest_at(g_cpuid);
    v->vmcb->control.intercept_misc1 |= SVM_I1_CPUID; /* CPUID exits */
    intercept("CPUID", v, g_cpuid, g_cpuid_next, SVM_EXIT_CPUID, 0, 0);

    v = guest_at(g_cpuid);
    v->vmcb->save.rax = 0x80000000u; /* CPUID leaf */
    svm_run(v);
    check_ends("CPUID not intercepted", v, g_cpuid_next);
    check_u64("CPUID not intercepted: the guest got leaf 0x80000000's EAX",
              v->vmcb->save.rax, 0x8000000Au);

    v = guest_at(g_hlt);
    v->vmcb->control.intercept_misc1 |= SVM_I1_HLT; /* HLT exits */
    intercept("HLT", v, g_hlt, g_hlt_next, SVM_EXIT_HLT, 0, 0);

    /* INVLPG with decode assists: EXITINFO1 is the linear address */
    v = guest_at(g_invlpg);
    v->vmcb->control.intercept_misc1 |= SVM_I1_INVLPG; /* INVLPG exits */
    v->gprs.rbx = 0x123456789ABCull;
    intercept("INVLPG 0x10(RBX)", v, g_invlpg, g_invlpg_next, SVM_EXIT_INVLPG,
              0x123456789ABCull + 0x10, 0);

    /* INVLPGA: EXITINFO1 the address (specs/svm.md; APM leaves it to RAX/ECX) */
    v = guest_at(g_invlpga);
    v->vmcb->control.intercept_misc1 |= SVM_I1_INVLPGA; /* INVLPGA exits */
    v->vmcb->save.rax = 0x7654321000ull; /* INVLPGA's address operand */
    v->gprs.rcx = 5;
    svm_run(v);
    svm_check_exit("INVLPGA", v, SVM_EXIT_INVLPGA, 0x7654321000ull, SVM_ANY,
                   svm_addr(g_invlpga), svm_addr(g_invlpga_next));

    /* VMRUN in a guest always exits: the VMRUN intercept is mandatory */
    v = guest_at(g_vmrun);
    v->vmcb->save.rax = scratch_pa; /* a valid operand: only the intercept can stop it */
    intercept("VMRUN in the guest", v, g_vmrun, g_vmrun_next, SVM_EXIT_VMRUN, 0, 0);

    v = guest_at(g_vmmcall);
    svm_run(v);
    svm_check_exit("VMMCALL", v, SVM_EXIT_VMMCALL, 0, 0, svm_addr(g_vmmcall_next),
                   svm_addr(g_vmmcall_next) + 3);

    /* VMMCALL without its intercept is #UD (APM vol. 3 "VMMCALL") */
    v = guest_at(g_vmmcall);
    v->vmcb->control.intercept_misc2 &= ~SVM_I2_VMMCALL; /* VMMCALL runs in the guest */
    v->vmcb->control.intercept_exceptions = 1u << T_UD; /* #UD exits */
    svm_run(v);
    svm_check_exit("VMMCALL not intercepted: #UD", v, SVM_EXIT_EXCP(T_UD), 0, 0,
                   svm_addr(g_vmmcall_next), SVM_ANY);

    v = guest_at(g_vmload);
    v->vmcb->control.intercept_misc2 |= SVM_I2_VMLOAD; /* VMLOAD exits */
    v->vmcb->save.rax = scratch_pa; /* a valid operand: only the intercept can stop it */
    intercept("VMLOAD", v, g_vmload, g_vmload_next, SVM_EXIT_VMLOAD, 0, 0);

    v = guest_at(g_vmsave);
    v->vmcb->control.intercept_misc2 |= SVM_I2_VMSAVE; /* VMSAVE exits */
    v->vmcb->save.rax = scratch_pa; /* a valid operand: only the intercept can stop it */
    intercept("VMSAVE", v, g_vmsave, g_vmsave_next, SVM_EXIT_VMSAVE, 0, 0);

    v = guest_at(g_stgi);
    v->vmcb->control.intercept_misc2 |= SVM_I2_STGI; /* STGI exits */
    intercept("STGI", v, g_stgi, g_stgi_next, SVM_EXIT_STGI, 0, 0);

    v = guest_at(g_clgi);
    v->vmcb->control.intercept_misc2 |= SVM_I2_CLGI; /* CLGI exits */
    intercept("CLGI", v, g_clgi, g_clgi_next, SVM_EXIT_CLGI, 0, 0);
}

static void iopm_set(uint16_t port)
{
    uint8_t *iopm = (uint8_t *)(uintptr_t)iopm_pa;
    iopm[port / 8] |= (uint8_t)(1u << (port % 8));
}

/* IOIO (APM vol. 2 "IOIO Intercepts"): EXITINFO1 port 31:16, address size 9:7, operand
   size 6:4, REP 3, string 2, IN 0; EXITINFO2 the next RIP. */
static void test_io(void)
{
    struct svm_vcpu *v;

    iopm_set(0x80);
    iopm_set(0x1F0);
    iopm_set(0xCFE);    /* a dword access at 0xCFC touches 0xCFC-0xCFF */
    iopm_set(0x71);
    iopm_set(0x1F8);    /* a word access at 0x1F7 touches 0x1F7 and 0x1F8 */

/* IN/OUT consult the IOPM, whose set bits exit */
#define IO_GUEST(g)                                                         \
    v = guest_at(g);                                                        \
    v->vmcb->control.intercept_misc1 |= SVM_I1_IOIO;                       \
    v->vmcb->control.iopm_base_pa = iopm_pa

    IO_GUEST(g_in_imm8);
    intercept("IN AL, 0x80", v, g_in_imm8, g_in_imm8_next, SVM_EXIT_IOIO,
              SVM_IOIO_PORT(0x80) | SVM_IOIO_A64 | SVM_IOIO_SZ8 | SVM_IOIO_IN,
              svm_addr(g_in_imm8_next));

    IO_GUEST(g_out_dx16);
    v->gprs.rdx = 0x1F0;
    intercept("OUT DX=0x1F0, AX", v, g_out_dx16, g_out_dx16_next, SVM_EXIT_IOIO,
              SVM_IOIO_PORT(0x1F0) | SVM_IOIO_A64 | SVM_IOIO_SZ16,
              svm_addr(g_out_dx16_next));

    IO_GUEST(g_in_dx32);
    v->gprs.rdx = 0xCFC;
    intercept("IN EAX, DX=0xCFC (only 0xCFE's bit set)", v, g_in_dx32, g_in_dx32_next,
              SVM_EXIT_IOIO, SVM_IOIO_PORT(0xCFC) | SVM_IOIO_A64 | SVM_IOIO_SZ32 | SVM_IOIO_IN,
              svm_addr(g_in_dx32_next));

    IO_GUEST(g_out_imm32);
    intercept("OUT 0x71, EAX", v, g_out_imm32, g_out_imm32_next, SVM_EXIT_IOIO,
              SVM_IOIO_PORT(0x71) | SVM_IOIO_A64 | SVM_IOIO_SZ32,
              svm_addr(g_out_imm32_next));

    IO_GUEST(g_out_dx16_straddle);
    v->gprs.rdx = 0x1F7;
    intercept("OUT DX=0x1F7, AX (only 0x1F8's bit set)", v, g_out_dx16_straddle,
              g_out_dx16_straddle_next, SVM_EXIT_IOIO,
              SVM_IOIO_PORT(0x1F7) | SVM_IOIO_A64 | SVM_IOIO_SZ16,
              svm_addr(g_out_dx16_straddle_next));

    /* Ports whose bits are clear: the accesses happen in the guest */
    IO_GUEST(g_io_free);
    v->vmcb->save.rax = 0x1100; /* AH survives IN AL */
    svm_run(v);
    check_ends("OUT 0x84 and IN 0x85, bits clear", v, g_io_free_next);
    check_u64("IN AL, 0x85 not intercepted: an unclaimed port reads all-ones",
              v->vmcb->save.rax, 0x11FF);

    /* The IOPM is consulted only when the IOIO intercept is on */
    v = guest_at(g_in_imm8);
    v->vmcb->control.iopm_base_pa = iopm_pa; /* bits set, but no IOIO intercept */
    svm_run(v);
    check_ends("IN AL, 0x80 with its IOPM bit set but the IOIO intercept clear", v,
               g_in_imm8_next);
#undef IO_GUEST
}

/* MSRPM: two bits per MSR, read then write, for 0-0x1FFF at byte 0, 0xC0000000-
   0xC0001FFF at 0x800, 0xC0010000-0xC0011FFF at 0x1000 (APM vol. 2 "MSR Intercepts") */
static void msrpm_set(uint32_t msr, int write)
{
    uint8_t *pm = (uint8_t *)(uintptr_t)msrpm_pa;
    uint32_t base = msr >= 0xC0010000u ? 0x1000 : msr >= 0xC0000000u ? 0x800 : 0;
    uint32_t bit = (msr & 0x1FFF) * 2 + (write ? 1 : 0);
    pm[base + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static struct svm_vcpu *msr_guest(const char *g, uint32_t msr)
{
    struct svm_vcpu *v = guest_at(g);
    v->vmcb->control.intercept_misc1 |= SVM_I1_MSR; /* RDMSR/WRMSR consult the MSRPM */
    v->vmcb->control.msrpm_base_pa = msrpm_pa; /* which MSRs exit */
    v->gprs.rcx = msr;
    return v;
}

static void test_msr(void)
{
    struct svm_vcpu *v;
    char what[96];
    static const struct { uint32_t msr; const char *name; } reads[] = {
        { MSR_STAR, "STAR (0xC0000081)" },
        { MSR_APIC_BASE, "APIC_BASE (0x1B)" },
        { MSR_VM_HSAVE_PA, "VM_HSAVE_PA (0xC0010117)" },
    };

    msrpm_set(MSR_STAR, 0);         /* reads of STAR exit, writes do not */
    msrpm_set(MSR_APIC_BASE, 0);
    msrpm_set(MSR_VM_HSAVE_PA, 0);
    msrpm_set(MSR_TSC, 1);

    for (unsigned i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        v = msr_guest(g_rdmsr, reads[i].msr);
        ksnprintf(what, sizeof(what), "RDMSR %s", reads[i].name);
        intercept(what, v, g_rdmsr, g_rdmsr_next, SVM_EXIT_MSR, 0, 0);
    }

    v = msr_guest(g_wrmsr, MSR_TSC);
    intercept("WRMSR TSC (0x10)", v, g_wrmsr, g_wrmsr_next, SVM_EXIT_MSR, 1, 0);

    /* Outside the three ranges every access exits */
    v = msr_guest(g_rdmsr, 0x40000000u);
    intercept("RDMSR 0x40000000 (outside the MSRPM)", v, g_rdmsr, g_rdmsr_next,
              SVM_EXIT_MSR, 0, 0);

    /* Bits clear: the access happens in the guest */
    v = msr_guest(g_wrmsr, MSR_TSC_AUX);
    v->vmcb->save.rax = 0x5A5A; /* WRMSR value, low half */
    v->gprs.rdx = 0;
    svm_run(v);
    check_ends("WRMSR TSC_AUX, bit clear", v, g_wrmsr_next);
    check_u64("WRMSR TSC_AUX not intercepted: the value took effect", rdmsr(MSR_TSC_AUX),
              0x5A5A);
    v = msr_guest(g_wrmsr, MSR_STAR);
    v->vmcb->save.rax = 0; /* WRMSR value, low half */
    v->gprs.rdx = 0x00100008u;
    svm_run(v);
    check_ends("WRMSR STAR, read bit set but write bit clear", v, g_wrmsr_next);
    check_u64("WRMSR STAR not intercepted: the value took effect", rdmsr(MSR_STAR),
              0x0010000800000000ull);
    wrmsr(MSR_STAR, 0);

    /* The MSRPM is consulted only when the MSR intercept is on */
    v = guest_at(g_rdmsr);
    v->vmcb->control.msrpm_base_pa = msrpm_pa; /* which MSRs exit */
    v->gprs.rcx = MSR_APIC_BASE;
    svm_run(v);
    check_ends("RDMSR APIC_BASE with its MSRPM bit set but the MSR intercept clear", v,
               g_rdmsr_next);
}

static void test_shutdown(void)
{
    struct svm_vcpu *v = guest_at(g_shutdown);

    /* No IDT: #UD cannot be delivered, #GP cannot, #DF cannot: shutdown */
    v->vmcb->save.idtr.limit = 0;
    svm_run(v);
    svm_check_exit("triple fault in the guest", v, SVM_EXIT_SHUTDOWN, 0, 0, SVM_ANY,
                   SVM_ANY);
    kprintf("     (the VMCB's RIP after the shutdown exit: 0x%llx, UD2 at 0x%llx)\n",
            (unsigned long long)v->vmcb->save.rip, (unsigned long long)svm_addr(g_shutdown));

    /* The host is alive and can run another guest */
    v = guest_at(g_cpuid);
    svm_run(v);
    check_ends("after the guest's shutdown, the host runs a new guest", v, g_cpuid_next);
}

int main(void)
{
    ktest_init();
    if (svm_host_init() != 0)
        return 1;
    check_true("CPUID 0x8000000A: nested paging, NRIP save, decode assists",
               svm_features.nested_paging && svm_features.nrip_save &&
                   svm_features.decode_assists);
    iopm_pa = svm_alloc_pages(3);
    msrpm_pa = svm_alloc_pages(2);
    scratch_pa = page_alloc();

    test_cr();
    test_exceptions();
    test_instructions();
    test_io();
    test_msr();
    test_shutdown();
    return check_failures();
}
