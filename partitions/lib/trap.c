/* The trap dispatcher: one handler per vector, registered at run time. */
#include "kprintf.h"
#include "panic.h"
#include "trap.h"
#include "x86.h"

static trap_handler_t handlers[256];

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
    "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *trap_name(unsigned vector)
{
    if (vector < 32 && exception_names[vector])
        return exception_names[vector];
    if (vector == T_SYSCALL)
        return "SYSCALL";
    return vector == T_SPURIOUS ? "spurious interrupt" : "interrupt";
}

trap_handler_t trap_register(unsigned vector, trap_handler_t fn)
{
    trap_handler_t old = handlers[vector & 255];
    handlers[vector & 255] = fn;
    return old;
}

void trap_print(const struct trap_frame *tf)
{
    kprintf("%s (vector %llu) error 0x%llx at %llx:%llx rsp %llx rflags %llx cr2 %llx\n",
            trap_name((unsigned)tf->vector), (unsigned long long)tf->vector,
            (unsigned long long)tf->error, (unsigned long long)tf->cs,
            (unsigned long long)tf->rip, (unsigned long long)tf->rsp,
            (unsigned long long)tf->rflags, (unsigned long long)read_cr2());
    kprintf("  rax %llx rbx %llx rcx %llx rdx %llx rsi %llx rdi %llx rbp %llx\n",
            (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
            (unsigned long long)tf->rcx, (unsigned long long)tf->rdx,
            (unsigned long long)tf->rsi, (unsigned long long)tf->rdi,
            (unsigned long long)tf->rbp);
}

void trap_dispatch(struct trap_frame *tf)
{
    trap_handler_t fn = handlers[tf->vector & 255];

    if (fn) {
        fn(tf);
        return;
    }
    /* The APIC raises its spurious vector without setting an ISR bit; it needs no EOI
       and no action (SDM vol. 3 §11.9). */
    if (tf->vector == T_SPURIOUS)
        return;
    kprintf("unexpected trap: ");
    trap_print(tf);
    panic("no handler for vector %llu", (unsigned long long)tf->vector);
}
