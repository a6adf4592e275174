/* The native side of the differential tests: runs one instruction on the host CPU.
 *
 *   void native_exec(struct native_regs *r, const void *code);
 *
 * Loads RFLAGS and all 16 general-purpose registers (RSP included) from *r, jumps to
 * code — the instruction under test followed by `jmp [rip+0]; .quad native_return` —
 * and on return stores the registers and RFLAGS back into *r. The instruction runs on
 * whatever RSP the test chose (it never touches the stack unless the test points RSP at
 * its scratch memory); the C stack is restored before anything else is pushed.
 * struct native_regs: uint64_t gpr[16] in encoding order, then uint64_t rflags. */
	.intel_syntax noprefix
	.text

	.globl	native_exec
	.type	native_exec, @function
native_exec:
	push	rbx
	push	rbp
	push	r12
	push	r13
	push	r14
	push	r15
	mov	[rip + ne_state], rdi
	mov	[rip + ne_code], rsi
	mov	[rip + ne_c_rsp], rsp
	push	qword ptr [rdi + 128]
	popfq
	mov	rax, [rdi + 0]
	mov	rcx, [rdi + 8]
	mov	rdx, [rdi + 16]
	mov	rbx, [rdi + 24]
	mov	rsp, [rdi + 32]
	mov	rbp, [rdi + 40]
	mov	rsi, [rdi + 48]
	mov	r8, [rdi + 64]
	mov	r9, [rdi + 72]
	mov	r10, [rdi + 80]
	mov	r11, [rdi + 88]
	mov	r12, [rdi + 96]
	mov	r13, [rdi + 104]
	mov	r14, [rdi + 112]
	mov	r15, [rdi + 120]
	mov	rdi, [rdi + 56]
	jmp	qword ptr [rip + ne_code]
	.size	native_exec, . - native_exec

/* Reached by the absolute jump after the instruction. MOV changes no flags, so RFLAGS
 * is still the instruction's when PUSHFQ saves it. */
	.globl	native_return
	.type	native_return, @function
native_return:
	mov	[rip + ne_insn_rsp], rsp
	mov	rsp, [rip + ne_c_rsp]
	pushfq
	push	rax
	mov	rax, [rip + ne_state]
	mov	[rax + 8], rcx
	mov	[rax + 16], rdx
	mov	[rax + 24], rbx
	mov	[rax + 40], rbp
	mov	[rax + 48], rsi
	mov	[rax + 56], rdi
	mov	[rax + 64], r8
	mov	[rax + 72], r9
	mov	[rax + 80], r10
	mov	[rax + 88], r11
	mov	[rax + 96], r12
	mov	[rax + 104], r13
	mov	[rax + 112], r14
	mov	[rax + 120], r15
	mov	rcx, [rip + ne_insn_rsp]
	mov	[rax + 32], rcx
	pop	qword ptr [rax + 0]
	pop	qword ptr [rax + 128]
	cld
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbp
	pop	rbx
	ret
	.size	native_return, . - native_return

	.bss
	.balign	8
ne_state:	.quad	0
ne_code:	.quad	0
ne_c_rsp:	.quad	0
ne_insn_rsp:	.quad	0

	.section .note.GNU-stack, "", @progbits
