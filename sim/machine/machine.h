/* The board: RAM, the CPU, the I/O-port and MSR buses, the devices, the counter
 * registry, the boot loader and the stats dump (DESIGN.md "Layers", sim/machine).
 * Everything the hvsim CLI needs from the simulated hardware goes through here. */
#ifndef HVSIM_MACHINE_MACHINE_H
#define HVSIM_MACHINE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../devices/debug_exit.h"
#include "../../devices/uart16550.h"
#include "../../devices/x2apic.h"
#include "../base/counters.h"
#include "../base/params.h"
#include "../cpu/cpu.h"
#include "hvcalls.h"
#include "../mmu/phys.h"

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define TiB ((uint64_t)1 << 40)

/* RAM limits: the loader needs the first MiB plus room for an image; the identity map
 * uses 2 MiB pages; 1 TiB is the 40-bit physical address width (MMU_PHYS_ADDR_BITS). */
#define MACHINE_MEM_MIN (16 * MiB)
#define MACHINE_MEM_ALIGN (2 * MiB)
#define MACHINE_MEM_MAX (1 * TiB)
#define MACHINE_MEM_DEFAULT (256 * MiB)

/* Room for error messages: one line, naming the file, the problem and the remedy. */
#define MACHINE_ERR_LEN 1024

/* ---- the boot protocol's memory map (DESIGN.md "Boot protocol") ----
 * The first MiB belongs to the loader: tables and boot info in [0x1000, 0x70000), the
 * initial stack in [0x70000, 0x80000). Every area below is one or more 4 KiB pages. */
#define BOOT_GDT_ADDR 0x1000ull       /* one page: 3 descriptors used, room for 509 more */
#define BOOT_INFO_ADDR 0x2000ull      /* one page: the header and up to 63 modules */
#define BOOT_CMDLINE_ADDR 0x3000ull   /* one page: the NUL-terminated command line */
#define BOOT_CMDLINE_MAX 4095         /* bytes, without the NUL */
#define BOOT_PML4_ADDR 0x4000ull
#define BOOT_PDPT_ADDR 0x5000ull      /* one PDPT per 512 GiB: 2 pages for 1 TiB */
#define BOOT_PD_ADDR 0x7000ull        /* one page directory per GiB of RAM, 2 MiB pages */
#define BOOT_PD_MAX 64                /* GiB mapped with 2 MiB pages; see boot.c */
#define BOOT_TABLES_END 0x70000ull
#define BOOT_STACK_TOP 0x80000ull
#define BOOT_IMAGE_MIN (1 * MiB)      /* segments may not load below this */

#define BOOT_INFO_MAGIC 0x42534856u   /* "HVSB" */
#define BOOT_INFO_VERSION 1
#define BOOT_MODULE_NAME_LEN 48
#define BOOT_INFO_HEADER_BYTES 32
#define BOOT_MODULE_BYTES 64
#define BOOT_MODULES_MAX ((4096 - BOOT_INFO_HEADER_BYTES) / BOOT_MODULE_BYTES)

/* GDT selectors at entry */
#define BOOT_SEL_CODE64 0x08
#define BOOT_SEL_DATA 0x10

/* ---- the I/O-port bus ----
 * Devices are byte-wide (the 16550 and the exit port): a 2- or 4-byte IN/OUT is split
 * into byte accesses to consecutive ports, low byte first, as on an 8-bit ISA bus. */
typedef uint8_t (*io_in_fn)(void *ctx, uint16_t offset);
typedef void (*io_out_fn)(void *ctx, uint16_t offset, uint8_t v);

struct io_dev {
	const char *name;
	uint16_t base, nr_ports;
	void *ctx;
	io_in_fn in;
	io_out_fn out;
};

/* ---- the MSR bus: MSRs the CPU does not implement itself (cpu.h) ---- */
typedef bool (*msr_read_fn)(void *ctx, uint32_t msr, uint64_t *v);
typedef bool (*msr_write_fn)(void *ctx, uint32_t msr, uint64_t v);

struct msr_dev {
	const char *name;
	uint32_t first, last;
	void *ctx;
	msr_read_fn read;
	msr_write_fn write;
};

#define MACHINE_MAX_IO_DEVS 16
#define MACHINE_MAX_MSR_DEVS 8

/* The resolved configuration (what --stats reports under "config"). Strings are
 * borrowed: they must outlive the machine. */
struct machine_config {
	uint64_t mem_bytes;
	const char *image_path;
	/* the image's bytes when they come from memory (a recording: sim/machine/record.h);
	 * NULL: read image_path. image_path then only names the image in messages. */
	const uint8_t *image_bytes;
	size_t image_size;
	const char *cmdline;     /* never NULL: "" when none was given */
	uint64_t max_insns;      /* 0 = no limit */
	uint64_t max_cycles;     /* 0 = no limit */
	bool trace_insns;
	bool check_tlb;          /* --check-tlb: re-walk on every TLB hit */
	unsigned log_mask;       /* --log: LOG_EXITS, LOG_FLUSHES, LOG_HYPERCALLS (cpu.h) */
	struct tlb_config tlb;   /* --tlb (docs/tlb.md) */
	FILE *console;           /* where the UART writes (stdout) */
	FILE *trace_out;         /* where --trace-insns writes (stderr) */
	struct params params;
};

/* A file handed to the loaded image (`hvsim boot`): loaded raw, page-aligned, above
 * the image, and listed in the boot info. */
struct boot_module {
	const char *name;        /* at most BOOT_MODULE_NAME_LEN - 1 bytes */
	const char *path;
	const uint8_t *bytes;    /* non-NULL: the module's contents (a recording's copy) */
	uint64_t size;           /* ... and their length; path then only names it */
};

/* What the ELF loader found */
struct elf_image {
	uint64_t entry;
	uint64_t end_pa;         /* one past the highest byte loaded (p_paddr + p_memsz) */
};

struct machine {
	struct machine_config cfg;
	struct physmem pm;
	struct cpu cpu;
	struct counter_registry counters;

	struct io_dev io[MACHINE_MAX_IO_DEVS];
	unsigned nr_io;
	uint8_t io_port_map[65536]; /* port -> index into io[] + 1; 0 = unclaimed */
	struct msr_dev msr[MACHINE_MAX_MSR_DEVS];
	unsigned nr_msr;

	struct uart16550 uart;
	struct debug_exit debug_exit;
	struct x2apic apic;
	struct hvcall_stats hvcalls;

	struct elf_image image;

	/* counters */
	uint64_t io_reads, io_writes;
	uint64_t io_unclaimed_reads, io_unclaimed_writes;
	uint64_t msr_unclaimed_reads, msr_unclaimed_writes;

	/* the last run */
	enum cpu_stop stop;
	double host_seconds;

	bool pm_ready, cpu_ready;
};

/* machine.c: builds the board (RAM, CPU, buses, devices, counters). Returns false with
 * a one-line message in err when the host cannot provide it; call machine_free either
 * way. */
bool machine_init(struct machine *m, const struct machine_config *cfg, char *err,
		  size_t errlen);
void machine_free(struct machine *m);
/* Claims ports [d->base, d->base + d->nr_ports); aborts on overlap (a programming error). */
void machine_attach_io(struct machine *m, const struct io_dev *d);
void machine_attach_msr(struct machine *m, const struct msr_dev *d);
/* Runs the CPU until it stops, timing the host; returns why (also in m->stop). */
enum cpu_stop machine_run(struct machine *m);
/* hvsim's exit status for the last run (DESIGN.md): the guest's byte on port 0xF4, 3 for
 * a crash (triple fault, halt with interrupts off), 4 for a limit. */
int machine_exit_status(const struct machine *m);
/* Stable names of the stop reasons: "guest-exit", "triple-fault", "halted",
 * "insn-limit", "cycle-limit". */
const char *machine_stop_name(enum cpu_stop stop);
/* "256 MiB", "2 GiB", "1536 KiB": a size as a person writes it. */
const char *machine_size_str(uint64_t bytes, char *buf, size_t len);

/* elf_load.c: validates every segment of the ELF at path, then copies them into RAM.
 * On error nothing has been written and err holds "PATH: what; what to do". */
bool elf_load(struct physmem *pm, const char *path, struct elf_image *img, char *err,
	      size_t errlen);
/* The same for an image already in memory; name stands for the path in messages. */
bool elf_load_bytes(struct physmem *pm, const char *name, const uint8_t *bytes, size_t size,
		    struct elf_image *img, char *err, size_t errlen);

/* boot.c: loads the image and the modules and puts the machine in the boot protocol's
 * entry state. */
bool machine_boot(struct machine *m, const struct boot_module *mods, unsigned nr_mods,
		  char *err, size_t errlen);

/* stats.c: writes the configuration, every counter and the run's outcome to path,
 * atomically (a temporary file in the same directory, then rename). */
enum stats_format { STATS_JSON, STATS_TEXT };
bool stats_write(const struct machine *m, const char *path, enum stats_format fmt,
		 char *err, size_t errlen);
/* Checks early that stats could be written to path (its directory exists and is
 * writable), so a long run does not end in a lost result. */
bool stats_check_path(const char *path, char *err, size_t errlen);

#endif
