/* Global pages and MOV CR3 (Intel SDM vol. 3 §4.10.2.4, §4.10.4.1; AMD APM vol. 2
   §5.5.2): with CR4.PGE = 1, a translation from a leaf with G set survives MOV CR3;
   one without G does not. INVLPG removes a global translation too, and so does
   toggling CR4.PGE. CR4.PCIDE stays 0 here.

   Each check makes the TLB and the page tables disagree on purpose: it maps VA to
   frame A, reads through it (the TLB now holds VA -> A), rewrites the PTE to frame B
   without invalidating, and then reads again after the operation under test. Reading A
   means the cached translation survived; B, that it was dropped. Real processors may
   drop entries at any time, so "survived" is what a real CPU shows in practice, and
   what hvsim's modeled TLB must show. */
#include "ktest.h"
#include "vm.h"
#include "x86.h"

#define MARK_A 0xAAAAull
#define MARK_B 0xBBBBull

static uint64_t frame_a, frame_b;

/* Maps va -> A with flags, reads it (caching the translation), then points the PTE at
   B without INVLPG. Returns what the first read saw (A). */
static uint64_t stage(uint64_t va, uint64_t flags)
{
    struct fault f;
    uint64_t v;

    ktest_map(va, frame_a, flags);
    if (try_read(va, &v, &f))
        return ~0ull;
    *ktest_pte(va) = frame_b | flags | PTE_P;
    return v;
}

static uint64_t read_now(uint64_t va)
{
    struct fault f;
    uint64_t v;

    return try_read(va, &v, &f) ? ~0ull : v;
}

static const char *name(uint64_t v)
{
    return v == MARK_A ? "A (cached)" : v == MARK_B ? "B (walked)" : "neither";
}

static void expect(const char *what, uint64_t got, uint64_t want)
{
    check_str(what, name(got), name(want));
}

int main(void)
{
    uint64_t g = TEST_VA + 0x1000, ng = TEST_VA + 0x2000;

    ktest_init();   /* vm_init turns CR4.PGE on */
    frame_a = ktest_frame(MARK_A);
    frame_b = ktest_frame(MARK_B);
    check_true("CR4.PGE is on", (read_cr4() & CR4_PGE) != 0);
    check_true("CR4.PCIDE is off", (read_cr4() & CR4_PCIDE) == 0);

    expect("global page: read before the PTE changed", stage(g, PTE_W | PTE_G), MARK_A);
    expect("global page: the TLB still holds the old translation", read_now(g), MARK_A);
    write_cr3(read_cr3());
    expect("global page after MOV CR3: still cached", read_now(g), MARK_A);
    invlpg(g);
    expect("global page after INVLPG: the new translation", read_now(g), MARK_B);

    expect("non-global page: read before the PTE changed", stage(ng, PTE_W), MARK_A);
    expect("non-global page: the TLB still holds the old translation", read_now(ng),
           MARK_A);
    write_cr3(read_cr3());
    expect("non-global page after MOV CR3: flushed", read_now(ng), MARK_B);

    /* Both at once: one MOV CR3 keeps the global and drops the other. */
    stage(g, PTE_W | PTE_G);
    stage(ng, PTE_W);
    write_cr3(read_cr3());
    expect("together after MOV CR3: the global page stays cached", read_now(g), MARK_A);
    expect("together after MOV CR3: the non-global page is flushed", read_now(ng), MARK_B);

    /* Any change to CR4.PGE flushes everything, global entries included (SDM §4.10.4.1). */
    stage(g, PTE_W | PTE_G);
    write_cr4(read_cr4() & ~CR4_PGE);
    expect("global page after clearing CR4.PGE: flushed", read_now(g), MARK_B);
    /* With PGE clear, G means nothing: MOV CR3 drops the page. */
    stage(g, PTE_W | PTE_G);
    write_cr3(read_cr3());
    expect("G page with CR4.PGE=0, after MOV CR3: flushed", read_now(g), MARK_B);
    write_cr4(read_cr4() | CR4_PGE);
    stage(g, PTE_W | PTE_G);
    write_cr4(read_cr4() & ~CR4_PGE);
    write_cr4(read_cr4() | CR4_PGE);
    expect("global page after toggling CR4.PGE off and on: flushed", read_now(g), MARK_B);
    return check_failures();
}
