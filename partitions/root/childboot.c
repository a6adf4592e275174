/* Loading a child's image and building its entry state (childboot.h). */
#include "elf64.h"
#include "childboot.h"
#include "kprintf.h"
#include "kstring.h"

#define PAGE_BYTES 4096ull
#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* ---- the child's RAM, page by page ---- */

void guest_ram_write(const struct guest_ram *r, uint64_t gpa, const void *src, uint64_t n)
{
    const uint8_t *s = src;
    while (n) {
        uint64_t off = gpa % PAGE_BYTES, chunk = PAGE_BYTES - off;
        if (chunk > n)
            chunk = n;
        memcpy(r->page(r->ctx, gpa / PAGE_BYTES) + off, s, chunk);
        gpa += chunk;
        s += chunk;
        n -= chunk;
    }
}

void guest_ram_zero(const struct guest_ram *r, uint64_t gpa, uint64_t n)
{
    while (n) {
        uint64_t off = gpa % PAGE_BYTES, chunk = PAGE_BYTES - off;
        if (chunk > n)
            chunk = n;
        memset(r->page(r->ctx, gpa / PAGE_BYTES) + off, 0, chunk);
        gpa += chunk;
        n -= chunk;
    }
}

void guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *dst, uint64_t n)
{
    uint8_t *d = dst;
    while (n) {
        uint64_t off = gpa % PAGE_BYTES, chunk = PAGE_BYTES - off;
        if (chunk > n)
            chunk = n;
        memcpy(d, r->page(r->ctx, gpa / PAGE_BYTES) + off, chunk);
        gpa += chunk;
        d += chunk;
        n -= chunk;
    }
}

static void put64(const struct guest_ram *r, uint64_t gpa, uint64_t v)
{
    guest_ram_write(r, gpa, &v, 8); /* x86 is little-endian, like the boot info */
}

static void put32(const struct guest_ram *r, uint64_t gpa, uint32_t v)
{
    guest_ram_write(r, gpa, &v, 4);
}

static const char *size_str(uint64_t bytes, char *buf, size_t len)
{
    if (bytes % GiB == 0)
        ksnprintf(buf, len, "%llu GiB", (unsigned long long)(bytes / GiB));
    else
        ksnprintf(buf, len, "%llu MiB", (unsigned long long)(bytes / MiB));
    return buf;
}

/* ---- the ELF image (System V gABI "ELF Header", "Program Header") ---- */



/* Program header i, copied out (the module need not be aligned for it). */
static struct elf64_phdr phdr(const uint8_t *image, const struct elf64_ehdr *eh, unsigned i)
{
    struct elf64_phdr ph;
    memcpy(&ph, image + eh->phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
    return ph;
}

int child_load_elf(const struct guest_ram *r, const void *image, uint64_t size,
                   uint64_t *entry, char *why, size_t why_len)
{
    const uint8_t *bytes = image;
    struct elf64_ehdr eh;
    char ram[24];

    if (size < sizeof(eh) || memcmp(bytes, "\177ELF", 4) != 0) {
        ksnprintf(why, why_len, "not an ELF file");
        return -1;
    }
    memcpy(&eh, bytes, sizeof(eh));
    if (eh.ident[4] != ELFCLASS64 || eh.ident[5] != ELFDATA2LSB) {
        ksnprintf(why, why_len, "not a little-endian ELF64 file");
        return -1;
    }
    if (eh.machine != EM_X86_64 || eh.type != ET_EXEC) {
        ksnprintf(why, why_len, "not an x86-64 executable (machine %u, type %u)",
                  eh.machine, eh.type);
        return -1;
    }
    if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phoff > size ||
        (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff) {
        ksnprintf(why, why_len, "the program headers lie outside the file");
        return -1;
    }
    /* Every segment is checked before the first byte is written. */
    unsigned loads = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph = phdr(bytes, &eh, i);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        loads++;
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset) {
            ksnprintf(why, why_len, "segment %u lies outside the file", i);
            return -1;
        }
        if (ph.paddr < CHILD_IMAGE_MIN || ph.paddr > r->bytes ||
            ph.memsz > r->bytes - ph.paddr) {
            ksnprintf(why, why_len, "segment %u at 0x%llx (%llu bytes) lies %s", i,
                      (unsigned long long)ph.paddr, (unsigned long long)ph.memsz,
                      ph.paddr < CHILD_IMAGE_MIN ? "below 1 MiB, which the loader owns"
                                                 : "outside its RAM");
            if (ph.paddr >= CHILD_IMAGE_MIN) {
                size_t n = strlen(why);
                ksnprintf(why + n, why_len - n, " (%s)", size_str(r->bytes, ram, sizeof(ram)));
            }
            return -1;
        }
    }
    if (loads == 0) {
        ksnprintf(why, why_len, "no PT_LOAD segment");
        return -1;
    }
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph = phdr(bytes, &eh, i);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        guest_ram_write(r, ph.paddr, bytes + ph.offset, ph.filesz);
        guest_ram_zero(r, ph.paddr + ph.filesz, ph.memsz - ph.filesz);
    }
    *entry = eh.entry;
    return 0;
}

/* ---- the entry state ---- */

/* Flat descriptors (Intel SDM vol. 3 §3.4.5): base 0, limit 0xFFFFF, G = 1; code: P, S,
   type 0xB (execute/read, accessed), L = 1; data: P, S, type 0x3, D/B = 1. */
#define GDT_CODE64 0x00AF9B000000FFFFull
#define GDT_DATA 0x00CF93000000FFFFull

/* The attribute word of a segment register (hvregs.h: the VMCB layout) is descriptor
   bits 47:40 and 55:52 side by side (AMD APM vol. 2 §15.5.1). */
static uint16_t seg_attr(uint64_t desc)
{
    return (uint16_t)(((desc >> 40) & 0xFF) | (((desc >> 52) & 0xF) << 8));
}

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

/* PML4 -> one PDPT -> one page directory per GiB, 2 MiB pages, supervisor, writable,
   executable: all of RAM and nothing beyond it (AMD APM vol. 2 §5.3). */
static void build_identity_map(const struct guest_ram *r)
{
    uint64_t nr_gib = (r->bytes + GiB - 1) / GiB;

    put64(r, CHILD_PML4_GPA, CHILD_PDPT_GPA | PTE_P | PTE_RW);
    for (uint64_t g = 0; g < nr_gib; g++) {
        uint64_t pd = CHILD_PD_GPA + g * PAGE_BYTES;
        put64(r, CHILD_PDPT_GPA + 8 * g, pd | PTE_P | PTE_RW);
        for (uint64_t k = 0; k < 512 && g * GiB + k * 2 * MiB < r->bytes; k++)
            put64(r, pd + 8 * k, (g * GiB + k * 2 * MiB) | PTE_P | PTE_RW | PTE_PS);
    }
}

/* Control registers at entry (DESIGN.md): CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE,
   EFER = LME|LMA|NXE. */
#define CR0_ENTRY (0x1ull | 0x2ull | 0x10ull | 0x20ull | 0x10000ull | 0x80000000ull)
#define CR4_ENTRY 0x20ull
#define EFER_ENTRY (0x100ull | 0x400ull | 0x800ull)
/* PAT power-up value: WB, WT, UC-, UC in both halves (Intel SDM vol. 3 §13.12.4). */
#define PAT_RESET 0x0007040600070406ull

#define BOOT_INFO_MAGIC 0x42534856u /* "HVSB" */
#define BOOT_INFO_VERSION 1

int child_build_boot_state(const struct guest_ram *r, uint64_t entry, const char *cmdline,
                           size_t cmdline_len, struct child_entry *e, char *why,
                           size_t why_len)
{
    if (r->bytes < CHILD_RAM_MIN || r->bytes > CHILD_RAM_MAX || r->bytes % CHILD_RAM_ALIGN) {
        ksnprintf(why, why_len, "RAM of %llu bytes: want a multiple of 2 MiB from 16 MiB "
                  "to 64 GiB", (unsigned long long)r->bytes);
        return -1;
    }
    if (cmdline_len > CHILD_CMDLINE_MAX) {
        ksnprintf(why, why_len, "a command line of %u bytes: at most %d",
                  (unsigned)cmdline_len, CHILD_CMDLINE_MAX);
        return -1;
    }
    /* The loader's area starts clean, as on the bare machine. */
    guest_ram_zero(r, CHILD_GDT_GPA, CHILD_STACK_TOP - CHILD_GDT_GPA);

    static const uint64_t gdt[3] = { 0, GDT_CODE64, GDT_DATA };
    guest_ram_write(r, CHILD_GDT_GPA, gdt, sizeof(gdt));
    build_identity_map(r);

    guest_ram_write(r, CHILD_CMDLINE_GPA, cmdline, cmdline_len); /* NUL: zeroed above */
    put32(r, CHILD_BOOT_INFO_GPA + 0, BOOT_INFO_MAGIC);
    put32(r, CHILD_BOOT_INFO_GPA + 4, BOOT_INFO_VERSION);
    put64(r, CHILD_BOOT_INFO_GPA + 8, r->bytes);
    put64(r, CHILD_BOOT_INFO_GPA + 16, CHILD_CMDLINE_GPA);
    put32(r, CHILD_BOOT_INFO_GPA + 24, 0); /* no modules */
    put32(r, CHILD_BOOT_INFO_GPA + 28, 1); /* cpus */

    struct hv_initial_vp_context *c = &e->context;
    memset(e, 0, sizeof(*e));
    c->rip = entry;
    c->rsp = CHILD_STACK_TOP;
    c->rflags = 0x2; /* the fixed bit; IF = 0 */
    c->cs = (struct hv_x64_segment_register){ 0, 0xFFFFFFFF, CHILD_SEL_CODE64,
                                              seg_attr(GDT_CODE64) };
    c->ds = (struct hv_x64_segment_register){ 0, 0xFFFFFFFF, CHILD_SEL_DATA,
                                              seg_attr(GDT_DATA) };
    c->es = c->ss = c->ds;
    /* FS, GS null; LDTR and TR keep their reset values (SDM vol. 3 table 10-1). */
    c->ldtr = (struct hv_x64_segment_register){ 0, 0xFFFF, 0, 0x82 };
    c->tr = (struct hv_x64_segment_register){ 0, 0xFFFF, 0, 0x8B };
    c->gdtr = (struct hv_x64_table_register){ { 0 }, sizeof(gdt) - 1, CHILD_GDT_GPA };
    c->idtr = (struct hv_x64_table_register){ { 0 }, 0, 0 }; /* no IDT */
    c->efer = EFER_ENTRY;
    c->cr0 = CR0_ENTRY;
    c->cr3 = CHILD_PML4_GPA;
    c->cr4 = CR4_ENTRY;
    c->msr_cr_pat = PAT_RESET;
    e->rdi = CHILD_BOOT_INFO_GPA;
    return 0;
}
