/* The SYSCALL entry point (LSTAR). SYSCALL leaves RSP as the user's and saves only
   RIP (in RCX) and RFLAGS (in R11) (SDM vol. 2B "SYSCALL"), so the entry first finds
   its kernel stack through GS, then builds the same struct trap_frame an interrupt
   would (trap.h), so that the rest of the kernel sees one kind of frame. */

#include "cpulocal.h"
#include "gdt.h"
#include "trap.h"
#include "trap_asm.h"

    .text
    .balign 16
    .globl syscall_entry
    .type syscall_entry, @function
syscall_entry:
    swapgs                                  /* GS.base: the kernel's per-CPU block */
    movq %rsp, %gs:CPU_LOCAL_USER_RSP
    movq %gs:CPU_LOCAL_KERNEL_RSP, %rsp
    pushq $USER_SS                          /* the frame an interrupt from CPL 3 has */
    pushq %gs:CPU_LOCAL_USER_RSP
    pushq %r11                              /* RFLAGS */
    pushq $USER_CS
    pushq %rcx                              /* RIP */
    pushq $0                                /* error code */
    pushq $T_SYSCALL
    PUSH_GPRS
    movq %rsp, %rdi
    call syscall_dispatch

    /* SYSRET goes only to 64-bit code at CPL 3 with RIP from RCX; a non-canonical RCX
       would fault at CPL 0 on the user's stack (SDM vol. 2B "SYSRET": #GP(0)). A frame
       a handler redirected anywhere else leaves through IRETQ instead. */
    cmpq $USER_CS, TF_CS(%rsp)
    jne trap_exit
    movq TF_RIP(%rsp), %rcx
    movq %rcx, %r11
    shlq $16, %r11
    sarq $16, %r11
    cmpq %rcx, %r11
    jne trap_exit

    POP_GPRS
    addq $16, %rsp                          /* vector, error code */
    popq %rcx                               /* RIP for SYSRET */
    addq $8, %rsp                           /* CS */
    popq %r11                               /* RFLAGS for SYSRET */
    popq %rsp                               /* the user stack; interrupts are still off */
    swapgs
    sysretq
    .size syscall_entry, . - syscall_entry

    .section .note.GNU-stack, "", @progbits
