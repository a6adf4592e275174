/* Exceptions during exception delivery (Intel SDM vol. 3 §6.15, "Interrupt 8 - Double
   Fault Exception", table 6-5; AMD APM vol. 2 §8.2.9). Classes: benign (#DB, NMI,
   #BP, #UD, ...), contributory (#DE, #TS, #NP, #SS, #GP), page fault. A second
   exception while delivering the first gives #DF when the pair is contributory then
   contributory, or page fault then contributory or page fault; any other pair is
   handled serially (the second exception is delivered, the first is lost). The #DF
   handler runs on IST1 (gdt.h), so it gets a good stack whatever went wrong. */
#include "gdt.h"
#include "idt.h"
#include "ktest.h"
#include "vm.h"
#include "x86.h"

/* An IST stack whose top is not mapped: delivering anything on it faults. */
#define BAD_STACK_TOP (TEST_VA + 0x100000)
#define IST_BAD 2

static void breakpoint(void *p)
{
    __asm__ volatile("int3");
}

int main(void)
{
    struct fault f;

    ktest_init();
    /* The #DF stack's top, read by swapping it out and back. */
    uint64_t df_top = tss_set_ist(IST_DOUBLE_FAULT, 0);
    tss_set_ist(IST_DOUBLE_FAULT, df_top);
    tss_set_ist(IST_BAD, BAD_STACK_TOP);
    check_true("the bad stack is unmapped", *ktest_pte(BAD_STACK_TOP - 8) == 0);

    /* Page fault, then page fault: a #PF whose own gate uses the bad stack. */
    idt_set_ist(T_PF, IST_BAD);
    try_read(TEST_VA, 0, &f);   /* not present: #PF */
    check_u64("#PF while delivering #PF: vector", f.vector, T_DF);
    check_u64("#PF while delivering #PF: #DF error code", f.error, 0);
    check_true("#PF while delivering #PF: CR2 is the bad stack",
               f.cr2 < BAD_STACK_TOP && f.cr2 >= BAD_STACK_TOP - 64);
    check_true("#PF while delivering #PF: #DF frame on the IST1 stack",
               f.frame_at < df_top && f.frame_at >= df_top - 4096);
    check_u64("#PF while delivering #PF: #DF saved CS", f.tf.cs, SEL_KCODE);
    idt_set_ist(T_PF, 0);

    /* Contributory, then contributory: #GP whose gate is not present (#NP). */
    idt_set_present(T_GP, 0);
    try_read(0x0000800000000000ull, 0, &f);     /* non-canonical: #GP(0) */
    check_u64("#NP while delivering #GP: vector", f.vector, T_DF);
    check_u64("#NP while delivering #GP: #DF error code", f.error, 0);
    check_true("#NP while delivering #GP: #DF frame on the IST1 stack",
               f.frame_at < df_top && f.frame_at >= df_top - 4096);
    idt_set_present(T_GP, 1);

    /* Contributory, then page fault: serial. #GP's gate uses the bad stack; the #PF
       from pushing its frame is delivered (a supervisor write to a not-present page),
       and the #GP is lost. */
    idt_set_ist(T_GP, IST_BAD);
    try_read(0x0000800000000000ull, 0, &f);
    check_u64("#PF while delivering #GP: handled serially as #PF", f.vector, T_PF);
    check_u64("#PF while delivering #GP: error code (supervisor write, not present)",
              f.error, 0x2);
    check_true("#PF while delivering #GP: CR2 is the bad stack",
               f.cr2 < BAD_STACK_TOP && f.cr2 >= BAD_STACK_TOP - 64);
    idt_set_ist(T_GP, 0);

    /* Benign, then contributory: serial. INT3 through a not-present gate gives #NP
       with the IDT flag (bit 1) and the vector in the error code, EXT clear because
       INT3 is a software interrupt (SDM vol. 3 §6.13). */
    idt_set_present(T_BP, 0);
    guarded(breakpoint, 0, &f);
    check_u64("#NP while delivering #BP: handled serially as #NP", f.vector, T_NP);
    check_u64("#NP while delivering #BP: error code (vector 3, IDT)", f.error, 3 * 8 + 2);
    idt_set_present(T_BP, 1);

    /* And the machine still works: a plain #PF is a #PF again. */
    try_read(TEST_VA, 0, &f);
    check_u64("afterwards a plain #PF is delivered as #PF", f.vector, T_PF);
    return check_failures();
}
