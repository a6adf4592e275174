/* GDT and TSS setup. In 64-bit mode base and limit of code and data segments are
   ignored (SDM vol. 3 §3.2.4); what matters is the type, DPL, P and L bits. */
#include "gdt.h"

#include <stddef.h>

/* The 64-bit TSS (SDM vol. 3 §7.7, figure 7-11): no task state, only stack pointers. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];        /* RSP0-2: the stack for a switch to CPL 0-2 */
    uint64_t reserved1;
    uint64_t ist[7];        /* IST1-7 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;    /* offset of the I/O permission bitmap */
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "TSS layout (SDM figure 7-11)");

/* Descriptor bits (SDM vol. 3 §3.4.5, figure 3-8) */
#define DESC_ACCESSED (1ull << 40)
#define DESC_RW       (1ull << 41)  /* data: writable; code: readable */
#define DESC_CODE     (1ull << 43)
#define DESC_S        (1ull << 44)  /* code or data (not a system descriptor) */
#define DESC_DPL3     (3ull << 45)
#define DESC_P        (1ull << 47)
#define DESC_L        (1ull << 53)  /* 64-bit code */
#define DESC_DB       (1ull << 54)
#define DESC_G        (1ull << 55)
#define DESC_LIMIT_MAX (0xFFFFull | 0xFull << 48)

/* The accessed bit is preset so the CPU never writes the GDT (it would on first load). */
#define CODE64 (DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_CODE | DESC_S | DESC_P | \
                DESC_L | DESC_G)
#define DATA   (DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_S | DESC_P | DESC_DB | \
                DESC_G)

#define TSS_TYPE_AVAILABLE 0x9ull /* 64-bit TSS, not busy (SDM table 3-2) */

static struct tss64 tss __attribute__((aligned(16)));
static uint64_t gdt[7] __attribute__((aligned(16)));

/* The #DF handler's own stack: a double fault often means the stack is bad. */
static uint8_t double_fault_stack[4096] __attribute__((aligned(16)));

/* A 16-byte system descriptor for the TSS (SDM vol. 3 §7.2.3, figure 7-4). */
static void set_tss_descriptor(uint64_t *slot, uint64_t base, uint32_t limit)
{
    slot[0] = (limit & 0xFFFFull) | (base & 0xFFFFFFull) << 16 | TSS_TYPE_AVAILABLE << 40 |
              DESC_P | ((uint64_t)limit >> 16 & 0xF) << 48 | (base >> 24 & 0xFF) << 56;
    slot[1] = base >> 32;
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[SEL_KCODE / 8] = CODE64;
    gdt[SEL_KDATA / 8] = DATA;
    gdt[SEL_UDATA / 8] = DATA | DESC_DPL3;
    gdt[SEL_UCODE / 8] = CODE64 | DESC_DPL3;
    /* An I/O bitmap offset at or past the limit means "no bitmap": every port access
       at CPL > IOPL is then #GP (SDM vol. 1, "I/O Permission Bit Map"). */
    tss.iomap_base = sizeof(tss);
    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)(double_fault_stack +
                                                          sizeof(double_fault_stack));
    set_tss_descriptor(&gdt[SEL_TSS / 8], (uint64_t)(uintptr_t)&tss, sizeof(tss) - 1);

    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = {
        sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");

    /* CS can only be reloaded by a far transfer: return to the next instruction
       through LRETQ with the new selector. */
    __asm__ volatile(
        "pushq %[cs]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w[ds], %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        : : [cs] "i"(SEL_KCODE), [ds] "i"(SEL_KDATA) : "rax", "memory");
    /* FS and GS: null selectors; their bases come from MSRs (cpulocal.c). Loading a
       selector would zero the base, so this is done before cpulocal_init. */
    __asm__ volatile("movw %w0, %%fs; movw %w0, %%gs" : : "r"(0) : "memory");
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
}

void tss_set_rsp0(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
}

uint64_t tss_set_ist(unsigned n, uint64_t top)
{
    uint64_t old = tss.ist[n - 1];
    tss.ist[n - 1] = top;
    return old;
}
