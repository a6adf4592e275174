/* INVLPG (Intel SDM vol. 2A "INVLPG", vol. 3 §4.10.4.1): removes the translations of
   one page, global or not, and leaves other pages' cached translations alone. The
   method is tlb_global.c's: cache VA -> A, point the PTE at B, then see which one a
   read finds. INVPCID is in tlb_pcid.c. */
#include "ktest.h"
#include "vm.h"
#include "x86.h"

#define MARK_A 0xAAAAull
#define MARK_B 0xBBBBull

static uint64_t frame_a, frame_b;

static void stage(uint64_t va, uint64_t flags)
{
    struct fault f;
    uint64_t v;

    ktest_map(va, frame_a, flags);
    try_read(va, &v, &f);
    *ktest_pte(va) = frame_b | flags | PTE_P;
}

static const char *read_name(uint64_t va)
{
    struct fault f;
    uint64_t v;

    if (try_read(va, &v, &f))
        return "a fault";
    return v == MARK_A ? "A (cached)" : v == MARK_B ? "B (walked)" : "neither";
}

int main(void)
{
    uint64_t p1 = TEST_VA + 0x1000, p2 = TEST_VA + 0x2000, p3 = TEST_VA + 0x3000;
    struct fault f;

    ktest_init();
    frame_a = ktest_frame(MARK_A);
    frame_b = ktest_frame(MARK_B);

    stage(p1, PTE_W);
    stage(p2, PTE_W);
    stage(p3, PTE_W | PTE_G);
    check_str("before INVLPG: page 1 cached", read_name(p1), "A (cached)");
    invlpg(p1);
    check_str("INVLPG page 1: page 1 walked again", read_name(p1), "B (walked)");
    check_str("INVLPG page 1: page 2 still cached", read_name(p2), "A (cached)");
    check_str("INVLPG page 1: global page 3 still cached", read_name(p3), "A (cached)");
    invlpg(p3 + 0x123);     /* any address in the page names it */
    check_str("INVLPG inside global page 3: walked again", read_name(p3), "B (walked)");
    invlpg(p2);
    check_str("INVLPG page 2: walked again", read_name(p2), "B (walked)");

    /* Unmapping: a page made not-present faults only once its translation is gone. */
    ktest_map(p1, frame_a, PTE_W);
    try_read(p1, 0, &f);
    *ktest_pte(p1) = 0;
    check_str("unmapped without INVLPG: the stale translation still works",
              read_name(p1), "A (cached)");
    invlpg(p1);
    check_str("unmapped, after INVLPG: #PF", read_name(p1), "a fault");

    /* A permission change is cached too: read-only -> writable needs no flush on x86
       (a write that fails re-walks, SDM §4.10.4.3), writable -> read-only does. */
    ktest_map(p2, frame_a, PTE_W);
    try_write(p2, MARK_A, &f);
    *ktest_pte(p2) &= ~PTE_W;
    check_true("W cleared without INVLPG: the cached writable translation still writes",
               !try_write(p2, MARK_A, &f));
    invlpg(p2);
    check_true("W cleared, after INVLPG: a write faults",
               try_write(p2, MARK_A, &f) && f.vector == T_PF && f.error == 3);
    *ktest_pte(p2) |= PTE_W;    /* no INVLPG */
    /* The #PF itself dropped the read-only translation (SDM §4.10.4.1). */
    check_true("W set again without INVLPG after a #PF: the write works",
               !try_write(p2, MARK_A, &f));
    return check_failures();
}
