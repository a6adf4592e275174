/* Check unit tests of `hvsim boot`'s child specs, names and boot modules
 * (sim/machine/boot_cmd.c). */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "sim/machine/boot_cmd.h"

static struct boot_child parse_ok(const char *spec)
{
	struct boot_child c;
	char err[256];
	ck_assert_msg(boot_child_parse(spec, &c, err, sizeof err), "%s: %s", spec, err);
	return c;
}

static const char *parse_err(const char *spec)
{
	static char err[256];
	struct boot_child c;
	ck_assert_msg(!boot_child_parse(spec, &c, err, sizeof err), "%s parsed", spec);
	return err;
}

START_TEST(child_spec)
{
	struct boot_child c = parse_ok("a/b/fmt.elf");
	ck_assert_str_eq(c.image, "a/b/fmt.elf");
	ck_assert_str_eq(c.args, "");
	ck_assert(!c.name_given);
	free((char *)c.image);

	c = parse_ok("x.elf,name=one,args=iters=5,v=1, two");
	ck_assert_str_eq(c.image, "x.elf");
	ck_assert_str_eq(c.name, "one");
	ck_assert(c.name_given);
	ck_assert_str_eq(c.args, "iters=5,v=1, two"); /* args= takes the rest */
	free((char *)c.image);

	c = parse_ok("x.elf,args=");
	ck_assert_str_eq(c.args, "");
	free((char *)c.image);

	ck_assert(strstr(parse_err(""), "no image"));
	ck_assert(strstr(parse_err(",name=x"), "no image"));
	ck_assert(strstr(parse_err("x.elf,nam=x"), "unknown option 'nam=x'"));
	ck_assert(strstr(parse_err("x.elf,name="), "a name has 1 to 32"));
	ck_assert(strstr(parse_err("x.elf,name=a b"), "' ' in the name"));
	ck_assert(strstr(parse_err("x.elf,name=root"), "root partition's own"));
	ck_assert(strstr(parse_err("x.elf,args=a\tb"), "TAB or newline"));
	ck_assert(strstr(parse_err("x.elf,name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "1 to 32"));
}
END_TEST

START_TEST(default_names)
{
	char name[BOOT_CHILD_NAME_MAX + 1];
	boot_child_default_name("build/partitions/bare/bare-fmt-O2.elf", name, sizeof name);
	ck_assert_str_eq(name, "bare-fmt-O2");
	boot_child_default_name("noext", name, sizeof name);
	ck_assert_str_eq(name, "noext");
	boot_child_default_name("dir/.hidden", name, sizeof name);
	ck_assert_str_eq(name, ".hidden");
	boot_child_default_name("dir/", name, sizeof name);
	ck_assert_str_eq(name, "child");
	boot_child_default_name("we ird+name.x.elf", name, sizeof name);
	ck_assert_str_eq(name, "we_ird_name.x");
	boot_child_default_name("a-very-long-image-name-that-goes-on-and-on.elf", name,
				sizeof name);
	ck_assert_str_eq(name, "a-very-long-image-name-that-goes");
}
END_TEST

static void add(struct boot_cmd *b, const char *spec)
{
	char err[256];
	ck_assert_msg(boot_cmd_option(b, BOOT_OPT_CHILD, spec, err, sizeof err), "%s", err);
}

START_TEST(modules_and_children_file)
{
	struct boot_cmd *b = calloc(1, sizeof *b);
	struct machine_config cfg = { .cmdline = "" };
	char err[512];
	b->hv_path = IMAGE_A;
	b->root_path = IMAGE_B;
	add(b, IMAGE_A);                       /* name from the file: its basename */
	add(b, IMAGE_A ",args=x=1");           /* the same image: the same module, name -2 */
	add(b, IMAGE_B ",name=other,args=a b");
	add(b, IMAGE_B ",name=other");          /* a repeated name= gets a suffix too */
	ck_assert_msg(boot_cmd_prepare(b, &cfg, err, sizeof err), "%s", err);

	ck_assert_str_eq(cfg.image_path, IMAGE_A);
	ck_assert_uint_eq(b->nr_mods, 4);
	ck_assert_str_eq(b->mods[0].name, "root");
	ck_assert_str_eq(b->mods[0].path, IMAGE_B);
	ck_assert_str_eq(b->mods[1].name, "children");
	ck_assert_str_eq(b->mods[2].name, "child:" NAME_A);
	ck_assert_str_eq(b->mods[3].name, "child:other");
	ck_assert_str_eq(b->children[1].name, NAME_A "-2");
	ck_assert_str_eq(b->children[3].name, "other-2");
	const char *want = NAME_A "\tchild:" NAME_A "\t\n"
			   NAME_A "-2\tchild:" NAME_A "\tx=1\n"
			   "other\tchild:other\ta b\n"
			   "other-2\tchild:other\t\n";
	ck_assert_uint_eq(b->mods[1].size, strlen(want));
	ck_assert(memcmp(b->mods[1].bytes, want, strlen(want)) == 0);
	boot_cmd_free(b);
	free(b);
}
END_TEST

START_TEST(prepare_errors)
{
	struct boot_cmd *b = calloc(1, sizeof *b);
	struct machine_config cfg = { .cmdline = "" };
	char err[512];
	b->hv_path = IMAGE_A;
	b->root_path = IMAGE_B;
	add(b, "/nonexistent/child.elf");
	ck_assert(!boot_cmd_prepare(b, &cfg, err, sizeof err));
	ck_assert_msg(strstr(err, "--child /nonexistent/child.elf: cannot open") != NULL, "%s", err);
	boot_cmd_free(b);

	*b = (struct boot_cmd){ .hv_path = "/nonexistent/hv.elf", .root_path = IMAGE_B };
	ck_assert(!boot_cmd_prepare(b, &cfg, err, sizeof err));
	ck_assert_msg(strstr(err, "--hv /nonexistent/hv.elf: cannot open") != NULL, "%s", err);
	boot_cmd_free(b);

	*b = (struct boot_cmd){ .hv_path = IMAGE_A, .root_path = NOT_ELF };
	ck_assert(!boot_cmd_prepare(b, &cfg, err, sizeof err));
	ck_assert_msg(strstr(err, "not an ELF file") != NULL, "%s", err);
	boot_cmd_free(b);

	*b = (struct boot_cmd){ 0 };
	for (unsigned i = 0; i < BOOT_CMD_MAX_CHILDREN; i++)
		add(b, IMAGE_A);
	ck_assert(!boot_cmd_option(b, BOOT_OPT_CHILD, IMAGE_A, err, sizeof err));
	ck_assert_msg(strstr(err, "more than 32") != NULL, "%s", err);
	boot_cmd_free(b);
	free(b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("boot_cmd");
	TCase *t = tcase_create("boot_cmd");
	tcase_add_test(t, child_spec);
	tcase_add_test(t, default_names);
	tcase_add_test(t, modules_and_children_file);
	tcase_add_test(t, prepare_errors);
	suite_add_tcase(s, t);
	return s;
}
