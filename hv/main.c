/* hv's entry: from the bare loader's hand-over to the root partition's first
 * instruction, top to bottom (docs/platform.md "The hypervisor (hv/)"):
 *
 *   1. the command line, the console line that says what hv found
 *   2. hv's own GDT/TSS and IDT, so a fault in hv is reported, not a triple fault
 *   3. its page pool: the reservation [0, HV_RESERVED_BYTES) past the image and modules
 *   4. its own page tables, all of host RAM identity-mapped
 *   5. SVM on: EFER.SVME, VM_HSAVE_PA, the shared I/O and MSR permission maps
 *   6. the x2APIC: the scheduler's timer, its rate measured against the TSC
 *   7. the root partition: nested tables, VP 0, its image and boot state
 *   8. the scheduler's loop, which VMRUNs the root and never returns
 *
 * hv is started by the bare boot protocol (shared/DESIGN.md), as a bare image linked at
 * 0x200000; start.S (partitions/lib) calls main with the boot info saved. */
#include <stdarg.h>

#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "gdt.h"
#include "hv.h"
#include "idt.h"
#include "kprintf.h"
#include "kstring.h"
#include "machine.h"
#include "trap.h"
#include "x86.h"

struct hv_config hv_config;
uint64_t hv_ram_bytes;
uint64_t hv_timer_ratio = 1;

#define HV_TIMER_VECTOR T_IRQ_FIRST  /* 32: the scheduler's tick */
#define HV_SPURIOUS_VECTOR T_SPURIOUS
/* The root needs room for the loader's first MiB and an image at 2 MiB */
#define HV_MIN_ROOT_RAM (16ull << 20)

extern char __image_end[];   /* link.ld */

/* ---- fatal ends ---- */

_Noreturn void hv_fatal(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("hv: fatal: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	machine_exit(HV_EXIT_ROOT_FAULT);
}

_Noreturn void hv_bad_input(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("hv: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	machine_exit(HV_EXIT_BAD_INPUT);
}

_Noreturn void hv_root_fatal(struct vp *vp, const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("hv: fatal: the root partition ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	if (vp)
		kprintf(" (VP %u, RIP 0x%llx)", vp->index, (unsigned long long)vp->vmcb->rip);
	kprintf("; hv stops the machine (exit status %d)\n", HV_EXIT_ROOT_FAULT);
	if (hv_config.stats)
		stats_print_all();
	machine_exit(HV_EXIT_ROOT_FAULT);
}

/* Any exception in hv itself is a bug in hv: say where, and stop. */
static void hv_fault(struct trap_frame *tf)
{
	kprintf("hv: fatal: %s in the hypervisor\n", trap_name((unsigned)tf->vector));
	trap_print(tf);
	machine_exit(HV_EXIT_ROOT_FAULT);
}

static void hv_timer(struct trap_frame *tf)
{
	apic_eoi();
	sched_timer_interrupt();
}

/* ---- 1. the command line ---- */

static char hv_options[4096];

/* "root=" at the start of a word: everything after it is the root's (hvboot.h) */
static const char *find_root_option(const char *cl)
{
	size_t n = strlen(HV_BOOT_ROOT_CMDLINE_OPTION);
	for (const char *p = cl; *p; p++)
		if ((p == cl || p[-1] == ' ' || p[-1] == '\t') &&
		    strncmp(p, HV_BOOT_ROOT_CMDLINE_OPTION, n) == 0)
			return p;
	return 0;
}

/* The value of "key=..." in hv's options, up to the next space, or 0 */
static const char *option_word(const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);
	const char *found = 0;
	for (const char *p = hv_options; *p; p++)
		if ((p == hv_options || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=')
			found = p + n + 1;
	if (!found)
		return 0;
	size_t len = 0;
	while (found[len] && found[len] != ' ' && len + 1 < size) {
		buf[len] = found[len];
		len++;
	}
	buf[len] = 0;
	return buf;
}

static void parse_cmdline(const char *cl)
{
	const char *root = find_root_option(cl);
	size_t n = root ? (size_t)(root - cl) : strlen(cl);
	if (n >= sizeof hv_options)
		n = sizeof hv_options - 1;
	memcpy(hv_options, cl, n);
	hv_options[n] = 0;
	hv_config.root_cmdline = root ? root + strlen(HV_BOOT_ROOT_CMDLINE_OPTION) : "";

	hv_config.slice_cycles = cmdline_u64(hv_options, "slice", 100000);
	if (hv_config.slice_cycles < 1000)
		hv_config.slice_cycles = 1000; /* below an exit's cost nothing would run */
	uint64_t budget = cmdline_u64(hv_options, "rep_budget", 128);
	hv_config.rep_budget = budget < 1 ? 1 : budget > HV_MAX_REPS ? HV_MAX_REPS : (unsigned)budget;
	hv_config.stats = cmdline_bool(hv_options, "stats", 0);
	hv_config.verbose = cmdline_bool(hv_options, "verbose", 0);
	hv_config.selftest = cmdline_bool(hv_options, "selftest", 0);

	char word[32];
	hv_config.flush = FLUSH_ASID;
	if (option_word("flush", word, sizeof word)) {
		if (strcmp(word, "full") == 0)
			hv_config.flush = FLUSH_FULL;
		else if (strcmp(word, "asid") == 0)
			hv_config.flush = FLUSH_ASID;
		else if (strcmp(word, "precise") == 0)
			hv_config.flush = FLUSH_PRECISE;
		else {
			hv_bad_input("flush=%s: not a flush policy; use flush=full, flush=asid or "
				     "flush=precise", word);
		}
	}
}

static const char *const policy_names[] = { "full", "asid", "precise" };

/* ---- 3. the pool: what the reservation holds past the image and the modules ---- */

static void pool_setup(const struct boot_info *bi)
{
	uint64_t start = hv_pa(__image_end);
	for (uint32_t i = 0; i < bi->nr_modules; i++) {
		uint64_t end = bi->modules[i].paddr + bi->modules[i].size;
		if (end > HV_RESERVED_BYTES)
			hv_bad_input("boot module %s ends at 0x%llx, past hv's reservation (%llu MiB): "
				 "the loader places modules right after hv's image; make them "
				 "smaller", bi->modules[i].name, (unsigned long long)end,
				 HV_RESERVED_BYTES >> 20);
		if (end > start)
			start = end;
	}
	start = (start + HV_PAGE - 1) & ~(HV_PAGE - 1);
	pool_init(start, HV_RESERVED_BYTES);
}

/* ---- 5. what hv needs of the CPU (CPUID tells the truth: DESIGN.md) ---- */

static void check_cpu(void)
{
	uint32_t r[4];
	cpuid(0x80000000u, 0, r);
	if (r[0] < 0x8000000Au)
		hv_fatal("CPUID has no leaf 0x8000000A: no SVM");
	cpuid(0x80000001u, 0, r);
	if (!(r[2] & (1u << 2)))
		hv_fatal("CPUID 0x80000001 ECX bit 2 clear: the CPU has no SVM");
	cpuid(0x8000000Au, 0, r);
	if (!(r[3] & 1u))
		hv_fatal("CPUID 0x8000000A EDX bit 0 clear: no nested paging");
	if (!(r[3] & (1u << 3)))
		hv_fatal("CPUID 0x8000000A EDX bit 3 clear: no NRIP save");
	if (r[1] < HV_MAX_PARTITIONS + 1)
		hv_fatal("CPUID 0x8000000A reports %u ASIDs; hv needs %u", r[1],
			 HV_MAX_PARTITIONS + 1);
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21)))
		hv_fatal("CPUID 1 ECX bit 21 clear: no x2APIC for the scheduler's timer");
}

/* ---- 6. the timer: one-shot on HV_TIMER_VECTOR; its rate against the TSC ---- */

static void timer_setup(void)
{
	if (apic_init(HV_SPURIOUS_VECTOR) != 0)
		hv_fatal("the x2APIC could not be enabled");
	/* Count down from the top at divide 1 for a while; ticks per cycle is the
	 * apic.timer_ratio the board was built with (docs/devices.md). */
	wrmsr(X2APIC_TIMER_DIVIDE, 0xB);
	wrmsr(X2APIC_LVT_TIMER, (1u << 16) | HV_TIMER_VECTOR); /* masked while measuring */
	wrmsr(X2APIC_TIMER_INITIAL, 0xFFFFFFFFu);
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < 200000)
		;
	uint32_t left = (uint32_t)rdmsr(X2APIC_TIMER_CURRENT);
	uint64_t t1 = rdtsc();
	uint64_t ticks = 0xFFFFFFFFull - left;
	hv_timer_ratio = ticks ? (t1 - t0 + ticks / 2) / ticks : 1;
	if (hv_timer_ratio == 0)
		hv_timer_ratio = 1;
	wrmsr(X2APIC_TIMER_INITIAL, 0);
	wrmsr(X2APIC_LVT_TIMER, HV_TIMER_VECTOR); /* one-shot, unmasked: sched.c arms it */
}

int main(void)
{
	const struct boot_info *bi = boot_info();
	if (!bi)
		hv_fatal("no boot info in RDI: start hv.elf with hvsim (boot protocol)");
	hv_ram_bytes = bi->ram_bytes;
	parse_cmdline(boot_cmdline());
	kprintf("hv: hvsim hypervisor: %llu MiB of RAM, %llu MiB reserved for hv, flush=%s "
		"slice=%llu rep_budget=%u%s%s\n", (unsigned long long)(hv_ram_bytes >> 20),
		HV_RESERVED_BYTES >> 20, policy_names[hv_config.flush],
		(unsigned long long)hv_config.slice_cycles, hv_config.rep_budget,
		hv_config.stats ? " stats" : "", hv_config.selftest ? " selftest" : "");

	/* 2. descriptor tables: every exception in hv is fatal, with the frame */
	gdt_init();
	idt_init();
	for (unsigned v = 0; v < 32; v++)
		trap_register(v, hv_fault);
	trap_register(HV_TIMER_VECTOR, hv_timer);

	if (hv_ram_bytes < HV_RESERVED_BYTES + HV_MIN_ROOT_RAM)
		hv_bad_input("%llu MiB of RAM: hv keeps %llu MiB and the root needs at least %llu; "
			 "raise --mem", (unsigned long long)(hv_ram_bytes >> 20),
			 HV_RESERVED_BYTES >> 20, HV_MIN_ROOT_RAM >> 20);
	pool_setup(bi);                 /* 3 */
	hostmap_init(hv_ram_bytes);     /* 4 */
	check_cpu();                    /* 5 */
	svm_init();
	timer_setup();                  /* 6 */

	if (hv_config.selftest)
		selftest_run();
	if (!boot_module_find(HV_BOOT_MODULE_ROOT)) {
		hv_bad_input("no \"%s\" boot module: nothing to run (start hv with hvsim boot, "
			     "or hvsim run --module root=IMAGE.elf; --cmdline selftest runs hv's "
			     "own checks)", HV_BOOT_MODULE_ROOT);
	}
	root_create();                  /* 7 */
	sched_run();                    /* 8 */
}
