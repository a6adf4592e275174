/* Interrupts and events under SVM (AMD APM vol. 2 ch. 15 "Global Interrupt Flag, STGI
   and CLGI", "Interrupt Intercepts", "Interrupt and LDTR Virtualization", "Event
   Injection", "VMSAVE and VMLOAD Instructions"; shared/specs/svm.md):

   - GIF = 0 (CLGI, and every #VMEXIT) holds a pending interrupt even with RFLAGS.IF
     set; STGI lets it in at once.
   - With the INTR intercept and V_INTR_MASKING = 1, an x2APIC timer interrupt that
     arrives while the guest runs (with its own IF clear) exits with EXITCODE 0x60; the
     host, at GIF = 0 after the exit, takes it after STGI.
   - VMLOAD / VMSAVE move FS, GS, TR, LDTR (with their hidden parts), KernelGSBase,
     STAR, LSTAR, CSTAR, SFMASK and the SYSENTER MSRs, and nothing else.
   - EVENTINJ delivers an exception (with its error code), an NMI or an interrupt
     through the guest's IDT before its first instruction, whatever its IF.
   - V_IRQ delivers a virtual interrupt once the guest sets IF (after the STI shadow).
   - With V_INTR_MASKING, the guest's CR8 is V_TPR: its reads and writes reach the
     VMCB's V_TPR, not the host's task priority ("Virtualizing APIC.TPR").
   - The TSC offset is added to the guest's reads of the TSC: RDTSC, and RDMSR of MSR
     0x10 ("TSC Ratio MSR": TSC value in the guest = ... + VMCB.TSC_OFFSET). */
#include "apic.h"
#include "kprintf.h"
#include "ktest.h"
#include "palloc.h"
#include "svm_host.h"
#include "trap.h"
#include "x86.h"

#define TIMER_VECTOR 0x20
#define MSR_CSTAR 0xC0000083u

SVM_GUEST(spin, "1: jmp 1b");
SVM_GUEST(inject, "nop");
SVM_GUEST(virq, "nop\n\tsti\n\tnop\n" "virq_taken_at:\n\tnop");
SVM_GUEST(virq_hlt, "sti\n\thlt\n" "virq_hlt_after:\n\tnop");
extern const char virq_hlt_after[];
SVM_GUEST(rdtsc, "rdtsc");
SVM_GUEST(rdmsr, "rdmsr");
SVM_GUEST(cr8_read, "movq %cr8, %rax");
SVM_GUEST(cr8_write, "movq %rbx, %cr8\n\tmovq %cr8, %rax");
extern const char virq_taken_at[];

static volatile uint64_t timer_count;
static struct svm_vcpu vcpu;

static void on_timer(struct trap_frame *tf)
{
    timer_count++;
    apic_eoi();
}

/* The timer's interrupt is pending in the APIC (IRR) but not yet taken */
static int timer_pending(void)
{
    return (rdmsr(X2APIC_IRR0 + TIMER_VECTOR / 32) >> (TIMER_VECTOR % 32)) & 1;
}

static void spin_cycles(uint64_t n)
{
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < n)
        ;
}

static void test_gif(void)
{
    cli();
    svm_clgi();
    timer_count = 0;
    apic_timer_oneshot(TIMER_VECTOR, 100, 1);
    sti();                                  /* IF = 1, GIF = 0 */
    spin_cycles(2000);
    check_u64("CLGI, then IF = 1 and a timer interrupt: not taken", timer_count, 0);
    check_true("CLGI: the interrupt waits in the APIC's IRR", timer_pending());
    svm_stgi();
    uint64_t right_after = timer_count;     /* the instruction right after STGI */
    cli();
    check_u64("STGI: the interrupt is taken at once", right_after, 1);

    /* GIF is architectural state: nothing but STGI, VMRUN (in the guest) and #VMEXIT
       changes it, whatever the host does meanwhile. MOV CR3 flushes the TLB. */
    svm_clgi();
    timer_count = 0;
    apic_timer_oneshot(TIMER_VECTOR, 100, 1);
    sti();
    spin_cycles(2000);
    for (unsigned i = 0; i < 5000; i++)
        write_cr3(read_cr3());
    wrmsr(X2APIC_TPR, 0);                   /* an APIC register write: events re-polled */
    spin_cycles(2000);
    uint64_t held = timer_count;
    svm_stgi();
    right_after = timer_count;
    cli();
    check_u64("CLGI holds the interrupt across 5000 MOV CR3 (TLB flushes)", held, 0);
    check_u64("... and STGI lets it in", right_after, 1);
}

static void test_intr_intercept(void)
{
    svm_vcpu_init(&vcpu, 1, svm_addr(g_spin));
    /* Physical interrupts exit to the host ... */
    vcpu.vmcb->control.intercept_misc1 |= SVM_I1_INTR;
    /* ... and are masked by the host's RFLAGS.IF (saved at VMRUN), not the guest's */
    vcpu.vmcb->control.vintr = SVM_V_INTR_MASKING;
    /* The guest runs with IF = 0: with V_INTR_MASKING its IF masks only virtual ones */
    vcpu.vmcb->save.rflags = RFLAGS_FIXED;

    cli();
    svm_clgi();
    timer_count = 0;
    apic_timer_oneshot(TIMER_VECTOR, 5000, 1);
    sti();                                  /* host IF = 1 at VMRUN; GIF = 0 until then */
    svm_vmrun_raw(svm_pa(vcpu.vmcb), &vcpu.gprs);
    uint64_t held = timer_count;            /* #VMEXIT cleared GIF: still held */
    int pending = timer_pending();
    svm_stgi();
    uint64_t right_after = timer_count;
    cli();

    svm_check_exit("timer interrupt in the guest", &vcpu, SVM_EXIT_INTR, 0, 0,
                   svm_addr(g_spin), SVM_ANY);
    check_u64("timer interrupt in the guest: the guest's RFLAGS.IF stayed 0",
              vcpu.vmcb->save.rflags & RFLAGS_IF, 0);
    check_u64("after the INTR exit (GIF = 0, IF = 1): not taken yet", held, 0);
    check_true("after the INTR exit: pending in the APIC", pending);
    check_u64("after the INTR exit, STGI: the host's handler takes it", right_after, 1);
}

/* Round trip: VMLOAD a page of chosen values, read them back as registers and MSRs,
   VMSAVE them to another page; then VMLOAD the host's own state saved at the start. */
static void test_vmload_vmsave(void)
{
    struct vmcb *host = (struct vmcb *)(uintptr_t)page_alloc();
    struct vmcb *in = (struct vmcb *)(uintptr_t)page_alloc();
    struct vmcb *out = (struct vmcb *)(uintptr_t)page_alloc();
    struct vmcb_save *s = &in->save;
    uint64_t fs, gs, kgs, star, lstar, cstar, sfmask, after_gs;
    uint16_t tr, ldtr;

    s->fs = (struct vmcb_seg){ .sel = 0x10, .attr = VMCB_ATTR_DATA, .limit = 0xFFFFF,
                               .base = 0x1111000 };
    s->gs = (struct vmcb_seg){ .sel = 0x10, .attr = VMCB_ATTR_DATA, .limit = 0xFFFFF,
                               .base = 0x2222000 };
    s->tr = (struct vmcb_seg){ .sel = 0x0048, .attr = 0x008B, .limit = 0x67, .base = 0x3333000 };
    s->ldtr = (struct vmcb_seg){ .sel = 0x0050, .attr = 0x0082, .limit = 0xFFF, .base = 0x4444000 };
    s->kernel_gs_base = 0x5555000;
    s->star = 0x0023001000000000ull;
    s->lstar = 0xFFFF800000001000ull;
    s->cstar = 0xFFFF800000002000ull;
    s->sfmask = 0x4700;
    s->sysenter_cs = 0x10;
    s->sysenter_esp = 0x6666000;
    s->sysenter_eip = 0x7777000;
    /* Not moved by VMLOAD: a VMLOAD that loaded these would change the host */
    s->cs.base = 0xBAD;
    s->rip = 0xBAD;
    s->cr3 = 0xBAD000;

    after_gs = rdmsr(MSR_GS_BASE);
    svm_vmsave(svm_pa(host));
    svm_vmload(svm_pa(in));
    /* Nothing may use FS, GS, TR or LDTR until the host's state is back */
    fs = rdmsr(MSR_FS_BASE);
    gs = rdmsr(MSR_GS_BASE);
    kgs = rdmsr(MSR_KERNEL_GS_BASE);
    star = rdmsr(MSR_STAR);
    lstar = rdmsr(MSR_LSTAR);
    cstar = rdmsr(MSR_CSTAR);
    sfmask = rdmsr(MSR_SFMASK);
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("sldt %0" : "=r"(ldtr));
    svm_vmsave(svm_pa(out));
    svm_vmload(svm_pa(host));

    check_u64("VMLOAD: FS.base", fs, 0x1111000);
    check_u64("VMLOAD: GS.base", gs, 0x2222000);
    check_u64("VMLOAD: KernelGSBase", kgs, 0x5555000);
    check_u64("VMLOAD: STAR", star, s->star);
    check_u64("VMLOAD: LSTAR", lstar, s->lstar);
    check_u64("VMLOAD: CSTAR", cstar, s->cstar);
    check_u64("VMLOAD: SFMASK", sfmask, 0x4700);
    check_u64("VMLOAD: TR selector (STR)", tr, 0x48);
    check_u64("VMLOAD: LDTR selector (SLDT)", ldtr, 0x50);

#define SAME_SEG(name, f)                                                        \
    check_true("VMSAVE after VMLOAD: " name " selector, attributes, limit, base",  \
               out->save.f.sel == s->f.sel && out->save.f.attr == s->f.attr &&    \
                   out->save.f.limit == s->f.limit && out->save.f.base == s->f.base)
    SAME_SEG("FS", fs);
    SAME_SEG("GS", gs);
    SAME_SEG("TR", tr);
    SAME_SEG("LDTR", ldtr);
#undef SAME_SEG
    check_u64("VMSAVE after VMLOAD: KernelGSBase", out->save.kernel_gs_base, s->kernel_gs_base);
    check_u64("VMSAVE after VMLOAD: STAR", out->save.star, s->star);
    check_u64("VMSAVE after VMLOAD: LSTAR", out->save.lstar, s->lstar);
    check_u64("VMSAVE after VMLOAD: CSTAR", out->save.cstar, s->cstar);
    check_u64("VMSAVE after VMLOAD: SFMASK", out->save.sfmask, s->sfmask);
    check_u64("VMSAVE after VMLOAD: SYSENTER_CS", out->save.sysenter_cs, s->sysenter_cs);
    check_u64("VMSAVE after VMLOAD: SYSENTER_ESP", out->save.sysenter_esp, s->sysenter_esp);
    check_u64("VMSAVE after VMLOAD: SYSENTER_EIP", out->save.sysenter_eip, s->sysenter_eip);
    check_true("VMSAVE writes only its fields: CS, RIP and CR3 of the page stay 0",
               out->save.cs.base == 0 && out->save.rip == 0 && out->save.cr3 == 0);
    check_u64("VMLOAD of the saved host state: GS.base is the host's again",
              rdmsr(MSR_GS_BASE), after_gs);
    check_u64("VMLOAD of the saved host state: TR is the host's again",
              host->save.tr.sel, 0x28);
}

/* EVENTINJ: the event is delivered through the guest's IDT as VMRUN completes, before
   the guest's first instruction, and the guest returns from it to that instruction. */
static void inject(const char *what, uint64_t eventinj, uint64_t vector, uint64_t error)
{
    struct svm_guest_trap t;
    char name[128];

    svm_vcpu_init(&vcpu, 1, svm_addr(g_inject));
    vcpu.vmcb->control.eventinj = eventinj;   /* the event to deliver at VMRUN */
    svm_run(&vcpu);
    ksnprintf(name, sizeof(name), "%s: delivered through the guest's IDT", what);
    int trapped = svm_guest_trap(&vcpu, &t);
    check_true(name, trapped);
    if (!trapped) {
        kprintf("     (exit %s instead)\n", svm_exit_name(vcpu.vmcb->control.exitcode));
        return;
    }
    ksnprintf(name, sizeof(name), "%s: vector", what);
    check_u64(name, t.vector, vector);
    ksnprintf(name, sizeof(name), "%s: error code", what);
    check_u64(name, t.error, error);
    ksnprintf(name, sizeof(name), "%s: saved RIP is the guest's first instruction", what);
    check_u64(name, t.rip, svm_addr(g_inject));
    ksnprintf(name, sizeof(name), "%s: saved RFLAGS.IF (the guest's, 0)", what);
    check_u64(name, t.rflags & RFLAGS_IF, 0);
    ksnprintf(name, sizeof(name), "%s: EXITINTINFO (nothing interrupted)", what);
    check_u64(name, vcpu.vmcb->control.exitintinfo, 0);
    svm_skip(&vcpu);                          /* into the entry routine's IRETQ */
    svm_run(&vcpu);
    ksnprintf(name, sizeof(name), "%s: the guest returns from it and goes on", what);
    check_true(name, vcpu.vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                         vcpu.vmcb->save.rip == svm_addr(g_inject_next));
}

static void test_eventinj(void)
{
    inject("EVENTINJ #GP with error code 0x1234",
           T_GP | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | EVENTINJ_VALID | EVENTINJ_ERROR(0x1234),
           T_GP, 0x1234);
    inject("EVENTINJ #UD", T_UD | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_VALID, T_UD, 0);
    inject("EVENTINJ interrupt 0x30 (guest IF = 0)",
           0x30 | EVENTINJ_TYPE_INTR | EVENTINJ_VALID, 0x30, 0);
    inject("EVENTINJ NMI", T_NMI | EVENTINJ_TYPE_NMI | EVENTINJ_VALID, T_NMI, 0);

    /* V_IRQ: the guest starts with IF = 0, so nothing until its STI; the STI shadow
       holds the interrupt one more instruction (APM vol. 3 STI). */
    struct svm_guest_trap t;
    svm_vcpu_init(&vcpu, 1, svm_addr(g_virq));
    vcpu.vmcb->control.vintr = SVM_V_IRQ                /* a virtual interrupt is pending */
                             | SVM_V_INTR_VECTOR(0x41)  /* ... with this vector */
                             | SVM_V_INTR_PRIO(0xF)     /* ... highest priority */
                             | SVM_V_IGN_TPR            /* ... whatever the guest's TPR */
                             | SVM_V_INTR_MASKING;      /* the guest's IF masks it */
    svm_run(&vcpu);
    check_true("V_IRQ: delivered through the guest's IDT", svm_guest_trap(&vcpu, &t));
    check_u64("V_IRQ: vector", t.vector, 0x41);
    check_u64("V_IRQ: taken after STI and its shadow (saved RIP)", t.rip,
              svm_addr(virq_taken_at));
    check_u64("V_IRQ: cleared in the VMCB once taken", vcpu.vmcb->control.vintr & SVM_V_IRQ, 0);
    svm_skip(&vcpu);
    svm_run(&vcpu);
    check_true("V_IRQ: the guest returns from it and goes on",
               vcpu.vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                   vcpu.vmcb->save.rip == svm_addr(g_virq_next));

    /* A pending V_IRQ wakes a guest that halts with IF = 1 */
    svm_vcpu_init(&vcpu, 1, svm_addr(g_virq_hlt));
    /* as above: vector 0x42 pending, masked by the guest's IF only */
    vcpu.vmcb->control.vintr = SVM_V_IRQ | SVM_V_INTR_VECTOR(0x42) | SVM_V_INTR_PRIO(0xF) |
                               SVM_V_IGN_TPR | SVM_V_INTR_MASKING;
    svm_run(&vcpu);
    check_true("V_IRQ wakes STI; HLT: delivered, saved RIP after the HLT",
               svm_guest_trap(&vcpu, &t) && t.vector == 0x42 && t.rip == svm_addr(virq_hlt_after));
}

static uint64_t host_cr8(void)
{
    uint64_t v;
    __asm__ volatile("movq %%cr8, %0" : "=r"(v));
    return v;
}

static void test_v_tpr(void)
{
    uint64_t cr8 = host_cr8(), tpr = rdmsr(X2APIC_TPR);

    svm_vcpu_init(&vcpu, 1, svm_addr(g_cr8_read));
    vcpu.vmcb->control.vintr = SVM_V_INTR_MASKING | 3;    /* V_TPR = 3 */
    svm_run(&vcpu);
    check_u64("V_INTR_MASKING: guest MOV RAX, CR8 reads V_TPR", vcpu.vmcb->save.rax, 3);

    svm_vcpu_init(&vcpu, 1, svm_addr(g_cr8_write));
    vcpu.vmcb->control.vintr = SVM_V_INTR_MASKING | 3; /* V_TPR 3; the guest's CR8 is V_TPR */
    vcpu.gprs.rbx = 9;
    svm_run(&vcpu);
    check_true("V_INTR_MASKING: guest MOV CR8, 9 ran to its VMMCALL",
               vcpu.vmcb->control.exitcode == SVM_EXIT_VMMCALL);
    check_u64("V_INTR_MASKING: guest MOV CR8, 9 writes V_TPR", vcpu.vmcb->control.vintr & 0xFF, 9);
    check_u64("V_INTR_MASKING: ... and reads it back", vcpu.vmcb->save.rax, 9);
    check_u64("V_INTR_MASKING: the host's CR8 is untouched", host_cr8(), cr8);
    check_u64("V_INTR_MASKING: the host's x2APIC TPR is untouched", rdmsr(X2APIC_TPR), tpr);
}

static void test_tsc_offset(void)
{
    const uint64_t offset = 1ull << 40;
    svm_vcpu_init(&vcpu, 1, svm_addr(g_rdtsc));
    vcpu.vmcb->control.tsc_offset = offset;   /* the guest's clock runs 2^40 ahead */
    uint64_t before = rdtsc();
    svm_run(&vcpu);
    uint64_t after = rdtsc();
    uint64_t guest = vcpu.gprs.rdx << 32 | (uint32_t)vcpu.vmcb->save.rax;
    check_true("RDTSC in the guest = the cycle count + TSC_OFFSET",
               guest > before + offset && guest < after + offset);
    kprintf("     (host %llu .. %llu, guest %llu = host + 2^40 + %llu)\n",
            (unsigned long long)before, (unsigned long long)after, (unsigned long long)guest,
            (unsigned long long)(guest - offset - before));

    /* RDMSR of the TSC (MSR 0x10) reads the same offset clock (APM vol. 2 "TSC Offset") */
    svm_vcpu_init(&vcpu, 1, svm_addr(g_rdmsr));
    vcpu.vmcb->control.tsc_offset = offset; /* the guest's clock runs 2^40 ahead */
    vcpu.gprs.rcx = 0x10;
    before = rdtsc();
    svm_run(&vcpu);
    after = rdtsc();
    guest = vcpu.gprs.rdx << 32 | (uint32_t)vcpu.vmcb->save.rax;
    check_true("RDMSR TSC in the guest = the cycle count + TSC_OFFSET",
               vcpu.vmcb->control.exitcode == SVM_EXIT_VMMCALL && guest > before + offset &&
                   guest < after + offset);
    kprintf("     (host %llu .. %llu, guest RDMSR TSC %llu)\n", (unsigned long long)before,
            (unsigned long long)after, (unsigned long long)guest);
}

int main(void)
{
    ktest_init();
    trap_register(TIMER_VECTOR, on_timer);
    if (svm_host_init() != 0)
        return 1;
    check_true("x2APIC present and enabled", apic_init(0xFF) == 0);
    test_gif();
    test_intr_intercept();
    test_vmload_vmsave();
    test_eventinj();
    test_v_tpr();
    test_tsc_offset();
    return check_failures();
}
