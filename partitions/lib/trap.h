/* Traps: what the entry routines (vectors.S) save, and the C dispatcher they call.
   Every exception, interrupt and system call arrives as a struct trap_frame on the
   kernel stack; a handler may change it (registers, RIP, RSP, RFLAGS) and the change
   takes effect when the entry routine returns. */
#ifndef TRAP_H
#define TRAP_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Exception vectors (SDM vol. 3 §6.3.1, table 6-1) */
#define T_DE 0
#define T_DB 1
#define T_NMI 2
#define T_BP 3
#define T_UD 6
#define T_DF 8
#define T_TS 10
#define T_NP 11
#define T_SS 12
#define T_GP 13
#define T_PF 14
#define T_AC 17
#define T_MC 18

/* Interrupt vectors with an entry routine: T_IRQ_FIRST .. T_IRQ_LAST, and the APIC's
   spurious vector. Vectors 0-31 are the architecture's (SDM vol. 3 §6.2). */
#define T_IRQ_FIRST 32
#define T_IRQ_LAST 47
#define T_SPURIOUS 255
/* Not a vector: marks a frame built by the SYSCALL entry (syscall_entry.S). */
#define T_SYSCALL 256

/* Offsets into struct trap_frame, for the assembly entry paths */
#define TF_VECTOR 120
#define TF_RIP 136
#define TF_CS 144

#ifndef __ASSEMBLER__
/* Field order is the reverse of the push order in vectors.S. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error;     /* the CPU's error code, or 0 for vectors without one */
    /* pushed by the CPU (SDM vol. 3 §6.14.2, figure 6-9): always all five in 64-bit mode */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(__builtin_offsetof(struct trap_frame, vector) == TF_VECTOR, "vectors.S");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == TF_RIP, "vectors.S");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == TF_CS, "vectors.S");
_Static_assert(sizeof(struct trap_frame) == 176, "16-byte multiple keeps RSP aligned");

typedef void (*trap_handler_t)(struct trap_frame *tf);

/* Installs the handler for a vector (0-255); 0 restores the default, which reports the
   trap and panics. Returns the previous handler. */
trap_handler_t trap_register(unsigned vector, trap_handler_t fn);

/* Called by the entry routines with interrupts off (every gate is an interrupt gate). */
void trap_dispatch(struct trap_frame *tf);

/* Returns to the context in *tf through the common exit path (IRETQ; SWAPGS first when
   it is CPL 3). Used to enter user mode the first time. */
_Noreturn void trap_return_to(const struct trap_frame *tf);

/* A one-line description: "#PF (vector 14)". */
const char *trap_name(unsigned vector);

/* Prints the frame: vector, error, RIP, RSP, registers, CR2. */
void trap_print(const struct trap_frame *tf);
#endif

#endif
