/* mpkernel: the multi-process demo kernel. N ring-3 processes, each in its own
   address space, run the touch workload (partitions/user/touch.c) under a periodic
   timer; every timer interrupt that finds a process in user mode switches to the next.
   The run's point is what each address-space switch costs: with pcid=off a switch is
   a plain MOV CR3 that drops every non-global translation, with pcid=on each process
   keeps its own PCID and the switch keeps them (tlbflush.c).

   Command line (all optional):
     procs=N     processes (1-16, default 4)
     pages=N     pages each touches per round (default 64)
     slices=N    timer slices to run before asking the processes to stop (default 200)
     timer=N     APIC timer initial count, divide 1 (default 20000; on hvsim one tick
                 is apic.timer_ratio cycles)
     pcid=on|off one PCID per process and no-flush switches (default off)
     yield=N     each process also yields every N rounds (default 0: never)

   Everything printed is a function of the command line and the machine model, so a run
   is repeatable to the byte. Exit status: 0 if every process did work and exited
   cleanly with its pages intact, else the number of processes that did not. */
#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "cpulocal.h"
#include "gdt.h"
#include "idt.h"
#include "kprintf.h"
#include "palloc.h"
#include "proc.h"
#include "syscall.h"
#include "tlbflush.h"
#include "trap.h"
#include "vm.h"
#include "x86.h"

#define TIMER_VECTOR T_IRQ_FIRST

extern const unsigned char user_touch_elf[];   /* partitions/user, via embed.py */
extern const unsigned long user_touch_elf_size;

static uint64_t slices_total, slices_done;

static void timer_interrupt(struct trap_frame *tf)
{
    /* EOI before a switch: the next process must be able to take the next tick. */
    apic_eoi();
    slices_done++;
    if (slices_done == slices_total)
        proc_request_stop();
    sched_preempt(tf);
}

int main(void)
{
    const char *cl = boot_cmdline();
    uint64_t nprocs = cmdline_u64(cl, "procs", 4);
    uint64_t pages = cmdline_u64(cl, "pages", 64);
    uint64_t timer = cmdline_u64(cl, "timer", 20000);
    uint64_t yield_every = cmdline_u64(cl, "yield", 0);
    int want_pcid = cmdline_bool(cl, "pcid", 0);
    slices_total = cmdline_u64(cl, "slices", 200);

    if (nprocs < 1 || nprocs > NPROC || pages < 1 || pages > 4096 || timer < 1 ||
        timer > 0xFFFFFFFFu || slices_total < 1) {
        kprintf("mpkernel: bad arguments: procs 1-%d, pages 1-4096, timer 1-2^32-1, "
                "slices >= 1\n", NPROC);
        return 100;
    }
    kprintf("mpkernel: procs=%llu pages=%llu slices=%llu timer=%llu pcid=%s yield=%llu\n",
            (unsigned long long)nprocs, (unsigned long long)pages,
            (unsigned long long)slices_total, (unsigned long long)timer,
            want_pcid ? "on" : "off", (unsigned long long)yield_every);

    gdt_init();
    idt_init();
    cpulocal_init();
    palloc_init();
    vm_init();
    syscall_init();
    if (tlb_init(want_pcid) != want_pcid) {
        kprintf("mpkernel: pcid=on, but CPUID reports no PCID\n");
        return 100;
    }
    if (apic_init(T_SPURIOUS) != 0) {
        kprintf("mpkernel: CPUID reports no x2APIC\n");
        return 100;
    }
    proc_init();

    for (uint64_t i = 0; i < nprocs; i++) {
        const char *why;
        uint64_t args[2] = { pages, yield_every };
        if (!proc_create("touch", user_touch_elf, user_touch_elf_size, args, 2, &why)) {
            kprintf("mpkernel: cannot create process %llu: %s\n",
                    (unsigned long long)i + 1, why);
            return 100;
        }
    }

    trap_register(TIMER_VECTOR, timer_interrupt);
    apic_timer_periodic(TIMER_VECTOR, (uint32_t)timer, 1);
    uint64_t t0 = rdtsc();
    sched_run();
    uint64_t cycles = rdtsc() - t0;
    apic_timer_stop();

    int failed = 0;
    uint64_t switches = 0, rounds = 0;
    kprintf("mpkernel: all processes exited after %llu timer slices\n",
            (unsigned long long)slices_done);
    for (unsigned i = 0; i < NPROC; i++) {
        struct proc *p = proc_slot(i);
        if (p->state != PROC_EXITED)
            continue;
        uint64_t r = p->info->progress[0];
        kprintf("mpkernel: proc %d: rounds %llu, switched in %llu times, ticks %llu, "
                "exit %d\n", p->pid, (unsigned long long)r,
                (unsigned long long)p->switches_in, (unsigned long long)p->ticks,
                p->exit_status);
        failed += p->exit_status != 0 || r == 0;
        switches += p->switches_in;
        rounds += r;
    }
    const struct tlb_stats *ts = tlb_stats();
    kprintf("mpkernel: total rounds %llu (%llu page touches), context switches %llu, "
            "system calls %llu\n", (unsigned long long)rounds,
            (unsigned long long)(rounds * pages), (unsigned long long)switches,
            (unsigned long long)syscall_count());
    kprintf("mpkernel: tlb: %llu address-space switches, %llu kept the PCID's entries; "
            "%llu pages invalidated, %llu full flushes\n",
            (unsigned long long)ts->switches, (unsigned long long)ts->switches_noflush,
            (unsigned long long)ts->invlpg, (unsigned long long)ts->full_flushes);
    kprintf("mpkernel: %llu cycles from the first switch to the last exit\n",
            (unsigned long long)cycles);
    proc_reap();
    kprintf("mpkernel: %s\n", failed ? "FAIL" : "done");
    return failed;
}
