/* The entry of entry_state.elf (linked with -e entry_state_start): records every
   register the boot protocol defines, exactly as the loader left it, then enters the
   guest runtime's _start with RDI and RSP as they were. */
    .section .text.start, "ax"
    .globl entry_state_start
entry_state_start:
    movq %rax, entry_gpr + 0(%rip)
    movq %rcx, entry_gpr + 8(%rip)
    movq %rdx, entry_gpr + 16(%rip)
    movq %rbx, entry_gpr + 24(%rip)
    movq %rsp, entry_gpr + 32(%rip)
    movq %rbp, entry_gpr + 40(%rip)
    movq %rsi, entry_gpr + 48(%rip)
    movq %rdi, entry_gpr + 56(%rip)
    movq %r8, entry_gpr + 64(%rip)
    movq %r9, entry_gpr + 72(%rip)
    movq %r10, entry_gpr + 80(%rip)
    movq %r11, entry_gpr + 88(%rip)
    movq %r12, entry_gpr + 96(%rip)
    movq %r13, entry_gpr + 104(%rip)
    movq %r14, entry_gpr + 112(%rip)
    movq %r15, entry_gpr + 120(%rip)
    /* PUSHF writes below RSP, in the loader's stack area: RFLAGS first, then clean up. */
    pushfq
    popq entry_rflags(%rip)
    movw %cs, entry_sel + 0(%rip)
    movw %ds, entry_sel + 2(%rip)
    movw %es, entry_sel + 4(%rip)
    movw %ss, entry_sel + 6(%rip)
    movw %fs, entry_sel + 8(%rip)
    movw %gs, entry_sel + 10(%rip)
    sldt entry_sel + 12(%rip)
    str entry_sel + 14(%rip)
    sgdt entry_gdtr(%rip)
    sidt entry_idtr(%rip)
    movq entry_gpr + 0(%rip), %rax
    jmp _start

    .section .bss
    .balign 16
    .globl entry_gpr, entry_rflags, entry_sel, entry_gdtr, entry_idtr
entry_gpr:    .skip 128     /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8-R15 */
entry_rflags: .skip 8
entry_sel:    .skip 16      /* CS, DS, ES, SS, FS, GS, LDTR, TR */
entry_gdtr:   .skip 16      /* limit (2 bytes), base (8 bytes) */
entry_idtr:   .skip 16

    .section .note.GNU-stack, "", @progbits
