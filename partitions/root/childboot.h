/* A child's boot: its image loaded into its guest-physical RAM and the state it starts
   in, by the bare machine's boot protocol (shared/DESIGN.md "Boot protocol"), so that
   every program that runs on `hvsim run` runs unmodified as a child. The addresses are
   the bare loader's (sim/machine/machine.h BOOT_*; tests/platform checks they agree).
   Portable C: the root's workers use it, and a host unit test runs the same file. */
#ifndef CHILDBOOT_H
#define CHILDBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/hvregs.h"

/* The first MiB belongs to the loader (the same layout as sim/machine/boot.c) */
#define CHILD_GDT_GPA 0x1000ull
#define CHILD_BOOT_INFO_GPA 0x2000ull
#define CHILD_CMDLINE_GPA 0x3000ull
#define CHILD_PML4_GPA 0x4000ull
#define CHILD_PDPT_GPA 0x5000ull
#define CHILD_PD_GPA 0x7000ull        /* one page directory per GiB */
#define CHILD_TABLES_END 0x70000ull
#define CHILD_STACK_TOP 0x80000ull
#define CHILD_IMAGE_MIN 0x100000ull   /* segments may not load below 1 MiB */
#define CHILD_SEL_CODE64 0x08
#define CHILD_SEL_DATA 0x10
#define CHILD_CMDLINE_MAX 4095

/* Child RAM: a multiple of 2 MiB (the identity map's page size), 16 MiB (the bare
   machine's minimum) to 64 GiB. */
#define CHILD_RAM_ALIGN (2ull << 20)
#define CHILD_RAM_MIN (16ull << 20)
#define CHILD_RAM_MAX (64ull << 30) /* as the bare loader: 2 MiB pages up to 64 GiB */

/* A child's RAM as its parent sees it: page by page, since the pages need not be
   contiguous in the parent. page(ctx, n) is the parent's pointer to guest page n
   (GPA n << 12), n < bytes / 4096. */
struct guest_ram {
    uint64_t bytes;
    uint8_t *(*page)(void *ctx, uint64_t gpn);
    void *ctx;
};

void guest_ram_write(const struct guest_ram *r, uint64_t gpa, const void *src, uint64_t n);
void guest_ram_zero(const struct guest_ram *r, uint64_t gpa, uint64_t n);
void guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *dst, uint64_t n);

/* Checks the ELF image (ELF64, little-endian, x86-64, ET_EXEC; every PT_LOAD inside the
   file, at or above 1 MiB and inside RAM) before it writes anything, then loads each
   PT_LOAD at its p_paddr, zero-filled past p_filesz. Returns 0 and the entry point, or
   -1 with the reason in why ("segment 2 at 0x7fff0000 lies outside its RAM (64 MiB)"). */
int child_load_elf(const struct guest_ram *r, const void *image, uint64_t size,
                   uint64_t *entry, char *why, size_t why_len);

/* What the child's VP starts with: the initial context of HvCallStartVirtualProcessor
   and RDI (the boot info's GPA), which the context does not hold. */
struct child_entry {
    struct hv_initial_vp_context context;
    uint64_t rdi;
};

/* Writes the loader's part of the first MiB (GDT, identity map with 2 MiB pages, boot
   info with no modules, the command line) and fills *e for an entry at entry. Returns
   0, or -1 with the reason in why (RAM size, command line too long). */
int child_build_boot_state(const struct guest_ram *r, uint64_t entry, const char *cmdline,
                           size_t cmdline_len, struct child_entry *e, char *why,
                           size_t why_len);

#endif
