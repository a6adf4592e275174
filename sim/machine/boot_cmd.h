/* `hvsim boot`: the platform started by the boot protocol (DESIGN.md "Boot protocol",
 * hv/abi/hvboot.h). hv.elf is the image; its boot modules are the root partition's image
 * ("root"), the children file ("children": NAME<TAB>MODULE<TAB>ARGS lines) and one module
 * per distinct child image ("child:NAME"). Everything else is `hvsim run`'s: main.c
 * parses both commands' options with one parser and hands the options below to
 * boot_cmd_option. */
#ifndef HVSIM_MACHINE_BOOT_CMD_H
#define HVSIM_MACHINE_BOOT_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "machine.h"

/* --mem when none is given: hv keeps 32 MiB, each child gets 64 MiB of the root's RAM. */
#define BOOT_CMD_MEM_DEFAULT (512 * MiB)
/* The most children the root serves (partitions/root/main.c MAX_CHILDREN). */
#define BOOT_CMD_MAX_CHILDREN 32
/* A child's name: letters, digits, '_', '.', '-'; it prefixes the child's console lines
 * ("[NAME] text") and names its image's module ("child:NAME"). */
#define BOOT_CHILD_NAME_MAX 32
#define BOOT_CHILD_ARGS_MAX 4095

/* getopt_long values of boot's own options; main.c's run options stay below 512. */
enum {
	BOOT_OPT_HV = 512,
	BOOT_OPT_ROOT,
	BOOT_OPT_HV_ARGS,
	BOOT_OPT_CHILD,
};
/* --hv IMAGE, --root IMAGE, --hv-args STR, --child SPEC; ends with a zero entry. */
extern const struct option boot_cmd_long_options[];

struct boot_child {
	const char *image;                     /* the path as given */
	char name[BOOT_CHILD_NAME_MAX + 1];    /* unique; see boot_cmd_prepare */
	bool name_given;                       /* from name=, else from the image's name */
	const char *args;                      /* args=, or "" */
	unsigned module;                       /* index into mods[] of its image's module */
};

struct boot_cmd {
	const char *hv_path, *root_path;       /* NULL: the build's, beside hvsim */
	const char *hv_args;                   /* hv.elf's command line, or NULL */
	struct boot_child children[BOOT_CMD_MAX_CHILDREN];
	unsigned nr_children;

	/* boot_cmd_prepare's results */
	struct boot_module mods[2 + BOOT_CMD_MAX_CHILDREN];
	unsigned nr_mods;
	char module_names[BOOT_CMD_MAX_CHILDREN][BOOT_MODULE_NAME_LEN];
	char *children_text;                   /* the "children" module (malloc'd) */
	char *default_hv, *default_root;       /* malloc'd paths, when used */
};

/* Parses one --child value, "IMAGE[,name=NAME][,args=STR]" (args= takes the rest of the
 * value, commas included, so it comes last). Returns false with a one-line message. */
bool boot_child_parse(const char *spec, struct boot_child *c, char *err, size_t errlen);

/* One of boot's options (ch is a BOOT_OPT_*). Returns false with a one-line message. */
bool boot_cmd_option(struct boot_cmd *b, int ch, const char *arg, char *err, size_t errlen);

/* After the options: picks the default images (hv/hv.elf and partitions/root/root.elf
 * in the directory of the running hvsim), checks that every image is a readable ELF
 * file, gives each child a unique name (a repeated one gets "-2", "-3", ...), and
 * builds the module list and the children file. Sets cfg->image_path (hv.elf) and
 * cfg->cmdline (--hv-args, else --cmdline's). Returns false with a one-line message. */
bool boot_cmd_prepare(struct boot_cmd *b, struct machine_config *cfg, char *err,
		      size_t errlen);

/* The default name of a child: the image's file name without its extension, with any
 * character a name may not have replaced by '_', cut to BOOT_CHILD_NAME_MAX. */
void boot_child_default_name(const char *image, char *name, size_t len);

void boot_cmd_free(struct boot_cmd *b);

#endif
