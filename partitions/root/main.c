/* The root partition's kernel and its VM management service (docs/platform.md, "The
   root partition and its children").

   hv.elf starts the root by the bare machine's boot protocol, inside partition 1, with
   two kinds of boot modules (hv/abi/hvboot.h): the "children" file, one line per child,
   and the children's images, "child:NAME". The service enables hypercalls and the
   SynIC, starts one worker per child (worker.h), and then waits: every intercept of a
   child arrives as a SynIC message on SINT0, and goes to that child's worker. When
   every child has ended, the root writes its verdict to the exit port: 0 if every child
   exited with status 0, else 1.

   Command line (hv's "root=" option): child_mem=N, the RAM of each child in MiB
   (default 64). */
#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "gdt.h"
#include "hvcall.h"
#include "hvdiscover.h"
#include "idt.h"
#include "kprintf.h"
#include "kstring.h"
#include "machine.h"
#include "palloc.h"
#include "synic.h"
#include "trap.h"
#include "vm.h"
#include "worker.h"
#include "x86.h"

#include "hv/abi/hvboot.h"

#define MAX_CHILDREN 32
#define CHILD_MEM_DEFAULT_MIB 64
/* The SynIC interrupt of SINT0: any vector with an entry routine (trap.h). */
#define ROOT_SINT0_VECTOR (T_IRQ_FIRST + 8)

static struct child_spec specs[MAX_CHILDREN];
static struct worker workers[MAX_CHILDREN];
static unsigned nr_workers;
static uint64_t sint_interrupts, posted_messages, stray_messages;

/* The SINT is auto-EOI (HV_SINT_AUTO_EOI): nothing to acknowledge. The wake-up from
   HLT is the point; the service loop looks at the message slot. */
static void sint_interrupt(struct trap_frame *tf)
{
    sint_interrupts++;
}

static _Noreturn void give_up(const char *fmt, ...) KPRINTF_FORMAT(1, 2);
static _Noreturn void give_up(const char *fmt, ...)
{
    va_list ap;

    kprintf("[root] ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    machine_exit(1);
}

/* ---- the hypervisor ---- */

static uint64_t hypervisor_setup(void)
{
    struct hv_discovery d;
    uint64_t id;

    if (!hv_discover(&d))
        give_up("no Hv#1 hypervisor (CPUID 0x40000001 EAX 0x%x); boot me with hvsim boot",
                d.interface);
    if (!hv_has_privilege(&d, HV_PRIVS_ROOT_ONLY | HV_PRIV_ACCESS_PARTITION_ID))
        give_up("the hypervisor grants privileges 0x%llx, without CreatePartitions and "
                "CpuManagement: not the root partition", (unsigned long long)d.privileges);
    if (hvcall_enable(HVSIM_GUEST_OS_ID) != 0)
        give_up("the hypercall page did not enable (MSR 0x%x reads 0x%llx)",
                HV_X64_MSR_HYPERCALL, (unsigned long long)rdmsr(HV_X64_MSR_HYPERCALL));
    hv_status_t st = hv_get_partition_id(&id);
    if (st != HV_STATUS_SUCCESS)
        give_up("HvCallGetPartitionId: %s", hv_status_name(st));

    /* Intercept messages come on SINT0 (spec "SynIC and messages"), as an interrupt of
       the local APIC, which must be on to take it (TLFS §11.8). */
    if (apic_init(T_SPURIOUS) != 0)
        give_up("no x2APIC (CPUID 1 ECX bit 21): the SynIC's interrupts need one");
    synic_enable();
    synic_sint_set(0, ROOT_SINT0_VECTOR, HV_SINT_AUTO_EOI);
    return id;
}

/* ---- the children ---- */

static const struct boot_module *find_module(const struct child_spec *s)
{
    char name[CHILD_MODULE_MAX + 1];

    memcpy(name, s->module, s->module_len);
    name[s->module_len] = '\0';
    return boot_module_find(name);
}

static void read_children(void)
{
    const struct boot_module *m = boot_module_find(HV_BOOT_MODULE_CHILDREN);
    char why[160];

    if (!m)
        give_up("no \"%s\" boot module: nothing to start", HV_BOOT_MODULE_CHILDREN);
    int n = childlist_parse(phys_to_virt(m->paddr), m->size, specs, MAX_CHILDREN, why,
                            sizeof(why));
    if (n < 0)
        give_up("the %s module, %s", HV_BOOT_MODULE_CHILDREN, why);
    for (int i = 0; i < n; i++) {
        struct worker *w = &workers[i];
        memcpy(w->name, specs[i].name, specs[i].name_len);
        w->name[specs[i].name_len] = '\0';
        w->spec = &specs[i];
        w->image = find_module(&specs[i]);
        if (!w->image)
            give_up("children line %u: %s has no boot module %.*s", specs[i].line, w->name,
                    (int)specs[i].module_len, specs[i].module);
    }
    nr_workers = (unsigned)n;
}

static struct worker *worker_of(uint64_t partition_id)
{
    for (unsigned i = 0; i < nr_workers; i++)
        if (workers[i].partition_id == partition_id && workers[i].state == WORKER_RUNNING)
            return &workers[i];
    return 0;
}

static unsigned children_in(enum worker_state state)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nr_workers; i++)
        n += workers[i].state == state;
    return n;
}

/* Starts the waiting children, in the order of the children file, while their RAM
   fits. A child that does not fit waits (and those after it) until a running one ends
   and returns its RAM; with nothing running it never will fit, and fails. */
static void admit(uint64_t ram_bytes)
{
    for (unsigned i = 0; i < nr_workers; i++) {
        struct worker *w = &workers[i];
        if (w->state != WORKER_IDLE)
            continue;
        if (children_in(WORKER_RUNNING) > 0 && !worker_fits(w, ram_bytes))
            return;
        worker_start(w, ram_bytes);
    }
}

/* ---- the service loop ---- */

static void dispatch(const struct hv_message *m)
{
    /* Types with bit 31 clear were posted by a partition (HvCallPostMessage to
       connection 1:0): the root offers no service over messages, so they are dropped. */
    if (!(m->header.message_type & 0x80000000u)) {
        posted_messages++;
        return;
    }
    struct worker *w = worker_of(m->header.sender);
    if (!w) {
        stray_messages++; /* about a child that has already ended */
        return;
    }
    worker_handle_message(w, m);
}

static void serve(uint64_t ram_bytes)
{
    struct hv_message m;

    for (;;) {
        admit(ram_bytes);
        if (children_in(WORKER_RUNNING) == 0)
            break; /* admit started or failed every waiting child */
        /* Look at the slot with interrupts off, then STI; HLT: a message that arrives
           in between raises the SINT and ends the HLT (the STI shadow keeps the
           interrupt from coming before the HLT). */
        cli();
        if (synic_take_message(0, &m))
            dispatch(&m);
        else
            sti_hlt();
    }
    cli();
}

int main(void)
{
    const char *cmdline = boot_cmdline();

    gdt_init();
    idt_init();
    palloc_init();
    vm_init();
    trap_register(ROOT_SINT0_VECTOR, sint_interrupt);

    uint64_t root_id = hypervisor_setup();
    read_children();

    uint64_t mib = cmdline_u64(cmdline, "child_mem", CHILD_MEM_DEFAULT_MIB);
    uint64_t ram = mib << 20;
    if (ram < CHILD_RAM_MIN || ram > WORKER_RAM_MAX || ram % CHILD_RAM_ALIGN)
        give_up("child_mem=%llu: give the MiB of each child, a multiple of 2 from 16 to %llu",
                (unsigned long long)mib, (unsigned long long)(WORKER_RAM_MAX >> 20));

    kprintf("[root] partition %llu, %llu MiB, %u child%s\n", (unsigned long long)root_id,
            (unsigned long long)(boot_info()->ram_bytes >> 20), nr_workers,
            nr_workers == 1 ? "" : "ren");
    serve(ram);

    unsigned failed = 0;
    for (unsigned i = 0; i < nr_workers; i++)
        failed += workers[i].state != WORKER_EXITED || workers[i].exit_status != 0;
    if (posted_messages || stray_messages)
        kprintf("[root] dropped %llu posted and %llu stray messages\n",
                (unsigned long long)posted_messages, (unsigned long long)stray_messages);
    if (failed)
        kprintf("[root] %u of %u children did not exit with status 0\n", failed, nr_workers);
    else
        kprintf("[root] all %u children exited with status 0\n", nr_workers);
    return failed ? 1 : 0;
}
