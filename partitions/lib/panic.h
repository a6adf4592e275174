/* panic: a kernel's last words. Prints "panic: ..." and ends the run. */
#ifndef PANIC_H
#define PANIC_H

#include "kprintf.h"

/* The exit status of a panicking guest: distinct from hvsim's own statuses (2, 3, 4)
   and from a test's failure count, which stays small. */
#define PANIC_EXIT_STATUS 0xFF

_Noreturn void panic(const char *fmt, ...) KPRINTF_FORMAT(1, 2);

#endif
