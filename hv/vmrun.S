/* One trip into a guest and back (AMD APM vol. 2 §15.5, §15.6; specs/svm.md).
 *
 *   void svm_vmrun(struct vp_regs *regs, uint64_t vmcb_pa, uint64_t host_state_pa)
 *
 * VMRUN switches only RAX, RSP, RIP, RFLAGS, the control registers, EFER, the
 * descriptor tables and ES/CS/SS/DS; the other general registers are the guest's
 * across the trip, so they are loaded from and saved to *regs here. FS, GS, TR, LDTR,
 * KernelGSBase and the SYSCALL/SYSENTER MSRs are moved by VMLOAD and VMSAVE: the guest's
 * from its VMCB before VMRUN, hv's own (saved once by svm_init) back after.
 *
 * Interrupts: hv runs with RFLAGS.IF = 0 and GIF = 1. Here CLGI holds every interrupt
 * while STI sets the IF that VMRUN saves as the host's: with V_INTR_MASKING that host IF
 * lets a physical interrupt (hv's timer) leave the guest with an INTR exit. #VMEXIT
 * restores IF = 1 and clears GIF; CLI then STGI give hv back its usual state, and the
 * pending interrupt is taken by sched.c where it opens a window for it. */
#include "vp_regs_offsets.h"

    .text
    .globl svm_vmrun
    .type svm_vmrun, @function
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                  /* 16(%rsp): regs */
    pushq %rdx                  /*  8(%rsp): hv's VMSAVE area */
    pushq %rsi                  /*  0(%rsp): the VMCB */

    clgi
    sti
    movq %rsi, %rax
    vmload %rax                 /* the guest's FS, GS, TR, LDTR, syscall MSRs */

    movq VP_RBX(%rdi), %rbx
    movq VP_RCX(%rdi), %rcx
    movq VP_RDX(%rdi), %rdx
    movq VP_RSI(%rdi), %rsi
    movq VP_RBP(%rdi), %rbp
    movq VP_R8(%rdi), %r8
    movq VP_R9(%rdi), %r9
    movq VP_R10(%rdi), %r10
    movq VP_R11(%rdi), %r11
    movq VP_R12(%rdi), %r12
    movq VP_R13(%rdi), %r13
    movq VP_R14(%rdi), %r14
    movq VP_R15(%rdi), %r15
    movq VP_RDI(%rdi), %rdi     /* last: it held regs */

    vmrun %rax

    /* #VMEXIT: RAX = the VMCB (hv's RAX at VMRUN), RSP hv's; the rest the guest's */
    pushq %rdi
    movq 24(%rsp), %rdi         /* regs, above the guest's RDI and the two addresses */
    movq %rbx, VP_RBX(%rdi)
    movq %rcx, VP_RCX(%rdi)
    movq %rdx, VP_RDX(%rdi)
    movq %rsi, VP_RSI(%rdi)
    movq %rbp, VP_RBP(%rdi)
    movq %r8, VP_R8(%rdi)
    movq %r9, VP_R9(%rdi)
    movq %r10, VP_R10(%rdi)
    movq %r11, VP_R11(%rdi)
    movq %r12, VP_R12(%rdi)
    movq %r13, VP_R13(%rdi)
    movq %r14, VP_R14(%rdi)
    movq %r15, VP_R15(%rdi)
    popq %rax
    movq %rax, VP_RDI(%rdi)

    movq (%rsp), %rax
    vmsave %rax                 /* the guest's FS, GS, TR, LDTR, syscall MSRs */
    movq 8(%rsp), %rax
    vmload %rax                 /* hv's own */
    cli
    stgi

    addq $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size svm_vmrun, . - svm_vmrun

/* void svm_vmsave(uint64_t pa): hv's own FS, GS, TR, LDTR state, once at boot */
    .globl svm_vmsave
    .type svm_vmsave, @function
svm_vmsave:
    movq %rdi, %rax
    vmsave %rax
    ret
    .size svm_vmsave, . - svm_vmsave

    .section .note.GNU-stack, "", @progbits
