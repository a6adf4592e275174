/* Synthetic MSRs (specs/hypercall-abi.md "Enabling hypercalls", "SynIC"). */
#ifndef HV_ABI_HVMSR_H
#define HV_ABI_HVMSR_H

#define HV_X64_MSR_GUEST_OS_ID 0x40000000u
#define HV_X64_MSR_HYPERCALL 0x40000001u
#define HV_X64_MSR_VP_INDEX 0x40000002u

#define HV_HYPERCALL_ENABLE (1ull << 0)
#define HV_HYPERCALL_LOCKED (1ull << 1)
#define HV_HYPERCALL_PAGE_SHIFT 12

#define HV_X64_MSR_SCONTROL 0x40000080u
#define HV_X64_MSR_SVERSION 0x40000081u
#define HV_X64_MSR_SIEFP 0x40000082u
#define HV_X64_MSR_SIMP 0x40000083u
#define HV_X64_MSR_EOM 0x40000084u
#define HV_X64_MSR_SINT0 0x40000090u /* ... SINT15 = 0x4000009F */

#define HV_SYNIC_ENABLE (1ull << 0)  /* SCONTROL, SIEFP, SIMP */
#define HV_SINT_VECTOR(v) ((v) & 0xff)
#define HV_SINT_MASKED (1ull << 16)
#define HV_SINT_AUTO_EOI (1ull << 17)
#define HV_SINT_COUNT 16

#endif
