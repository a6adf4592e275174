/* Processes and the scheduler: N ring-3 processes, each with its own address space
   and kernel stack, run round-robin; a switch is a kernel-stack switch (swtch.S) plus
   an address-space switch (tlbflush.c). One CPU; the kernel runs with interrupts off,
   so a process is preempted only while it is in user mode. */
#ifndef PROC_H
#define PROC_H

#include <stdint.h>

#include "tlbflush.h"
#include "trap.h"
#include "uabi.h"

#define NPROC 16
#define KSTACK_BYTES 8192

enum proc_state { PROC_UNUSED, PROC_RUNNABLE, PROC_RUNNING, PROC_EXITED };

struct proc {
    int pid;
    enum proc_state state;
    char name[16];
    struct aspace as;
    uint64_t kstack_top;
    uint64_t saved_rsp;         /* swtch: where its kernel stack stopped */
    struct user_info *info;     /* the kernel's pointer to its info page */
    int exit_status;
    /* counters */
    uint64_t switches_in;       /* times the scheduler switched to it */
    uint64_t ticks;             /* timer interrupts that arrived while it ran */
};

/* Registers the process system calls (sysproc.c) and the handlers that end a process
   on an exception in user mode. Needs syscall_init and tlb_init. */
void proc_init(void);

/* A runnable process running the ELF image, with args in its info page. 0 and a
   reason in *why on failure. */
struct proc *proc_create(const char *name, const void *elf, uint64_t elf_size,
                         const uint64_t *args, unsigned nargs, const char **why);

/* Runs processes until every one has exited, then returns (on the boot thread). */
void sched_run(void);

/* The running process gives up the CPU to the next runnable one, if any. */
void sched_yield(void);

/* For a timer interrupt handler, after its EOI: preempts the process if the
   interrupt came from user mode. */
void sched_preempt(struct trap_frame *tf);

/* The running process ends with status; never returns. */
_Noreturn void proc_exit(int status);

struct proc *proc_current(void);  /* 0 on the boot thread */
struct proc *proc_slot(unsigned i); /* slot i (< NPROC), in creation order */

/* Asks every live process to finish (sets stop in its info page). */
void proc_request_stop(void);

/* Frees the memory of every exited process; call from the boot thread. */
void proc_reap(void);

#endif
