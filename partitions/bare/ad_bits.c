/* Accessed and dirty bits (Intel SDM vol. 3 §4.8; AMD APM vol. 2 §5.4.2): the CPU sets
   A in every paging-structure entry it uses and in the leaf, and D in the leaf on the
   first write through a translation, even one it had cached from a read (SDM §4.8:
   "the processor sets the dirty flag ... the first time there is a write"). */
#include "bootinfo.h"
#include "ktest.h"
#include "vm.h"
#include "x86.h"

#define VA (TEST_VA + 0x5000)

static uint64_t *entry_at(uint64_t va, int level)
{
    uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
    for (int l = 4; l > level; l--)
        t = phys_to_virt(t[PT_INDEX(va, l)] & PTE_ADDR_MASK);
    return &t[PT_INDEX(va, level)];
}

int main(void)
{
    struct fault f;
    uint64_t v;

    ktest_init();
    uint64_t *pte = ktest_map(VA, ktest_frame(7), PTE_W);
    /* Clear A in the upper levels too, so the read must set them. */
    for (int l = 4; l >= 2; l--)
        *entry_at(VA, l) &= ~PTE_A;
    invlpg(VA);
    check_u64("fresh PTE: A and D clear", *pte & (PTE_A | PTE_D), 0);

    check_true("read works", !try_read(VA, &v, &f) && v == 7);
    check_u64("after a read: PTE A set, D clear", *pte & (PTE_A | PTE_D), PTE_A);
    check_u64("after a read: PDE A", *entry_at(VA, 2) & PTE_A, PTE_A);
    check_u64("after a read: PDPTE A", *entry_at(VA, 3) & PTE_A, PTE_A);
    check_u64("after a read: PML4E A", *entry_at(VA, 4) & PTE_A, PTE_A);

    /* The read cached a translation with D clear; the write must still set D. */
    check_true("write works", !try_write(VA, 8, &f));
    check_u64("after a write through a cached read translation: D set",
              *pte & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* A first access that is a write sets both at once. */
    *pte &= ~(PTE_A | PTE_D);
    invlpg(VA);
    check_true("write works", !try_write(VA, 9, &f));
    check_u64("after a write to a clean page: A and D set", *pte & (PTE_A | PTE_D),
              PTE_A | PTE_D);

    /* A faulting access sets nothing: the leaf is not present. */
    uint64_t saved = *pte;
    *pte = saved & ~(PTE_P | PTE_A | PTE_D);
    invlpg(VA);
    try_write(VA, 10, &f);
    check_u64("a not-present write faults", f.vector, T_PF);
    check_u64("... and sets neither A nor D", *pte & (PTE_A | PTE_D), 0);
    /* A write to a read-only page faults without setting D (SDM §4.8: the flags are
       set only for accesses that are allowed). */
    *pte = (saved & ~(PTE_W | PTE_A | PTE_D)) | PTE_P;
    invlpg(VA);
    try_write(VA, 11, &f);
    check_u64("a write to a read-only page faults", f.vector, T_PF);
    check_u64("... and leaves D clear", *pte & PTE_D, 0);

    /* 2 MiB pages: A and D live in the PDE (SDM §4.8). The frame is the last 2 MiB
       of RAM, which the page allocator (bottom up) does not reach in this test. */
    uint64_t big_va = TEST_VA + 0x40000000ull;  /* a PD entry of its own */
    uint64_t big_pa = (boot_info()->ram_bytes - LARGE_PAGE_SIZE) & ~(LARGE_PAGE_SIZE - 1);
    vm_walk(vm_kernel_pml4(), big_va, 1);       /* builds the PDPTE and PD */
    uint64_t *pde = entry_at(big_va, 2);
    *pde = big_pa | PTE_P | PTE_W | PTE_PS;
    invlpg(big_va);
    check_true("2 MiB page: read works", !try_read(big_va + 0x1234, &v, &f));
    check_u64("2 MiB page: after a read, PDE A set, D clear", *pde & (PTE_A | PTE_D),
              PTE_A);
    check_true("2 MiB page: write works", !try_write(big_va + 0x1FF000, 5, &f));
    check_u64("2 MiB page: after a write, PDE D set", *pde & (PTE_A | PTE_D),
              PTE_A | PTE_D);
    return check_failures();
}
