/* use_small_pages: the loader maps all of RAM with 2 MiB pages (DESIGN.md boot
   protocol). Walk its tables from CR3 and give each 2 MiB page in the range a page
   table of its own (SDM vol. 3 §4.5: a PDE without PS points to a page table). */
#include <stdint.h>

#include "smallpages.h"

#define PTE_P 0x1ull
#define PTE_PS 0x80ull
#define PTE_PAT_LARGE 0x1000ull /* PAT bit of a 2 MiB entry (bit 12) */
#define ADDR_MASK 0x000ffffffffff000ull
#define POOL_TABLES 64

static uint64_t pool[POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned pool_used;

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & ADDR_MASK); /* tables are identity-mapped */
}

unsigned use_small_pages(void *start, size_t bytes)
{
	uint64_t cr3, split = 0;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t va = (uint64_t)(uintptr_t)start & ~0x1fffffull;
	uint64_t end = (uint64_t)(uintptr_t)start + bytes;
	for (; va < end && pool_used < POOL_TABLES; va += 0x200000) {
		uint64_t *pml4 = table_at(cr3);
		uint64_t pml4e = pml4[(va >> 39) & 511];
		if (!(pml4e & PTE_P))
			continue;
		uint64_t pdpte = table_at(pml4e)[(va >> 30) & 511];
		if (!(pdpte & PTE_P) || (pdpte & PTE_PS))
			continue;
		uint64_t *pde = &table_at(pdpte)[(va >> 21) & 511];
		if (!(*pde & PTE_P) || !(*pde & PTE_PS))
			continue; /* not a 2 MiB page (already split, or absent) */
		uint64_t *pt = pool[pool_used++];
		uint64_t base = *pde & ADDR_MASK & ~0x1fffffull;
		uint64_t rights = *pde & ~(ADDR_MASK | PTE_PS | PTE_PAT_LARGE);
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + 4096ull * i) | rights;
		*pde = (uint64_t)(uintptr_t)pt | (rights & 0x7ull) | (rights & (1ull << 63));
		split++;
	}
	/* the old 2 MiB translations may be cached: reload CR3 to drop them */
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	return (unsigned)split;
}
