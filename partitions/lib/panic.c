/* panic: print and stop. Interrupts go off first so that nothing runs after it. */
#include "machine.h"
#include "panic.h"
#include "x86.h"

_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;

    cli();
    kprintf("panic: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    machine_exit(PANIC_EXIT_STATUS);
}
