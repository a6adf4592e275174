/* The child kernel's TLB-flush strategy. tlbflush_hv.c replaces partitions/lib's
   tlbflush.c (same interface, tlbflush.h: switch_address_space, flush_tlb_range, ...),
   so every flush decision of this kernel is in that one file, by instruction and by
   hypercall side by side. This header adds what the hypercall path needs: the boot-time
   choice, GVA runs for the unmap path, and counters.

   Two ways to make the TLB forget, chosen once at boot (kflush_init):

   - by instruction (unenlightened, and always on the bare machine):
       switch: MOV CR3, which drops every non-global translation (SDM vol. 3 §4.10.4.1);
       unmap:  INVLPG per page, or MOV CR3 above the ceiling (Linux: 33 pages);
   - by hypercall (enlightened: shared/specs/hypercall-abi.md "TLB hypercalls"):
       switch: MOV CR3 with bit 63 set, then HvCallFlushVirtualAddressSpace for the
               address space being left (or HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES);
       unmap:  HvCallFlushVirtualAddressList with the unmapped pages as GVA ranges, or
               HvCallFlushVirtualAddressSpace above the ceiling;
     and the instruction whenever a call fails.

   Why bit 63: the new process's CR3 must still be loaded, but a plain MOV CR3 makes
   the CPU flush, and then the hypercall would flush a second time (and under a
   hypervisor that intercepts MOV CR3, the first flush is itself an exit). With
   CR4.PCIDE = 1 a MOV CR3 whose bit 63 is set flushes nothing (SDM vol. 3 §4.10.4.1),
   so the hypervisor alone decides what goes. PCIDE needs CPUID 1 ECX bit 17 (PCID);
   without it the switch stays a flushing MOV CR3 and only unmaps use hypercalls.

   Processes share PCID 0 with the kernel unless pcid=on gives each its own (then a
   switch flushes nothing unless the space entered is stale, as partitions/lib does). */
#ifndef KFLUSH_H
#define KFLUSH_H

#include <stdint.h>

#include "tlbflush.h"

struct kflush_config {
    int hypercalls;         /* flush by hypercall (the hypercall page is enabled) */
    int pcid;               /* one PCID per address space */
    int all_spaces;         /* switch: HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, not the CR3 left */
    uint64_t ceiling;       /* instruction path: INVLPG up to this many pages */
    uint64_t hv_ceiling;    /* hypercall path: a list up to this many pages */
};

/* What kflush_init settled on (the CPU may lack PCID). */
struct kflush_mode {
    int hypercalls;
    int pcid;               /* one PCID per address space */
    int noflush_switch;     /* CR4.PCIDE and bit 63: the switch's MOV CR3 never flushes */
    int cpu_has_pcid;
};

/* Sets the strategy up; the kernel's space (vm_kernel_pml4, PCID 0) is the current
   one. Replaces tlb_init. Needs vm_init, and hvcall_enable before it for hypercalls. */
void kflush_init(const struct kflush_config *cfg, struct kflush_mode *mode);

/* Pages to flush, as TLFS GVA range elements (HV_GVA_RANGE: page number, additional
   pages): contiguous pages share an element of up to 4096 pages. More runs than fit
   make the flush a whole-space one. */
#define FLUSH_RUNS_MAX 64
#define FLUSH_RUN_MAX_PAGES 4096
struct flush_runs {
    uint64_t pages;         /* pages in all elements */
    unsigned n;             /* elements used */
    int overflow;           /* a run did not fit: flush the whole space */
    uint64_t range[FLUSH_RUNS_MAX];
};

static inline void flush_runs_init(struct flush_runs *r)
{
    r->pages = 0;
    r->n = 0;
    r->overflow = 0;
}

/* Adds npages pages from va (page-aligned) to the list. */
void flush_runs_add(struct flush_runs *r, uint64_t va, uint64_t npages);

/* The pages in runs were unmapped or changed in as: make the TLB forget them. */
void flush_tlb_runs(struct aspace *as, const struct flush_runs *runs);

struct kflush_stats {
    uint64_t switches;          /* address-space switches */
    uint64_t switch_cr3_flush;  /* ... by a MOV CR3 that flushes */
    uint64_t switch_hypercall;  /* ... by MOV CR3 bit 63 + HvCallFlushVirtualAddressSpace */
    uint64_t switch_kept;       /* ... that flushed nothing (pcid=on, space not stale) */
    uint64_t unmap_flushes;     /* flush_tlb_runs calls with pages in the current space */
    uint64_t unmap_pages;       /* ... their pages */
    uint64_t invlpg;            /* INVLPG executed */
    uint64_t cr3_flushes;       /* MOV CR3 reloads for an unmap (above the ceiling) */
    uint64_t list_calls;        /* HvCallFlushVirtualAddressList calls (wrapper calls) */
    uint64_t list_ranges;       /* ... GVA range elements sent */
    uint64_t list_pages;        /* ... pages they covered */
    uint64_t space_calls;       /* HvCallFlushVirtualAddressSpace calls, switch and unmap */
    uint64_t hv_failures;       /* calls that failed, followed by the instruction */
    uint16_t first_failure;     /* the first failed call's HV_STATUS */
};

const struct kflush_stats *kflush_stats(void);

#endif
