/* The minimal SVM host (svm_host.h): enabling SVM, the VMCB of a 64-bit guest, running
   it, nested page tables, and checking exits. AMD APM vol. 2 ch. 15 throughout. */
#include "svm_host.h"

#include "bootinfo.h"
#include "check.h"
#include "kprintf.h"
#include "kstring.h"
#include "mmu.h"
#include "palloc.h"
#include "panic.h"
#include "x86.h"

#define CPUID_80000001_ECX_SVM (1u << 2)
#define CPUID_8000000A_EDX_NP (1u << 0)
#define CPUID_8000000A_EDX_NRIPS (1u << 3)
#define CPUID_8000000A_EDX_FLUSH_BY_ASID (1u << 6)
#define CPUID_8000000A_EDX_DECODE_ASSISTS (1u << 7)

struct svm_features svm_features;

uint64_t svm_guest_idt_base;
uint16_t svm_guest_idt_limit;

extern const char svm_guest_vectors[];

/* A 64-bit interrupt gate (SDM vol. 3 §6.14.1) to vector v's entry routine, selector 0x08 (the
   host GDT's 64-bit code segment, which the guest shares), DPL 0, no IST. */
static void guest_idt_init(void)
{
    uint64_t *idt = (uint64_t *)(uintptr_t)page_alloc(); /* 256 gates fill one page */
    for (unsigned v = 0; v < 256; v++) {
        uint64_t target = svm_addr(svm_guest_vectors) + 16 * v;
        idt[2 * v] = (target & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) |
                     ((target >> 16 & 0xFFFF) << 48);
        idt[2 * v + 1] = target >> 32;
    }
    svm_guest_idt_base = svm_pa(idt);
    svm_guest_idt_limit = 256 * 16 - 1;
}

int svm_host_init(void)
{
    uint32_t r[4];

    /* APM vol. 2 §15.4 "Enabling SVM": CPUID 0x80000001 ECX.SVM, then VM_CR.SVMDIS
       clear, then EFER.SVME. */
    cpuid(0x80000000u, 0, r);
    if (r[0] < 0x8000000Au) {
        kprintf("FAIL CPUID: no leaf 0x8000000A (max extended leaf 0x%x)\n", r[0]);
        return -1;
    }
    cpuid(0x80000001u, 0, r);
    if (!(r[2] & CPUID_80000001_ECX_SVM)) {
        kprintf("FAIL CPUID 0x80000001: SVM not reported\n");
        return -1;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        kprintf("FAIL VM_CR.SVMDIS is set: SVM is disabled\n");
        return -1;
    }
    cpuid(0x8000000Au, 0, r);
    svm_features = (struct svm_features){
        .revision = r[0] & 0xFF, .nr_asids = r[1],
        .nested_paging = !!(r[3] & CPUID_8000000A_EDX_NP),
        .nrip_save = !!(r[3] & CPUID_8000000A_EDX_NRIPS),
        .flush_by_asid = !!(r[3] & CPUID_8000000A_EDX_FLUSH_BY_ASID),
        .decode_assists = !!(r[3] & CPUID_8000000A_EDX_DECODE_ASSISTS),
    };
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    /* The host save area: where VMRUN keeps the host state until #VMEXIT. */
    wrmsr(MSR_VM_HSAVE_PA, page_alloc());
    guest_idt_init();
    return 0;
}

static void sgdt(uint16_t *limit, uint64_t *base)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    *limit = d.limit;
    *base = d.base;
}

void svm_vcpu_init(struct svm_vcpu *v, uint32_t asid, uint64_t rip)
{
    struct vmcb *vmcb = (struct vmcb *)(uintptr_t)page_alloc(); /* zeroed */
    struct vmcb_control *c = &vmcb->control;
    struct vmcb_save *s = &vmcb->save;
    uint16_t gdt_limit;
    uint64_t gdt_base;

    memset(v, 0, sizeof(*v));
    v->vmcb = vmcb;
    v->stack_top = page_alloc() + PAGE_SIZE;

    /* VMRUN must be intercepted, or the VMCB is invalid (consistency check). */
    c->intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL; /* VMMCALL: the guest is done */
    c->intercept_misc1 = SVM_I1_SHUTDOWN;  /* a triple fault ends the guest, not the host */
    c->guest_asid = asid;                  /* the guest's TLB tag; 0 is the host's */
    c->tlb_control = TLB_CONTROL_NOTHING;  /* tests choose their flushes */

    /* The guest starts where a 64-bit kernel runs: the host's GDT and flat segments,
       CS with L set, CPL 0. */
    sgdt(&gdt_limit, &gdt_base);
    s->cs = (struct vmcb_seg){ .sel = 0x08, .attr = VMCB_ATTR_CODE64, .limit = 0xFFFFFFFF };
    s->ds = s->es = s->ss =
        (struct vmcb_seg){ .sel = 0x10, .attr = VMCB_ATTR_DATA, .limit = 0xFFFFFFFF };
    s->gdtr = (struct vmcb_seg){ .limit = gdt_limit, .base = gdt_base }; /* for IDT gates */
    /* Its own IDT: every event reports to the host (svm_asm.S). */
    s->idtr = (struct vmcb_seg){ .limit = svm_guest_idt_limit, .base = svm_guest_idt_base };
    s->cpl = 0;                            /* a kernel */
    /* Long mode as the host has it: same EFER (SVME must be set in the guest's EFER,
       another consistency check), CR0, CR3 and CR4. */
    s->efer = rdmsr(MSR_EFER);
    s->cr0 = read_cr0();
    s->cr3 = read_cr3();
    s->cr4 = read_cr4();
    s->rflags = RFLAGS_FIXED;              /* IF clear: tests turn interrupts on */
    s->rip = rip;                          /* the guest's first instruction */
    s->rsp = v->stack_top;                 /* a page of its own: events push frames */
    s->g_pat = 0x0007040600070406ull;      /* the power-on PAT (used with nested paging) */
    s->dr7 = 0x400;                        /* the architectural reset values */
    s->dr6 = 0xFFFF0FF0;
}

uint64_t svm_run(struct svm_vcpu *v)
{
    /* GIF = 0 around the world switch: no interrupt may arrive between the host's last
       instruction and VMRUN, or between #VMEXIT and the host's reading of the exit
       (APM vol. 2 "Global Interrupt Flag"). #VMEXIT leaves GIF = 0; STGI sets it. */
    svm_clgi();
    uint64_t code = svm_vmrun_raw(svm_pa(v->vmcb), &v->gprs);
    svm_stgi();
    return code;
}

int svm_guest_trap(const struct svm_vcpu *v, struct svm_guest_trap *t)
{
    const struct vmcb *vmcb = v->vmcb;
    if (vmcb->control.exitcode != SVM_EXIT_VMMCALL || vmcb->save.rax != SVM_GUEST_TRAP)
        return 0;
    /* The guest's stack is identity-mapped in the host (guest RSP = host pointer). */
    const uint64_t *sp = (const uint64_t *)(uintptr_t)vmcb->save.rsp;
    *t = (struct svm_guest_trap){ .vector = sp[0], .error = sp[1], .rip = sp[2],
                                  .cs = sp[3], .rflags = sp[4] };
    return 1;
}

/* ---- nested page tables ---- */

static uint64_t *table_at(uint64_t entry)
{
    return (uint64_t *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

uint64_t npt_create(void)
{
    return page_alloc();
}

/* The entry for gpa at level (4 PML4 ... 2 PD), creating tables above it. Non-leaf
   entries allow everything; leaves decide. */
static uint64_t *npt_entry(uint64_t ncr3, uint64_t gpa, int level, int create)
{
    uint64_t *t = table_at(ncr3);
    for (int l = 4; l > level; l--) {
        uint64_t *e = &t[PT_INDEX(gpa, l)];
        if (!(*e & PTE_P)) {
            if (!create)
                return 0;
            *e = page_alloc() | NPT_RWX;
        } else if (*e & NPT_LARGE) {
            return 0;
        }
        t = table_at(*e);
    }
    return &t[PT_INDEX(gpa, level)];
}

void npt_map_4k(uint64_t ncr3, uint64_t gpa, uint64_t hpa, uint64_t flags)
{
    uint64_t *pte = npt_entry(ncr3, gpa, 1, 1);
    if (pte)
        *pte = (hpa & PTE_ADDR_MASK) | flags | PTE_P | PTE_U;
    else
        kprintf("FAIL npt_map_4k: GPA 0x%llx lies in a 2 MiB nested page\n",
                (unsigned long long)gpa);
}

void npt_unmap_4k(uint64_t ncr3, uint64_t gpa)
{
    uint64_t *pte = npt_entry(ncr3, gpa, 1, 0);
    if (pte)
        *pte = 0;
}

void npt_identity_ram(uint64_t ncr3)
{
    uint64_t ram = boot_info()->ram_bytes;
    for (uint64_t gpa = 0; gpa < ram; gpa += LARGE_PAGE_SIZE)
        *npt_entry(ncr3, gpa, 2, 1) = gpa | NPT_RWX | NPT_LARGE;
}

uint64_t *npt_leaf(uint64_t ncr3, uint64_t gpa)
{
    uint64_t *t = table_at(ncr3);
    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &t[PT_INDEX(gpa, l)];
        if (!(*e & PTE_P))
            return 0;
        if (l == 1 || (l == 2 && (*e & NPT_LARGE)))
            return e;
        t = table_at(*e);
    }
    return 0;
}

/* ---- checks ---- */

const char *svm_exit_name(uint64_t code)
{
    static const char *const crs[16] = { "CR0", "CR1", "CR2", "CR3", "CR4", "CR5", "CR6",
        "CR7", "CR8", "CR9", "CR10", "CR11", "CR12", "CR13", "CR14", "CR15" };
    static const char *const excs[32] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
        "#NM", "#DF", "9", "#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC",
        "#XF", "20", "#CP", "22", "23", "24", "25", "26", "27", "28", "#VC", "#SX", "31" };
    static char buf[32];

    switch (code) {
    case SVM_EXIT_INTR: return "INTR";
    case SVM_EXIT_NMI: return "NMI";
    case SVM_EXIT_CPUID: return "CPUID";
    case SVM_EXIT_HLT: return "HLT";
    case SVM_EXIT_INVLPG: return "INVLPG";
    case SVM_EXIT_INVLPGA: return "INVLPGA";
    case SVM_EXIT_IOIO: return "IOIO";
    case SVM_EXIT_MSR: return "MSR";
    case SVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case SVM_EXIT_VMRUN: return "VMRUN";
    case SVM_EXIT_VMMCALL: return "VMMCALL";
    case SVM_EXIT_VMLOAD: return "VMLOAD";
    case SVM_EXIT_VMSAVE: return "VMSAVE";
    case SVM_EXIT_STGI: return "STGI";
    case SVM_EXIT_CLGI: return "CLGI";
    case SVM_EXIT_NPF: return "NPF";
    case SVM_EXIT_INVALID: return "INVALID";
    default: break;
    }
    if (code < 0x10)
        ksnprintf(buf, sizeof(buf), "READ_%s", crs[code]);
    else if (code < 0x20)
        ksnprintf(buf, sizeof(buf), "WRITE_%s", crs[code - 0x10]);
    else if (code >= 0x40 && code < 0x60)
        ksnprintf(buf, sizeof(buf), "EXCP %s", excs[code - 0x40]);
    else
        ksnprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)code);
    return buf;
}

void svm_check_exit(const char *what, const struct svm_vcpu *v, uint64_t code,
                    uint64_t info1, uint64_t info2, uint64_t rip, uint64_t nrip)
{
    const struct vmcb *vmcb = v->vmcb;
    char name[128], got[32];

    ksnprintf(got, sizeof(got), "%s", svm_exit_name(vmcb->control.exitcode));
    ksnprintf(name, sizeof(name), "%s: EXITCODE", what);
    check_str(name, got, svm_exit_name(code));
    if (info1 != SVM_ANY) {
        ksnprintf(name, sizeof(name), "%s: EXITINFO1", what);
        check_u64(name, vmcb->control.exitinfo1, info1);
    }
    if (info2 != SVM_ANY) {
        ksnprintf(name, sizeof(name), "%s: EXITINFO2", what);
        check_u64(name, vmcb->control.exitinfo2, info2);
    }
    if (rip != SVM_ANY) {
        ksnprintf(name, sizeof(name), "%s: guest RIP", what);
        check_u64(name, vmcb->save.rip, rip);
    }
    if (nrip != SVM_ANY) {
        ksnprintf(name, sizeof(name), "%s: NRIP", what);
        check_u64(name, vmcb->control.nrip, nrip);
    }
}

uint64_t svm_alloc_pages(unsigned n)
{
    uint64_t first = page_alloc();
    for (unsigned i = 1; i < n; i++)
        if (page_alloc() != first + i * PAGE_SIZE)
            panic("svm: %u contiguous pages not available", n);
    return first;
}
