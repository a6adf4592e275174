/* Privilege at CPL 3 (Intel SDM vol. 3 §5.9, "Privileged Instructions", and §19.5
   "I/O privilege level"; vol. 2 instruction pages): HLT, MOV to/from CRn, WRMSR, RDMSR,
   LGDT, LIDT, LTR, INVLPG, INVPCID, SWAPGS, SYSRET and CLTS need CPL 0; CLI, STI, IN
   and OUT need CPL <= IOPL. Each raises #GP(0) at the instruction, and the kernel gets
   control back with the user state in the frame. INT n through a gate with DPL < CPL
   is #GP with the vector in the error code (SDM §6.12.1.1). */
#include "gdt.h"
#include "kprintf.h"
#include "ktest.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"

#define CODE_VA (TEST_VA + 0x10000)
#define STACK_TOP (TEST_VA + 0x30000)

USER_SNIPPET(hlt, "hlt");
USER_SNIPPET(cli, "cli");
USER_SNIPPET(sti, "sti");
USER_SNIPPET(in_imm, "inb $0x80, %al");
USER_SNIPPET(in_dx, "inb %dx, %al");
USER_SNIPPET(out_imm, "outb %al, $0x80");
USER_SNIPPET(mov_from_cr3, "movq %cr3, %rax");
USER_SNIPPET(mov_to_cr3, "movq %rax, %cr3");
USER_SNIPPET(mov_to_cr0, "movq %rax, %cr0");
USER_SNIPPET(mov_to_cr4, "movq %rax, %cr4");
USER_SNIPPET(wrmsr, "wrmsr");
USER_SNIPPET(rdmsr, "rdmsr");
USER_SNIPPET(lgdt, "lgdt (%rsp)");
USER_SNIPPET(lidt, "lidt (%rsp)");
USER_SNIPPET(ltr, "ltr %ax");
USER_SNIPPET(invlpg, "invlpg (%rsp)");
/* type 3 (all non-global) with a zero descriptor: valid at CPL 0 */
USER_SNIPPET(invpcid, "invpcid (%rsp), %rax");
USER_SNIPPET(swapgs, "swapgs");
USER_SNIPPET(sysret, "sysretq");
USER_SNIPPET(clts, "clts");
USER_SNIPPET(int_dpl0, "int $0x20");
USER_SNIPPET(allowed, "rdtsc\n\tcpuid\n\tpushfq\n\tpopq %rbx\n\tint3");
USER_SNIPPET(iopl3, "cli\n\tsti\n\toutb %al, $0x80\n\tinb $0x80, %al\n\tint3");

struct priv_case {
    const char *name;
    const char *start, *end;
    uint64_t error;
    uint64_t rax;   /* an operand that would be valid at CPL 0, so only CPL can fault */
};

#define CASE(n, err) { #n, snip_##n, snip_##n##_end, err, 0 }
#define CASE_RAX(n, err, rax) { #n, snip_##n, snip_##n##_end, err, rax }

static const struct priv_case cases[] = {
    CASE(hlt, 0), CASE(cli, 0), CASE(sti, 0), CASE(in_imm, 0), CASE(in_dx, 0),
    CASE(out_imm, 0), CASE(mov_from_cr3, 0), CASE_RAX(mov_to_cr3, 0, ~0ull),
    CASE_RAX(mov_to_cr0, 0, ~0ull), CASE_RAX(mov_to_cr4, 0, ~0ull), CASE(wrmsr, 0), CASE(rdmsr, 0), CASE(lgdt, 0), CASE(lidt, 0),
    CASE_RAX(ltr, 0, SEL_TSS), CASE(invlpg, 0), CASE_RAX(invpcid, 0, INVPCID_ALL), CASE(swapgs, 0), CASE(sysret, 0),
    CASE(clts, 0),
    /* IDT flag (bit 1) and the vector: 0x20 * 8 + 2 */
    CASE(int_dpl0, 0x20 * 8 + 2),
};

int main(void)
{
    struct fault f;
    char what[80];

    ktest_init();
    syscall_init();     /* with EFER.SCE clear, SYSRET would be #UD before the CPL check */
    uint64_t stack = ktest_user_stack(STACK_TOP) - 64;  /* a 10-byte operand fits */
    uint64_t cr3 = read_cr3();

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct priv_case *c = &cases[i];
        uint64_t va = ktest_user_code(CODE_VA + i * 0x1000, c->start, c->end);
        struct trap_frame regs = { .rax = c->rax, .rcx = MSR_EFER, .rdx = 0x80,
                                   .rflags = RFLAGS_FIXED };
        if (c->rax == ~0ull)
            regs.rax = c->start == snip_mov_to_cr3 ? cr3 : c->start == snip_mov_to_cr0
                       ? read_cr0() : read_cr4();
        run_user(va, stack, &regs, &f);
        ksnprintf(what, sizeof(what), "CPL 3 %s: #GP", c->name);
        check_u64(what, f.vector, T_GP);
        ksnprintf(what, sizeof(what), "CPL 3 %s: error code", c->name);
        check_u64(what, f.error, c->error);
        ksnprintf(what, sizeof(what), "CPL 3 %s: at the instruction, in user mode", c->name);
        check_true(what, f.tf.rip == va && f.tf.cs == USER_CS && f.tf.rsp == stack);
    }
    check_true("the kernel's CR3 is unchanged", read_cr3() == cr3);

    /* What CPL 3 may do: RDTSC (CR4.TSD = 0), CPUID, PUSHF; it ends at INT3, whose gate
       has DPL 3 (a trap: the saved RIP follows the INT3). */
    uint64_t va = ktest_user_code(CODE_VA + 0x20000, snip_allowed, snip_allowed_end);
    struct trap_frame regs = { .rflags = RFLAGS_FIXED };
    run_user(va, stack, &regs, &f);
    check_u64("CPL 3 RDTSC, CPUID, PUSHF: no fault, ends at #BP", f.vector, T_BP);
    check_u64("  #BP saved RIP is after the INT3", f.tf.rip, va + (uint64_t)(snip_allowed_end - snip_allowed));
    check_u64("  PUSHF at CPL 3 shows IOPL 0", f.tf.rbx & RFLAGS_IOPL3, 0);

    /* With IOPL 3, CLI, STI, IN and OUT are allowed at CPL 3. */
    va = ktest_user_code(CODE_VA + 0x21000, snip_iopl3, snip_iopl3_end);
    regs.rflags = RFLAGS_FIXED | RFLAGS_IOPL3;
    run_user(va, stack, &regs, &f);
    check_u64("CPL 3 with IOPL 3: CLI, STI, OUT, IN work, ends at #BP", f.vector, T_BP);
    check_u64("  IF is set by the STI", f.tf.rflags & RFLAGS_IF, RFLAGS_IF);
    /* HLT stays CPL 0 only, whatever IOPL. */
    va = ktest_user_code(CODE_VA + 0x22000, snip_hlt, snip_hlt_end);
    run_user(va, stack, &regs, &f);
    check_u64("CPL 3 HLT with IOPL 3: still #GP", f.vector, T_GP);
    return check_failures();
}
