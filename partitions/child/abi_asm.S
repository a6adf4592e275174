/* abi_call_capture(const uint64_t regs_in[16], uint64_t regs_out[16], uint64_t page):
   loads every general register but RSP from regs_in (order RAX RCX RDX RBX RSP RBP RSI
   RDI R8-R15), CALLs the hypercall page, and stores every register into regs_out, so
   abi_conform can check that a hypercall changes only RAX (and RCX). */
    .text
    .globl abi_call_capture
    .type abi_call_capture, @function
abi_call_capture:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rsi                  /* 8(%rsp): regs_out */
    pushq %rdx                  /* 0(%rsp): the hypercall page */
    movq %rdi, %rax
    movq 8(%rax), %rcx
    movq 16(%rax), %rdx
    movq 24(%rax), %rbx
    movq 40(%rax), %rbp
    movq 48(%rax), %rsi
    movq 56(%rax), %rdi
    movq 64(%rax), %r8
    movq 72(%rax), %r9
    movq 80(%rax), %r10
    movq 88(%rax), %r11
    movq 96(%rax), %r12
    movq 104(%rax), %r13
    movq 112(%rax), %r14
    movq 120(%rax), %r15
    movq 0(%rax), %rax
    call *0(%rsp)
    pushq %rax                  /* now 16(%rsp) is regs_out */
    movq 16(%rsp), %rax
    movq %rcx, 8(%rax)
    movq %rdx, 16(%rax)
    movq %rbx, 24(%rax)
    movq %rsp, 32(%rax)
    movq %rbp, 40(%rax)
    movq %rsi, 48(%rax)
    movq %rdi, 56(%rax)
    movq %r8, 64(%rax)
    movq %r9, 72(%rax)
    movq %r10, 80(%rax)
    movq %r11, 88(%rax)
    movq %r12, 96(%rax)
    movq %r13, 104(%rax)
    movq %r14, 112(%rax)
    movq %r15, 120(%rax)
    popq %rcx
    movq %rcx, 0(%rax)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
    .size abi_call_capture, . - abi_call_capture

    .section .note.GNU-stack, "", @progbits
