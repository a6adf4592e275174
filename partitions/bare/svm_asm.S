/* The assembly half of the SVM host (svm_host.h): the VMRUN call that moves the
   general registers VMRUN does not, and the guest's interrupt entry routines.

   VMRUN saves and reloads only RAX and RSP of the general registers (APM vol. 2
   "VMRUN Instruction"; specs/svm.md): the others still hold the guest's values when
   the host runs again after #VMEXIT, so the host loads and saves them itself, as every
   SVM hypervisor does around its VMRUN. */

/* uint64_t svm_vmrun_raw(uint64_t vmcb_pa, struct svm_gprs *gprs)
   struct svm_gprs: rbx 0, rcx 8, rdx 16, rsi 24, rdi 32, rbp 40, r8 48 ... r15 104.
   Returns the VMCB's EXITCODE. */
    .text
    .globl svm_vmrun_raw
    .type svm_vmrun_raw, @function
svm_vmrun_raw:
    pushq %rbx                  /* the SysV callee-saved registers: the guest's */
    pushq %rbp                  /* values will be in them after the exit */
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                  /* the VMCB, to read EXITCODE after the run */
    pushq %rsi                  /* gprs: found at (%rsp) after the exit */
    movq %rdi, %rax             /* VMRUN's operand: the VMCB's physical address */
    movq 0(%rsi), %rbx
    movq 8(%rsi), %rcx
    movq 16(%rsi), %rdx
    movq 32(%rsi), %rdi
    movq 40(%rsi), %rbp
    movq 48(%rsi), %r8
    movq 56(%rsi), %r9
    movq 64(%rsi), %r10
    movq 72(%rsi), %r11
    movq 80(%rsi), %r12
    movq 88(%rsi), %r13
    movq 96(%rsi), %r14
    movq 104(%rsi), %r15
    movq 24(%rsi), %rsi         /* last: it held the pointer */
    vmrun %rax
    /* Back in the host (or still here, if the consistency checks failed): RSP and RAX
       are the host's, every other register is the guest's. */
    pushq %rsi
    movq 8(%rsp), %rsi          /* gprs */
    movq %rbx, 0(%rsi)
    movq %rcx, 8(%rsi)
    movq %rdx, 16(%rsi)
    movq %rdi, 32(%rsi)
    movq %rbp, 40(%rsi)
    movq %r8, 48(%rsi)
    movq %r9, 56(%rsi)
    movq %r10, 64(%rsi)
    movq %r11, 72(%rsi)
    movq %r12, 80(%rsi)
    movq %r13, 88(%rsi)
    movq %r14, 96(%rsi)
    movq %r15, 104(%rsi)
    popq %rax                   /* the guest's RSI */
    movq %rax, 24(%rsi)
    popq %rsi                   /* gprs (done with it) */
    popq %rdi                   /* the VMCB */
    movq 0x70(%rdi), %rax       /* EXITCODE */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
    .size svm_vmrun_raw, . - svm_vmrun_raw

/* The guest's IDT targets: 256 entry routines, 16 bytes apart, so vector v's is at
   svm_guest_vectors + 16 * v. Each makes the frame uniform (a 0 where the CPU pushes no
   error code; the vectors with one: SDM vol. 3 table 6-1) and pushes the vector; the
   common part reports to the host. */
    .section .text.svm_guest, "ax"
    .balign 16
    .globl svm_guest_vectors
svm_guest_vectors:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp svm_guest_trap_common
    .set vec, vec + 1
    .endr

/* RAX = SVM_GUEST_TRAP tells the host that (vector, error, RIP, CS, RFLAGS, ...) lie at
   the guest's RSP. The host resumes at NRIP to return from the event. RAX is lost: the
   guests here do not need it across an event. */
svm_guest_trap_common:
    movl $0x5356544D, %eax
    vmmcall
    addq $16, %rsp
    iretq

    .section .note.GNU-stack, "", @progbits
