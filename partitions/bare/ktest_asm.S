/* The assembly half of ktest.c: a guarded call that an exception handler can end
   early (a kernel-mode setjmp/longjmp through the trap frame), and the access probes. */

/* int guarded_call(void (*fn)(void *), void *arg, struct guard *g)
   struct guard: active, rsp, rbx, rbp, r12, r13, r14, r15 (8 bytes each). */
    .text
    .globl guarded_call
    .type guarded_call, @function
guarded_call:
    movq %rsp, 8(%rdx)          /* points at our return address */
    movq %rbx, 16(%rdx)
    movq %rbp, 24(%rdx)
    movq %r12, 32(%rdx)
    movq %r13, 40(%rdx)
    movq %r14, 48(%rdx)
    movq %r15, 56(%rdx)
    movq $1, (%rdx)
    pushq %rdx                  /* keeps RSP 16-byte aligned for the call, too */
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    popq %rdx
    movq $0, (%rdx)
    xorl %eax, %eax
    ret
    .size guarded_call, . - guarded_call

/* Where a caught exception resumes: the handler has restored RSP and the callee-saved
   registers as guarded_call found them and set RAX = 1. */
    .globl guarded_landing
guarded_landing:
    ret

/* uint64_t probe_read(uint64_t va) */
    .globl probe_read, probe_read_insn
probe_read:
probe_read_insn:
    movq (%rdi), %rax
    ret

/* void probe_write(uint64_t va, uint64_t v) */
    .globl probe_write, probe_write_insn
probe_write:
probe_write_insn:
    movq %rsi, (%rdi)
    ret

    .section .note.GNU-stack, "", @progbits
