/* TLB-flush policy: the address-space switch and the flush after an unmap. */
#include "tlbflush.h"
#include "vm.h"
#include "x86.h"

#define CPUID1_ECX_PCID (1u << 17)
#define PCID_COUNT 4096             /* CR3[11:0] */

static int pcid_mode;
static struct aspace kernel_as;
static struct aspace *current_as;
static uint16_t next_pcid = 1;      /* PCID 0 stays the kernel's */
static struct tlb_stats stats;

int tlb_init(int use_pcid)
{
    uint32_t r[4];

    cpuid(1, 0, r);
    kernel_as = (struct aspace){ vm_kernel_pml4(), 0, 0 };
    current_as = &kernel_as;
    pcid_mode = use_pcid && (r[2] & CPUID1_ECX_PCID);
    /* CR4.PCIDE can be set only while CR3[11:0] = 0 (SDM vol. 2B "MOV CR"): the
       kernel's CR3 has PCID 0. */
    if (pcid_mode)
        write_cr4(read_cr4() | CR4_PCIDE);
    return pcid_mode;
}

struct aspace *kernel_aspace(void)
{
    return &kernel_as;
}

void aspace_init(struct aspace *as, uint64_t *pml4)
{
    as->pml4 = pml4;
    as->pcid = 0;
    as->stale = 1;
    if (pcid_mode) {
        /* Handed out in turn; a PCID that comes round again is flushed by the first
           switch, since the space starts stale. */
        as->pcid = next_pcid;
        next_pcid = next_pcid + 1 < PCID_COUNT ? next_pcid + 1 : 1;
    }
}

void switch_address_space(struct aspace *prev, struct aspace *next)
{
    (void)prev;
    if (next == current_as)
        return;
    uint64_t cr3 = virt_to_phys(next->pml4);
    if (pcid_mode) {
        cr3 |= next->pcid;
        if (next->stale)
            next->stale = 0;    /* bit 63 clear: this PCID's entries go */
        else
            cr3 |= CR3_NOFLUSH;
        stats.switches_noflush += (cr3 & CR3_NOFLUSH) != 0;
    }
    write_cr3(cr3);
    current_as = next;
    stats.switches++;
}

void flush_tlb_range(struct aspace *as, uint64_t va, uint64_t npages)
{
    if (as != current_as) {
        /* Without PCIDs, the switch back to it flushes anyway. With them, its entries
           may still be cached under its PCID: flush when it next comes in. */
        as->stale = 1;
        return;
    }
    if (npages > TLB_FLUSH_CEILING) {
        /* Reloading CR3 with bit 63 clear drops the current PCID's non-global
           entries (or all non-global ones without PCIDs). CR3 reads back without
           bit 63 (SDM vol. 3 §4.10.4.1). */
        write_cr3(read_cr3());
        stats.full_flushes++;
        return;
    }
    for (uint64_t i = 0; i < npages; i++)
        invlpg(va + i * PAGE_SIZE);
    stats.invlpg += npages;
}

const struct tlb_stats *tlb_stats(void)
{
    return &stats;
}
