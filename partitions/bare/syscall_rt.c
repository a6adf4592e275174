/* SYSCALL/SYSRET round trip (Intel SDM vol. 3 §5.8.8; vol. 2B "SYSCALL", "SYSRET",
   "SWAPGS"; AMD APM vol. 2 §6.1.1). SYSCALL: RCX = the next RIP, R11 = RFLAGS, CS and
   SS from STAR[47:32], RFLAGS &= ~SFMASK, RIP = LSTAR, CPL 0; RSP is not changed.
   SYSRET (64-bit): RIP = RCX, RFLAGS = R11, CS = STAR[63:48] + 16, SS = STAR[63:48] + 8,
   both with RPL 3. The entry (syscall_entry.S) swaps GS and finds its stack through it. */
#include "cpulocal.h"
#include "gdt.h"
#include "ktest.h"
#include "syscall.h"
#include "uabi.h"
#include "vm.h"
#include "x86.h"

#define CODE_VA (TEST_VA + 0x10000)
#define STACK_TOP (TEST_VA + 0x30000)
#define SYS_TEST 7
#define USER_GS_BASE 0x0000123400000000ull

/* What the kernel saw during the call */
static struct {
    uint64_t cs, ss, rflags, rsp, gs_base, kernel_gs_base;
    struct trap_frame tf;
} seen;

static int64_t sys_test(struct trap_frame *tf)
{
    uint16_t cs, ss;

    __asm__ volatile("movw %%cs, %0; movw %%ss, %1" : "=r"(cs), "=r"(ss));
    seen.cs = cs;
    seen.ss = ss;
    seen.rflags = read_rflags();
    __asm__ volatile("movq %%rsp, %0" : "=r"(seen.rsp));
    seen.gs_base = rdmsr(MSR_GS_BASE);
    seen.kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
    seen.tf = *tf;
    return (int64_t)(tf->rdi + tf->rsi + tf->rdx + tf->r10 + tf->r8 + tf->r9);
}

/* 5 + 2 bytes to the end of the SYSCALL: RCX must point right after it */
USER_SNIPPET(call, "movl $7, %eax\n\tsyscall\n\tint3");
USER_SNIPPET(nosys, "movl $63, %eax\n\tsyscall\n\tint3");
USER_SNIPPET(bare_syscall, "syscall\n\tint3");

int main(void)
{
    struct fault f;

    ktest_init();
    syscall_init();
    syscall_register(SYS_TEST, sys_test);
    uint64_t stack = ktest_user_stack(STACK_TOP);
    uint64_t va = ktest_user_code(CODE_VA, snip_call, snip_call_end);

    check_u64("STAR", rdmsr(MSR_STAR), (uint64_t)STAR_SYSRET_BASE << 48 | (uint64_t)SEL_KCODE << 32);
    check_true("EFER.SCE", (rdmsr(MSR_EFER) & EFER_SCE) != 0);
    /* The user's GS base: what SWAPGS puts in place on the way to CPL 3. */
    wrmsr(MSR_KERNEL_GS_BASE, USER_GS_BASE);
    uint64_t user_flags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_DF | RFLAGS_CF;
    struct trap_frame regs = { .rdi = 1, .rsi = 20, .rdx = 300, .r10 = 4000, .r8 = 50000,
                               .r9 = 600000, .rbx = 0xB0B0, .rbp = 0xB9B9, .r12 = 12,
                               .r13 = 13, .r14 = 14, .r15 = 15, .rcx = 0xC0C0,
                               .rflags = user_flags };
    run_user(va, stack, &regs, &f);

    /* In the kernel */
    check_u64("kernel CS", seen.cs, SEL_KCODE);
    check_u64("kernel SS", seen.ss, SEL_KDATA);
    /* (CF, which SFMASK keeps, cannot be checked here: the C code in between sets it.) */
    check_u64("SFMASK cleared IF and DF", seen.rflags & (RFLAGS_IF | RFLAGS_DF), 0);
    check_true("kernel stack from the per-CPU block",
               seen.rsp < ktest_kstack_top && seen.rsp > ktest_kstack_top - 4096);
    check_u64("GS base after SWAPGS: the per-CPU block", seen.gs_base,
              (uint64_t)(uintptr_t)this_cpu());
    check_u64("KernelGSBase after SWAPGS: the user's", seen.kernel_gs_base, USER_GS_BASE);
    check_u64("RCX: the RIP after SYSCALL", seen.tf.rcx, va + 7);
    check_u64("R11: the user's RFLAGS", seen.tf.r11, user_flags);
    check_u64("user RSP kept in the frame", seen.tf.rsp, stack);
    check_u64("arguments in RDI, RSI, RDX, R10, R8, R9", seen.tf.rdi + seen.tf.rsi +
              seen.tf.rdx + seen.tf.r10 + seen.tf.r8 + seen.tf.r9, 654321);

    /* Back in user mode, at the INT3 after SYSCALL */
    check_u64("returned to user mode: #BP from the INT3", f.vector, T_BP);
    check_u64("user CS after SYSRET", f.tf.cs, USER_CS);
    check_u64("user SS after SYSRET", f.tf.ss, USER_SS);
    check_u64("RIP after SYSRET", f.tf.rip, va + 8);
    check_u64("RAX: the result", f.tf.rax, 654321);
    check_u64("RFLAGS restored from R11", f.tf.rflags & (RFLAGS_IF | RFLAGS_DF | RFLAGS_CF),
              RFLAGS_IF | RFLAGS_DF | RFLAGS_CF);
    check_u64("RCX = RIP after SYSRET", f.tf.rcx, va + 7);
    check_u64("R11 = RFLAGS after SYSRET", f.tf.r11, user_flags);
    check_true("callee-saved registers preserved",
               f.tf.rbx == 0xB0B0 && f.tf.rbp == 0xB9B9 && f.tf.r12 == 12 &&
               f.tf.r13 == 13 && f.tf.r14 == 14 && f.tf.r15 == 15);
    check_true("argument registers preserved",
               f.tf.rdi == 1 && f.tf.rsi == 20 && f.tf.rdx == 300 && f.tf.r10 == 4000 &&
               f.tf.r8 == 50000 && f.tf.r9 == 600000);
    check_u64("user RSP unchanged", f.tf.rsp, stack);
    check_u64("GS base back to the kernel's after the INT3 (SWAPGS on both paths)",
              rdmsr(MSR_GS_BASE), (uint64_t)(uintptr_t)this_cpu());
    check_u64("KernelGSBase back to the user's", rdmsr(MSR_KERNEL_GS_BASE), USER_GS_BASE);

    /* An unknown number */
    va = ktest_user_code(CODE_VA + 0x1000, snip_nosys, snip_nosys_end);
    run_user(va, stack, &regs, &f);
    check_u64("unknown system call: -ENOSYS", f.tf.rax, (uint64_t)(int64_t)UABI_ENOSYS);

    /* SYSCALL with EFER.SCE clear is #UD (SDM vol. 2B "SYSCALL"). */
    va = ktest_user_code(CODE_VA + 0x2000, snip_bare_syscall, snip_bare_syscall_end);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
    run_user(va, stack, &regs, &f);
    check_u64("SYSCALL with EFER.SCE = 0: #UD", f.vector, T_UD);
    check_u64("  at the SYSCALL", f.tf.rip, va);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    return check_failures();
}
