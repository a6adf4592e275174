/* System calls: the MSRs that make SYSCALL work, and dispatch by number. */
#include "gdt.h"
#include "syscall.h"
#include "uabi.h"
#include "x86.h"

extern char syscall_entry[]; /* syscall_entry.S */

static syscall_fn table[SYSCALL_MAX];

void syscall_init(void)
{
    /* STAR[47:32]: SYSCALL's CS (SS is that + 8); STAR[63:48]: SYSRET's base (gdt.h). */
    wrmsr(MSR_STAR, (uint64_t)STAR_SYSRET_BASE << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    /* RFLAGS bits SYSCALL clears: IF, so the entry runs with interrupts off until it is
       on the kernel stack (and here: for the whole call); TF, so a single-stepping
       user does not trap on the kernel's first instruction; DF and AC, which the
       kernel's C code must see clear; NT (as Linux does). */
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

syscall_fn syscall_register(unsigned nr, syscall_fn fn)
{
    if (nr >= SYSCALL_MAX)
        return 0;
    syscall_fn old = table[nr];
    table[nr] = fn;
    return old;
}

static uint64_t nr_syscalls;

uint64_t syscall_count(void)
{
    return nr_syscalls;
}

void syscall_dispatch(struct trap_frame *tf)
{
    uint64_t nr = tf->rax;

    nr_syscalls++;
    if (nr < SYSCALL_MAX && table[nr])
        tf->rax = (uint64_t)table[nr](tf);
    else
        tf->rax = (uint64_t)(int64_t)UABI_ENOSYS;
}
