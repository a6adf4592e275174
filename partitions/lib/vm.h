/* Page tables: building address spaces and mapping 4 KiB pages in them. These
   functions only edit tables; they never flush the TLB. Whoever changes a mapping that
   may be cached decides how to flush it (tlbflush.h) and frees a frame only after. */
#ifndef VM_H
#define VM_H

#include <stdint.h>

#include "mmu.h"

/* Builds the kernel half (mmu.h): RAM identity-mapped, supervisor-only, with 2 MiB
   pages except the first 2 MiB, which uses 4 KiB pages so that page 0 stays unmapped
   and a null pointer faults. Kernel pages are global. Turns on CR4.PGE when CPUID
   reports it, and loads the kernel's CR3 (PCID 0). Needs palloc_init. */
void vm_init(void);

/* The address space vm_init built: the kernel half and an empty user half. */
uint64_t *vm_kernel_pml4(void);

/* A new address space: the kernel half shared, the user half empty. */
uint64_t *vm_create(void);

/* Frees the user half's tables and every frame mapped with PTE_OWNED, then the PML4.
   The caller makes sure no CPU uses it and no stale translation of it can be used. */
void vm_destroy(uint64_t *pml4);

/* The 4 KiB PTE for va, allocating the tables above it when create is set (user half:
   P|W|U, kernel half: P|W, so that the leaf alone decides the access rights). 0 if a
   table is missing (and !create) or a large page maps va. */
uint64_t *vm_walk(uint64_t *pml4, uint64_t va, int create);

/* Maps the 4 KiB page at va to pa with flags (PTE_P is added). -1 if va is already
   mapped or lies in a large page. */
int vm_map(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags);

/* Clears va's PTE and returns what it held (0 if nothing was mapped). */
uint64_t vm_unmap(uint64_t *pml4, uint64_t va);

/* Software walk: the physical address va maps to, any page size. -1 if unmapped. */
int vm_translate(const uint64_t *pml4, uint64_t va, uint64_t *pa);

/* Kernel pointer to a physical address, and back: the kernel half is an identity map. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }
static inline uint64_t virt_to_phys(const void *p) { return (uint64_t)(uintptr_t)p; }

#endif
