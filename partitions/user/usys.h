/* System calls from ring 3 (the ABI is in uabi.h). */
#ifndef USYS_H
#define USYS_H

#include <stdint.h>

#include "uabi.h"

static inline int64_t syscall2(uint64_t nr, uint64_t a0, uint64_t a1)
{
    int64_t ret;
    /* SYSCALL writes RCX and R11 (SDM vol. 2B "SYSCALL"); the kernel may read the
       memory the arguments point at. */
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline int64_t sys_write(const void *buf, uint64_t len)
{
    return syscall2(SYS_write, (uint64_t)(uintptr_t)buf, len);
}

static inline int64_t sys_yield(void) { return syscall2(SYS_yield, 0, 0); }
static inline int64_t sys_getpid(void) { return syscall2(SYS_getpid, 0, 0); }

static inline _Noreturn void sys_exit(int status)
{
    syscall2(SYS_exit, (uint64_t)status, 0);
    __builtin_unreachable();
}

static inline int64_t sys_map(uint64_t va, uint64_t npages)
{
    return syscall2(SYS_map, va, npages);
}

static inline int64_t sys_unmap(uint64_t va, uint64_t npages)
{
    return syscall2(SYS_unmap, va, npages);
}

#endif
