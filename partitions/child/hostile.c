/* A hostile child: thousands of hypercalls with random codes, control values, blocks
   and addresses from a seeded generator, then one act that must end it. The hypervisor
   must answer every call with a status and keep everything else running; the root must
   stop this child with a clear report while its siblings go on.

   Command line:
     seed=N      the generator's seed (default 1): the same seed, the same calls
     calls=N     how many hypercalls (default 10000)
     end=WHAT    how it ends: read, write or exec (of a GPA outside its RAM: the
                 hypervisor's unmapped-GPA exit), triple (an exception with no IDT),
                 garbage (executing bytes that are no instruction, with no IDT), or
                 exit (it exits with status 0: the barrage alone must not hurt it)
     gpa=N       the GPA read, written or executed (default: 16 MiB past its RAM) */
#include "bootinfo.h"
#include "cmdline.h"
#include "gdt.h"
#include "hvcall.h"
#include "hvdiscover.h"
#include "idt.h"
#include "kprintf.h"
#include "kstring.h"
#include "palloc.h"
#include "vm.h"
#include "x86.h"

#define WILD_VA 0x0000020000000000ull /* user half: free for 4 KiB mappings */
#define SCRATCH_PAGES 4

/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
   generators", 2016): small, fast, and the same sequence on every machine. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t below(uint64_t n) { return rng() % n; }
static int chance(unsigned percent) { return below(100) < percent; }

static uint64_t ram_bytes, self_id;
static uint8_t *scratch;      /* SCRATCH_PAGES contiguous pages: inputs and outputs */

/* A partition id worth trying: nobody, the root, itself, a neighbour, self, garbage. */
static uint64_t any_partition(void)
{
    static const uint64_t ids[] = { 0, 1, 2, 3, HV_PARTITION_ID_SELF, 0x7ff };
    return chance(20) ? rng() : chance(30) ? self_id : ids[below(6)];
}

/* Input GPAs: the scratch pages (aligned, misaligned, across a page end), anywhere in
   its own RAM (the hypervisor only reads input), past its RAM, and addresses that are
   the hypervisor's or the root's on the host (hv/abi/hvboot.h), which a child's map
   does not have. */
static uint64_t any_input_gpa(void)
{
    uint64_t s = virt_to_phys(scratch);
    switch (below(10)) {
    case 0: case 1: case 2: return s + 8 * below(SCRATCH_PAGES * 512);
    case 3: return s + below(SCRATCH_PAGES * 4096);
    case 4: return s + 4096 * below(SCRATCH_PAGES) + 4096 - 8 * below(32);
    case 5: return below(ram_bytes) & ~7ull;
    case 6: return ram_bytes + 8 * below(1u << 20);
    case 7: return below(32u << 20) & ~7ull;       /* the hypervisor's host range */
    case 8: return (32u << 20) + (below(1u << 28) & ~7ull); /* the root's */
    default: {
        static const uint64_t odd[] = { 0, 8, 0xFFFFFFFFFFFFF000ull, 1ull << 40,
                                        (1ull << 52) - 4096, 0x8000000000000000ull,
                                        0xFEE00000ull, 0xFFFFFFFFull };
        return odd[below(8)];
    }
    }
}

/* Output GPAs: the hypervisor writes there, so only the scratch pages (at any offset),
   page 0, or places outside its RAM, never its own code, stack or tables. */
static uint64_t any_output_gpa(void)
{
    uint64_t s = virt_to_phys(scratch);
    switch (below(6)) {
    case 0: case 1: return s + 8 * below(SCRATCH_PAGES * 512);
    case 2: return s + below(SCRATCH_PAGES * 4096 - 256);
    case 3: return 8 * below(512);
    case 4: return ram_bytes + 8 * below(1u << 20);
    default: {
        uint64_t g = any_input_gpa();
        return g >= ram_bytes ? g : 0;
    }
    }
}

/* Fills the scratch pages with what the calls' blocks hold: partition ids, connection
   ids, flags, sizes, page numbers, all plausible or not. */
static void scramble_scratch(void)
{
    uint64_t *q = (uint64_t *)scratch;
    for (unsigned i = 0; i < SCRATCH_PAGES * 512; i++) {
        switch (below(8)) {
        case 0: q[i] = any_partition(); break;
        case 1: q[i] = HV_CONNECTION_ID(any_partition() & 0xfff, below(17)) |
                       below(300) << 32; break;
        case 2: q[i] = below(16); break;
        case 3: q[i] = below(ram_bytes >> 12); break;
        case 4: q[i] = 0; break;
        default: q[i] = rng(); break;
        }
    }
}

static uint64_t any_control(void)
{
    unsigned n;
    const struct hv_call_info *table = hv_call_table(&n);
    uint16_t code;
    unsigned kind = HVCALL_SIMPLE;

    if (chance(65)) {
        const struct hv_call_info *c = &table[below(n)];
        code = c->code;
        kind = c->kind;
    } else {
        code = (uint16_t)(chance(50) ? below(0x100) : rng());
    }
    unsigned reps = kind == HVCALL_REP ? (chance(70) ? 1 + below(8) : below(4096))
                                       : (chance(90) ? 0 : below(4096));
    unsigned start = chance(80) ? 0 : below(reps + 2);
    unsigned varhead = chance(80) ? 0 : (unsigned)below(chance(50) ? 4 : 1024);
    uint64_t v = hv_input_value(code, reps, start, varhead, chance(15));
    if (chance(8))
        v |= rng() & HV_INPUT_RESERVED_MASK;
    return v;
}

static uint64_t status_counts[32];

static void barrage(uint64_t calls)
{
    for (uint64_t i = 0; i < calls; i++) {
        if (i % 64 == 0)
            scramble_scratch();
        uint64_t control = any_control();
        uint64_t r;
        if (control & HV_INPUT_FAST)
            r = hv_hypercall(control, chance(50) ? rng() : any_partition(), rng());
        else
            r = hv_hypercall(control, any_input_gpa(), any_output_gpa());
        status_counts[HV_RESULT_STATUS(r) < 31 ? HV_RESULT_STATUS(r) : 31]++;
    }
}

static void report(uint64_t calls, uint64_t seed)
{
    kprintf("hostile: %llu hypercalls (seed %llu):", (unsigned long long)calls,
            (unsigned long long)seed);
    for (unsigned s = 0; s < 32; s++)
        if (status_counts[s])
            kprintf(" %s %llu", s == 31 ? "other" : hv_status_name((hv_status_t)s),
                    (unsigned long long)status_counts[s]);
    kprintf("\n");
}

/* ---- the end ---- */

static void no_idt(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0, 0 };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static void map_wild(uint64_t gpa, int exec)
{
    uint64_t flags = PTE_W | (exec ? 0 : PTE_NX);
    if (vm_map(vm_kernel_pml4(), WILD_VA, gpa & PTE_ADDR_MASK, flags) != 0)
        kprintf("hostile: cannot map GPA 0x%llx\n", (unsigned long long)gpa);
}

int main(void)
{
    const char *cmd = boot_cmdline();
    struct hv_discovery hv;
    uint64_t seed = cmdline_u64(cmd, "seed", 1);
    uint64_t calls = cmdline_u64(cmd, "calls", 10000);

    gdt_init();
    idt_init();
    palloc_init();
    vm_init();
    ram_bytes = boot_info()->ram_bytes;
    uint64_t wild = cmdline_u64(cmd, "gpa", ram_bytes + (16u << 20));
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;

    if (!hv_discover(&hv) || hvcall_enable(HVSIM_GUEST_OS_ID) != 0) {
        kprintf("hostile: no hypervisor to attack: run me as a child\n");
        return 1;
    }
    hv_get_partition_id(&self_id);
    /* Contiguous scratch pages: the bump allocator hands them out in order. */
    scratch = phys_to_virt(page_alloc());
    for (unsigned i = 1; i < SCRATCH_PAGES; i++)
        page_alloc();

    barrage(calls);
    report(calls, seed);
    uint64_t id = 0;
    hv_status_t st = hv_get_partition_id(&id);
    kprintf("hostile: still standing: GetPartitionId %s, id %llu\n", hv_status_name(st),
            (unsigned long long)id);

    const char *end = cmdline_has(cmd, "end=write") ? "write"
                      : cmdline_has(cmd, "end=exec") ? "exec"
                      : cmdline_has(cmd, "end=triple") ? "triple"
                      : cmdline_has(cmd, "end=garbage") ? "garbage"
                      : cmdline_has(cmd, "end=exit") ? "exit" : "read";
    if (strcmp(end, "exit") == 0)
        return 0;
    if (strcmp(end, "triple") == 0) {
        kprintf("hostile: an exception with no IDT (a triple fault)\n");
        no_idt();
        __asm__ volatile("int3");
    } else if (strcmp(end, "garbage") == 0) {
        uint8_t *page = phys_to_virt(page_alloc());
        memset(page, 0xFF, 64); /* FF /7 is no instruction: #UD (SDM vol. 2 table A-6) */
        kprintf("hostile: executing garbage at 0x%llx with no IDT\n",
                (unsigned long long)virt_to_phys(page));
        no_idt();
        ((void (*)(void))page)();
    } else {
        kprintf("hostile: now %s GPA 0x%llx, outside its RAM (%llu MiB)\n",
                strcmp(end, "read") == 0 ? "reading" : strcmp(end, "write") == 0
                ? "writing" : "executing", (unsigned long long)wild,
                (unsigned long long)(ram_bytes >> 20));
        map_wild(wild, strcmp(end, "exec") == 0);
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(WILD_VA | (wild & 0xff8));
        if (strcmp(end, "read") == 0)
            (void)*p;
        else if (strcmp(end, "write") == 0)
            *p = 0x6b6b6b6b6b6b6b6bull;
        else
            ((void (*)(void))(uintptr_t)p)();
    }
    kprintf("hostile: still running after the end (%s): the hypervisor let it pass\n", end);
    return 2;
}
