/* Access to the loader's boot info. start.S saved RDI in boot_info_paddr. */
#include "bootinfo.h"
#include "kstring.h"

extern uint64_t boot_info_paddr;

const struct boot_info *boot_info(void)
{
    /* RAM is identity-mapped at entry, so the physical address is also the pointer. */
    const struct boot_info *bi = (const struct boot_info *)(uintptr_t)boot_info_paddr;
    if (bi == 0 || bi->magic != BOOT_INFO_MAGIC)
        return 0;
    return bi;
}

const char *boot_cmdline(void)
{
    const struct boot_info *bi = boot_info();
    if (bi == 0 || bi->cmdline == 0)
        return "";
    return (const char *)(uintptr_t)bi->cmdline;
}

const struct boot_module *boot_module(uint32_t i)
{
    const struct boot_info *bi = boot_info();
    if (bi == 0 || i >= bi->nr_modules)
        return 0;
    return &bi->modules[i];
}

const struct boot_module *boot_module_find(const char *name)
{
    for (uint32_t i = 0; boot_module(i) != 0; i++) {
        const struct boot_module *m = boot_module(i);
        /* The loader NUL-terminates names, but a name that fills all 48 bytes
           must not send the comparison past the end of the field. */
        size_t n = strlen(name);
        if (n < sizeof(m->name) && memcmp(m->name, name, n + 1) == 0)
            return m;
    }
    return 0;
}
