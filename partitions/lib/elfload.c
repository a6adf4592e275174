/* A minimal ELF64 loader (System V gABI, "Program Loading"; x86-64 psABI). */
#include "elf64.h"
#include "elfload.h"
#include "kstring.h"
#include "palloc.h"
#include "vm.h"



static int in_user_half(uint64_t va, uint64_t len)
{
    return va >= KERNEL_HALF_END && va <= USER_END && len <= USER_END - va;
}

/* Maps (or finds) the page at va and widens its rights to those of the segment. */
static uint8_t *segment_page(uint64_t *pml4, uint64_t va, uint32_t pflags)
{
    uint64_t *pte = vm_walk(pml4, va, 1);

    if (!(*pte & PTE_P))
        *pte = page_alloc() | PTE_P | PTE_U | PTE_NX | PTE_OWNED;
    if (pflags & PF_W)
        *pte |= PTE_W;
    if (pflags & PF_X)
        *pte &= ~PTE_NX;
    return phys_to_virt(*pte & PTE_ADDR_MASK);
}

uint64_t elf_load_user(uint64_t *pml4, const void *image, uint64_t size, const char **why)
{
    const uint8_t *bytes = image;
    const struct elf64_ehdr *eh = image;

    *why = 0;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 ||
        eh->ident[4] != 2 /* ELFCLASS64 */ || eh->ident[5] != 1 /* little-endian */) {
        *why = "not an ELF64 little-endian file";
        return 0;
    }
    if (eh->type != ET_EXEC || eh->machine != EM_X86_64) {
        *why = "not an x86-64 executable (ET_EXEC, EM_X86_64)";
        return 0;
    }
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
        (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff) {
        *why = "program headers lie outside the file";
        return 0;
    }
    if (!in_user_half(eh->entry, 1)) {
        *why = "entry point outside the user half";
        return 0;
    }
    for (unsigned i = 0; i < eh->phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, bytes + eh->phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset ||
            !in_user_half(ph.vaddr, ph.memsz)) {
            *why = "a PT_LOAD segment lies outside the file or the user half";
            return 0;
        }
        /* Page by page: each page gets the file bytes that fall in it; the rest of a
           fresh page is already zero (the .bss part). */
        for (uint64_t va = PAGE_ROUND_DOWN(ph.vaddr); va < ph.vaddr + ph.memsz;
             va += PAGE_SIZE) {
            uint8_t *page = segment_page(pml4, va, ph.flags);
            uint64_t lo = va > ph.vaddr ? va : ph.vaddr;
            uint64_t hi = va + PAGE_SIZE < ph.vaddr + ph.filesz ? va + PAGE_SIZE
                                                                 : ph.vaddr + ph.filesz;
            if (lo < hi)
                memcpy(page + (lo - va), bytes + ph.offset + (lo - ph.vaddr), hi - lo);
        }
    }
    return eh->entry;
}
