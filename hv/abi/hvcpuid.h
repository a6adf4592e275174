/* Hypervisor discovery through CPUID (specs/hypercall-abi.md "Discovery"). */
#ifndef HV_ABI_HVCPUID_H
#define HV_ABI_HVCPUID_H

#define HV_CPUID_FEATURES_ECX_HYPERVISOR (1u << 31) /* leaf 1 ECX bit 31 */

#define HV_CPUID_VENDOR_AND_MAX 0x40000000u   /* EAX max leaf, EBX:ECX:EDX vendor */
#define HV_CPUID_INTERFACE 0x40000001u        /* EAX "Hv#1" */
#define HV_CPUID_VERSION 0x40000002u
#define HV_CPUID_FEATURES 0x40000003u         /* EAX:EBX privileges, EDX features */
#define HV_CPUID_ENLIGHTENMENTS 0x40000004u   /* EAX recommendations, EBX spin retries */
#define HV_CPUID_IMPLEMENTATION_LIMITS 0x40000005u
#define HV_CPUID_HARDWARE_FEATURES 0x40000006u
#define HV_CPUID_MAX_LEAF HV_CPUID_HARDWARE_FEATURES

#define HV_CPUID_SIGNATURE_HV1 0x31237648u    /* "Hv#1" */
/* "Microsoft Hv" */
#define HV_CPUID_VENDOR_EBX 0x7263694Du
#define HV_CPUID_VENDOR_ECX 0x666F736Fu
#define HV_CPUID_VENDOR_EDX 0x76482074u

/* 0x40000004 EAX: recommendations */
#define HV_RECOMMEND_HYPERCALL_FOR_AS_SWITCH (1u << 0)
#define HV_RECOMMEND_HYPERCALL_FOR_LOCAL_FLUSH (1u << 1)
#define HV_RECOMMEND_HYPERCALL_FOR_REMOTE_FLUSH (1u << 2)
#define HV_RECOMMEND_EX_PROCESSOR_MASKS (1u << 11)

/* 0x40000006 EAX: hardware features in use */
#define HV_HW_FEATURE_SLAT (1u << 3)

#endif
