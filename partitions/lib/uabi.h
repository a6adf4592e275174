/* The user/kernel ABI: system call numbers and the info page. Shared by the kernel
   (partitions/lib) and ring-3 programs (partitions/user); nothing else crosses.

   A system call is SYSCALL with the number in RAX and arguments in RDI, RSI, RDX, R10,
   R8, R9 (R10, not RCX: SYSCALL overwrites RCX with the return RIP and R11 with
   RFLAGS, SDM vol. 2B "SYSCALL"). The result comes back in RAX, negative for an error;
   RCX and R11 are clobbered, every other register is preserved. */
#ifndef UABI_H
#define UABI_H

#define SYS_write 1     /* (const char *buf, uint64_t len) -> len: to the console */
#define SYS_yield 2     /* () -> 0: give up the rest of the time slice */
#define SYS_exit 3      /* (int status): does not return */
#define SYS_map 4       /* (uint64_t va, uint64_t npages) -> 0: fresh zeroed RW pages */
#define SYS_unmap 5     /* (uint64_t va, uint64_t npages) -> pages unmapped */
#define SYS_getpid 6    /* () -> pid */

/* Error results */
#define UABI_ENOSYS (-38)
#define UABI_EINVAL (-22)
#define UABI_EFAULT (-14)
#define UABI_ENOMEM (-12)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The info page, mapped read-write at USER_INFO_VA (mmu.h) in every process; its
   address also comes in RDI at entry. The kernel fills the arguments before the
   process starts and reads the progress words at any time (through its own mapping
   of the same frame), so they are volatile on the user side. */
struct user_info {
    uint64_t pid;
    uint64_t nargs;
    uint64_t arg[8];            /* program-specific arguments */
    uint64_t stop;              /* set by the kernel: finish up and exit */
    uint64_t progress[8];       /* program-specific counters the kernel reports */
};
#endif

#endif
