/* The multi-process demo's workload (partitions/bare/mpkernel.c): map `pages` pages
   of its own, then touch every one of them (a read and a write) round after round until
   the kernel asks it to stop. Every round after a context switch finds out what the
   switch left in the TLB.

   Arguments (info page): arg[0] pages, arg[1] yield every N rounds (0: never).
   Progress: progress[0] rounds done, progress[1] pages found wrong at the end. */
#include "kprintf.h"
#include "mmu.h"
#include "usys.h"

/* Every process uses the same virtual addresses for its pages, backed by its own
   frames: a translation of another process used by mistake shows up as a wrong tag. */
#define REGION USER_MAP_BASE

struct page_words {
    uint64_t tag;       /* pid << 32 | page index, written once */
    uint64_t count;     /* incremented once a round */
};

int main(volatile struct user_info *info)
{
    uint64_t pid = info->pid, pages = info->arg[0], yield_every = info->arg[1];
    uint64_t rounds = 0, bad = 0;

    if (sys_map(REGION, pages) != 0) {
        kprintf("proc %llu: cannot map %llu pages\n", (unsigned long long)pid,
                (unsigned long long)pages);
        return 1;
    }
    for (uint64_t i = 0; i < pages; i++) {
        volatile struct page_words *w = (void *)(uintptr_t)(REGION + i * PAGE_SIZE);
        w->tag = pid << 32 | i;
    }
    while (!info->stop) {
        for (uint64_t i = 0; i < pages; i++) {
            volatile struct page_words *w = (void *)(uintptr_t)(REGION + i * PAGE_SIZE);
            w->count = w->count + 1;
        }
        rounds++;
        info->progress[0] = rounds;
        if (yield_every && rounds % yield_every == 0)
            sys_yield();
    }
    for (uint64_t i = 0; i < pages; i++) {
        volatile struct page_words *w = (void *)(uintptr_t)(REGION + i * PAGE_SIZE);
        bad += w->tag != (pid << 32 | i) || w->count != rounds;
    }
    info->progress[1] = bad;
    kprintf("proc %llu: %llu rounds over %llu pages, %llu pages wrong\n",
            (unsigned long long)pid, (unsigned long long)rounds,
            (unsigned long long)pages, (unsigned long long)bad);
    if (sys_unmap(REGION, pages) != (int64_t)pages)
        return 2;
    return bad ? 3 : 0;
}
