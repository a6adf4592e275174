/* workload=switch, the ring-3 side: context-switch heavy. Maps `pages` pages, then in
   each time slice touches every one of them once (a read and a write) and gives the CPU
   up with SYS_yield, so every slice ends in an address-space switch and every slice
   starts by refilling the TLB with whatever the switch flushed.

   One work unit = one pass over the pages. Arguments (wlabi.h): WL_ARG_PAGES,
   WL_ARG_QUOTA (0: until the kernel says stop). Exit status: 0, or 1 (map failed),
   2 (unmap), 3 (pages wrong: a write went through another process's translation). */
#include "usys.h"
#include "wlabi.h"

struct page_words {
    uint64_t tag;       /* pid << 32 | page index, written once */
    uint64_t count;     /* incremented once a pass */
};

static volatile struct page_words *page_at(uint64_t i)
{
    return (volatile struct page_words *)(uintptr_t)(WL_REGION + i * PAGE_SIZE);
}

int main(volatile struct user_info *info)
{
    uint64_t pid = info->pid, pages = info->arg[WL_ARG_PAGES];
    uint64_t quota = info->arg[WL_ARG_QUOTA], units = 0, bad = 0;

    if (sys_map(WL_REGION, pages) != 0)
        return 1;
    for (uint64_t i = 0; i < pages; i++)
        page_at(i)->tag = pid << 32 | i;
    while (!info->stop && (quota == 0 || units < quota)) {
        for (uint64_t i = 0; i < pages; i++)
            page_at(i)->count = page_at(i)->count + 1;
        units++;
        info->progress[WL_PROGRESS_UNITS] = units;
        sys_yield();
    }
    for (uint64_t i = 0; i < pages; i++)
        bad += page_at(i)->tag != (pid << 32 | i) || page_at(i)->count != units;
    info->progress[WL_PROGRESS_BAD] = bad;
    if (sys_unmap(WL_REGION, pages) != (int64_t)pages)
        return 2;
    return bad ? 3 : 0;
}
