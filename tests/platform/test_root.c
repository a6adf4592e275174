/* Check unit tests of the root partition's portable parts, built for the host:
 * the children file (partitions/root/childlist.c), the emulated UART (vuart.c), and a
 * child's image and entry state (childboot.c), which must match what the bare
 * machine's loader (sim/machine/boot.c) builds, byte for byte and register for
 * register: a program must not be able to tell a child from `hvsim run`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "sim/machine/machine.h"

#include "childboot.h"
#include "childlist.h"
#include "vuart.h"

/* kprintf.c's console sink: the portable files only format into buffers. */
void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

void console_putc(char c)
{
	fputc(c, stderr);
}

/* ---- the children file ---- */

static int parse(const char *text, struct child_spec *specs, unsigned max, char *why)
{
	return childlist_parse(text, strlen(text), specs, max, why, 160);
}

static bool field_is(const char *p, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(p, want, len) == 0;
}

START_TEST(childlist_good)
{
	struct child_spec s[4];
	char why[160];
	int n = parse("fmt\tchild:fmt\t\n\ndigest\tchild:digest\titers=20 v\nlast\tchild:fmt\tx",
		      s, 4, why);
	ck_assert_int_eq(n, 3);
	ck_assert(field_is(s[0].name, s[0].name_len, "fmt"));
	ck_assert(field_is(s[0].module, s[0].module_len, "child:fmt"));
	ck_assert_uint_eq(s[0].args_len, 0);
	ck_assert(field_is(s[1].args, s[1].args_len, "iters=20 v"));
	ck_assert_uint_eq(s[1].line, 3);
	ck_assert(field_is(s[2].name, s[2].name_len, "last"));
	ck_assert(field_is(s[2].args, s[2].args_len, "x"));
	ck_assert_int_eq(parse("", s, 4, why), 0);
	ck_assert_int_eq(parse("\n\n", s, 4, why), 0);
}
END_TEST

START_TEST(childlist_bad)
{
	struct child_spec s[2];
	char why[160];
	ck_assert_int_eq(parse("fmt child:fmt\n", s, 2, why), -1);
	ck_assert_str_eq(why, "line 1: want NAME<TAB>MODULE<TAB>ARGS, found no TAB");
	ck_assert_int_eq(parse("a\tm\t\nfmt\tchild:fmt\n", s, 2, why), -1);
	ck_assert_str_eq(why, "line 2: want NAME<TAB>MODULE<TAB>ARGS, found one TAB");
	ck_assert_int_eq(parse("a\tm\t\na\tm\t\n", s, 2, why), -1);
	ck_assert_str_eq(why, "line 2: the name a is taken by line 1");
	ck_assert_int_eq(parse("root\tm\t\n", s, 2, why), -1);
	ck_assert_int_eq(parse("\tm\t\n", s, 2, why), -1);
	ck_assert_int_eq(parse("a\t\t\n", s, 2, why), -1);
	ck_assert_int_eq(parse("a\tm\tx\ty\n", s, 2, why), -1);
	ck_assert_str_eq(why, "line 1: a TAB in the arguments");
	ck_assert_int_eq(parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\tm\t\n", s, 2, why), -1);
	ck_assert_int_eq(parse("a\tm\t\nb\tm\t\nc\tm\t\n", s, 2, why), -1);
	ck_assert_str_eq(why, "line 3: more than 2 children");
}
END_TEST

/* ---- the UART ---- */

START_TEST(vuart_registers)
{
	struct vuart u;
	vuart_init(&u);
	ck_assert_uint_eq(vuart_read(&u, 5), 0x60); /* LSR: THRE | TEMT */
	ck_assert_int_eq(vuart_write(&u, 0, 'x'), 1);
	ck_assert_uint_eq(vuart_read(&u, 0), 0);    /* nothing received */
	ck_assert_uint_eq(vuart_read(&u, 3), 0x03); /* 8N1 */
	vuart_write(&u, 3, 0x83);                    /* DLAB */
	ck_assert_int_eq(vuart_write(&u, 0, 12), 0); /* DLL, not a byte to send */
	vuart_write(&u, 1, 0);
	ck_assert_uint_eq(vuart_read(&u, 0), 12);
	ck_assert_uint_eq(vuart_read(&u, 1), 0);
	vuart_write(&u, 3, 0x03);
	vuart_write(&u, 1, 0xFF);
	ck_assert_uint_eq(vuart_read(&u, 1), 0x0F); /* IER bits 7:4 read 0 */
	vuart_write(&u, 2, 0xC7);
	ck_assert_uint_eq(vuart_read(&u, 2), 0xC1); /* FIFOs on, no interrupt */
	vuart_write(&u, 7, 0x5A);
	ck_assert_uint_eq(vuart_read(&u, 7), 0x5A);
	ck_assert_uint_eq(vuart_read(&u, 6), 0xB0);
	vuart_write(&u, 4, 0x1F);                    /* loopback, all outputs up */
	ck_assert_uint_eq(vuart_read(&u, 6), 0xF0);
}
END_TEST

/* ---- a child's image and entry state, against the bare loader ---- */

#define RAM_BYTES (64 * MiB)
#define CMDLINE "iters=20 name=child"

struct host_ram {
	uint8_t *bytes;
};

static uint8_t *host_page(void *ctx, uint64_t gpn)
{
	return ((struct host_ram *)ctx)->bytes + gpn * 4096;
}

static uint8_t *read_whole(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(*size);
	ck_assert(fread(b, 1, *size, f) == *size);
	fclose(f);
	return b;
}

_Static_assert(CHILD_GDT_GPA == BOOT_GDT_ADDR && CHILD_BOOT_INFO_GPA == BOOT_INFO_ADDR &&
	       CHILD_CMDLINE_GPA == BOOT_CMDLINE_ADDR && CHILD_PML4_GPA == BOOT_PML4_ADDR &&
	       CHILD_PDPT_GPA == BOOT_PDPT_ADDR && CHILD_PD_GPA == BOOT_PD_ADDR &&
	       CHILD_TABLES_END == BOOT_TABLES_END && CHILD_STACK_TOP == BOOT_STACK_TOP &&
	       CHILD_IMAGE_MIN == BOOT_IMAGE_MIN && CHILD_SEL_CODE64 == BOOT_SEL_CODE64 &&
	       CHILD_SEL_DATA == BOOT_SEL_DATA && CHILD_CMDLINE_MAX == BOOT_CMDLINE_MAX,
	       "a child's loader area is the bare loader's");

static void seg_matches(const struct seg *s, const struct hv_x64_segment_register *r,
			const char *name)
{
	ck_assert_msg(s->sel == r->selector && s->attr == r->attributes &&
		      s->limit == r->limit && s->base == r->base,
		      "%s: bare %04x/%03x/%x/%llx, child %04x/%03x/%x/%llx", name, s->sel,
		      s->attr, s->limit, (unsigned long long)s->base, r->selector, r->attributes,
		      r->limit, (unsigned long long)r->base);
}

START_TEST(child_boot_matches_bare_loader)
{
	/* The bare machine, as `hvsim run --mem 64M --cmdline ...` builds it. */
	struct machine_config cfg = { .mem_bytes = RAM_BYTES, .image_path = BARE_IMAGE,
				      .cmdline = CMDLINE, .console = stdout,
				      .trace_out = stderr };
	params_defaults(&cfg.params);
	tlb_config_defaults(&cfg.tlb);
	struct machine *m = calloc(1, sizeof *m);
	char err[MACHINE_ERR_LEN];
	ck_assert_msg(machine_init(m, &cfg, err, sizeof err), "%s", err);
	ck_assert_msg(machine_boot(m, NULL, 0, err, sizeof err), "%s", err);

	/* The child, as a worker builds it. */
	struct host_ram h = { calloc(1, RAM_BYTES) };
	struct guest_ram ram = { RAM_BYTES, host_page, &h };
	size_t size;
	uint8_t *image = read_whole(BARE_IMAGE, &size);
	uint64_t entry;
	struct child_entry e;
	char why[160];
	ck_assert_msg(child_load_elf(&ram, image, size, &entry, why, sizeof why) == 0, "%s", why);
	ck_assert_msg(child_build_boot_state(&ram, entry, CMDLINE, strlen(CMDLINE), &e, why,
					     sizeof why) == 0, "%s", why);

	/* Memory: every byte of RAM the same (loader area, image, and the zeros). */
	uint8_t *bare = malloc(RAM_BYTES);
	phys_read_bytes(&m->pm, 0, bare, RAM_BYTES);
	for (uint64_t pa = 0; pa < RAM_BYTES; pa += 4096)
		ck_assert_msg(memcmp(bare + pa, h.bytes + pa, 4096) == 0,
			      "RAM differs in the page at 0x%llx", (unsigned long long)pa);

	/* Registers */
	const struct cpu *c = &m->cpu;
	const struct hv_initial_vp_context *x = &e.context;
	ck_assert_uint_eq(x->rip, c->rip);
	ck_assert_uint_eq(x->rsp, c->gpr[RSP]);
	ck_assert_uint_eq(e.rdi, c->gpr[RDI]);
	ck_assert_uint_eq(x->rflags, cpu_get_rflags((struct cpu *)c));
	seg_matches(&c->seg[SEG_CS], &x->cs, "CS");
	seg_matches(&c->seg[SEG_DS], &x->ds, "DS");
	seg_matches(&c->seg[SEG_ES], &x->es, "ES");
	seg_matches(&c->seg[SEG_SS], &x->ss, "SS");
	seg_matches(&c->seg[SEG_FS], &x->fs, "FS");
	seg_matches(&c->seg[SEG_GS], &x->gs, "GS");
	seg_matches(&c->ldtr, &x->ldtr, "LDTR");
	seg_matches(&c->tr, &x->tr, "TR");
	ck_assert_uint_eq(x->gdtr.base, c->gdtr.base);
	ck_assert_uint_eq(x->gdtr.limit, c->gdtr.limit);
	ck_assert_uint_eq(x->idtr.base, c->idtr.base);
	ck_assert_uint_eq(x->idtr.limit, c->idtr.limit);
	ck_assert_uint_eq(x->cr0, c->cr0);
	ck_assert_uint_eq(x->cr3, c->cr3);
	ck_assert_uint_eq(x->cr4, c->cr4);
	ck_assert_uint_eq(x->efer, c->efer);
	ck_assert_uint_eq(x->msr_cr_pat, c->pat);
	for (unsigned r = 0; r < 16; r++)
		if (r != RSP && r != RDI)
			ck_assert_uint_eq(c->gpr[r], 0); /* and a new VP starts with zeros */

	free(bare);
	free(image);
	free(h.bytes);
	machine_free(m);
	free(m);
}
END_TEST

/* A copy of the image with one program header field changed. */
struct phdr64 {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static const char *load_mutated(size_t field_offset, uint64_t value, size_t truncate_to)
{
	static char why[160];
	size_t size;
	uint8_t *image = read_whole(BARE_IMAGE, &size);
	uint64_t phoff;
	memcpy(&phoff, image + 32, 8);
	/* the first PT_LOAD */
	struct phdr64 ph;
	size_t at = phoff;
	for (;; at += sizeof ph) {
		memcpy(&ph, image + at, sizeof ph);
		if (ph.type == 1)
			break;
	}
	if (field_offset != (size_t)-1)
		memcpy(image + at + field_offset, &value, 8);
	struct host_ram h = { calloc(1, 16 * MiB) };
	struct guest_ram ram = { 16 * MiB, host_page, &h };
	uint64_t entry;
	int rc = child_load_elf(&ram, image, truncate_to ? truncate_to : size, &entry, why,
				sizeof why);
	/* nothing written on failure */
	for (uint64_t i = 0; rc != 0 && i < 16 * MiB; i += 4096)
		ck_assert(h.bytes[i] == 0 && memcmp(h.bytes + i, h.bytes + i + 1, 4095) == 0);
	free(h.bytes);
	free(image);
	return rc == 0 ? "" : why;
}

START_TEST(child_elf_bad)
{
	ck_assert_str_eq(load_mutated((size_t)-1, 0, 0), "");
	ck_assert_str_eq(load_mutated((size_t)-1, 0, 40), "not an ELF file");
	const char *why = load_mutated(offsetof(struct phdr64, paddr), 0x80000, 0);
	ck_assert_msg(strstr(why, "at 0x80000") && strstr(why, "below 1 MiB, which the loader owns"),
		      "%s", why);
	why = load_mutated(offsetof(struct phdr64, paddr), 16 * MiB - 4096, 0);
	ck_assert_msg(strstr(why, "lies outside its RAM (16 MiB)") != NULL, "%s", why);
	why = load_mutated(offsetof(struct phdr64, filesz), 1ull << 40, 0);
	ck_assert_msg(strstr(why, "outside the file") != NULL, "%s", why);
	why = load_mutated(offsetof(struct phdr64, offset), 1ull << 40, 0);
	ck_assert_msg(strstr(why, "outside the file") != NULL, "%s", why);
	why = load_mutated((size_t)-1, 0, 200);
	ck_assert_msg(strstr(why, "program headers") != NULL, "%s", why);
}
END_TEST

START_TEST(child_boot_state_limits)
{
	struct host_ram h = { calloc(1, 16 * MiB) };
	struct guest_ram ram = { 16 * MiB, host_page, &h };
	struct child_entry e;
	char why[160];
	static char long_cmdline[CHILD_CMDLINE_MAX + 2];
	memset(long_cmdline, 'x', sizeof long_cmdline - 1);
	ck_assert_int_eq(child_build_boot_state(&ram, 0x200000, long_cmdline,
						CHILD_CMDLINE_MAX + 1, &e, why, sizeof why), -1);
	ck_assert_int_eq(child_build_boot_state(&ram, 0x200000, long_cmdline, CHILD_CMDLINE_MAX,
						&e, why, sizeof why), 0);
	ck_assert_uint_eq(h.bytes[CHILD_CMDLINE_GPA + CHILD_CMDLINE_MAX], 0);
	ram.bytes = 15 * MiB;
	ck_assert_int_eq(child_build_boot_state(&ram, 0x200000, "", 0, &e, why, sizeof why), -1);
	ram.bytes = 17 * MiB;
	ck_assert_int_eq(child_build_boot_state(&ram, 0x200000, "", 0, &e, why, sizeof why), -1);
	free(h.bytes);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("root");
	TCase *t = tcase_create("childlist");
	tcase_add_test(t, childlist_good);
	tcase_add_test(t, childlist_bad);
	suite_add_tcase(s, t);
	t = tcase_create("vuart");
	tcase_add_test(t, vuart_registers);
	suite_add_tcase(s, t);
	t = tcase_create("childboot");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, child_boot_matches_bare_loader);
	tcase_add_test(t, child_elf_bad);
	tcase_add_test(t, child_boot_state_limits);
	suite_add_tcase(s, t);
	return s;
}
