/* hv's page tables: all of host RAM identity-mapped, so a host-physical address is
 * hv's pointer to it (hv.h hv_ptr), and hv reaches every partition's memory through
 * the partition's map checked in software (partition_gpa_ptr), never through a guest
 * mapping. 2 MiB pages (AMD APM vol. 2 §5.3), except the first 2 MiB, mapped with 4 KiB
 * pages without page 0, so a null pointer in hv faults. The tables come from the pool,
 * inside hv's reservation; the loader's tables in the first MiB are left behind. */
#include "hv.h"
#include "x86.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PS (1ull << 7)
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

static uint64_t *new_table(void)
{
	uint64_t pa = pool_alloc();
	if (!pa)
		hv_fatal("out of pool pages building hv's page tables");
	return hv_ptr(pa);
}

void hostmap_init(uint64_t ram_bytes)
{
	uint64_t *pml4 = new_table();
	for (uint64_t gib = 0; gib * GIB < ram_bytes; gib++) {
		uint64_t slot4 = gib / 512;
		if (!(pml4[slot4] & PTE_P))
			pml4[slot4] = hv_pa(new_table()) | PTE_P | PTE_W;
		uint64_t *pdpt = hv_ptr(pml4[slot4] & ~0xFFFull);
		uint64_t *pd = new_table();
		pdpt[gib % 512] = hv_pa(pd) | PTE_P | PTE_W;
		for (uint64_t i = 0; i < 512 && gib * GIB + i * MIB2 < ram_bytes; i++)
			pd[i] = (gib * GIB + i * MIB2) | PTE_P | PTE_W | PTE_PS;
	}
	uint64_t *pt = new_table();
	for (uint64_t i = 1; i < 512; i++)
		pt[i] = i * HV_PAGE | PTE_P | PTE_W;
	uint64_t *pdpt0 = hv_ptr(pml4[0] & ~0xFFFull);
	uint64_t *pd0 = hv_ptr(pdpt0[0] & ~0xFFFull);
	pd0[0] = hv_pa(pt) | PTE_P | PTE_W;
	write_cr3(hv_pa(pml4));
}
