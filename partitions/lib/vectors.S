/* Trap entry and exit (SDM vol. 3 §6.14, "Exception and Interrupt Handling in 64-bit
   Mode"). The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
   code; each entry routine below makes the frame uniform (a 0 where the CPU pushes no
   error code, then the vector) and jumps to trap_common, which saves the general registers
   as a struct trap_frame (trap.h) and calls trap_dispatch.

   GS: the kernel runs with GS.base = its per-CPU block (cpulocal.h), user code with
   its own. SWAPGS exchanges the two (AMD APM vol. 3 "SWAPGS"), so it is done on entry
   from CPL 3 and again on the way back; a trap from CPL 0 already has the kernel's. */

#include "trap_asm.h"

/* Vectors whose exception pushes an error code (SDM vol. 3 table 6-1):
   #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30. */
.macro TRAP_ENTRY vec
    .text
    .balign 16
trap_entry_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
    .section .rodata.trap_entries, "a"
    .quad trap_entry_\vec
.endm

/* The table of entry-routine addresses that idt.c installs: vectors 0-47, then 255
   (trap.h: T_IRQ_LAST, T_SPURIOUS). */
    .section .rodata.trap_entries, "a"
    .balign 8
    .globl trap_entries
trap_entries:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_ENTRY \v
    .endr
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    TRAP_ENTRY \v
    .endr
    TRAP_ENTRY 255

    .text
    .balign 16
    .globl trap_common
    .type trap_common, @function
trap_common:
    /* 0(%rsp) vector, 8 error, 16 RIP, 24 CS */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  PUSH_GPRS
    /* The SysV ABI wants DF clear on entry to a C function; the interrupted code may
       have set it, and an interrupt gate does not clear it (SDM vol. 3 §6.12.1.3). */
    cld
    movq %rsp, %rdi
    call trap_dispatch
    /* fall through */
    .globl trap_exit
trap_exit:
    POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector and error code */
    iretq
    .size trap_common, . - trap_common

/* trap_return_to(const struct trap_frame *tf): make tf the stack and leave through
   trap_exit. Never returns. */
    .globl trap_return_to
    .type trap_return_to, @function
trap_return_to:
    movq %rdi, %rsp
    jmp trap_exit
    .size trap_return_to, . - trap_return_to

    .section .note.GNU-stack, "", @progbits
