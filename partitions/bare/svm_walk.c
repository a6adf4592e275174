/* The worst-case two-dimensional walk and what it costs (shared/specs/svm.md "Nested
   walk", shared/specs/timing.md; Bhargava et al., ASPLOS 2008; AMD APM vol. 2 ch. 15
   "Nested Paging"). A guest with 4-level page tables under 4-level nested tables touches
   a page nothing has cached: each of the 4 guest page-table entries, and the final
   address, is a guest-physical address translated by a 4-reference nested walk, so the
   access costs 4 guest + 5 x 4 nested = 24 references, n*m + n + m for n = m = 4. At
   timing.walk.ref cycles a reference (30 by default) that is 720 cycles, which the guest
   sees with RDTSC: the first access to the page minus a second one (a TLB hit).

   The image is built so that tests/svm/walk_check.py can isolate that walk in the
   global counters of `hvsim run --stats`:
   - the host keeps the loader's identity map (2 MiB pages: every host walk is 3
     references) and never runs on 4 KiB pages;
   - every guest-physical page the guest uses (its 7 page tables, its code page C and
     the target page F) is mapped by 4 KiB nested pages, GPA = HPA, and F's guest tables
     share nothing with C's (a PML4 slot of their own);
   - VMRUN 1 (TLB_CONTROL = 1: nothing cached, every ASID) runs the guest's warm-up:
     the fetch of C (one 24-reference walk) and a read of C as data (an L2 hit);
   - VMRUN 2 (TLB_CONTROL = 0) runs the measurement: RDTSC, read the target, RDTSC,
     read it again, RDTSC. With cmdline "touch=fresh" the target is F: exactly one more
     walk, the one under test. With "touch=warm" it is C: no walk at all.
   The two runs differ by that one walk and nothing else. */
#include "bootinfo.h"
#include "check.h"
#include "cmdline.h"
#include "kprintf.h"
#include "kstring.h"
#include "mmu.h"
#include "palloc.h"
#include "svm_host.h"
#include "x86.h"

#define GVA_CODE 0x0000100000000000ull   /* PML4 slot 32 */
#define GVA_FRESH 0x0000200000000000ull  /* PML4 slot 64 */
#define DATA_OFFSET 0x800                /* a word in C that the guest reads as data */
#define FRESH_OFFSET 0x40

/* The guest, copied to C: two entry points, no stack, no memory but C and the target. */
extern const char walk_guest_warm[], walk_guest_measure[], walk_guest_end[];
__asm__(".pushsection .rodata.walk_guest, \"a\"\n"
        "walk_guest_warm:\n\t"
        "movq (%r12), %rax\n\t"        /* C as data: filled from the L2, no walk */
        "vmmcall\n"
        "walk_guest_measure:\n\t"
        "rdtsc\n\t"
        "movl %eax, %esi\n\t"          /* t0 */
        "movq (%rbx), %rcx\n\t"        /* the access under test */
        "rdtsc\n\t"
        "movl %eax, %edi\n\t"          /* t1 */
        "movq (%rbx), %rcx\n\t"        /* the same access again: a TLB hit */
        "rdtsc\n\t"
        "movl %eax, %r8d\n\t"          /* t2 */
        "vmmcall\n"
        "walk_guest_end:\n\t"
        ".popsection");

static uint64_t ncr3;

/* A guest page-table page, mapped in the nested tables at GPA = HPA with a 4 KiB page */
static uint64_t *guest_table(void)
{
    uint64_t pa = page_alloc();
    npt_map_4k(ncr3, pa, pa, NPT_RWX);
    return (uint64_t *)(uintptr_t)pa;
}

/* Maps gva -> frame in the guest's 4-level tables, every level a 4 KiB page of its own.
   The accessed bits are preset: the walk under test only reads. */
static void guest_map(uint64_t *pml4, uint64_t gva, uint64_t frame)
{
    uint64_t *pdpt = guest_table(), *pd = guest_table(), *pt = guest_table();
    pml4[PT_INDEX(gva, 4)] = svm_pa(pdpt) | PTE_P | PTE_W | PTE_A;
    pdpt[PT_INDEX(gva, 3)] = svm_pa(pd) | PTE_P | PTE_W | PTE_A;
    pd[PT_INDEX(gva, 2)] = svm_pa(pt) | PTE_P | PTE_W | PTE_A;
    pt[PT_INDEX(gva, 1)] = frame | PTE_P | PTE_W | PTE_A;
    npt_map_4k(ncr3, frame, frame, NPT_RWX);
}

int main(void)
{
    const char *cmdline = boot_cmdline();
    int fresh = !cmdline_has(cmdline, "touch=warm");
    uint64_t ref_cycles = cmdline_u64(cmdline, "ref", 30);
    struct svm_vcpu v;

    palloc_init();      /* no vm_init: the host stays on the loader's 2 MiB pages */
    if (svm_host_init() != 0)
        return 1;
    kprintf("walk: touch=%s (the target is %s), timing.walk.ref taken as %llu (ref=N)\n",
            fresh ? "fresh" : "warm", fresh ? "a page nothing has cached" : "the code page",
            (unsigned long long)ref_cycles);

    ncr3 = npt_create();
    uint64_t *gpml4 = guest_table();
    uint64_t code = page_alloc(), target = page_alloc();
    memcpy((void *)(uintptr_t)code, walk_guest_warm, (size_t)(walk_guest_end - walk_guest_warm));
    guest_map(gpml4, GVA_CODE, code);
    guest_map(gpml4, GVA_FRESH, target);

    svm_vcpu_init(&v, 1, GVA_CODE);
    v.vmcb->control.np_enable = 1;              /* two-dimensional translation */
    v.vmcb->control.ncr3 = ncr3;                /* 4 levels, 4 KiB leaves */
    v.vmcb->save.cr3 = svm_pa(gpml4);           /* a GPA (= HPA here) */
    v.vmcb->save.idtr.limit = 0;                /* no guest IDT: nothing to walk */
    v.vmcb->control.intercept_exceptions = ~0u; /* a guest fault exits instead */

    /* VMRUN 1: flush everything, then the warm-up */
    v.vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL; /* nothing cached, any ASID */
    v.gprs.r12 = GVA_CODE + DATA_OFFSET;
    uint64_t exit1 = svm_run(&v);

    /* VMRUN 2: no flush; the measurement */
    v.vmcb->control.tlb_control = TLB_CONTROL_NOTHING; /* keep the warm-up's entries */
    /* the second entry point, in the same (cached) code page */
    v.vmcb->save.rip = GVA_CODE + (uint64_t)(walk_guest_measure - walk_guest_warm);
    v.gprs.rbx = fresh ? GVA_FRESH + FRESH_OFFSET : GVA_CODE + DATA_OFFSET;
    uint64_t exit2 = svm_run(&v);

    check_str("VMRUN 1 (TLB_CONTROL=1, warm-up): exit", svm_exit_name(exit1), "VMMCALL");
    check_str("VMRUN 2 (TLB_CONTROL=0, measure): exit", svm_exit_name(exit2), "VMMCALL");
    uint32_t t0 = (uint32_t)v.gprs.rsi, t1 = (uint32_t)v.gprs.rdi, t2 = (uint32_t)v.gprs.r8;
    uint32_t first = t1 - t0, second = t2 - t1;
    kprintf("walk: guest RDTSC delta, first access %u cycles, second access %u cycles\n",
            first, second);
    kprintf("walk: the first access's walk: %u cycles = %llu references x %llu\n",
            first - second, (unsigned long long)((first - second) / ref_cycles),
            (unsigned long long)ref_cycles);
    if (fresh)
        check_u64("fresh page: first minus second access = 24 references x timing.walk.ref",
                  first - second, 24 * ref_cycles);
    else
        check_u64("warm page: first minus second access (both TLB hits)", first - second, 0);
    return check_failures();
}
