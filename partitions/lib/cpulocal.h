/* Per-CPU data, reached through GS (one CPU here, but the code is written the way a
   multiprocessor kernel has to be: the SYSCALL entry has no free register and no
   stack, so it finds its kernel stack through GS after SWAPGS). */
#ifndef CPULOCAL_H
#define CPULOCAL_H

/* syscall_entry.S reads these offsets */
#define CPU_LOCAL_KERNEL_RSP 8
#define CPU_LOCAL_USER_RSP 16

#ifndef __ASSEMBLER__
#include <stdint.h>

struct cpu_local {
    struct cpu_local *self;     /* %gs:0, so C can get the pointer */
    uint64_t kernel_rsp;        /* top of the running thread's kernel stack */
    uint64_t user_rsp;          /* the user RSP, saved by the SYSCALL entry */
    void *current;              /* the running process (proc.h), or 0 */
};

_Static_assert(__builtin_offsetof(struct cpu_local, kernel_rsp) == CPU_LOCAL_KERNEL_RSP, "asm");
_Static_assert(__builtin_offsetof(struct cpu_local, user_rsp) == CPU_LOCAL_USER_RSP, "asm");

/* GS.base = this CPU's block, KernelGSBase = 0 (the user's GS base until it sets
   one): the state the kernel runs in. Call after gdt_init (loading GS zeroes the base). */
void cpulocal_init(void);

static inline struct cpu_local *this_cpu(void)
{
    struct cpu_local *c;
    __asm__("movq %%gs:0, %0" : "=r"(c));
    return c;
}
#endif

#endif
