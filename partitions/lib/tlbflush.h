/* How this kernel keeps the TLB coherent with its page tables. Every decision to
   flush lives in tlbflush.c: an enlightened kernel (one that runs in a partition and
   is advised to ask the hypervisor instead) replaces that one file.

   Two modes, chosen at boot:
   - no PCID: every address-space switch is a plain MOV CR3, which drops every
     non-global translation (SDM vol. 3 §4.10.4.1);
   - PCID: each address space has its own PCID, and a switch sets CR3 bit 63 so the
     new space's cached translations survive (SDM vol. 3 §4.10.1, §4.10.4.1).
   Kernel pages are global in both, so they survive every switch. */
#ifndef TLBFLUSH_H
#define TLBFLUSH_H

#include <stdint.h>

/* Pages up to which an unmap flushes page by page with INVLPG; above, it flushes the
   whole address space. Linux's tlb_single_page_flush_ceiling is the same 33. */
#define TLB_FLUSH_CEILING 33

struct aspace {
    uint64_t *pml4;
    uint16_t pcid;      /* 0 without PCID, and for the kernel's own space */
    uint8_t stale;      /* PCID mode: the TLB may hold translations this space no
                           longer has; the next switch to it must flush */
};

struct tlb_stats {
    uint64_t switches;          /* address-space switches (MOV CR3 to another space) */
    uint64_t switches_noflush;  /* ... of them with CR3 bit 63 (PCID kept) */
    uint64_t invlpg;            /* single pages invalidated */
    uint64_t full_flushes;      /* whole-space flushes (ranges above the ceiling) */
};

/* Sets up the mode (PCID only if use_pcid and CPUID has PCID); the kernel's space
   (vm_kernel_pml4, PCID 0) is the current one. Returns whether PCIDs are in use.
   Needs vm_init. */
int tlb_init(int use_pcid);

/* The kernel's address space. */
struct aspace *kernel_aspace(void);

/* A new address space on pml4, with a PCID of its own in PCID mode. Its first switch-in
   flushes whatever an earlier owner of the PCID left. */
void aspace_init(struct aspace *as, uint64_t *pml4);

/* The one place a context switch touches CR3. */
void switch_address_space(struct aspace *prev, struct aspace *next);

/* npages pages from va were unmapped or changed in as: make the TLB forget them. */
void flush_tlb_range(struct aspace *as, uint64_t va, uint64_t npages);

const struct tlb_stats *tlb_stats(void);

#endif
