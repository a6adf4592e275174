/* swtch(uint64_t *save_rsp, uint64_t rsp): the kernel-thread context switch. Saves the
   callee-saved registers (the SysV ABI says the caller keeps the rest) on the current
   stack, stores RSP in *save_rsp, loads rsp, and pops the next thread's registers;
   the RET then resumes wherever that thread called swtch, or, for a thread that never
   ran, at the address proc.c put on its new stack. */
    .text
    .globl swtch
    .type swtch, @function
swtch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size swtch, . - swtch

    .section .note.GNU-stack, "", @progbits
