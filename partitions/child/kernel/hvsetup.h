/* Meeting the hypervisor at boot: discovery through CPUID, GUEST_OS_ID and the
   hypercall page (shared/specs/hypercall-abi.md "Discovery", "Enabling hypercalls"),
   one console line per finding. On the bare machine it finds nothing and says so. */
#ifndef HVSETUP_H
#define HVSETUP_H

#include <stdint.h>

#include "hvdiscover.h"

struct hv_setup {
    struct hv_discovery d;
    int tlfs;               /* the interface is "Hv#1" */
    int hypercalls;         /* the hypercall page is enabled */
    uint32_t vp_index;      /* HV_X64_MSR_VP_INDEX, with hypercalls */
};

/* Discovers, and enables hypercalls when the interface is the TLFS one and the
   partition may write the hypercall MSRs. Needs vm_init (the page is in the image,
   which the kernel half maps). */
void hv_setup(struct hv_setup *s);

/* Is the hypervisor advising hypercalls for local flushes (0x40000004 EAX bit 1)? */
static inline int hv_advises_local_flush(const struct hv_setup *s)
{
    return s->tlfs && (s->d.recommendations & HV_RECOMMEND_HYPERCALL_FOR_LOCAL_FLUSH);
}

#endif
