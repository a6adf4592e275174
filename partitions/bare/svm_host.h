/* A minimal SVM host for bare-machine tests (AMD APM vol. 2 ch. 15; shared/specs/svm.md).

   The host turns SVM on (EFER.SVME, VM_HSAVE_PA), lays out one VMCB per virtual CPU
   and runs the guest until its next #VMEXIT. A guest here is a few instructions of this
   same image, run at CPL 0 in 64-bit mode with the host's GDT, page tables (or nested
   page tables the test builds) and a guest IDT of its own (svm_asm.S), whose every
   vector reports the event to the host with a VMMCALL. The guest ends a run with a
   VMMCALL, which every VMCB intercepts. */
#ifndef SVM_HOST_H
#define SVM_HOST_H

#include <stddef.h>
#include <stdint.h>

/* ---- the VMCB (APM vol. 2 appendix B; specs/svm.md "VMCB control area") ---- */

/* A segment in the save area: the descriptor's attribute bits packed into 12 bits
   (type, S, DPL, P in 7:0 = descriptor bits 47:40; AVL, L, D/B, G in 11:8 = bits 55:52) */
struct vmcb_seg {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
};

struct vmcb_control {
    uint32_t intercept_cr;          /* 0x000: reads of CR0-15 in 15:0, writes in 31:16 */
    uint32_t intercept_dr;          /* 0x004 */
    uint32_t intercept_exceptions;  /* 0x008: one bit per vector */
    uint32_t intercept_misc1;       /* 0x00C: SVM_I1_* */
    uint32_t intercept_misc2;       /* 0x010: SVM_I2_* */
    uint8_t reserved1[0x03C - 0x014];
    uint16_t pause_filter_threshold; /* 0x03C */
    uint16_t pause_filter_count;    /* 0x03E */
    uint64_t iopm_base_pa;          /* 0x040: 12 KiB, one bit per port */
    uint64_t msrpm_base_pa;         /* 0x048: 8 KiB, a read and a write bit per MSR */
    uint64_t tsc_offset;            /* 0x050: added to RDTSC in the guest */
    uint32_t guest_asid;            /* 0x058: the guest's TLB tag, never 0 */
    uint8_t tlb_control;            /* 0x05C: TLB_CONTROL_* */
    uint8_t reserved2[3];
    uint64_t vintr;                 /* 0x060: V_TPR 7:0, V_IRQ 8, V_INTR_PRIO 19:16,
                                       V_IGN_TPR 20, V_INTR_MASKING 24, V_INTR_VECTOR 39:32 */
    uint64_t interrupt_shadow;      /* 0x068 */
    uint64_t exitcode;              /* 0x070 */
    uint64_t exitinfo1;             /* 0x078 */
    uint64_t exitinfo2;             /* 0x080 */
    uint64_t exitintinfo;           /* 0x088 */
    uint64_t np_enable;             /* 0x090: bit 0 nested paging */
    uint64_t avic_apic_bar;         /* 0x098 */
    uint64_t ghcb_pa;               /* 0x0A0 */
    uint64_t eventinj;              /* 0x0A8: EVENTINJ_*, error code in 63:32 */
    uint64_t ncr3;                  /* 0x0B0: the nested page tables' root */
    uint64_t lbr_virt;              /* 0x0B8 */
    uint64_t vmcb_clean;            /* 0x0C0 */
    uint64_t nrip;                  /* 0x0C8: the next instruction's RIP, on exits */
    uint8_t insn_len;               /* 0x0D0 */
    uint8_t insn_bytes[15];
    uint8_t reserved3[0x400 - 0x0E0];
};

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
    uint8_t reserved1[0x4CB - 0x4A0];
    uint8_t cpl;                    /* 0x4CB */
    uint32_t reserved2;
    uint64_t efer;                  /* 0x4D0 */
    uint8_t reserved3[0x548 - 0x4D8];
    uint64_t cr4;                   /* 0x548 */
    uint64_t cr3;                   /* 0x550 */
    uint64_t cr0;                   /* 0x558 */
    uint64_t dr7;                   /* 0x560 */
    uint64_t dr6;                   /* 0x568 */
    uint64_t rflags;                /* 0x570 */
    uint64_t rip;                   /* 0x578 */
    uint8_t reserved4[0x5D8 - 0x580];
    uint64_t rsp;                   /* 0x5D8 */
    uint8_t reserved5[0x5F8 - 0x5E0];
    uint64_t rax;                   /* 0x5F8 */
    uint64_t star;                  /* 0x600 */
    uint64_t lstar;                 /* 0x608 */
    uint64_t cstar;                 /* 0x610 */
    uint64_t sfmask;                /* 0x618 */
    uint64_t kernel_gs_base;        /* 0x620 */
    uint64_t sysenter_cs;           /* 0x628 */
    uint64_t sysenter_esp;          /* 0x630 */
    uint64_t sysenter_eip;          /* 0x638 */
    uint64_t cr2;                   /* 0x640 */
    uint8_t reserved6[0x668 - 0x648];
    uint64_t g_pat;                 /* 0x668 */
};

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
    uint8_t reserved[4096 - 0x670];
};

_Static_assert(__builtin_offsetof(struct vmcb, control.iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.tlb_control) == 0x05C, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.exitcode) == 0x070, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.eventinj) == 0x0A8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, control.nrip) == 0x0C8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.tr) == 0x490, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4CB, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4D0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5D8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5F8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.kernel_gs_base) == 0x620, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 4096, "a VMCB is one page");

/* Intercept bits: the word at 0x00C ... */
#define SVM_I1_INTR (1u << 0)
#define SVM_I1_NMI (1u << 1)
#define SVM_I1_CPUID (1u << 18)
#define SVM_I1_HLT (1u << 24)
#define SVM_I1_INVLPG (1u << 25)
#define SVM_I1_INVLPGA (1u << 26)
#define SVM_I1_IOIO (1u << 27)
#define SVM_I1_MSR (1u << 28)
#define SVM_I1_SHUTDOWN (1u << 31)
/* ... and at 0x010 */
#define SVM_I2_VMRUN (1u << 0)
#define SVM_I2_VMMCALL (1u << 1)
#define SVM_I2_VMLOAD (1u << 2)
#define SVM_I2_VMSAVE (1u << 3)
#define SVM_I2_STGI (1u << 4)
#define SVM_I2_CLGI (1u << 5)

/* CR intercepts at 0x000 */
#define SVM_CR_READ(n) (1u << (n))
#define SVM_CR_WRITE(n) (1u << (16 + (n)))

/* Exit codes (specs/svm.md "Exit codes") */
#define SVM_EXIT_CR_READ(n) (0x00ull + (n))
#define SVM_EXIT_CR_WRITE(n) (0x10ull + (n))
#define SVM_EXIT_EXCP(v) (0x40ull + (v))
#define SVM_EXIT_INTR 0x60ull
#define SVM_EXIT_NMI 0x61ull
#define SVM_EXIT_CPUID 0x72ull
#define SVM_EXIT_HLT 0x78ull
#define SVM_EXIT_INVLPG 0x79ull
#define SVM_EXIT_INVLPGA 0x7Aull
#define SVM_EXIT_IOIO 0x7Bull
#define SVM_EXIT_MSR 0x7Cull
#define SVM_EXIT_SHUTDOWN 0x7Full
#define SVM_EXIT_VMRUN 0x80ull
#define SVM_EXIT_VMMCALL 0x81ull
#define SVM_EXIT_VMLOAD 0x82ull
#define SVM_EXIT_VMSAVE 0x83ull
#define SVM_EXIT_STGI 0x84ull
#define SVM_EXIT_CLGI 0x85ull
#define SVM_EXIT_NPF 0x400ull
#define SVM_EXIT_INVALID (~0ull)

/* EXITINFO1 of a MOV CRn intercept with decode assists: bit 63 MOV, GPR in 3:0 */
#define SVM_CR_INFO_MOV (1ull << 63)
/* EXITINFO1 of an IOIO intercept (APM vol. 2 "IOIO Intercepts") */
#define SVM_IOIO_IN (1ull << 0)
#define SVM_IOIO_STR (1ull << 2)
#define SVM_IOIO_REP (1ull << 3)
#define SVM_IOIO_SZ8 (1ull << 4)
#define SVM_IOIO_SZ16 (1ull << 5)
#define SVM_IOIO_SZ32 (1ull << 6)
#define SVM_IOIO_A64 (1ull << 9)
#define SVM_IOIO_PORT(p) ((uint64_t)(p) << 16)
/* EXITINFO1 of a nested page fault: #PF-style bits, and which access faulted */
#define SVM_NPF_P (1ull << 0)
#define SVM_NPF_W (1ull << 1)
#define SVM_NPF_U (1ull << 2)
#define SVM_NPF_RSVD (1ull << 3)
#define SVM_NPF_I (1ull << 4)
#define SVM_NPF_FINAL (1ull << 32)       /* translating the final guest-physical address */
#define SVM_NPF_GUEST_TABLE (1ull << 33) /* translating a guest page-table access */

/* TLB_CONTROL (specs/svm.md "TLB tagging") */
#define TLB_CONTROL_NOTHING 0
#define TLB_CONTROL_FLUSH_ALL 1          /* every ASID: the full flush */
#define TLB_CONTROL_FLUSH_ASID 3         /* this guest's ASID */
#define TLB_CONTROL_FLUSH_ASID_LOCAL 7   /* this guest's non-global entries */

/* VINTR (0x060) */
#define SVM_V_IRQ (1ull << 8)
#define SVM_V_INTR_PRIO(p) ((uint64_t)(p) << 16)
#define SVM_V_IGN_TPR (1ull << 20)
#define SVM_V_INTR_MASKING (1ull << 24)
#define SVM_V_INTR_VECTOR(v) ((uint64_t)(v) << 32)

/* EVENTINJ (0x0A8; APM vol. 2 "Event Injection") */
#define EVENTINJ_TYPE_INTR (0ull << 8)
#define EVENTINJ_TYPE_NMI (2ull << 8)
#define EVENTINJ_TYPE_EXCEPTION (3ull << 8)
#define EVENTINJ_TYPE_SOFT_INT (4ull << 8)
#define EVENTINJ_EV (1ull << 11)
#define EVENTINJ_VALID (1ull << 31)
#define EVENTINJ_ERROR(e) ((uint64_t)(e) << 32)

/* Segment attributes in VMCB form */
#define VMCB_ATTR_CODE64 0x29B  /* P, DPL 0, S, type 0xB (code, read, accessed), L */
#define VMCB_ATTR_DATA 0xC93    /* P, DPL 0, S, type 3 (data, write, accessed), D/B, G */
#define VMCB_ATTR_L (1u << 9)
#define VMCB_ATTR_D (1u << 10)

/* MSRs and bits (APM vol. 2 "SVM-Related MSRs"; EFER §3.1.7) */
#define MSR_VM_CR 0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u
#define VM_CR_SVMDIS (1ull << 4)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_SVME (1ull << 12)
#define CR0_PE (1ull << 0)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)

/* ---- the SVM instructions (APM vol. 3) ---- */

static inline void svm_vmload(uint64_t pa)
{
    __asm__ volatile("vmload %%rax" : : "a"(pa) : "memory");
}

static inline void svm_vmsave(uint64_t pa)
{
    __asm__ volatile("vmsave %%rax" : : "a"(pa) : "memory");
}

static inline void svm_stgi(void) { __asm__ volatile("stgi" : : : "memory"); }
static inline void svm_clgi(void) { __asm__ volatile("clgi" : : : "memory"); }
static inline void svm_invlpga(uint64_t va, uint32_t asid)
{
    __asm__ volatile("invlpga %%rax, %%ecx" : : "a"(va), "c"(asid) : "memory");
}

/* ---- virtual CPUs ---- */

/* The guest's general registers that VMRUN and #VMEXIT leave alone (RAX and RSP live in
   the VMCB). svm_asm.S knows these offsets. */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(__builtin_offsetof(struct svm_gprs, r15) == 104, "svm_asm.S");

struct svm_vcpu {
    struct vmcb *vmcb;          /* its page; physical address = pointer (identity map) */
    struct svm_gprs gprs;
    uint64_t stack_top;         /* the guest's stack (one page) */
};

/* What CPUID 0x8000000A reported */
struct svm_features {
    uint32_t revision, nr_asids;
    int nested_paging, nrip_save, flush_by_asid, decode_assists;
};
extern struct svm_features svm_features;

/* Checks CPUID and VM_CR, turns EFER.SVME on and sets VM_HSAVE_PA to a fresh page.
   Prints what failed and returns -1 when SVM cannot be used. Needs palloc_init. */
int svm_host_init(void);

/* A fresh VMCB for a 64-bit CPL 0 guest at rip with a stack of its own, sharing the
   host's paging (CR0, CR3, CR4, EFER) and GDT, with the guest IDT of svm_asm.S.
   Intercepts only what every test needs: VMRUN (required), VMMCALL (how a guest says
   "done") and SHUTDOWN (a dying guest must not take the host with it). */
void svm_vcpu_init(struct svm_vcpu *v, uint32_t asid, uint64_t rip);

/* Enters the guest and returns at its next #VMEXIT (or at once, with EXITCODE -1, when
   VMRUN's consistency checks fail): CLGI, VMRUN, STGI. Returns EXITCODE. */
uint64_t svm_run(struct svm_vcpu *v);

/* The bare VMRUN (svm_asm.S): loads v's other general registers, VMRUN with
   RAX = vmcb_pa, saves them back. GIF is left as the exit leaves it (0). */
uint64_t svm_vmrun_raw(uint64_t vmcb_pa, struct svm_gprs *gprs);

/* Resumes after the intercepted instruction: RIP = NRIP (NRIP save). */
static inline void svm_skip(struct svm_vcpu *v) { v->vmcb->save.rip = v->vmcb->control.nrip; }

static inline uint64_t svm_pa(const void *p) { return (uint64_t)(uintptr_t)p; }

/* n physically contiguous zeroed pages (the IOPM is 3, the MSRPM 2); panics if the
   allocator cannot give them in one run. */
uint64_t svm_alloc_pages(unsigned n);

/* ---- the guest IDT (svm_asm.S) ---- */

/* Every vector's entry routine pushes (error code or 0, vector) and executes VMMCALL with
   RAX = SVM_GUEST_TRAP; resuming the guest at NRIP returns from the event (IRETQ). */
#define SVM_GUEST_TRAP 0x5356544Dull /* "MTVS" */

struct svm_guest_trap {
    uint64_t vector, error, rip, cs, rflags;
};

/* If the last exit is a guest IDT entry routine's report, fills *t from the guest stack and
   returns 1; else 0. */
int svm_guest_trap(const struct svm_vcpu *v, struct svm_guest_trap *t);

/* The guest IDT's base and limit (built by svm_host_init). */
extern uint64_t svm_guest_idt_base;
extern uint16_t svm_guest_idt_limit;

/* ---- nested page tables (APM vol. 2 "Nested Paging") ---- */

/* Entries use the long-mode format. Every nested access is a user access, so every
   level carries U as well as P and W. */
#define NPT_RWX (1ull << 0 | 1ull << 1 | 1ull << 2)
#define NPT_RX (1ull << 0 | 1ull << 2)
#define NPT_LARGE (1ull << 7)

/* A new, empty nested PML4; returns its physical address (nCR3). */
uint64_t npt_create(void);
/* Maps one 4 KiB guest-physical page to hpa with leaf flags (P and U are added).
   Splits nothing: the 2 MiB region around gpa must not be mapped by a large page. */
void npt_map_4k(uint64_t ncr3, uint64_t gpa, uint64_t hpa, uint64_t flags);
/* Maps every 2 MiB of RAM to itself (GPA = HPA), read/write/execute. */
void npt_identity_ram(uint64_t ncr3);
/* The leaf entry that maps gpa (4 KiB or 2 MiB), or 0. */
uint64_t *npt_leaf(uint64_t ncr3, uint64_t gpa);
/* Clears the 4 KiB leaf for gpa (no TLB flush: that is the caller's decision). */
void npt_unmap_4k(uint64_t ncr3, uint64_t gpa);

/* ---- checks ---- */

/* The name of an exit code ("CPUID", "NPF", "EXCP #PF", ...). */
const char *svm_exit_name(uint64_t code);

/* One check per field: EXITCODE (by name), EXITINFO1, EXITINFO2, guest RIP and NRIP;
   a field expected as SVM_ANY is not checked. */
#define SVM_ANY (~0ull - 1)
void svm_check_exit(const char *what, const struct svm_vcpu *v, uint64_t code,
                    uint64_t info1, uint64_t info2, uint64_t rip, uint64_t nrip);

/* A guest that is a few instructions of this image: SVM_GUEST(name, "insns") defines
   g_name (the first instruction), g_name_next (just after them) followed by a VMMCALL
   that ends the run. */
#define SVM_GUEST(name, insns)                                                 \
    extern const char g_##name[], g_##name##_next[];                           \
    __asm__(".pushsection .text.svm_guest, \"ax\"\n"                           \
            "g_" #name ":\n\t" insns "\n"                                      \
            "g_" #name "_next:\n\tvmmcall\n\tud2\n\t.popsection")

static inline uint64_t svm_addr(const char *label) { return (uint64_t)(uintptr_t)label; }

#endif
