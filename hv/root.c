/* The root partition (hvboot.h): id 1, ASID 1, all host RAM above hv's reservation as
 * its guest-physical RAM [0, RAM - HV_RESERVED_BYTES), mapped linearly with 2 MiB nested
 * pages. hv then does for the root exactly what the bare loader does for an image
 * (shared/DESIGN.md "Boot protocol", sim/machine/boot.c): loads its ELF segments, copies
 * the "children" and "child:*" boot modules above the image, builds the GDT, the
 * identity map and the boot info in the root's first MiB, and sets VP 0 to the entry
 * state. The root runs virtualized, like Hyper-V's: only its I/O ports are its own. */
#include "elf64.h"
#include "bootinfo.h"
#include "hv.h"
#include "kprintf.h"
#include "kstring.h"

/* The loader's layout of the first MiB (sim/machine/machine.h) */
#define ROOT_GDT 0x1000ull
#define ROOT_INFO 0x2000ull
#define ROOT_CMDLINE 0x3000ull
#define ROOT_CMDLINE_MAX 4095
#define ROOT_PML4 0x4000ull
#define ROOT_PDPT 0x5000ull
#define ROOT_PD 0x7000ull
#define ROOT_PD_MAX 64          /* GiB mapped with 2 MiB pages; 1 GiB pages beyond */
#define ROOT_IMAGE_MIN (1ull << 20)
#define ROOT_MODULES_MAX ((4096 - 32) / 64)
#define GDT_CODE64 0x00AF9B000000FFFFull
#define GDT_DATA 0x00CF93000000FFFFull
#define PT_P (1ull << 0)
#define PT_W (1ull << 1)
#define PT_PS (1ull << 7)
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

static struct partition *root;

/* hv's pointer to root GPA gpa: the root's map is linear and whole at boot */
static void *root_mem(uint64_t gpa)
{
	return hv_ptr(HV_RESERVED_BYTES + gpa);
}

static void root_write64(uint64_t gpa, uint64_t v)
{
	*(uint64_t *)root_mem(gpa) = v;
}

/* ---- the root's ELF image (System V gABI "Program Loading") ---- */



/* Loads every PT_LOAD segment at its p_paddr in the root's RAM, zero-filled past
 * p_filesz; returns the entry point and, in *end, one past the highest byte loaded. */
static uint64_t load_image(const struct boot_module *m, uint64_t *end)
{
	const uint8_t *file = hv_ptr(m->paddr);
	const struct elf64_ehdr *eh = (const void *)file;
	if (m->size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 ||
	    eh->ident[5] != 1)
		hv_bad_input("the root module is not an ELF64 little-endian file");
	if (eh->type != ET_EXEC || eh->machine != EM_X86_64)
		hv_bad_input("the root module is not an x86-64 executable (ET_EXEC, EM_X86_64)");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > m->size ||
	    (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > m->size - eh->phoff)
		hv_bad_input("the root module's program headers lie outside the file");
	*end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = (const void *)(file + eh->phoff + i * sizeof *ph);
		if (ph->type != PT_LOAD || ph->memsz == 0)
			continue;
		if (ph->filesz > ph->memsz || ph->offset > m->size || ph->filesz > m->size - ph->offset)
			hv_bad_input("root image segment %u: its bytes lie outside the file", i);
		if (ph->paddr < ROOT_IMAGE_MIN || ph->paddr > root->ram_bytes ||
		    ph->memsz > root->ram_bytes - ph->paddr)
			hv_bad_input("root image segment %u at 0x%llx (+0x%llx) lies outside the root's "
				 "RAM [1 MiB, %llu MiB); relink it or raise --mem", i,
				 (unsigned long long)ph->paddr, (unsigned long long)ph->memsz,
				 (unsigned long long)(root->ram_bytes >> 20));
		memcpy(root_mem(ph->paddr), file + ph->offset, ph->filesz);
		memset((uint8_t *)root_mem(ph->paddr) + ph->filesz, 0, ph->memsz - ph->filesz);
		if (ph->paddr + ph->memsz > *end)
			*end = ph->paddr + ph->memsz;
	}
	if (*end == 0)
		hv_bad_input("the root module has no loadable segment");
	return eh->entry;
}

/* ---- the loader's tables in the root's first MiB ---- */

static void build_identity_map(uint64_t ram)
{
	uint64_t nr_gib = (ram + GIB - 1) / GIB;
	uint64_t nr_pdpt = (nr_gib + 511) / 512;
	uint64_t next_pd = ROOT_PD;
	for (uint64_t j = 0; j < nr_pdpt; j++)
		root_write64(ROOT_PML4 + 8 * j, (ROOT_PDPT + j * HV_PAGE) | PT_P | PT_W);
	for (uint64_t g = 0; g < nr_gib; g++) {
		uint64_t base = g * GIB;
		bool partial = ram - base < GIB;
		if (g >= ROOT_PD_MAX && !partial) {
			root_write64(ROOT_PDPT + 8 * g, base | PT_P | PT_W | PT_PS);
			continue;
		}
		root_write64(ROOT_PDPT + 8 * g, next_pd | PT_P | PT_W);
		for (uint64_t k = 0; k < 512 && base + k * MIB2 < ram; k++)
			root_write64(next_pd + 8 * k, (base + k * MIB2) | PT_P | PT_W | PT_PS);
		next_pd += HV_PAGE;
	}
}

/* Is this boot module one the root gets (hvboot.h)? */
static bool for_root(const struct boot_module *m)
{
	size_t n = strlen(HV_BOOT_MODULE_CHILD_PREFIX);
	return strcmp(m->name, HV_BOOT_MODULE_CHILDREN) == 0 ||
	       strncmp(m->name, HV_BOOT_MODULE_CHILD_PREFIX, n) == 0;
}

static void build_boot_info(uint64_t image_end)
{
	struct boot_info *bi = root_mem(ROOT_INFO);
	uint64_t pa = (image_end + HV_PAGE - 1) & ~(HV_PAGE - 1);
	uint32_t n = 0;
	for (uint32_t i = 0; boot_module(i); i++) {
		const struct boot_module *m = boot_module(i);
		if (!for_root(m))
			continue;
		if (n == ROOT_MODULES_MAX)
			hv_bad_input("more than %d modules for the root", ROOT_MODULES_MAX);
		if (pa > root->ram_bytes || m->size > root->ram_bytes - pa)
			hv_bad_input("boot module %s (%llu bytes) does not fit in the root's RAM above "
				 "its image; raise --mem", m->name, (unsigned long long)m->size);
		memcpy(root_mem(pa), hv_ptr(m->paddr), m->size);
		bi->modules[n].paddr = pa;
		bi->modules[n].size = m->size;
		memcpy(bi->modules[n].name, m->name, sizeof bi->modules[n].name);
		n++;
		pa = (pa + m->size + HV_PAGE - 1) & ~(HV_PAGE - 1);
	}
	size_t len = strlen(hv_config.root_cmdline);
	if (len > ROOT_CMDLINE_MAX)
		len = ROOT_CMDLINE_MAX;
	memcpy(root_mem(ROOT_CMDLINE), hv_config.root_cmdline, len);
	((char *)root_mem(ROOT_CMDLINE))[len] = 0;
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = 1;
	bi->ram_bytes = root->ram_bytes;
	bi->cmdline = ROOT_CMDLINE;
	bi->nr_modules = n;
	bi->cpus = 1;
}

void root_create(void)
{
	root = &partitions[0];
	root->state = PART_ACTIVE;
	root->id = HV_ROOT_PARTITION_ID;
	root->asid = 1;
	root->is_root = true;
	root->privileges = HV_PRIVS_EVERY_PARTITION | HV_PRIVS_ROOT_ONLY;
	root->overlay_gpa = ~0ull;
	root->msrpm_pa = msrpm_default_pa;
	root->map_ops = pool_gpamap_ops;
	root->halt_msg.owner = root;
	root->tlb_control = VMCB_TLB_FLUSH_ASID;
	root->ram_bytes = hv_ram_bytes - HV_RESERVED_BYTES;

	/* the nested map: root GPA g -> host HV_RESERVED_BYTES + g, 2 MiB at a time */
	if (gpamap_init(&root->map, &root->map_ops) != GPAMAP_OK)
		hv_fatal("out of pool pages for the root's nested tables");
	for (uint64_t g = 0; g < root->ram_bytes; g += MIB2)
		if (gpamap_map_2m(&root->map, g, HV_RESERVED_BYTES + g,
				  GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC) != GPAMAP_OK)
			hv_fatal("out of pool pages for the root's nested tables");
	uint64_t q = pool_alloc();
	if (!q)
		hv_fatal("out of pool pages for the root's message queue");
	synic_init_queue(root, hv_ptr(q));

	uint16_t status;
	struct vp *vp = vp_create(root, 0, &status);
	if (!vp)
		hv_fatal("out of pool pages for the root's VP");

	/* the root's RAM starts zeroed (fresh host RAM): only what the loader writes */
	uint64_t image_end;
	uint64_t entry = load_image(boot_module_find(HV_BOOT_MODULE_ROOT), &image_end);
	static const uint64_t gdt[3] = { 0, GDT_CODE64, GDT_DATA };
	memcpy(root_mem(ROOT_GDT), gdt, sizeof gdt);
	build_identity_map(root->ram_bytes);
	build_boot_info(image_end);
	vp->vmcb->rip = entry;   /* vp_reset_state did the rest: RSP, RDI, CR3, ... */
	vp->started = true;

	kprintf("hv: root partition: %llu MiB at host 0x%llx, entry 0x%llx, cmdline \"%s\"\n",
		(unsigned long long)(root->ram_bytes >> 20), HV_RESERVED_BYTES,
		(unsigned long long)entry, hv_config.root_cmdline);
}
