/* SYSCALL/SYSRET: MSR setup and the system call table (Intel SDM vol. 3 §5.8.8;
   AMD APM vol. 2 §6.1.1). The entry itself is syscall_entry.S. */
#ifndef SYSCALL_H
#define SYSCALL_H

#include <stdint.h>

#include "trap.h"

/* A handler gets the caller's registers (arguments in rdi, rsi, rdx, r10, r8, r9:
   uabi.h) and returns the result for RAX. It may change the frame (e.g. to redirect
   the return), and may switch to another thread and come back. */
typedef int64_t (*syscall_fn)(struct trap_frame *tf);

/* EFER.SCE, STAR, LSTAR, SFMASK. Needs gdt_init (selectors) and cpulocal_init. */
void syscall_init(void);

/* Installs the handler for number nr (below SYSCALL_MAX); returns the old one. An
   unregistered number returns UABI_ENOSYS. */
#define SYSCALL_MAX 64
syscall_fn syscall_register(unsigned nr, syscall_fn fn);

/* System calls dispatched so far. */
uint64_t syscall_count(void);

/* Called by syscall_entry.S on the kernel stack, interrupts off. */
void syscall_dispatch(struct trap_frame *tf);

#endif
