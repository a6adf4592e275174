/* Prints the machine state a program starts in (shared/DESIGN.md "Boot protocol"):
   registers, selectors, descriptor tables, control registers, EFER, PAT, the loader's
   GDT and page tables, the boot info. Run on the bare machine (`hvsim run --mem 64M`)
   and as a child (`hvsim boot --child entry_state.elf`), it must print the same bytes:
   tests/platform compares them. Nothing here depends on a hypervisor. */
#include <stdint.h>

#include "bootinfo.h"
#include "kprintf.h"
#include "x86.h"

extern uint64_t entry_gpr[16], entry_rflags;
extern uint16_t entry_sel[8];
extern uint8_t entry_gdtr[16], entry_idtr[16];

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const sel_names[8] = { "cs", "ds", "es", "ss", "fs", "gs", "ldtr", "tr" };

#define MSR_PAT 0x277u

static void table_register(const char *name, const uint8_t *t)
{
    uint16_t limit;
    uint64_t base;
    __builtin_memcpy(&limit, t, 2);
    __builtin_memcpy(&base, t + 2, 8);
    kprintf("%s base 0x%llx limit 0x%x\n", name, (unsigned long long)base, limit);
}

static uint64_t phys64(uint64_t pa)
{
    return *(volatile const uint64_t *)(uintptr_t)pa;
}

int main(void)
{
    for (unsigned i = 0; i < 16; i++)
        kprintf("%s 0x%llx\n", gpr_names[i], (unsigned long long)entry_gpr[i]);
    kprintf("rflags 0x%llx\n", (unsigned long long)entry_rflags);
    for (unsigned i = 0; i < 8; i++)
        kprintf("%s 0x%x\n", sel_names[i], entry_sel[i]);
    table_register("gdtr", entry_gdtr);
    table_register("idtr", entry_idtr);
    kprintf("cr0 0x%llx\ncr3 0x%llx\ncr4 0x%llx\n", (unsigned long long)read_cr0(),
            (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    kprintf("efer 0x%llx\npat 0x%llx\n", (unsigned long long)rdmsr(MSR_EFER),
            (unsigned long long)rdmsr(MSR_PAT));

    uint16_t limit;
    uint64_t gdt;
    __builtin_memcpy(&limit, entry_gdtr, 2);
    __builtin_memcpy(&gdt, entry_gdtr + 2, 8);
    for (unsigned i = 0; i * 8 < (unsigned)limit + 1 && i < 8; i++)
        kprintf("gdt[%u] 0x%016llx\n", i, (unsigned long long)phys64(gdt + 8 * i));

    /* The identity map: where CR3 points, the first entries of each level and the
       directory entry of the last 2 MiB of RAM. */
    const struct boot_info *bi = boot_info();
    uint64_t pml4 = read_cr3() & ~0xFFFull;
    uint64_t pdpt = phys64(pml4) & 0x000FFFFFFFFFF000ull;
    uint64_t pd = phys64(pdpt) & 0x000FFFFFFFFFF000ull;
    kprintf("pml4[0] 0x%llx pml4[1] 0x%llx\n", (unsigned long long)phys64(pml4),
            (unsigned long long)phys64(pml4 + 8));
    kprintf("pdpt[0] 0x%llx pdpt[1] 0x%llx\n", (unsigned long long)phys64(pdpt),
            (unsigned long long)phys64(pdpt + 8));
    kprintf("pd[0] 0x%llx pd[1] 0x%llx\n", (unsigned long long)phys64(pd),
            (unsigned long long)phys64(pd + 8));
    if (bi) {
        uint64_t last = bi->ram_bytes / (2u << 20) - 1;
        kprintf("pd[%llu] 0x%llx pd[%llu] 0x%llx\n", (unsigned long long)last,
                (unsigned long long)phys64(pd + 8 * last), (unsigned long long)last + 1,
                (unsigned long long)phys64(pd + 8 * (last + 1)));
        kprintf("boot info at 0x%llx: magic 0x%x version %u ram 0x%llx modules %u cpus %u\n",
                (unsigned long long)entry_gpr[7], bi->magic, bi->version,
                (unsigned long long)bi->ram_bytes, bi->nr_modules, bi->cpus);
        kprintf("cmdline at 0x%llx: \"%s\"\n", (unsigned long long)bi->cmdline,
                boot_cmdline());
    } else {
        kprintf("no boot info at 0x%llx\n", (unsigned long long)entry_gpr[7]);
    }
    return 0;
}
