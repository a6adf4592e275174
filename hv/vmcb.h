/* The VMCB: one 4 KiB page per virtual processor, the control area (what the guest
 * may do without hv) and the save area (the guest's state while it is not running).
 * Layout: AMD APM vol. 2 appendix B, as specs/svm.md lists it; sim/cpu/svm.c is what
 * the simulated hardware does with each field. */
#ifndef HV_VMCB_H
#define HV_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* A segment in the save area: selector, attributes (descriptor bits 47:40 in 7:0 and
 * 55:52 in 11:8), limit, base */
struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

struct vmcb {
	/* ---- control area ---- */
	uint32_t intercept_cr;          /* 0x000: CR reads 15:0, CR writes 31:16 */
	uint32_t intercept_dr;          /* 0x004 */
	uint32_t intercept_exceptions;  /* 0x008: one bit per vector */
	uint32_t intercept_misc1;       /* 0x00C: VMCB_I1_* */
	uint32_t intercept_misc2;       /* 0x010: VMCB_I2_* */
	uint8_t reserved_014[0x040 - 0x014];
	uint64_t iopm_base_pa;          /* 0x040: 12 KiB, one bit per port */
	uint64_t msrpm_base_pa;         /* 0x048: 8 KiB, read and write bit per MSR */
	uint64_t tsc_offset;            /* 0x050 */
	uint32_t guest_asid;            /* 0x058 */
	uint8_t tlb_control;            /* 0x05C: VMCB_TLB_* */
	uint8_t reserved_05d[3];
	uint32_t vintr;                 /* 0x060: V_TPR 3:0, V_IRQ 8, V_INTR_MASKING 24 */
	uint8_t vintr_vector;           /* 0x064: V_INTR_VECTOR */
	uint8_t reserved_065[3];
	uint64_t interrupt_shadow;      /* 0x068 */
	uint64_t exitcode;              /* 0x070 */
	uint64_t exitinfo1;             /* 0x078 */
	uint64_t exitinfo2;             /* 0x080 */
	uint64_t exitintinfo;           /* 0x088 */
	uint64_t np_enable;             /* 0x090 */
	uint8_t reserved_098[0x0A8 - 0x098];
	uint64_t eventinj;              /* 0x0A8: vector 7:0, type 10:8, EV 11, V 31, error 63:32 */
	uint64_t ncr3;                  /* 0x0B0 */
	uint64_t lbr_control;           /* 0x0B8 */
	uint64_t clean_bits;            /* 0x0C0 */
	uint64_t nrip;                  /* 0x0C8: the next instruction's RIP (NRIP save) */
	uint8_t reserved_0d0[0x400 - 0x0D0];

	/* ---- save area ---- */
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 */
	uint8_t reserved_4a0[0x4CB - 0x4A0];
	uint8_t cpl;                    /* 0x4CB */
	uint32_t reserved_4cc;
	uint64_t efer;                  /* 0x4D0 */
	uint8_t reserved_4d8[0x548 - 0x4D8];
	uint64_t cr4;                   /* 0x548 */
	uint64_t cr3;                   /* 0x550 */
	uint64_t cr0;                   /* 0x558 */
	uint64_t dr7;                   /* 0x560 */
	uint64_t dr6;                   /* 0x568 */
	uint64_t rflags;                /* 0x570 */
	uint64_t rip;                   /* 0x578 */
	uint8_t reserved_580[0x5D8 - 0x580];
	uint64_t rsp;                   /* 0x5D8 */
	uint8_t reserved_5e0[0x5F8 - 0x5E0];
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
	uint8_t reserved_648[0x668 - 0x648];
	uint64_t g_pat;                 /* 0x668 */
	uint8_t reserved_670[0x1000 - 0x670];
};

_Static_assert(sizeof(struct vmcb) == 4096, "one page");
_Static_assert(offsetof(struct vmcb, tlb_control) == 0x05C, "APM appendix B");
_Static_assert(offsetof(struct vmcb, vintr_vector) == 0x064, "APM appendix B");
_Static_assert(offsetof(struct vmcb, eventinj) == 0x0A8, "APM appendix B");
_Static_assert(offsetof(struct vmcb, nrip) == 0x0C8, "APM appendix B");
_Static_assert(offsetof(struct vmcb, tr) == 0x490, "APM appendix B");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4CB, "APM appendix B");
_Static_assert(offsetof(struct vmcb, efer) == 0x4D0, "APM appendix B");
_Static_assert(offsetof(struct vmcb, rflags) == 0x570, "APM appendix B");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5D8, "APM appendix B");
_Static_assert(offsetof(struct vmcb, rax) == 0x5F8, "APM appendix B");
_Static_assert(offsetof(struct vmcb, cr2) == 0x640, "APM appendix B");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "APM appendix B");

/* intercept_cr: writes are bits 31:16 */
#define VMCB_CR_WRITE(n) (1u << (16 + (n)))
/* intercept_misc1 (0x00C) */
#define VMCB_I1_INTR (1u << 0)
#define VMCB_I1_CPUID (1u << 18)
#define VMCB_I1_HLT (1u << 24)
#define VMCB_I1_INVLPG (1u << 25)
#define VMCB_I1_INVLPGA (1u << 26)
#define VMCB_I1_IOIO (1u << 27)
#define VMCB_I1_MSR (1u << 28)
#define VMCB_I1_SHUTDOWN (1u << 31)
/* intercept_misc2 (0x010) */
#define VMCB_I2_VMRUN (1u << 0)
#define VMCB_I2_VMMCALL (1u << 1)
#define VMCB_I2_VMLOAD (1u << 2)
#define VMCB_I2_VMSAVE (1u << 3)
#define VMCB_I2_STGI (1u << 4)
#define VMCB_I2_CLGI (1u << 5)

/* TLB_CONTROL (specs/svm.md "TLB tagging") */
#define VMCB_TLB_NOTHING 0
#define VMCB_TLB_FLUSH_ALL 1          /* every ASID: the full flush */
#define VMCB_TLB_FLUSH_ASID 3         /* this guest's ASID */
#define VMCB_TLB_FLUSH_ASID_LOCAL 7   /* this guest's non-global entries */

/* vintr */
#define VMCB_V_TPR_MASK 0xFu
#define VMCB_V_IRQ (1u << 8)
#define VMCB_V_INTR_MASKING (1u << 24)

/* EVENTINJ and EXITINTINFO */
#define VMCB_EVENT_VALID (1ull << 31)
#define VMCB_EVENT_ERROR_VALID (1ull << 11)
#define VMCB_EVENT_TYPE_INTR (0ull << 8)
#define VMCB_EVENT_TYPE_EXCEPTION (3ull << 8)

/* Exit codes (specs/svm.md "Exit codes") */
#define VMEXIT_CR3_WRITE 0x13
#define VMEXIT_EXCP_BASE 0x40
#define VMEXIT_INTR 0x60
#define VMEXIT_CPUID 0x72
#define VMEXIT_HLT 0x78
#define VMEXIT_INVLPG 0x79
#define VMEXIT_INVLPGA 0x7A
#define VMEXIT_IOIO 0x7B
#define VMEXIT_MSR 0x7C
#define VMEXIT_SHUTDOWN 0x7F
#define VMEXIT_VMRUN 0x80
#define VMEXIT_VMMCALL 0x81
#define VMEXIT_VMLOAD 0x82
#define VMEXIT_VMSAVE 0x83
#define VMEXIT_STGI 0x84
#define VMEXIT_CLGI 0x85
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID (~0ull)

/* IOIO EXITINFO1 */
#define IOIO_IN (1u << 0)
#define IOIO_STRING (1u << 2)
#define IOIO_REP (1u << 3)
#define IOIO_SIZE8 (1u << 4)
#define IOIO_SIZE16 (1u << 5)
#define IOIO_SIZE32 (1u << 6)

/* NPF EXITINFO1: #PF error bits, and where the access was */
#define NPF_P (1ull << 0)
#define NPF_W (1ull << 1)
#define NPF_RSVD (1ull << 3)
#define NPF_I (1ull << 4)
#define NPF_FINAL_GPA (1ull << 32)
#define NPF_GUEST_TABLE (1ull << 33)

/* Segment attributes of the boot protocol's descriptors (sim/machine/boot.c): 64-bit
 * code (P, S, type 0xB, L, G) and data (P, S, type 3, D/B, G) */
#define VMCB_ATTR_CODE64 0xA9Bu
#define VMCB_ATTR_DATA 0xC93u
#define VMCB_ATTR_L (1u << 9)
#define VMCB_ATTR_LDT 0x82u   /* reset LDTR: present, type 2 */
#define VMCB_ATTR_TSS 0x8Bu   /* reset TR: present, busy 64-bit TSS */

#endif
