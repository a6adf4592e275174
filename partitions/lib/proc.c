/* Process lifecycle and the round-robin scheduler. */
#include "cpulocal.h"
#include "elfload.h"
#include "gdt.h"
#include "kprintf.h"
#include "kstring.h"
#include "palloc.h"
#include "panic.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

void swtch(uint64_t *save_rsp, uint64_t rsp);   /* swtch.S */
extern char trap_exit[];                         /* vectors.S */
void sysproc_init(void);                         /* sysproc.c */

static struct proc procs[NPROC];
static struct proc boot_thread;  /* the kernel's main thread: pid 0, kernel space */
static int next_pid = 1;
static uint8_t kstacks[NPROC][KSTACK_BYTES] __attribute__((aligned(16)));

struct proc *proc_current(void)
{
    struct proc *p = this_cpu()->current;
    return p == &boot_thread ? 0 : p;
}

struct proc *proc_slot(unsigned i)
{
    return i < NPROC ? &procs[i] : 0;
}

/* An exception in user mode ends the process, as a signal would on Unix; one in the
   kernel is a kernel bug. */
static void user_fault(struct trap_frame *tf)
{
    struct proc *p = proc_current();

    if ((tf->cs & 3) != 3 || p == 0) {
        kprintf("kernel fault: ");
        trap_print(tf);
        panic("exception in the kernel");
    }
    kprintf("proc %d: killed by %s, error 0x%llx at rip 0x%llx, cr2 0x%llx\n", p->pid,
            trap_name((unsigned)tf->vector), (unsigned long long)tf->error,
            (unsigned long long)tf->rip, (unsigned long long)read_cr2());
    proc_exit(128 + (int)tf->vector);
}

void proc_init(void)
{
    boot_thread.pid = 0;
    boot_thread.state = PROC_RUNNING;
    boot_thread.as = *kernel_aspace();
    memcpy(boot_thread.name, "kernel", 7);
    this_cpu()->current = &boot_thread;
    for (unsigned v = 0; v < 32; v++)
        if (v != T_NMI && v != T_DF && v != T_MC)
            trap_register(v, user_fault);
    sysproc_init();
}

static uint64_t map_fresh(struct proc *p, uint64_t va, uint64_t flags)
{
    uint64_t pa = page_alloc();

    if (vm_map(p->as.pml4, va, pa, flags | PTE_U | PTE_OWNED) != 0)
        panic("proc: 0x%llx already mapped", (unsigned long long)va);
    return pa;
}

struct proc *proc_create(const char *name, const void *elf, uint64_t elf_size,
                         const uint64_t *args, unsigned nargs, const char **why)
{
    struct proc *p = 0;

    for (unsigned i = 0; i < NPROC && p == 0; i++)
        if (procs[i].state == PROC_UNUSED)
            p = &procs[i];
    if (p == 0) {
        *why = "no free process slot";
        return 0;
    }
    if (nargs > 8) {
        *why = "more than 8 arguments";
        return 0;
    }
    memset(p, 0, sizeof(*p));
    p->pid = next_pid++;
    size_t n = strlen(name);
    memcpy(p->name, name, n < sizeof(p->name) - 1 ? n : sizeof(p->name) - 1);
    aspace_init(&p->as, vm_create());

    uint64_t entry = elf_load_user(p->as.pml4, elf, elf_size, why);
    if (entry == 0) {
        vm_destroy(p->as.pml4);
        return 0;
    }
    for (uint64_t i = 1; i <= USER_STACK_PAGES; i++)
        map_fresh(p, USER_STACK_TOP - i * PAGE_SIZE, PTE_W | PTE_NX);
    p->info = phys_to_virt(map_fresh(p, USER_INFO_VA, PTE_W | PTE_NX));
    p->info->pid = (uint64_t)p->pid;
    p->info->nargs = nargs;
    for (unsigned i = 0; i < nargs; i++)
        p->info->arg[i] = args[i];

    /* The new kernel stack: on top, the user context to enter (a trap frame that
       trap_exit returns from with IRETQ); below it, what swtch pops, its return
       address being trap_exit. */
    p->kstack_top = (uint64_t)(uintptr_t)(kstacks[p - procs] + KSTACK_BYTES);
    struct trap_frame *tf = (struct trap_frame *)(uintptr_t)p->kstack_top - 1;
    memset(tf, 0, sizeof(*tf));
    tf->rip = entry;
    tf->cs = USER_CS;
    tf->rflags = RFLAGS_FIXED | RFLAGS_IF;
    tf->rsp = USER_STACK_TOP;
    tf->ss = USER_SS;
    tf->rdi = USER_INFO_VA;
    uint64_t *sp = (uint64_t *)tf;
    *--sp = (uint64_t)(uintptr_t)trap_exit;
    for (int i = 0; i < 6; i++)     /* rbp, rbx, r12-r15 */
        *--sp = 0;
    p->saved_rsp = (uint64_t)(uintptr_t)sp;
    p->state = PROC_RUNNABLE;
    return p;
}

static void switch_to(struct proc *prev, struct proc *next)
{
    if (prev->state == PROC_RUNNING)
        prev->state = PROC_RUNNABLE;
    next->state = PROC_RUNNING;
    next->switches_in++;
    this_cpu()->current = next;
    /* The stacks the CPU switches to from CPL 3: RSP0 for interrupts and exceptions,
       and the SYSCALL entry's (cpulocal.h). */
    this_cpu()->kernel_rsp = next->kstack_top;
    tss_set_rsp0(next->kstack_top);
    switch_address_space(&prev->as, &next->as);
    swtch(&prev->saved_rsp, next->saved_rsp);
}

/* The next runnable process after cur in slot order, or 0. */
static struct proc *pick_next(struct proc *cur)
{
    unsigned start = cur == &boot_thread ? NPROC - 1 : (unsigned)(cur - procs);

    for (unsigned k = 1; k <= NPROC; k++) {
        struct proc *p = &procs[(start + k) % NPROC];
        if (p->state == PROC_RUNNABLE || (p == cur && p->state == PROC_RUNNING))
            return p;
    }
    return 0;
}

void sched_yield(void)
{
    struct proc *cur = this_cpu()->current;
    struct proc *next = pick_next(cur);

    if (next == cur)
        return;
    /* Nothing left to run: back to the boot thread, in sched_run. */
    switch_to(cur, next ? next : &boot_thread);
}

void sched_run(void)
{
    struct proc *next = pick_next(&boot_thread);

    if (next)
        switch_to(&boot_thread, next);
    boot_thread.state = PROC_RUNNING;
}

void sched_preempt(struct trap_frame *tf)
{
    struct proc *p = proc_current();

    if (p)
        p->ticks++;
    if ((tf->cs & 3) == 3)
        sched_yield();
}

_Noreturn void proc_exit(int status)
{
    struct proc *p = proc_current();

    if (p == 0)
        panic("proc_exit on the boot thread");
    p->exit_status = status;
    p->state = PROC_EXITED;
    sched_yield();
    panic("proc %d: ran after exit", p->pid);
}

void proc_request_stop(void)
{
    for (unsigned i = 0; i < NPROC; i++)
        if (procs[i].state == PROC_RUNNABLE || procs[i].state == PROC_RUNNING)
            procs[i].info->stop = 1;
}

void proc_reap(void)
{
    for (unsigned i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state != PROC_EXITED || p->as.pml4 == 0)
            continue;
        /* Not current (the boot thread runs in the kernel space), and its PCID's
           entries are flushed when the PCID is handed out again (tlbflush.c). */
        vm_destroy(p->as.pml4);
        p->as.pml4 = 0;
        p->info = 0;
    }
}
