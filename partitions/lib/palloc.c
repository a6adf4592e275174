/* Physical pages: never-used pages are handed out in address order from a bump
   pointer, so a run is the same every time and nothing is touched up front; freed pages
   go on a free list threaded through their first word. */
#include "bootinfo.h"
#include "kstring.h"
#include "mmu.h"
#include "palloc.h"
#include "panic.h"

extern char __image_end[]; /* link.ld: first page after the image */

static uint64_t next_unused, ram_end;
static uint64_t free_list;  /* physical address of the first freed page, or 0 */
static uint64_t nr_free_listed;

void palloc_init(void)
{
    const struct boot_info *bi = boot_info();
    uint64_t start = (uint64_t)(uintptr_t)__image_end;

    if (bi == 0)
        panic("palloc: no boot info");
    for (uint32_t i = 0; i < bi->nr_modules; i++) {
        uint64_t end = bi->modules[i].paddr + bi->modules[i].size;
        if (end > start)
            start = end;
    }
    next_unused = PAGE_ROUND_UP(start);
    ram_end = PAGE_ROUND_DOWN(bi->ram_bytes);
    if (ram_end > KERNEL_HALF_END)
        ram_end = KERNEL_HALF_END; /* the identity map covers no more (mmu.h) */
    free_list = 0;
    nr_free_listed = 0;
}

uint64_t page_alloc(void)
{
    uint64_t pa;

    if (free_list) {
        pa = free_list;
        free_list = *(uint64_t *)(uintptr_t)pa;
        nr_free_listed--;
    } else if (next_unused < ram_end) {
        pa = next_unused;
        next_unused += PAGE_SIZE;
    } else {
        panic("palloc: out of memory");
    }
    memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
    return pa;
}

void page_free(uint64_t pa)
{
    if (pa & (PAGE_SIZE - 1) || pa < (uint64_t)(uintptr_t)__image_end || pa >= ram_end)
        panic("palloc: freeing 0x%llx, not an allocated page", (unsigned long long)pa);
    *(uint64_t *)(uintptr_t)pa = free_list;
    free_list = pa;
    nr_free_listed++;
}

uint64_t palloc_free_pages(void)
{
    return (ram_end - next_unused) / PAGE_SIZE + nr_free_listed;
}
