/* The boot info the loader hands over in RDI (DESIGN.md, "Boot protocol"):
   little-endian, in the first MiB, identity-mapped at entry. */
#ifndef BOOTINFO_H
#define BOOTINFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC 0x42534856u /* "HVSB" read as a little-endian u32 */

struct boot_module {
    uint64_t paddr;     /* where the loader put the module */
    uint64_t size;      /* its size in bytes */
    char name[48];      /* NUL-terminated */
};

struct boot_info {
    uint32_t magic;     /* BOOT_INFO_MAGIC */
    uint32_t version;
    uint64_t ram_bytes;
    uint64_t cmdline;   /* address of a NUL-terminated string, or 0 */
    uint32_t nr_modules;
    uint32_t cpus;
    struct boot_module modules[];
};

_Static_assert(sizeof(struct boot_module) == 64, "boot_module layout is ABI");
_Static_assert(__builtin_offsetof(struct boot_info, cmdline) == 16, "boot_info layout is ABI");
_Static_assert(sizeof(struct boot_info) == 32, "boot_info layout is ABI");

/* The boot info, or 0 if RDI at entry did not point at a valid one. */
const struct boot_info *boot_info(void);

/* The command line; "" when there is none. Never 0. */
const char *boot_cmdline(void);

/* Module i, or 0 if there are not that many. */
const struct boot_module *boot_module(uint32_t i);

/* The first module with this name, or 0. */
const struct boot_module *boot_module_find(const char *name);

#endif
