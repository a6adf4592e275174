/* The ELF loader of the boot protocol (DESIGN.md): an ELF64 EM_X86_64 ET_EXEC static
 * image; each PT_LOAD at its p_paddr, zero-filled past p_filesz, inside RAM and not
 * below 1 MiB. Every segment is checked before the first byte is copied, so a bad
 * image leaves RAM untouched. Field meanings: System V ABI, "Program Header". */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct elf_file {
	const char *path;
	uint8_t *bytes;   /* the whole file */
	size_t size;
	Elf *elf;
	char *err;
	size_t errlen;
};

static bool fail(struct elf_file *f, const char *fmt, ...)
{
	int n = snprintf(f->err, f->errlen, "%s: ", f->path);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < f->errlen)
		vsnprintf(f->err + n, f->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* Reads the whole file: the truncation checks below compare against its real size. */
static bool read_file(struct elf_file *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(f, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(f, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(f, "not a regular file; give the path of an ELF image");
	}
	f->size = (size_t)st.st_size;
	f->bytes = malloc(f->size ? f->size : 1);
	if (!f->bytes) {
		close(fd);
		return fail(f, "out of host memory reading %zu bytes", f->size);
	}
	size_t got = 0;
	while (got < f->size) {
		ssize_t r = read(fd, f->bytes + got, f->size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return fail(f, "read error: %s", strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != f->size)
		return fail(f, "file shrank while being read (%zu of %zu bytes)", got, f->size);
	return true;
}

static const char *machine_name(unsigned em)
{
	switch (em) {
	case EM_386: return "i386";
	case EM_ARM: return "ARM";
	case EM_AARCH64: return "AArch64";
	case EM_RISCV: return "RISC-V";
	case EM_PPC64: return "PowerPC64";
	case EM_S390: return "s390";
	case EM_MIPS: return "MIPS";
	case EM_SPARCV9: return "SPARC V9";
	default: return "another architecture";
	}
}

/* The ELF header: identity, class, byte order, machine, type (System V ABI "ELF Header"). */
static bool check_header(struct elf_file *f, GElf_Ehdr *eh)
{
	if (f->size < EI_NIDENT || memcmp(f->bytes, ELFMAG, SELFMAG) != 0)
		return fail(f, "not an ELF file (no \\177ELF magic); give a linked x86-64 image");
	if (f->bytes[EI_CLASS] == ELFCLASS32)
		return fail(f, "32-bit ELF (ELFCLASS32); hvsim runs ELF64 x86-64 images");
	if (f->bytes[EI_CLASS] != ELFCLASS64)
		return fail(f, "unknown ELF class %u; hvsim runs ELF64 x86-64 images",
			    f->bytes[EI_CLASS]);
	if (f->bytes[EI_DATA] != ELFDATA2LSB)
		return fail(f, "big-endian or unknown ELF data encoding %u; x86-64 is little-endian",
			    f->bytes[EI_DATA]);

	if (f->size < sizeof(Elf64_Ehdr))
		return fail(f, "ELF header truncated (%zu of %zu bytes); the file is truncated",
			    f->size, sizeof(Elf64_Ehdr));

	f->elf = elf_memory((char *)f->bytes, f->size);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF)
		return fail(f, "not a valid ELF file (%s)", elf_errmsg(-1));
	if (!gelf_getehdr(f->elf, eh))
		return fail(f, "ELF header truncated or corrupt (%s)", elf_errmsg(-1));
	if (eh->e_machine != EM_X86_64)
		return fail(f, "built for machine %u (%s), not x86-64 (EM_X86_64); build it "
			    "with the host x86-64 gcc", eh->e_machine, machine_name(eh->e_machine));
	if (eh->e_type == ET_DYN)
		return fail(f, "position-independent (ET_DYN), not ET_EXEC; link with "
			    "-static -no-pie");
	if (eh->e_type != ET_EXEC)
		return fail(f, "ELF type %u is not an executable (ET_EXEC); give a linked image",
			    eh->e_type);
	return true;
}

/* Checks one program header; the caller has excluded non-PT_LOAD ones. */
static bool check_segment(struct elf_file *f, size_t i, const GElf_Phdr *ph,
			  const struct physmem *pm)
{
	char ram[32];
	if (ph->p_filesz > ph->p_memsz)
		return fail(f, "segment %zu: p_filesz 0x%" PRIx64 " exceeds p_memsz 0x%" PRIx64
			    "; the image is corrupt", i, ph->p_filesz, ph->p_memsz);
	if (ph->p_offset > f->size || ph->p_filesz > f->size - ph->p_offset)
		return fail(f, "segment %zu: file bytes 0x%" PRIx64 "+0x%" PRIx64 " lie past the "
			    "end of the file (%zu bytes); the file is truncated", i,
			    ph->p_offset, ph->p_filesz, f->size);
	if (ph->p_paddr < BOOT_IMAGE_MIN)
		return fail(f, "segment %zu at 0x%" PRIx64 " lies below 1 MiB, which belongs to "
			    "the loader; link the image at 0x100000 or above", i, ph->p_paddr);
	if (!phys_in_ram(pm, ph->p_paddr, ph->p_memsz))
		return fail(f, "segment %zu at 0x%" PRIx64 " (0x%" PRIx64 " bytes) lies outside "
			    "RAM (%s); raise --mem or relink", i, ph->p_paddr, ph->p_memsz,
			    machine_size_str(pm->size_bytes, ram, sizeof ram));
	return true;
}

/* Zeroes [pa, pa + len) through phys_write_bytes (which tells the decoded-instruction
 * cache), skipping pages already zero: fresh RAM reads as the host's shared zero page, so
 * a large .bss costs no host memory until the guest touches it. */
static void zero_fill(struct physmem *pm, uint64_t pa, uint64_t len)
{
	static const uint8_t zero[PAGE_SIZE];
	while (len) {
		uint64_t n = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
		if (n > len)
			n = len;
		if (memcmp(pm->host + pa, zero, n) != 0)
			phys_write_bytes(pm, pa, zero, n);
		pa += n;
		len -= n;
	}
}

static bool load(struct elf_file *f, struct physmem *pm, struct elf_image *img)
{
	GElf_Ehdr eh;
	if (!check_header(f, &eh))
		return false;
	size_t phnum;
	if (eh.e_phnum == 0)
		return fail(f, "no program headers, so no loadable (PT_LOAD) segment; give a "
			    "linked image");
	if (elf_getphdrnum(f->elf, &phnum) != 0)
		return fail(f, "program header count unreadable (%s)", elf_errmsg(-1));
	/* The program header table itself must lie inside the file (libelf quietly drops
	 * the headers that do not fit, so count them from the ELF header). */
	if (eh.e_phnum != PN_XNUM)
		phnum = eh.e_phnum;
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(f, "program header size %u is not %zu; the image is corrupt",
			    eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phoff > f->size || phnum > (f->size - eh.e_phoff) / sizeof(Elf64_Phdr))
		return fail(f, "program headers (%zu at 0x%" PRIx64 ") lie past the end of the "
			    "file (%zu bytes); the file is truncated", phnum, eh.e_phoff, f->size);

	/* Pass 1: validate everything; nothing is written yet. */
	unsigned nr_load = 0;
	uint64_t end = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f->elf, (int)i, &ph))
			return fail(f, "program header %zu truncated or corrupt (%s)", i,
				    elf_errmsg(-1));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return fail(f, "dynamically linked (segment %zu is %s); link with -static",
				    i, ph.p_type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (!check_segment(f, i, &ph, pm))
			return false;
		nr_load++;
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	if (nr_load == 0)
		return fail(f, "no loadable (PT_LOAD) segment; give a linked image");

	/* Pass 2: copy, in program-header order (overlapping segments: the later wins). */
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		gelf_getphdr(f->elf, (int)i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		phys_write_bytes(pm, ph.p_paddr, f->bytes + ph.p_offset, ph.p_filesz);
		zero_fill(pm, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz);
	}
	img->entry = eh.e_entry;
	img->end_pa = end;
	return true;
}

bool elf_load(struct physmem *pm, const char *path, struct elf_image *img, char *err,
	      size_t errlen)
{
	struct elf_file f = { .path = path, .err = err, .errlen = errlen };
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf is out of date (%s)", elf_errmsg(-1));
		return false;
	}
	bool ok = read_file(&f) && load(&f, pm, img);
	if (f.elf)
		elf_end(f.elf);
	free(f.bytes);
	return ok;
}

/* The image's bytes come from memory (a recording's copy, sim/machine/record.c): checked
 * and loaded exactly as a file's; name stands for the path in messages. */
bool elf_load_bytes(struct physmem *pm, const char *name, const uint8_t *bytes, size_t size,
		    struct elf_image *img, char *err, size_t errlen)
{
	struct elf_file f = { .path = name, .size = size, .err = err, .errlen = errlen };
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf is out of date (%s)", elf_errmsg(-1));
		return false;
	}
	f.bytes = malloc(size ? size : 1); /* libelf gets a private copy, as from read_file */
	if (!f.bytes)
		return fail(&f, "out of host memory reading %zu bytes", size);
	memcpy(f.bytes, bytes, size);
	bool ok = load(&f, pm, img);
	if (f.elf)
		elf_end(f.elf);
	free(f.bytes);
	return ok;
}
