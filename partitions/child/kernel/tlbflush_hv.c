/* Every TLB-flush decision of the child kernel, by instruction or by hypercall
   (kflush.h explains the two paths). Linked instead of partitions/lib/tlbflush.c: this
   file defines all of tlbflush.h, so the linker never takes that member of the
   library. One CPU, and the kernel runs with interrupts off, so the hypercall wrappers'
   shared input page is never in use twice. */
#include "hvcall.h"
#include "kflush.h"
#include "kprintf.h"
#include "vm.h"
#include "x86.h"

#define CPUID1_ECX_PCID (1u << 17)
#define PCID_COUNT 4096                 /* CR3[11:0] */

/* The switch's space flush: non-global entries only, as the MOV CR3 it replaces
   (global kernel pages survive it, SDM vol. 3 §4.10.4.1). One VP: "all processors"
   is this one, and only with that flag may the call take the fast (register) form
   (spec "Calling convention"). */
#define SPACE_FLAGS (HV_FLUSH_ALL_PROCESSORS | HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY)
/* List calls may not ask for non-global only (INVALID_PARAMETER). */
#define LIST_FLAGS HV_FLUSH_ALL_PROCESSORS

static struct kflush_config cfg;
static struct kflush_mode mode;
static struct aspace kernel_as;
static struct aspace *current_as;
static uint16_t next_pcid = 1;          /* PCID 0 stays the kernel's (and shared) */
static struct kflush_stats stats;
static struct tlb_stats lib_stats;

void kflush_init(const struct kflush_config *c, struct kflush_mode *m)
{
    uint32_t r[4];

    cpuid(1, 0, r);
    cfg = *c;
    kernel_as = (struct aspace){ vm_kernel_pml4(), 0, 0 };
    current_as = &kernel_as;
    mode.cpu_has_pcid = (r[2] & CPUID1_ECX_PCID) != 0;
    mode.hypercalls = c->hypercalls;
    mode.pcid = c->pcid && mode.cpu_has_pcid;
    mode.noflush_switch = mode.hypercalls && mode.cpu_has_pcid;
    /* CR4.PCIDE can be set only while CR3[11:0] = 0 (SDM vol. 2B "MOV CR"): the
       kernel's CR3 has PCID 0. */
    if (mode.pcid || mode.noflush_switch)
        write_cr4(read_cr4() | CR4_PCIDE);
    if (m)
        *m = mode;
}

/* partitions/lib's entry point, for a kernel that wants the instruction path only. */
int tlb_init(int use_pcid)
{
    struct kflush_config c = { 0, use_pcid, 0, TLB_FLUSH_CEILING, TLB_FLUSH_CEILING };
    kflush_init(&c, 0);
    return mode.pcid;
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
    if (mode.pcid) {
        /* A PCID that comes round again is flushed by the first switch: the space
           starts stale. */
        as->pcid = next_pcid;
        next_pcid = next_pcid + 1 < PCID_COUNT ? next_pcid + 1 : 1;
    }
}

/* Counts a failed call; the first one is reported (once: the console is slow under a
   hypervisor, and a run's output must not depend on how often it failed). */
static void hv_failed(const char *call, hv_status_t st)
{
    if (stats.hv_failures++ == 0) {
        stats.first_failure = st;
        kprintf("kernel: %s failed (%s): flushing by instruction instead\n", call,
                st == HV_STATUS_SUCCESS ? "no progress" : hv_status_name(st));
    }
}

/* HvCallFlushVirtualAddressSpace for as on this VP. AddressSpace is the space's CR3
   without the PCID bits (spec "TLB hypercalls"). 1 when the call succeeded. */
static int hv_flush_space(const struct aspace *as, uint64_t flags)
{
    uint64_t space = virt_to_phys(as->pml4);

    if (cfg.all_spaces) {
        flags |= HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
        space = 0;
    }
    stats.space_calls++;
    hv_status_t st = hv_flush_virtual_address_space_fast(space, flags);
    if (st == HV_STATUS_SUCCESS)
        return 1;
    hv_failed("HvCallFlushVirtualAddressSpace", st);
    return 0;
}

/* Loads next's CR3; with bit 63 clear the CPU flushes next's PCID (every non-global
   entry without PCIDE). */
static void load_cr3(const struct aspace *next, int flush)
{
    uint64_t cr3 = virt_to_phys(next->pml4) | next->pcid;

    if (!flush)
        cr3 |= CR3_NOFLUSH;
    write_cr3(cr3);
}

void switch_address_space(struct aspace *prev, struct aspace *next)
{
    if (next == current_as)
        return;
    stats.switches++;
    lib_stats.switches++;
    if (mode.pcid && !next->stale) {
        /* Its own PCID, nothing unmapped since it last ran: its entries are valid. */
        load_cr3(next, 0);
        stats.switch_kept++;
        lib_stats.switches_noflush++;
    } else if (mode.noflush_switch) {
        /* Shared PCID: what the TLB holds of user pages is prev's, and goes. With its
           own PCID: next is stale, its PCID's entries go. The MOV CR3 flushes nothing;
           the hypercall does, or the CPU after all when the call fails. */
        const struct aspace *victim = mode.pcid ? next : prev;
        load_cr3(next, 0);
        if (hv_flush_space(victim, SPACE_FLAGS)) {
            stats.switch_hypercall++;
            lib_stats.switches_noflush++;
        } else {
            load_cr3(next, 1);
            stats.switch_cr3_flush++;
        }
    } else {
        load_cr3(next, 1);
        stats.switch_cr3_flush++;
    }
    next->stale = 0;
    current_as = next;
}

void flush_runs_add(struct flush_runs *r, uint64_t va, uint64_t npages)
{
    uint64_t page = va >> PAGE_SHIFT;

    r->pages += npages;
    while (npages > 0) {
        uint64_t *last = r->n ? &r->range[r->n - 1] : 0;
        if (last && HV_GVA_RANGE_PAGE(*last) + HV_GVA_RANGE_COUNT(*last) == page &&
            HV_GVA_RANGE_COUNT(*last) < FLUSH_RUN_MAX_PAGES) {
            /* The run goes on: one more additional page in the last element. */
            uint64_t room = FLUSH_RUN_MAX_PAGES - HV_GVA_RANGE_COUNT(*last);
            uint64_t take = npages < room ? npages : room;
            *last += take;
            page += take;
            npages -= take;
            continue;
        }
        if (r->n == FLUSH_RUNS_MAX) {
            r->overflow = 1;
            return;
        }
        uint64_t take = npages < FLUSH_RUN_MAX_PAGES ? npages : FLUSH_RUN_MAX_PAGES;
        r->range[r->n++] = HV_GVA_RANGE(page, take - 1);
        page += take;
        npages -= take;
    }
}

/* The instruction path for elements [from, n) of runs. */
static void flush_runs_by_instruction(const struct flush_runs *r, unsigned from)
{
    uint64_t pages = 0;

    for (unsigned i = from; i < r->n; i++)
        pages += HV_GVA_RANGE_COUNT(r->range[i]);
    if (r->overflow || pages > cfg.ceiling) {
        /* CR3 reads back with its PCID and without bit 63 (SDM vol. 3 §4.10.4.1):
           reloading it drops the current PCID's non-global entries. */
        write_cr3(read_cr3());
        stats.cr3_flushes++;
        lib_stats.full_flushes++;
        return;
    }
    for (unsigned i = from; i < r->n; i++) {
        uint64_t va = HV_GVA_RANGE_PAGE(r->range[i]) << PAGE_SHIFT;
        for (uint64_t k = 0; k < HV_GVA_RANGE_COUNT(r->range[i]); k++)
            invlpg(va + k * PAGE_SIZE);
    }
    stats.invlpg += pages;
    lib_stats.invlpg += pages;
}

void flush_tlb_runs(struct aspace *as, const struct flush_runs *r)
{
    if (r->pages == 0)
        return;
    if (as != current_as) {
        /* Shared PCID: the switch back to it flushes anyway. Own PCID: its entries may
           still be cached; flush when it next comes in. */
        as->stale = 1;
        return;
    }
    stats.unmap_flushes++;
    stats.unmap_pages += r->pages;
    if (!mode.hypercalls) {
        flush_runs_by_instruction(r, 0);
        return;
    }
    if (r->overflow || r->pages > cfg.hv_ceiling) {
        /* Linux decides "flush everything" before its paravirtual hook sees the range;
           the whole-space call is the hypercall form of MOV CR3. */
        if (!hv_flush_space(as, SPACE_FLAGS))
            flush_runs_by_instruction(r, 0);
        return;
    }
    /* A rep call: the wrapper splits it into one-page calls, and a call the hypervisor
       stops early (over its rep budget) is re-executed from where it stopped, so it
       returns complete or failed; what did not complete is flushed by instruction. */
    unsigned done = 0;
    stats.list_calls++;
    stats.list_ranges += r->n;
    stats.list_pages += r->pages;
    hv_status_t st = hv_flush_virtual_address_list(virt_to_phys(as->pml4), LIST_FLAGS, 0,
                                                   r->range, r->n, &done);
    if (st == HV_STATUS_SUCCESS && done == r->n)
        return;
    hv_failed("HvCallFlushVirtualAddressList", st);
    flush_runs_by_instruction(r, done < r->n ? done : 0);
}

void flush_tlb_range(struct aspace *as, uint64_t va, uint64_t npages)
{
    struct flush_runs r;

    flush_runs_init(&r);
    flush_runs_add(&r, va, npages);
    flush_tlb_runs(as, &r);
}

const struct tlb_stats *tlb_stats(void)
{
    return &lib_stats;
}

const struct kflush_stats *kflush_stats(void)
{
    return &stats;
}
