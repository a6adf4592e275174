/* A harness for privileged tests: a kernel that survives the exceptions it provokes.
   ktest_init sets up the kernel pieces (GDT/TSS, IDT, per-CPU GS, pages, the kernel
   address space); guarded() then runs a function and, if it raises an exception,
   records it and resumes after the call, as Linux's exception tables let a kernel
   survive a faulting access to user memory. Code can also be run at CPL 3 (run_user),
   which ends at its first exception or trap. */
#ifndef KTEST_H
#define KTEST_H

#include <stdint.h>

#include "check.h"
#include "trap.h"

/* What guarded() saw: the vector, error code, CR2 and the whole frame. */
struct fault {
    uint64_t vector;
    uint64_t error;
    uint64_t cr2;
    uint64_t frame_at;  /* where the CPU put the frame: tells which stack it used */
    struct trap_frame tf;
};

/* The test address region: in the user half of the kernel's address space, so tests
   can map 4 KiB pages there (the kernel half uses 2 MiB pages). */
#define TEST_VA 0x0000020000000000ull

void ktest_init(void);

/* Runs fn(arg). Returns 0 if it returned, 1 if it raised an exception (any vector
   0-31, or an INT3 from user code), described in *f. */
int guarded(void (*fn)(void *), void *arg, struct fault *f);

/* One access, guarded: 0 if it completed, 1 if it faulted (see *f). */
int try_read(uint64_t va, uint64_t *value, struct fault *f);
int try_write(uint64_t va, uint64_t value, struct fault *f);
int try_exec(uint64_t va, struct fault *f);     /* CALL va; the page must hold a RET */

/* The addresses of the instructions the probes execute, to check the saved RIP. */
extern const char probe_read_insn[], probe_write_insn[];

/* Maps one 4 KiB page at va in the current (kernel) address space: frame pa, flags
   (PTE_P added), replacing whatever was there, with an INVLPG. Returns the PTE. */
uint64_t *ktest_map(uint64_t va, uint64_t pa, uint64_t flags);
uint64_t *ktest_pte(uint64_t va);
/* A fresh frame whose first word is marker. */
uint64_t ktest_frame(uint64_t marker);

/* Copies the code in [start, end) to a fresh user page at va (user, read-only,
   executable) and returns va. */
uint64_t ktest_user_code(uint64_t va, const char *start, const char *end);
/* A user stack page below top (user, writable, no-execute); returns top. */
uint64_t ktest_user_stack(uint64_t top);

/* Enters CPL 3 at rip with RSP = rsp and the general registers and RFLAGS of regs
   (0 for none; IF and IOPL as given, the fixed bit forced). Returns when the user
   code raises an exception or trap (then *f says which; f->tf holds its registers). */
void run_user(uint64_t rip, uint64_t rsp, const struct trap_frame *regs, struct fault *f);

/* The kernel stack the CPU switches to from CPL 3 (RSP0 and the SYSCALL entry). */
extern uint64_t ktest_kstack_top;

/* Ring-3 code for a test, assembled into the image and copied to a user page:
   USER_SNIPPET(name, "instructions") defines snip_name .. snip_name_end. The code must
   be position-independent. */
#define USER_SNIPPET(name, insns)                                          \
    extern const char snip_##name[], snip_##name##_end[];                  \
    __asm__(".pushsection .rodata.snippets, \"a\"\n"                       \
            "snip_" #name ":\n\t" insns "\n"                               \
            "snip_" #name "_end:\n\t.popsection")

#endif
