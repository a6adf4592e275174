/* The VM worker (worker.h): a child's life from HvCallCreatePartition to
   HvCallDeletePartition, and the intercepts in between. */
#include <stdarg.h>

#include "console.h"
#include "hvcall.h"
#include "kprintf.h"
#include "kstring.h"
#include "palloc.h"
#include "vm.h"
#include "worker.h"

#define DEBUG_EXIT_PORT 0xF4

/* A call that returns INSUFFICIENT_MEMORY gets DEPOSIT_CHUNK_PAGES more pages and is
   tried again, at most DEPOSIT_ROUNDS_MAX times (spec "Partition management": the
   hypervisor owns no memory of its own). */
#define DEPOSIT_CHUNK_PAGES 64
#define DEPOSIT_ROUNDS_MAX 64
/* Pages the root keeps for itself when it sizes a child: deposits and its own tables. */
#define ROOT_RESERVE_PAGES 1024

/* Everything a child may do with its RAM. */
#define CHILD_MAP_FLAGS (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | \
                         HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)

/* ---- reporting: every line the root prints about a child starts "[root] NAME" ---- */

static void report(const struct worker *w, const char *fmt, ...) KPRINTF_FORMAT(2, 3);
static void report(const struct worker *w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n = ksnprintf(buf, sizeof(buf), "[root] %s", w->name);

    va_start(ap, fmt);
    kvsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(buf);
    buf[len] = '\n';
    console_write(buf, len + 1);
}

/* ---- the child's console: one "[NAME] text" line per line it prints ---- */

static void console_flush(struct worker *w)
{
    char prefix[CHILD_NAME_MAX + 4];
    int n = ksnprintf(prefix, sizeof(prefix), "[%s] ", w->name);

    console_write(prefix, (size_t)n);
    console_write(w->line, w->line_len);
    console_putc('\n');
    w->line_len = 0;
}

static void console_byte(struct worker *w, uint8_t c)
{
    if (c == '\n') {
        console_flush(w);
        return;
    }
    /* A line longer than the buffer goes out in pieces, each on a line of its own. */
    if (w->line_len == WORKER_LINE_MAX)
        console_flush(w);
    w->line[w->line_len++] = (char)c;
}

/* At the end a last line without its newline is printed with one. */
static void console_finish(struct worker *w)
{
    if (w->line_len)
        console_flush(w);
}

/* ---- the child's RAM ---- */

static uint64_t *frame_slot(struct worker *w, uint64_t gpn)
{
    return &w->frame_dir[gpn / 512][gpn % 512];
}

static uint8_t *ram_page(void *ctx, uint64_t gpn)
{
    return phys_to_virt(*frame_slot(ctx, gpn) << 12);
}

/* The root's pages a child of bytes of RAM takes: its RAM and the directory pages. */
static uint64_t ram_cost_pages(uint64_t bytes)
{
    uint64_t pages = bytes / 4096;
    return pages + (pages + 511) / 512;
}

int worker_fits(struct worker *w, uint64_t ram_bytes)
{
    if (palloc_free_pages() >= ram_cost_pages(ram_bytes) + ROOT_RESERVE_PAGES)
        return 1;
    if (!w->told_waiting)
        report(w, ": waits for %llu MiB of RAM (the root has %llu MiB free)",
               (unsigned long long)(ram_bytes >> 20),
               (unsigned long long)(palloc_free_pages() * 4096 >> 20));
    w->told_waiting = 1;
    return 0;
}

static int ram_alloc(struct worker *w, uint64_t bytes)
{
    uint64_t pages = bytes / 4096, dirs = (pages + 511) / 512;

    if (palloc_free_pages() < ram_cost_pages(bytes) + ROOT_RESERVE_PAGES) {
        report(w, ": cannot start: it needs %llu MiB of RAM and the root has %llu MiB free",
               (unsigned long long)(bytes >> 20),
               (unsigned long long)(palloc_free_pages() * 4096 >> 20));
        return -1;
    }
    for (uint64_t d = 0; d < dirs; d++)
        w->frame_dir[d] = phys_to_virt(page_alloc());
    /* page_alloc hands out zeroed pages: the child finds clean RAM, never the root's
       or an earlier child's data. */
    for (uint64_t n = 0; n < pages; n++)
        *frame_slot(w, n) = page_alloc() >> 12;
    w->ram_bytes = bytes;
    return 0;
}

static void ram_free(struct worker *w)
{
    uint64_t pages = w->ram_bytes / 4096;

    for (uint64_t n = 0; n < pages; n++)
        page_free(*frame_slot(w, n) << 12);
    for (uint64_t d = 0; d < WORKER_DIR_MAX && w->frame_dir[d]; d++) {
        page_free(virt_to_phys(w->frame_dir[d]));
        w->frame_dir[d] = 0;
    }
    w->ram_bytes = 0;
}

/* ---- deposits ---- */

static uint64_t *deposit_slot(struct worker *w, uint64_t n)
{
    uint64_t **log = &w->deposit_log[n / 512];
    if (!*log)
        *log = phys_to_virt(page_alloc());
    return &(*log)[n % 512];
}

/* Hands count fresh pages of the root to the hypervisor for the child. */
static int deposit(struct worker *w, unsigned count)
{
    uint64_t pages[DEPOSIT_CHUNK_PAGES];
    unsigned done;

    if (w->deposited_pages + count > WORKER_DEPOSIT_LOG_PAGES * 512 ||
        palloc_free_pages() < count + ROOT_RESERVE_PAGES / 2)
        return -1;
    for (unsigned i = 0; i < count; i++)
        pages[i] = page_alloc() >> 12;
    hv_status_t st = hv_deposit_memory(w->partition_id, pages, count, &done);
    /* Deposited pages leave the root's map until the partition is deleted; the rest
       are still the root's. */
    for (unsigned i = 0; i < count; i++) {
        if (i < done)
            *deposit_slot(w, w->deposited_pages++) = pages[i];
        else
            page_free(pages[i] << 12);
    }
    if (st != HV_STATUS_SUCCESS)
        report(w, ": HvCallDepositMemory: %s", hv_status_name(st));
    return st == HV_STATUS_SUCCESS ? 0 : -1;
}

/* After a call about the child returned st: if the hypervisor ran out of memory,
   deposit more for the child and say "try again" (1). Used as
       do st = hv_...(...); while (deposit_after(w, st, &rounds)); */
static int deposit_after(struct worker *w, hv_status_t st, unsigned *rounds)
{
    if (st != HV_STATUS_INSUFFICIENT_MEMORY || *rounds >= DEPOSIT_ROUNDS_MAX)
        return 0;
    (*rounds)++;
    return deposit(w, DEPOSIT_CHUNK_PAGES) == 0;
}

/* ---- ending a child ---- */

/* Deletes the partition and takes back its RAM and the pages deposited for it (the
   hypervisor returns those to the root's map when it deletes the partition). */
static void teardown(struct worker *w)
{
    if (w->partition_id) {
        hv_status_t st = hv_delete_partition(w->partition_id);
        if (st != HV_STATUS_SUCCESS) {
            /* Its NPT may still map the RAM: keep the pages out of the root's pool. */
            report(w, ": HvCallDeletePartition: %s; its %llu MiB stay unused",
                   hv_status_name(st), (unsigned long long)(w->ram_bytes >> 20));
            w->partition_id = 0;
            return;
        }
        w->partition_id = 0;
    }
    if (w->ram_bytes)
        ram_free(w);
    for (uint64_t n = 0; n < w->deposited_pages; n++)
        page_free(*deposit_slot(w, n) << 12);
    for (unsigned i = 0; i < WORKER_DEPOSIT_LOG_PAGES && w->deposit_log[i]; i++) {
        page_free(virt_to_phys(w->deposit_log[i]));
        w->deposit_log[i] = 0;
    }
    w->deposited_pages = 0;
}

static void stop(struct worker *w, const char *fmt, ...) KPRINTF_FORMAT(2, 3);
static void stop(struct worker *w, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    console_finish(w);
    report(w, ": stopped: %s", why);
    teardown(w);
    w->state = WORKER_STOPPED;
}

static void child_exit(struct worker *w, uint8_t status)
{
    console_finish(w);
    report(w, " exited with status %u", status);
    teardown(w);
    w->exit_status = status;
    w->state = WORKER_EXITED;
}

/* ---- starting a child ---- */

/* A failed step: report it, undo what was done, and leave the worker stopped. */
static void start_failed(struct worker *w, const char *call, hv_status_t st)
{
    report(w, ": cannot start: %s: %s", call, hv_status_name(st));
    teardown(w);
    w->state = WORKER_STOPPED;
}

static hv_status_t map_ram(struct worker *w)
{
    uint64_t pages = w->ram_bytes / 4096, mapped = 0;
    unsigned rounds = 0;
    hv_status_t st = HV_STATUS_SUCCESS;

    /* One directory page (512 page numbers) per call of the wrapper, which splits it
       into input pages; after INSUFFICIENT_MEMORY it goes on from the first page that
       was not mapped. */
    while (mapped < pages) {
        unsigned n = (unsigned)(pages - mapped < 512 - mapped % 512 ? pages - mapped
                                                                    : 512 - mapped % 512);
        unsigned done;
        st = hv_map_gpa_pages(w->partition_id, mapped, CHILD_MAP_FLAGS,
                              frame_slot(w, mapped), n, &done);
        mapped += done;
        if (st != HV_STATUS_SUCCESS && !deposit_after(w, st, &rounds))
            break;
    }
    return st;
}

/* The ports a bare program uses: the UART and the debug-exit port. Everything else
   the hypervisor handles as the machine would without a device there. */
static hv_status_t install_intercepts(struct worker *w)
{
    static const uint16_t first[] = { VUART_BASE, DEBUG_EXIT_PORT };
    static const uint16_t count[] = { VUART_PORTS, 1 };
    hv_status_t st = HV_STATUS_SUCCESS;

    for (unsigned r = 0; r < 2; r++) {
        for (uint16_t port = first[r]; port < first[r] + count[r]; port++) {
            unsigned rounds = 0;
            do
                st = hv_install_intercept(w->partition_id, HV_INTERCEPT_ACCESS_READ |
                                          HV_INTERCEPT_ACCESS_WRITE,
                                          HV_INTERCEPT_TYPE_IO_PORT, port);
            while (deposit_after(w, st, &rounds));
            if (st != HV_STATUS_SUCCESS)
                return st;
        }
    }
    return st;
}

void worker_start(struct worker *w, uint64_t ram_bytes)
{
    struct child_entry entry;
    uint64_t rip;
    char why[160];
    hv_status_t st;
    unsigned rounds = 0;

    vuart_init(&w->uart);
    w->state = WORKER_STOPPED; /* until the VP runs */

    /* 1. The partition. Memory for it and its VP comes from pages deposited for it;
       creating it takes none (INSUFFICIENT_MEMORY then means no ASID is left). */
    st = hv_create_partition(0, 0, &w->partition_id);
    if (st != HV_STATUS_SUCCESS) {
        w->partition_id = 0;
        start_failed(w, "HvCallCreatePartition", st);
        return;
    }
    do
        st = hv_initialize_partition(w->partition_id);
    while (deposit_after(w, st, &rounds));
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallInitializePartition", st);
        return;
    }

    /* 2. Its RAM, filled by the root through its own mapping of the pages: the image
       where its segments say, the loader's first MiB as on the bare machine. */
    if (ram_alloc(w, ram_bytes) != 0) {
        teardown(w);
        return;
    }
    struct guest_ram ram = { w->ram_bytes, ram_page, w };
    const void *image = phys_to_virt(w->image->paddr);
    if (child_load_elf(&ram, image, w->image->size, &rip, why, sizeof(why)) != 0 ||
        child_build_boot_state(&ram, rip, w->spec->args, w->spec->args_len, &entry, why,
                               sizeof(why)) != 0) {
        report(w, ": cannot start: %s: %s", w->image->name, why);
        teardown(w);
        return;
    }

    /* 3. Guest-physical [0, RAM) onto those pages. */
    st = map_ram(w);
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallMapGpaPages", st);
        return;
    }

    /* 4. Its console and exit port come to this worker as intercept messages. */
    st = install_intercepts(w);
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallInstallIntercept", st);
        return;
    }

    /* 5. One VP, RDI (which the initial context lacks) set before it first runs, then
       the rest of the boot protocol's entry state and go. */
    rounds = 0;
    do
        st = hv_create_vp(w->partition_id, 0, 0);
    while (deposit_after(w, st, &rounds));
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallCreateVp", st);
        return;
    }
    struct hv_register_assoc rdi = { .name = HvX64RegisterRdi, .value.reg64 = entry.rdi };
    st = hv_set_vp_registers(w->partition_id, 0, &rdi, 1, 0);
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallSetVpRegisters", st);
        return;
    }
    st = hv_start_virtual_processor(w->partition_id, 0, &entry.context);
    if (st != HV_STATUS_SUCCESS) {
        start_failed(w, "HvCallStartVirtualProcessor", st);
        return;
    }
    w->state = WORKER_RUNNING;
    report(w, ": partition %llu, %llu MiB, %s, entry 0x%llx, %llu pages deposited",
           (unsigned long long)w->partition_id, (unsigned long long)(w->ram_bytes >> 20),
           w->image->name, (unsigned long long)rip,
           (unsigned long long)w->deposited_pages);
}

/* ---- serving intercepts ---- */

/* Lets the VP go on after an intercept: RIP past the instruction, RAX when the
   instruction reads one, and the intercept suspension lifted. */
static void resume(struct worker *w, uint64_t next_rip, int set_rax, uint64_t rax)
{
    struct hv_register_assoc regs[3];
    unsigned n = 0;

    regs[n++] = (struct hv_register_assoc){ .name = HvX64RegisterRip, .value.reg64 = next_rip };
    if (set_rax)
        regs[n++] = (struct hv_register_assoc){ .name = HvX64RegisterRax, .value.reg64 = rax };
    regs[n++] = (struct hv_register_assoc){ .name = HvRegisterInterceptSuspend, .value.reg64 = 0 };
    hv_status_t st = hv_set_vp_registers(w->partition_id, 0, regs, n, 0);
    if (st != HV_STATUS_SUCCESS)
        stop(w, "cannot resume it: HvCallSetVpRegisters: %s", hv_status_name(st));
}

#define IO_ACCESS_SIZE(info) ((info) & 7)
#define IO_ACCESS_STRING 0x08
#define IO_ACCESS_REP 0x10

/* IN and OUT of 1, 2 or 4 bytes: byte by byte to consecutive ports, low byte first, as
   the bare machine's bus does (sim/machine/machine.h). */
static void io_intercept(struct worker *w, const struct hv_x64_io_port_intercept_message *io)
{
    unsigned size = IO_ACCESS_SIZE(io->access_info);
    int write = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_TYPE_WRITE;
    uint64_t rip = io->header.rip;

    if (io->access_info & (IO_ACCESS_STRING | IO_ACCESS_REP)) {
        stop(w, "string I/O (INS/OUTS) at port 0x%x, RIP 0x%llx, is not emulated",
             io->port_number, (unsigned long long)rip);
        return;
    }
    if ((size != 1 && size != 2 && size != 4) || io->header.instruction_length == 0) {
        stop(w, "an I/O intercept at RIP 0x%llx with access size %u and instruction length "
             "%u", (unsigned long long)rip, size, io->header.instruction_length);
        return;
    }
    uint64_t value = 0;
    for (unsigned i = 0; i < size; i++) {
        uint16_t port = (uint16_t)(io->port_number + i);
        uint8_t byte = (uint8_t)(io->rax >> (8 * i));
        int uart = port >= VUART_BASE && port < VUART_BASE + VUART_PORTS;
        if (write && port == DEBUG_EXIT_PORT) {
            child_exit(w, byte);
            return;
        }
        if (write && uart && vuart_write(&w->uart, port - VUART_BASE, byte))
            console_byte(w, byte);
        if (!write)
            value |= (uint64_t)(uart ? vuart_read(&w->uart, port - VUART_BASE) : 0xFF)
                     << (8 * i);
    }
    uint64_t rax = io->rax;
    if (!write) /* IN AL/AX keeps the rest of RAX; IN EAX zero-extends (64-bit mode) */
        rax = size == 4 ? value : (rax & ~((1ull << (8 * size)) - 1)) | value;
    resume(w, rip + io->header.instruction_length, !write, rax);
}

static const char *access_name(unsigned type)
{
    return type == HV_INTERCEPT_ACCESS_TYPE_WRITE ? "write"
           : type == HV_INTERCEPT_ACCESS_TYPE_EXECUTE ? "instruction fetch" : "read";
}

static void halted(struct worker *w, const struct hv_partition_halt_message *h)
{
    switch (h->reason) {
    case HV_HALT_TRIPLE_FAULT:
        stop(w, "triple fault at RIP 0x%llx", (unsigned long long)h->rip);
        break;
    case HV_HALT_UNHANDLED_NPF:
        stop(w, "access to GPA 0x%llx outside its RAM (%llu MiB) at RIP 0x%llx",
             (unsigned long long)h->detail, (unsigned long long)(w->ram_bytes >> 20),
             (unsigned long long)h->rip);
        break;
    case HV_HALT_INVALID_STATE:
        stop(w, "the processor refused its state (VMRUN exit code 0x%llx) at RIP 0x%llx",
             (unsigned long long)h->exit_code, (unsigned long long)h->rip);
        break;
    case HV_HALT_INTERRUPTS_OFF:
        stop(w, "HLT with interrupts off at RIP 0x%llx: nothing can wake it",
             (unsigned long long)h->rip);
        break;
    case HV_HALT_UNEXPECTED_EXIT:
        stop(w, "an exit the hypervisor does not handle (exit code 0x%llx) at RIP 0x%llx",
             (unsigned long long)h->exit_code, (unsigned long long)h->rip);
        break;
    default:
        stop(w, "halted by the hypervisor (reason %u, exit code 0x%llx) at RIP 0x%llx",
             h->reason, (unsigned long long)h->exit_code, (unsigned long long)h->rip);
        break;
    }
}

/* The payload must hold the structure the type promises. */
#define PAYLOAD_HOLDS(m, type) ((m)->header.payload_size >= sizeof(type))

void worker_handle_message(struct worker *w, const struct hv_message *m)
{
    const void *p = m->payload.bytes;

    if (w->state != WORKER_RUNNING)
        return; /* sent before the child ended; nothing waits for it */
    w->intercepts++;
    switch (m->header.message_type) {
    case HVMSG_X64_IO_PORT_INTERCEPT:
        if (PAYLOAD_HOLDS(m, struct hv_x64_io_port_intercept_message))
            io_intercept(w, p);
        else
            stop(w, "a short I/O intercept message (%u bytes)", m->header.payload_size);
        break;
    case HVMSG_UNMAPPED_GPA:
    case HVMSG_GPA_INTERCEPT: {
        /* The root maps all of a child's RAM with every right, so either means an
           access outside it. */
        const struct hv_x64_memory_intercept_message *mem = p;
        if (!PAYLOAD_HOLDS(m, struct hv_x64_memory_intercept_message)) {
            stop(w, "a short GPA intercept message (%u bytes)", m->header.payload_size);
            break;
        }
        stop(w, "%s of GPA 0x%llx %s (%llu MiB) at RIP 0x%llx",
             access_name(mem->header.intercept_access_type),
             (unsigned long long)mem->guest_physical_address,
             m->header.message_type == HVMSG_UNMAPPED_GPA ? "outside its RAM"
                                                          : "that its map does not allow",
             (unsigned long long)(w->ram_bytes >> 20), (unsigned long long)mem->header.rip);
        break;
    }
    case HVMSG_HVSIM_PARTITION_HALTED:
        if (PAYLOAD_HOLDS(m, struct hv_partition_halt_message))
            halted(w, p);
        else
            stop(w, "a short halt message (%u bytes)", m->header.payload_size);
        break;
    case HVMSG_X64_CPUID_INTERCEPT: {
        /* Not installed by the root; if one comes, the hypervisor's answer stands. */
        const struct hv_x64_cpuid_intercept_message *c = p;
        struct hv_register_assoc regs[] = {
            { .name = HvX64RegisterRax, .value.reg64 = c->default_result_rax },
            { .name = HvX64RegisterRbx, .value.reg64 = c->default_result_rbx },
            { .name = HvX64RegisterRcx, .value.reg64 = c->default_result_rcx },
            { .name = HvX64RegisterRdx, .value.reg64 = c->default_result_rdx },
        };
        if (!PAYLOAD_HOLDS(m, struct hv_x64_cpuid_intercept_message)) {
            stop(w, "a short CPUID intercept message (%u bytes)", m->header.payload_size);
            break;
        }
        hv_status_t st = hv_set_vp_registers(w->partition_id, 0, regs, 4, 0);
        if (st != HV_STATUS_SUCCESS)
            stop(w, "cannot complete CPUID: HvCallSetVpRegisters: %s", hv_status_name(st));
        else
            resume(w, c->header.rip + c->header.instruction_length, 0, 0);
        break;
    }
    default:
        stop(w, "an intercept message of type 0x%x, which the root does not serve",
             m->header.message_type);
        break;
    }
}
