/* IDT setup. Every gate is an interrupt gate (type 0xE): the CPU clears RFLAGS.IF on
   entry (SDM vol. 3 §6.12.1.3), so kernel code runs with interrupts off and a handler
   never interrupts another. */
#include "gdt.h"
#include "idt.h"
#include "trap.h"

/* A 64-bit gate descriptor (SDM vol. 3 §6.14.1, figure 6-8). */
struct gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;        /* bits 2:0 */
    uint8_t type_attr;  /* P, DPL, 0, type */
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct gate) == 16, "64-bit IDT gate");

#define GATE_INTERRUPT 0xE
#define GATE_P 0x80
#define GATE_DPL_SHIFT 5

/* vectors.S: entry routines for vectors 0..T_IRQ_LAST, then one for T_SPURIOUS */
extern const uint64_t trap_entries[T_IRQ_LAST + 2];

static struct gate idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler)
{
    idt[vector] = (struct gate){
        .offset_lo = (uint16_t)handler,
        .selector = SEL_KCODE,
        .ist = 0,
        .type_attr = GATE_P | GATE_INTERRUPT,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v <= T_IRQ_LAST; v++)
        set_gate(v, trap_entries[v]);
    set_gate(T_SPURIOUS, trap_entries[T_IRQ_LAST + 1]);
    idt_set_ist(T_DF, IST_DOUBLE_FAULT);
    idt_set_dpl(T_BP, 3);

    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
        sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

unsigned idt_set_ist(unsigned vector, unsigned ist)
{
    unsigned old = idt[vector].ist & 7;
    idt[vector].ist = (uint8_t)(ist & 7);
    return old;
}

unsigned idt_set_dpl(unsigned vector, unsigned dpl)
{
    unsigned old = (idt[vector].type_attr >> GATE_DPL_SHIFT) & 3;
    idt[vector].type_attr = (uint8_t)((idt[vector].type_attr & ~(3u << GATE_DPL_SHIFT)) |
                                      (dpl & 3) << GATE_DPL_SHIFT);
    return old;
}

int idt_set_present(unsigned vector, int present)
{
    int old = (idt[vector].type_attr & GATE_P) != 0;
    idt[vector].type_attr = (uint8_t)(present ? idt[vector].type_attr | GATE_P
                                              : idt[vector].type_attr & ~GATE_P);
    return old;
}
