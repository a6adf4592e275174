/* Page tables (Intel SDM vol. 3 §4.5; AMD APM vol. 2 §5.3). Access rights are the
   most restrictive of all levels (SDM §4.6), so upper-level entries are permissive and
   each leaf says what the page allows. */
#include "bootinfo.h"
#include "kstring.h"
#include "palloc.h"
#include "panic.h"
#include "vm.h"
#include "x86.h"

#define CPUID1_EDX_PGE (1u << 13)

static uint64_t *kernel_pml4;

static uint64_t *table_of(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR_MASK);
}

static uint64_t *new_table(void)
{
    return phys_to_virt(page_alloc());
}

void vm_init(void)
{
    const struct boot_info *bi = boot_info();
    uint64_t ram = bi ? bi->ram_bytes : 0;
    uint32_t r[4];

    if (ram == 0 || ram > KERNEL_HALF_END)
        panic("vm: RAM of %llu bytes does not fit the kernel half (at most 512 GiB)",
              (unsigned long long)ram);
    cpuid(1, 0, r);
    int pge = (r[3] & CPUID1_EDX_PGE) != 0;
    /* G is ignored while CR4.PGE is clear (SDM §4.10.2.4), so it is set regardless. */
    uint64_t kflags = PTE_P | PTE_W | PTE_G;

    kernel_pml4 = new_table();
    uint64_t *pdpt = new_table();
    kernel_pml4[0] = virt_to_phys(pdpt) | PTE_P | PTE_W;
    for (uint64_t gib = 0; gib * (1ull << 30) < ram; gib++) {
        uint64_t *pd = new_table();
        pdpt[gib] = virt_to_phys(pd) | PTE_P | PTE_W;
        for (uint64_t i = 0; i < 512; i++) {
            uint64_t pa = (gib << 30) + i * LARGE_PAGE_SIZE;
            if (pa >= ram)
                break;
            pd[i] = pa | kflags | PTE_PS;
        }
    }
    /* The first 2 MiB with 4 KiB pages, page 0 left out: the loader's tables, the boot
       info and the boot stack stay reachable, a null pointer does not. */
    uint64_t *pt = new_table();
    for (uint64_t i = 1; i < 512; i++)
        pt[i] = i * PAGE_SIZE | kflags;
    table_of(pdpt[0])[0] = virt_to_phys(pt) | PTE_P | PTE_W;

    write_cr3(virt_to_phys(kernel_pml4));
    if (pge)
        write_cr4(read_cr4() | CR4_PGE); /* toggling PGE flushes the TLB (SDM §4.10.4.1) */
}

uint64_t *vm_kernel_pml4(void)
{
    return kernel_pml4;
}

uint64_t *vm_create(void)
{
    uint64_t *pml4 = new_table();

    for (unsigned i = 0; i < PT_INDEX(KERNEL_HALF_END, 4); i++)
        pml4[i] = kernel_pml4[i];
    return pml4;
}

/* Frees a user-half table at level (3: PDPT, 2: PD, 1: PT) and what hangs below it. */
static void free_table(uint64_t *t, int level)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        if (level > 1 && !(e & PTE_PS))
            free_table(table_of(e), level - 1);
        else if (e & PTE_OWNED)
            page_free(e & PTE_ADDR_MASK);
    }
    page_free(virt_to_phys(t));
}

void vm_destroy(uint64_t *pml4)
{
    for (unsigned i = PT_INDEX(KERNEL_HALF_END, 4); i < 512; i++)
        if (pml4[i] & PTE_P)
            free_table(table_of(pml4[i]), 3);
    page_free(virt_to_phys(pml4));
}

uint64_t *vm_walk(uint64_t *pml4, uint64_t va, int create)
{
    uint64_t *t = pml4;
    uint64_t upper = va >= KERNEL_HALF_END ? PTE_P | PTE_W | PTE_U : PTE_P | PTE_W;

    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[PT_INDEX(va, level)];
        if (!(*e & PTE_P)) {
            if (!create)
                return 0;
            *e = virt_to_phys(new_table()) | upper;
        } else if (*e & PTE_PS) {
            return 0;
        }
        t = table_of(*e);
    }
    return &t[PT_INDEX(va, 1)];
}

int vm_map(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pte = vm_walk(pml4, va, 1);

    if (pte == 0 || (*pte & PTE_P))
        return -1;
    *pte = (pa & PTE_ADDR_MASK) | flags | PTE_P;
    return 0;
}

uint64_t vm_unmap(uint64_t *pml4, uint64_t va)
{
    uint64_t *pte = vm_walk(pml4, va, 0);
    uint64_t old;

    if (pte == 0 || !(*pte & PTE_P))
        return 0;
    old = *pte;
    *pte = 0;
    return old;
}

int vm_translate(const uint64_t *pml4, uint64_t va, uint64_t *pa)
{
    const uint64_t *t = pml4;

    for (int level = 4; level >= 1; level--) {
        uint64_t e = t[PT_INDEX(va, level)];
        if (!(e & PTE_P))
            return -1;
        if (level == 1 || (level <= 3 && (e & PTE_PS))) {
            uint64_t size = 1ull << (PAGE_SHIFT + 9 * (level - 1));
            *pa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        t = table_of(e);
    }
    return -1;
}
