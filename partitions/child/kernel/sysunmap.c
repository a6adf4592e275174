/* SYS_unmap for the child kernel (uabi.h: (va, npages) -> pages unmapped). It replaces
   partitions/lib/sysproc.c's handler for one reason: that one flushes the whole range
   asked for, this one flushes exactly the pages that were mapped, gathered into runs
   (kflush.h), so a range with holes becomes a GVA list of several elements.

   The order is the library's: clear the present bits, flush, and only then free the
   frames, so that no translation can reach a frame after it is reused. */
#include "kflush.h"
#include "palloc.h"
#include "proc.h"
#include "syscall.h"
#include "sysunmap.h"
#include "vm.h"

#define UNMAP_MAX_PAGES 65536
#define MAP_REGION_END (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)

/* SYS_map's region (sysproc.c serves it): [USER_MAP_BASE, below the user stack). */
static int in_map_region(uint64_t va, uint64_t npages)
{
    return (va & (PAGE_SIZE - 1)) == 0 && va >= USER_MAP_BASE && va < MAP_REGION_END &&
           npages <= UNMAP_MAX_PAGES && npages <= (MAP_REGION_END - va) / PAGE_SIZE;
}

static int64_t sys_unmap_runs(struct trap_frame *tf)
{
    struct proc *p = proc_current();
    uint64_t va = tf->rdi, npages = tf->rsi;
    struct flush_runs runs;

    if (!in_map_region(va, npages))
        return UABI_EINVAL;
    flush_runs_init(&runs);
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t page = va + i * PAGE_SIZE;
        uint64_t *pte = vm_walk(p->as.pml4, page, 0);
        if (pte && (*pte & PTE_P)) {
            *pte &= ~PTE_P;     /* the frame's address stays for the last step */
            flush_runs_add(&runs, page, 1);
        }
    }
    flush_tlb_runs(&p->as, &runs);
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t *pte = vm_walk(p->as.pml4, va + i * PAGE_SIZE, 0);
        if (pte && *pte && !(*pte & PTE_P)) {
            if (*pte & PTE_OWNED)
                page_free(*pte & PTE_ADDR_MASK);
            *pte = 0;
        }
    }
    return (int64_t)runs.pages;
}

void sysunmap_init(void)
{
    syscall_register(SYS_unmap, sys_unmap_runs);
}
