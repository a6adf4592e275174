/* The child kernel: an enlightened-or-not kernel for the flush experiment. Ring-3
   processes with their own address spaces (partitions/lib), preempted by the x2APIC
   timer, run one of three workloads (user/) and report their completed work units.
   The same image runs on the bare machine (`hvsim run`) and as a child partition
   (`hvsim boot --child`): under hv its x2APIC MSRs are virtualized and its console and
   exit port are served by the root, through the same instructions.

   At boot it meets the hypervisor, if any (hvsetup.c: CPUID, GUEST_OS_ID, the
   hypercall page), then picks how to flush the TLB (tlbflush_hv.c):

     enlightened=off    instructions: MOV CR3 on a switch, INVLPG on an unmap
     enlightened=on     hypercalls whenever the hypercall page is enabled
     enlightened=auto   hypercalls when CPUID 0x40000004 EAX bit 1 (use a hypercall
                        for local flushes) advises them; bit 2 (remote flushes) is
                        printed but has no use here: one CPU, so no flush is remote
   and on the bare machine every setting flushes by instruction.

   Boot arguments (README.md in this folder has the details):
     workload=switch|unmap|bystander   (switch)
     enlightened=on|off|auto           (auto)
     procs=N pages=N units=N ranges=N slices=N timer=N
     ceiling=N hvceiling=N pcid=on|off hvspace=left|all seed=N maxrange=N

   Output is a function of the arguments and the machine model alone. The last line is
   `work units: N`; the exit status is 0 when every process did its work, kept its
   pages intact and exited 0, 1 when one did not, 100 for bad arguments. */
#include "apic.h"
#include "args.h"
#include "bootinfo.h"
#include "cpulocal.h"
#include "gdt.h"
#include "hvsetup.h"
#include "idt.h"
#include "kflush.h"
#include "kprintf.h"
#include "palloc.h"
#include "proc.h"
#include "syscall.h"
#include "sysunmap.h"
#include "trap.h"
#include "vm.h"
#include "wlabi.h"
#include "workloads.h"
#include "x86.h"

#define TIMER_VECTOR T_IRQ_FIRST
#define EXIT_BAD_ARGS 100

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

/* Flush by hypercall? *why says what decided. */
static int choose_hypercalls(const struct kargs *a, const struct hv_setup *hv,
                             const char **why)
{
    if (a->enlightened == ENL_OFF) {
        *why = "off";
        return 0;
    }
    if (!hv->d.present) {
        *why = "no hypervisor";
        return 0;
    }
    if (!hv->hypercalls) {
        *why = "no hypercall page";
        return 0;
    }
    if (a->enlightened == ENL_ON) {
        *why = "on";
        return 1;
    }
    if (hv_advises_local_flush(hv)) {
        *why = "advised by 0x40000004 EAX bit 1";
        return 1;
    }
    *why = "not advised: 0x40000004 EAX bit 1 clear";
    return 0;
}

static void print_strategy(const struct kargs *a, const struct kflush_mode *m,
                           const char *why)
{
    kprintf("kernel: tlb: flush by %s (enlightened=%s: %s), PCID %s\n",
            m->hypercalls ? "hypercall" : "instruction", enlightened_name(a->enlightened),
            why, m->cpu_has_pcid ? "supported" : "not supported");
    if (m->pcid)
        kprintf("kernel: tlb: switch: MOV CR3 with the process's PCID and bit 63; a stale "
                "space is flushed by %s\n", m->hypercalls ?
                "HvCallFlushVirtualAddressSpace" : "MOV CR3 with bit 63 clear");
    else if (m->noflush_switch)
        kprintf("kernel: tlb: switch: MOV CR3 with bit 63 (CR4.PCIDE, no CPU flush), then "
                "HvCallFlushVirtualAddressSpace (%s)\n", a->all_spaces ?
                "HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES" : "AddressSpace = the CR3 left");
    else
        kprintf("kernel: tlb: switch: MOV CR3 (the CPU flushes)\n");
    if (m->hypercalls)
        kprintf("kernel: tlb: unmap: HvCallFlushVirtualAddressList up to %llu pages, "
                "else HvCallFlushVirtualAddressSpace\n", (unsigned long long)a->hv_ceiling);
    else
        kprintf("kernel: tlb: unmap: INVLPG up to %llu pages, else MOV CR3\n",
                (unsigned long long)a->ceiling);
}

/* "N.NNN": units per million cycles, to three decimals, in integers only. */
static void print_rate(uint64_t units, uint64_t cycles)
{
    unsigned __int128 milli = cycles ? (unsigned __int128)units * 1000000000u / cycles : 0;
    uint64_t m = (uint64_t)milli;

    kprintf("%llu.%03llu", (unsigned long long)(m / 1000), (unsigned long long)(m % 1000));
}

/* Prints each process's summary; returns the units of all and whether all went well. */
static uint64_t report_procs(const struct kargs *a, int *failed)
{
    uint64_t units = 0;

    *failed = 0;
    for (unsigned i = 0; i < NPROC; i++) {
        struct proc *p = proc_slot(i);
        if (p->state == PROC_UNUSED)
            continue;
        uint64_t u = p->info->progress[WL_PROGRESS_UNITS];
        uint64_t bad = p->info->progress[WL_PROGRESS_BAD];
        kprintf("kernel: proc %d: %llu units", p->pid, (unsigned long long)u);
        if (a->workload == WL_UNMAP)
            kprintf(" (%llu pages)", (unsigned long long)p->info->progress[WL_PROGRESS_PAGES]);
        kprintf(", %llu pages wrong, switched in %llu times, ticks %llu, exit %d\n",
                (unsigned long long)bad, (unsigned long long)p->switches_in,
                (unsigned long long)p->ticks, p->exit_status);
        *failed |= p->state != PROC_EXITED || p->exit_status != 0 || bad != 0 || u == 0;
        units += u;
    }
    return units;
}

static void report_flushes(void)
{
    const struct kflush_stats *s = kflush_stats();

    kprintf("kernel: tlb: %llu switches: %llu by MOV CR3, %llu by hypercall, %llu kept "
            "their PCID\n", (unsigned long long)s->switches,
            (unsigned long long)s->switch_cr3_flush, (unsigned long long)s->switch_hypercall,
            (unsigned long long)s->switch_kept);
    kprintf("kernel: tlb: %llu unmap flushes of %llu pages: %llu INVLPG, %llu MOV CR3, "
            "%llu list calls (%llu ranges, %llu pages)\n",
            (unsigned long long)s->unmap_flushes, (unsigned long long)s->unmap_pages,
            (unsigned long long)s->invlpg, (unsigned long long)s->cr3_flushes,
            (unsigned long long)s->list_calls, (unsigned long long)s->list_ranges,
            (unsigned long long)s->list_pages);
    kprintf("kernel: tlb: hypercalls: %llu HvCallFlushVirtualAddressSpace, %llu "
            "HvCallFlushVirtualAddressList, %llu failed\n",
            (unsigned long long)s->space_calls, (unsigned long long)s->list_calls,
            (unsigned long long)s->hv_failures);
}

int main(void)
{
    struct kargs a;
    struct hv_setup hv;
    struct kflush_mode mode;
    const char *why;

    if (kargs_parse(boot_cmdline(), &a) != 0)
        return EXIT_BAD_ARGS;
    kargs_print(&a);
    slices_total = a.slices;

    gdt_init();
    idt_init();
    cpulocal_init();
    palloc_init();
    vm_init();
    syscall_init();
    hv_setup(&hv);

    struct kflush_config fc = {
        .hypercalls = choose_hypercalls(&a, &hv, &why),
        .pcid = a.pcid,
        .all_spaces = a.all_spaces,
        .ceiling = a.ceiling,
        .hv_ceiling = a.hv_ceiling,
    };
    kflush_init(&fc, &mode);
    print_strategy(&a, &mode, why);
    if (a.pcid && !mode.pcid) {
        kprintf("kernel: pcid=on, but CPUID reports no PCID\n");
        return EXIT_BAD_ARGS;
    }
    if (apic_init(T_SPURIOUS) != 0) {
        kprintf("kernel: CPUID reports no x2APIC\n");
        return EXIT_BAD_ARGS;
    }
    proc_init();
    sysunmap_init();
    if (workload_start(&a) != 0)
        return 1;

    trap_register(TIMER_VECTOR, timer_interrupt);
    apic_timer_periodic(TIMER_VECTOR, (uint32_t)a.timer, 1);
    uint64_t t0 = rdtsc();
    sched_run();
    uint64_t cycles = rdtsc() - t0;
    apic_timer_stop();

    int failed;
    kprintf("kernel: all processes exited after %llu timer slices\n",
            (unsigned long long)slices_done);
    uint64_t units = report_procs(&a, &failed);
    report_flushes();
    kprintf("kernel: %llu system calls; %llu units in %llu cycles (first switch to last "
            "exit): ", (unsigned long long)syscall_count(), (unsigned long long)units,
            (unsigned long long)cycles);
    print_rate(units, cycles);
    kprintf(" units per million cycles\n");
    proc_reap();
    kprintf("kernel: %s\n", failed ? "FAIL" : "done");
    kprintf("work units: %llu\n", (unsigned long long)units);
    return failed;
}
