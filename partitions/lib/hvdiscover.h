/* Finding the hypervisor through CPUID (shared/specs/hypercall-abi.md "Discovery";
   TLFS §2.4 "Hypervisor Discovery"). A guest calls hv_discover before anything else
   of hvcall.h: on the bare machine there is no hypervisor and no hypercall page. */
#ifndef HVDISCOVER_H
#define HVDISCOVER_H

#include <stdint.h>

#include "hv/abi/hvcpuid.h"
#include "hv/abi/hvprivs.h"

struct hv_discovery {
    int present;               /* CPUID 1 ECX bit 31: some hypervisor is there */
    uint32_t max_leaf;         /* 0x40000000 EAX: the highest hypervisor leaf */
    char vendor[13];           /* 0x40000000 EBX:ECX:EDX, NUL-terminated (informative) */
    uint32_t interface;        /* 0x40000001 EAX: "Hv#1" for the TLFS interface */
    uint32_t version[4];       /* 0x40000002 EAX..EDX: build, version, service pack */
    uint64_t privileges;       /* 0x40000003 EAX | EBX << 32 (HV_PRIV_*) */
    uint32_t features_edx;     /* 0x40000003 EDX */
    uint32_t recommendations;  /* 0x40000004 EAX (HV_RECOMMEND_*) */
    uint32_t spin_retries;     /* 0x40000004 EBX */
    uint32_t max_vps, max_lps; /* 0x40000005 EAX, EBX */
    uint32_t hw_features;      /* 0x40000006 EAX (HV_HW_FEATURE_*) */
};

/* Fills *d with what CPUID reports (leaves above max_leaf read as 0). Returns 1 when
   the hypervisor speaks the TLFS interface ("Hv#1"), 0 otherwise. Guests decide on the
   interface signature, never on the vendor string. */
int hv_discover(struct hv_discovery *d);

static inline int hv_has_privilege(const struct hv_discovery *d, uint64_t priv)
{
    return (d->privileges & priv) == priv;
}

#endif
