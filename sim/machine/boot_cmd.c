/* `hvsim boot` (boot_cmd.h): child specs, default images, unique names, and the boot
 * modules that carry the root, the children file and the child images to hv.elf. */
#include "boot_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../hv/abi/hvboot.h"

const struct option boot_cmd_long_options[] = {
	{ "hv", required_argument, NULL, BOOT_OPT_HV },
	{ "root", required_argument, NULL, BOOT_OPT_ROOT },
	{ "hv-args", required_argument, NULL, BOOT_OPT_HV_ARGS },
	{ "child", required_argument, NULL, BOOT_OPT_CHILD },
	{ NULL, 0, NULL, 0 },
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

void boot_child_default_name(const char *image, char *name, size_t len)
{
	const char *base = strrchr(image, '/');
	base = base ? base + 1 : image;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n > BOOT_CHILD_NAME_MAX)
		n = BOOT_CHILD_NAME_MAX;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		name[i] = name_char(base[i]) ? base[i] : '_';
	name[n] = '\0';
	if (n == 0)
		snprintf(name, len, "child");
}

bool boot_child_parse(const char *spec, struct boot_child *c, char *err, size_t errlen)
{
	*c = (struct boot_child){ .args = "" };
	size_t image_len = strcspn(spec, ",");
	if (image_len == 0) {
		snprintf(err, errlen, "--child '%s': no image; want IMAGE[,name=NAME][,args=STR]",
			 spec);
		return false;
	}
	char *image = strndup(spec, image_len);
	if (!image) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	c->image = image;
	const char *p = spec + image_len;
	while (*p == ',') {
		p++;
		if (strncmp(p, "args=", 5) == 0) {
			c->args = p + 5; /* the rest, commas included */
			break;
		}
		size_t n = strcspn(p, ",");
		if (strncmp(p, "name=", 5) == 0) {
			size_t nlen = n - 5;
			if (nlen == 0 || nlen > BOOT_CHILD_NAME_MAX) {
				snprintf(err, errlen, "--child '%s': a name has 1 to %d characters",
					 spec, BOOT_CHILD_NAME_MAX);
				goto fail;
			}
			for (size_t i = 0; i < nlen; i++) {
				if (!name_char(p[5 + i])) {
					snprintf(err, errlen, "--child '%s': '%c' in the name; use letters, "
						 "digits, '_', '.' and '-'", spec, p[5 + i]);
					goto fail;
				}
			}
			memcpy(c->name, p + 5, nlen);
			c->name[nlen] = '\0';
			if (strcmp(c->name, "root") == 0) {
				snprintf(err, errlen, "--child '%s': the name root is the root "
					 "partition's own", spec);
				goto fail;
			}
			c->name_given = true;
		} else {
			snprintf(err, errlen, "--child '%s': unknown option '%.*s'; want "
				 "IMAGE[,name=NAME][,args=STR]", spec, (int)n, p);
			goto fail;
		}
		p += n;
	}
	if (strlen(c->args) > BOOT_CHILD_ARGS_MAX) {
		snprintf(err, errlen, "--child '%.40s...': args= has %zu bytes; the boot protocol "
			 "allows at most %d", spec, strlen(c->args), BOOT_CHILD_ARGS_MAX);
		goto fail;
	}
	if (strpbrk(c->args, "\t\n")) {
		snprintf(err, errlen, "--child '%s': args= holds a TAB or newline; the children "
			 "file cannot carry it", spec);
		goto fail;
	}
	return true;
fail:
	free(image);
	c->image = NULL;
	return false;
}

bool boot_cmd_option(struct boot_cmd *b, int ch, const char *arg, char *err, size_t errlen)
{
	switch (ch) {
	case BOOT_OPT_HV:
		b->hv_path = arg;
		return true;
	case BOOT_OPT_ROOT:
		b->root_path = arg;
		return true;
	case BOOT_OPT_HV_ARGS:
		b->hv_args = arg;
		return true;
	case BOOT_OPT_CHILD:
		if (b->nr_children == BOOT_CMD_MAX_CHILDREN) {
			snprintf(err, errlen, "more than %d --child options; the root serves at most "
				 "%d children", BOOT_CMD_MAX_CHILDREN, BOOT_CMD_MAX_CHILDREN);
			return false;
		}
		if (!boot_child_parse(arg, &b->children[b->nr_children], err, errlen))
			return false;
		b->nr_children++;
		return true;
	default:
		snprintf(err, errlen, "internal error: boot option %d", ch);
		return false;
	}
}

/* ---- images ---- */

/* path if it exists, else NULL: the build's image beside the running hvsim. */
static char *beside_hvsim(const char *relative)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	size_t len = strlen(exe) + 1 + strlen(relative) + 1;
	char *path = malloc(len);
	if (path)
		snprintf(path, len, "%s/%s", exe, relative);
	return path;
}

/* A readable regular file that starts with the ELF magic. what names it in messages. */
static bool check_image(const char *what, const char *path, struct stat *st, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(errno));
		return false;
	}
	unsigned char magic[4];
	bool ok = fstat(fd, st) == 0 && S_ISREG(st->st_mode);
	if (!ok)
		snprintf(err, errlen, "%s %s: not a regular file; give an ELF image", what, path);
	else if (read(fd, magic, 4) != 4 || memcmp(magic, "\177ELF", 4) != 0) {
		snprintf(err, errlen, "%s %s: not an ELF file (no \\177ELF magic)", what, path);
		ok = false;
	}
	close(fd);
	return ok;
}

static bool default_image(char **slot, const char *relative, const char *option,
			  char *err, size_t errlen)
{
	*slot = beside_hvsim(relative);
	if (*slot && access(*slot, R_OK) == 0)
		return true;
	snprintf(err, errlen, "no %s beside hvsim (%s); build it or give %s IMAGE", relative,
		 *slot ? *slot : "cannot read /proc/self/exe", option);
	return false;
}

/* ---- names ---- */

static bool name_taken(const struct boot_cmd *b, unsigned upto, const char *name)
{
	if (strcmp(name, "root") == 0)
		return true; /* the root's lines say "[root]" */
	for (unsigned i = 0; i < upto; i++)
		if (strcmp(b->children[i].name, name) == 0)
			return true;
	return false;
}

/* Names given with name= keep them if they can; every other child gets its image's
 * name; a name already used gets the first free "-2", "-3", ... suffix. */
static void unique_names(struct boot_cmd *b)
{
	for (unsigned i = 0; i < b->nr_children; i++) {
		struct boot_child *c = &b->children[i];
		if (!c->name_given)
			boot_child_default_name(c->image, c->name, sizeof c->name);
		if (!name_taken(b, i, c->name))
			continue;
		char base[BOOT_CHILD_NAME_MAX + 1];
		snprintf(base, sizeof base, "%s", c->name);
		for (unsigned k = 2;; k++) {
			char suffix[16];
			int slen = snprintf(suffix, sizeof suffix, "-%u", k);
			int keep = (int)strlen(base);
			if (keep + slen > BOOT_CHILD_NAME_MAX)
				keep = BOOT_CHILD_NAME_MAX - slen;
			snprintf(c->name, sizeof c->name, "%.*s%s", keep, base, suffix);
			if (!name_taken(b, i, c->name))
				break;
		}
	}
}

/* ---- modules ---- */

bool boot_cmd_prepare(struct boot_cmd *b, struct machine_config *cfg, char *err,
		      size_t errlen)
{
	struct stat st;
	if (!b->hv_path && !default_image(&b->default_hv, "hv/hv.elf", "--hv", err, errlen))
		return false;
	if (!b->root_path &&
	    !default_image(&b->default_root, "partitions/root/root.elf", "--root", err, errlen))
		return false;
	const char *hv = b->hv_path ? b->hv_path : b->default_hv;
	const char *root = b->root_path ? b->root_path : b->default_root;
	if (!check_image("--hv", hv, &st, err, errlen) ||
	    !check_image("--root", root, &st, err, errlen))
		return false;

	unique_names(b);

	/* One module per distinct image file (the same file named twice is one module). */
	b->nr_mods = 0;
	b->mods[b->nr_mods++] = (struct boot_module){ HV_BOOT_MODULE_ROOT, root, NULL, 0 };
	b->mods[b->nr_mods++] = (struct boot_module){ HV_BOOT_MODULE_CHILDREN, "children",
						      NULL, 0 };
	dev_t dev[BOOT_CMD_MAX_CHILDREN];
	ino_t ino[BOOT_CMD_MAX_CHILDREN];
	unsigned nr_images = 0;
	for (unsigned i = 0; i < b->nr_children; i++) {
		struct boot_child *c = &b->children[i];
		if (!check_image("--child", c->image, &st, err, errlen))
			return false;
		unsigned k;
		for (k = 0; k < nr_images; k++)
			if (dev[k] == st.st_dev && ino[k] == st.st_ino)
				break;
		if (k == nr_images) {
			dev[k] = st.st_dev;
			ino[k] = st.st_ino;
			snprintf(b->module_names[k], BOOT_MODULE_NAME_LEN, "%s%s",
				 HV_BOOT_MODULE_CHILD_PREFIX, c->name);
			b->mods[b->nr_mods++] = (struct boot_module){ b->module_names[k], c->image,
								      NULL, 0 };
			nr_images++;
		}
		c->module = 2 + k;
	}

	/* The children file: NAME<TAB>MODULE<TAB>ARGS\n per child. */
	size_t len = 1;
	for (unsigned i = 0; i < b->nr_children; i++)
		len += strlen(b->children[i].name) + BOOT_MODULE_NAME_LEN +
		       strlen(b->children[i].args) + 3;
	b->children_text = malloc(len);
	if (!b->children_text) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	size_t used = 0;
	b->children_text[0] = '\0';
	for (unsigned i = 0; i < b->nr_children; i++) {
		const struct boot_child *c = &b->children[i];
		used += (size_t)snprintf(b->children_text + used, len - used, "%s\t%s\t%s\n",
					 c->name, b->mods[c->module].name, c->args);
	}
	b->mods[1].bytes = (const uint8_t *)b->children_text;
	b->mods[1].size = used;

	cfg->image_path = hv;
	if (b->hv_args)
		cfg->cmdline = b->hv_args; /* else --cmdline's, the same thing */
	if (strlen(cfg->cmdline) > BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "--hv-args is %zu bytes; the boot protocol allows at most %d",
			 strlen(cfg->cmdline), BOOT_CMDLINE_MAX);
		return false;
	}
	return true;
}

void boot_cmd_free(struct boot_cmd *b)
{
	for (unsigned i = 0; i < b->nr_children; i++)
		free((char *)b->children[i].image);
	free(b->children_text);
	free(b->default_hv);
	free(b->default_root);
	b->nr_children = 0;
	b->children_text = b->default_hv = b->default_root = NULL;
}
