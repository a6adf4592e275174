/* workload=bystander, the ring-3 side: compute bound over a hot working set. Maps
   `pages` pages (48 by default: with its stack and info page it fits the 64-entry L1
   data TLB) and passes over them, a read and a write per page, with no system call in
   the loop: it never flushes, and alone on its kernel it is never switched out, so on
   its own it takes no TLB miss after warming up. Beside other partitions it loses L1
   entries to their fills, and everything to their flushes when the hypervisor's flush
   policy is not scoped to the partition (hv's `full`).

   One work unit = one pass over the working set. Arguments (wlabi.h): WL_ARG_PAGES,
   WL_ARG_QUOTA (0: until the kernel says stop). Exit status: 0, or 1 (map failed),
   3 (a page lost a write). The pages are not unmapped at the end: that would be a flush
   of its own; the kernel frees them with the process. */
#include "usys.h"
#include "wlabi.h"

static volatile uint64_t *word_at(uint64_t i)
{
    return (volatile uint64_t *)(uintptr_t)(WL_REGION + i * PAGE_SIZE);
}

int main(volatile struct user_info *info)
{
    uint64_t pages = info->arg[WL_ARG_PAGES], quota = info->arg[WL_ARG_QUOTA];
    uint64_t units = 0, bad = 0;

    if (sys_map(WL_REGION, pages) != 0)
        return 1;
    while (!info->stop && (quota == 0 || units < quota)) {
        for (uint64_t i = 0; i < pages; i++)
            *word_at(i) = *word_at(i) + 1;
        units++;
        info->progress[WL_PROGRESS_UNITS] = units;
    }
    for (uint64_t i = 0; i < pages; i++)
        bad += *word_at(i) != units;
    info->progress[WL_PROGRESS_BAD] = bad;
    return bad ? 3 : 0;
}
