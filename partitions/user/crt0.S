/* Entry of a ring-3 program. The kernel starts it with RSP = the top of its stack
   (16-byte aligned) and RDI = the address of its info page (uabi.h); main's result
   is the exit status. */
#include "uabi.h"
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    call main
    movl %eax, %edi
    movl $SYS_exit, %eax
    syscall
    ud2                         /* SYS_exit does not return */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
