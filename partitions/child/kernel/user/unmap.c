/* workload=unmap, the ring-3 side: unmap heavy. Range after range: map n pages, touch
   each (it must read as zero: a fresh page), unmap them. n runs from 1 to `maxrange`
   (512) pages, drawn log-uniformly from a seeded generator, so the sequence is the same
   in every run and spans both sides of Linux's 33-page flush ceiling. Range k first
   punches k mod 4 single-page holes (fewer in small ranges), each its own unmap, so the
   final unmap finds up to four runs of pages: a GVA list of up to four elements.

   Every range starts at the same address: a translation left in the TLB after an
   unmap would be used by the next range and show up as a non-zero fresh page.

   One work unit = one range mapped, touched and unmapped. Arguments (wlabi.h):
   WL_ARG_QUOTA (ranges; 0: until the kernel says stop), WL_ARG_SEED, WL_ARG_MAXRANGE.
   Exit status: 0, or 1 (map failed), 3 (pages wrong or an unmap returned the wrong
   count). */
#include "usys.h"
#include "wlabi.h"

#define MAX_HOLES 3

struct page_words {
    uint64_t tag;       /* range number << 16 | page index */
};

static volatile struct page_words *page_at(uint64_t i)
{
    return (volatile struct page_words *)(uintptr_t)(WL_REGION + i * PAGE_SIZE);
}

/* SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
   OOPSLA 2014): one add and a finalizer per number. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* 1 .. maxrange pages, log-uniform: a power of two from 1 to the first one not below
   maxrange (512 for the default: ten of them), then uniform up to it. */
static uint64_t range_pages(uint64_t *state, uint64_t maxrange)
{
    unsigned powers = 1;
    while ((1ull << (powers - 1)) < maxrange)
        powers++;
    uint64_t r = next_random(state);
    uint64_t span = 1ull << (r % powers);
    if (span > maxrange)
        span = maxrange;
    return 1 + (r >> 32) % span;
}

int main(volatile struct user_info *info)
{
    uint64_t quota = info->arg[WL_ARG_QUOTA], state = info->arg[WL_ARG_SEED];
    uint64_t maxrange = info->arg[WL_ARG_MAXRANGE];
    uint64_t units = 0, pages_done = 0, bad = 0;

    while (!info->stop && (quota == 0 || units < quota)) {
        uint64_t n = range_pages(&state, maxrange);
        uint64_t holes = units % (MAX_HOLES + 1);
        if (holes > (n - 1) / 2)
            holes = (n - 1) / 2;    /* keeps the holes apart: holes + 1 runs */

        if (sys_map(WL_REGION, n) != 0)
            return 1;
        for (uint64_t i = 0; i < n; i++) {
            bad += page_at(i)->tag != 0;
            page_at(i)->tag = units << 16 | i;
        }
        for (uint64_t h = 1; h <= holes; h++)
            bad += sys_unmap(WL_REGION + h * n / (holes + 1) * PAGE_SIZE, 1) != 1;
        bad += sys_unmap(WL_REGION, n) != (int64_t)(n - holes);

        units++;
        pages_done += n;
        info->progress[WL_PROGRESS_UNITS] = units;
        info->progress[WL_PROGRESS_PAGES] = pages_done;
    }
    info->progress[WL_PROGRESS_BAD] = bad;
    return bad ? 3 : 0;
}
