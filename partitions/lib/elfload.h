/* Loading a static ELF64 executable into a user address space (the programs in
   partitions/user, embedded in a kernel image or handed over as boot modules). */
#ifndef ELFLOAD_H
#define ELFLOAD_H

#include <stdint.h>

/* Copies every PT_LOAD segment of the image into fresh pages of pml4's user half,
   mapped user-accessible, writable only if the segment is (PF_W), executable only if
   it is (PF_X; NX otherwise), with PTE_OWNED. Returns the entry point, or 0 if the
   image is not a loadable x86-64 executable for the user half (with the reason in
   *why). */
uint64_t elf_load_user(uint64_t *pml4, const void *image, uint64_t size, const char **why);

#endif
