/* The boot protocol (DESIGN.md "Boot protocol"): load the image and the modules, build
 * the loader's GDT, identity map and boot info in the first MiB, and put the CPU in
 * 64-bit mode at the image's entry point. The memory map is in machine.h. */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- GDT (Intel SDM vol. 3 §3.4.5, AMD APM vol. 2 §4.8) ---- */

/* Flat descriptors: base 0, limit 0xFFFFF with G = 1.
 * Code: P, DPL 0, S, type 0xB (execute/read, accessed), L = 1, D = 0 (64-bit code).
 * Data: P, DPL 0, S, type 0x3 (read/write, accessed), D/B = 1.
 * The accessed bit is preset so the CPU never needs to write the GDT. */
#define GDT_CODE64 0x00AF9B000000FFFFull
#define GDT_DATA 0x00CF93000000FFFFull
#define GDT_ENTRIES 3

/* The hidden attributes of a segment register in the VMCB layout (cpu.h struct seg) are
 * descriptor bits 47:40 and 55:52 side by side (AMD APM vol. 2 §15.5.1). */
static uint16_t seg_attr(uint64_t desc)
{
	return (uint16_t)(((desc >> 40) & 0xFF) | (((desc >> 52) & 0xF) << 8));
}

static void build_gdt(struct physmem *pm)
{
	static const uint64_t gdt[GDT_ENTRIES] = { 0, GDT_CODE64, GDT_DATA };
	phys_write_bytes(pm, BOOT_GDT_ADDR, gdt, sizeof gdt);
}

/* ---- the identity map (AMD APM vol. 2 §5.3: PML4 -> PDPT -> PD, 2 MiB pages) ----
 * One PDPT per 512 GiB, one page directory per GiB. The directories must fit in the
 * loader's area ([BOOT_PD_ADDR, BOOT_TABLES_END): 105 pages), so only the first
 * BOOT_PD_MAX GiB use 2 MiB pages; RAM beyond that is mapped with 1 GiB pages (PS in the
 * PDPTE), except a last, partial GiB, which gets a directory of its own so that nothing
 * beyond RAM is mapped. At most BOOT_PD_MAX + 1 directories are used. */

#define PT_FLAGS (PTE_P | PTE_RW) /* supervisor, writable, executable (NX clear) */

_Static_assert(BOOT_PD_ADDR + (BOOT_PD_MAX + 1) * PAGE_SIZE <= BOOT_TABLES_END,
	       "the page directories must fit below the initial stack");
_Static_assert(BOOT_PDPT_ADDR + 2 * PAGE_SIZE <= BOOT_PD_ADDR,
	       "two PDPTs are needed to map 1 TiB");

static void build_identity_map(struct physmem *pm, uint64_t ram_bytes)
{
	uint64_t nr_gib = (ram_bytes + GiB - 1) / GiB;
	uint64_t nr_pdpt = (nr_gib + 511) / 512;
	uint64_t next_pd = BOOT_PD_ADDR;

	for (uint64_t j = 0; j < nr_pdpt; j++)
		phys_write(pm, BOOT_PML4_ADDR + 8 * j, 8, (BOOT_PDPT_ADDR + j * PAGE_SIZE) | PT_FLAGS);

	for (uint64_t g = 0; g < nr_gib; g++) {
		uint64_t pdpte_pa = BOOT_PDPT_ADDR + 8 * g; /* PDPTs are contiguous */
		uint64_t gib_base = g * GiB;
		bool partial = ram_bytes - gib_base < GiB;
		if (g >= BOOT_PD_MAX && !partial) {
			phys_write(pm, pdpte_pa, 8, gib_base | PT_FLAGS | PTE_PS);
			continue;
		}
		phys_write(pm, pdpte_pa, 8, next_pd | PT_FLAGS);
		for (uint64_t k = 0; k < 512 && gib_base + k * 2 * MiB < ram_bytes; k++)
			phys_write(pm, next_pd + 8 * k, 8, (gib_base + k * 2 * MiB) | PT_FLAGS | PTE_PS);
		next_pd += PAGE_SIZE;
	}
}

/* ---- boot modules: raw files, page-aligned, above the image ---- */

struct module_slot {
	int fd;
	uint64_t pa, size;
};

static bool place_modules(struct machine *m, const struct boot_module *mods, unsigned n,
			  struct module_slot *slot, char *err, size_t errlen)
{
	uint64_t pa = (m->image.end_pa + PAGE_SIZE - 1) & PAGE_MASK;
	char ram[32];
	for (unsigned i = 0; i < n; i++) {
		if (strlen(mods[i].name) >= BOOT_MODULE_NAME_LEN) {
			snprintf(err, errlen, "module name '%s' is longer than %d bytes; shorten it",
				 mods[i].name, BOOT_MODULE_NAME_LEN - 1);
			return false;
		}
		if (mods[i].bytes) {
			/* from memory (a recording): nothing to open */
			slot[i].size = mods[i].size;
		} else if ((slot[i].fd = open(mods[i].path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(err, errlen, "%s: cannot open module: %s", mods[i].path,
				 strerror(errno));
			return false;
		}
		struct stat st;
		if (!mods[i].bytes && (fstat(slot[i].fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			snprintf(err, errlen, "%s: module is not a regular file", mods[i].path);
			return false;
		}
		slot[i].pa = pa;
		if (!mods[i].bytes)
			slot[i].size = (uint64_t)st.st_size;
		if (!phys_in_ram(&m->pm, pa, slot[i].size)) {
			snprintf(err, errlen, "%s: module %s (%" PRIu64 " bytes) at 0x%" PRIx64
				 " does not fit in RAM (%s); raise --mem", mods[i].path,
				 mods[i].name, slot[i].size, pa,
				 machine_size_str(m->pm.size_bytes, ram, sizeof ram));
			return false;
		}
		pa = (pa + slot[i].size + PAGE_SIZE - 1) & PAGE_MASK;
	}
	return true;
}

static bool copy_module(struct machine *m, const struct boot_module *mod,
			const struct module_slot *s, char *err, size_t errlen)
{
	static uint8_t buf[64 * 1024];
	uint64_t done = 0;
	if (mod->bytes) {
		phys_write_bytes(&m->pm, s->pa, mod->bytes, s->size);
		return true;
	}
	while (done < s->size) {
		size_t want = s->size - done < sizeof buf ? (size_t)(s->size - done) : sizeof buf;
		ssize_t r = read(s->fd, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: module read failed after %" PRIu64 " of %" PRIu64
				 " bytes: %s", mod->path, done, s->size,
				 r < 0 ? strerror(errno) : "the file shrank");
			return false;
		}
		phys_write_bytes(&m->pm, s->pa + done, buf, (uint64_t)r);
		done += (uint64_t)r;
	}
	return true;
}

static bool load_modules(struct machine *m, const struct boot_module *mods, unsigned n,
			 char *err, size_t errlen)
{
	if (n == 0)
		return true;
	struct module_slot *slot = calloc(n, sizeof *slot);
	if (!slot) {
		snprintf(err, errlen, "out of host memory placing %u boot modules", n);
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		slot[i].fd = -1;
	bool ok = place_modules(m, mods, n, slot, err, errlen);
	for (unsigned i = 0; ok && i < n; i++) {
		ok = copy_module(m, &mods[i], &slot[i], err, errlen);
		if (!ok)
			break;
		uint64_t e = BOOT_INFO_ADDR + BOOT_INFO_HEADER_BYTES + (uint64_t)i * BOOT_MODULE_BYTES;
		char name[BOOT_MODULE_NAME_LEN] = { 0 };
		memcpy(name, mods[i].name, strlen(mods[i].name));
		phys_write(&m->pm, e, 8, slot[i].pa);
		phys_write(&m->pm, e + 8, 8, slot[i].size);
		phys_write_bytes(&m->pm, e + 16, name, sizeof name);
	}
	for (unsigned i = 0; i < n; i++)
		if (slot[i].fd >= 0)
			close(slot[i].fd);
	free(slot);
	return ok;
}

/* ---- boot info (DESIGN.md: u32 magic, u32 version, u64 ram_bytes, u64 cmdline,
 * u32 nr_modules, u32 cpus, then the modules) ---- */

static void build_boot_info(struct machine *m, unsigned nr_mods)
{
	struct physmem *pm = &m->pm;
	const char *cmdline = m->cfg.cmdline ? m->cfg.cmdline : "";
	phys_write_bytes(pm, BOOT_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
	phys_write(pm, BOOT_INFO_ADDR + 0, 4, BOOT_INFO_MAGIC);
	phys_write(pm, BOOT_INFO_ADDR + 4, 4, BOOT_INFO_VERSION);
	phys_write(pm, BOOT_INFO_ADDR + 8, 8, pm->size_bytes);
	phys_write(pm, BOOT_INFO_ADDR + 16, 8, BOOT_CMDLINE_ADDR);
	phys_write(pm, BOOT_INFO_ADDR + 24, 4, nr_mods);
	phys_write(pm, BOOT_INFO_ADDR + 28, 4, 1); /* cpus */
}

/* ---- the CPU at entry ---- */

static void set_entry_state(struct cpu *c, uint64_t entry)
{
	memset(c->gpr, 0, sizeof c->gpr);
	c->gpr[RSP] = BOOT_STACK_TOP;
	c->gpr[RDI] = BOOT_INFO_ADDR;
	c->rip = entry;
	cpu_set_rflags(c, FL_FIXED1); /* IF = 0: interrupts off */
	c->cpl = 0;

	struct seg code = { BOOT_SEL_CODE64, seg_attr(GDT_CODE64), 0xFFFFFFFF, 0 };
	struct seg data = { BOOT_SEL_DATA, seg_attr(GDT_DATA), 0xFFFFFFFF, 0 };
	c->seg[SEG_CS] = code;
	c->seg[SEG_DS] = c->seg[SEG_ES] = c->seg[SEG_SS] = data;
	c->seg[SEG_FS] = c->seg[SEG_GS] = (struct seg){ 0 };
	/* LDTR and TR keep their reset values (Intel SDM vol. 3 table 10-1: base 0, limit
	 * 0xFFFF, present); a guest that needs a TSS loads its own with LTR. */
	c->ldtr = (struct seg){ 0, 0x82, 0xFFFF, 0 };
	c->tr = (struct seg){ 0, 0x8B, 0xFFFF, 0 };
	c->gdtr = (struct dtr){ BOOT_GDT_ADDR, GDT_ENTRIES * 8 - 1 };
	c->idtr = (struct dtr){ 0, 0 }; /* no IDT: the first exception is a triple fault */

	c->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	c->cr2 = 0;
	c->cr3 = BOOT_PML4_ADDR;
	c->cr4 = CR4_PAE;
	c->cr8 = 0;
	c->efer = EFER_LME | EFER_LMA | EFER_NXE;
	/* PAT power-up value: WB, WT, UC-, UC in both halves (Intel SDM vol. 3 §13.12.4). */
	c->pat = 0x0007040600070406ull;
	cpu_flush_fast_path(c);
}

bool machine_boot(struct machine *m, const struct boot_module *mods, unsigned nr_mods,
		  char *err, size_t errlen)
{
	const char *cmdline = m->cfg.cmdline ? m->cfg.cmdline : "";
	if (strlen(cmdline) > BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "--cmdline is %zu bytes; the boot protocol allows at most %d",
			 strlen(cmdline), BOOT_CMDLINE_MAX);
		return false;
	}
	if (nr_mods > BOOT_MODULES_MAX) {
		snprintf(err, errlen, "%u boot modules given; the boot info holds at most %d",
			 nr_mods, (int)BOOT_MODULES_MAX);
		return false;
	}
	bool loaded = m->cfg.image_bytes
		? elf_load_bytes(&m->pm, m->cfg.image_path, m->cfg.image_bytes,
				 m->cfg.image_size, &m->image, err, errlen)
		: elf_load(&m->pm, m->cfg.image_path, &m->image, err, errlen);
	if (!loaded)
		return false;
	if (!load_modules(m, mods, nr_mods, err, errlen))
		return false;
	build_gdt(&m->pm);
	build_identity_map(&m->pm, m->pm.size_bytes);
	build_boot_info(m, nr_mods);
	set_entry_state(&m->cpu, m->image.entry);
	return true;
}
