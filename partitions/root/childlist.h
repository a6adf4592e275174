/* The "children" boot module (hv/abi/hvboot.h): one line per child,
   "NAME<TAB>MODULE<TAB>ARGS\n", where MODULE names the boot module holding the child's
   image and ARGS becomes the child's command line. Portable C: the root parses it, and
   tests/platform's unit test runs the same file on the host. */
#ifndef CHILDLIST_H
#define CHILDLIST_H

#include <stddef.h>
#include <stdint.h>

#define CHILD_NAME_MAX 40     /* bytes, without the NUL: "child:" + NAME fits a module name */
#define CHILD_MODULE_MAX 47   /* a boot module name (bootinfo.h: char name[48]) */
#define CHILD_ARGS_MAX 4095   /* the boot protocol's command-line limit */

/* One line, as pointers into the text (nothing is copied; nothing is NUL-terminated). */
struct child_spec {
    const char *name;
    size_t name_len;
    const char *module;
    size_t module_len;
    const char *args;
    size_t args_len;
    unsigned line;            /* 1-based, for messages */
};

/* Parses len bytes of text into at most max specs. Empty lines are skipped; the last
   line may lack its newline. Returns the number of children, or -1 with a one-line
   reason in why ("line 3: no TAB after the name"). Names must be unique and must not
   be "root" (the root's own lines say "[root]"). */
int childlist_parse(const char *text, size_t len, struct child_spec *specs, unsigned max,
                    char *why, size_t why_len);

#endif
