/* Parsing the children file (childlist.h). */
#include "childlist.h"
#include "kprintf.h"
#include "kstring.h"

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Where the next TAB is within [p, end), or 0. */
static const char *find_tab(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p == '\t')
            return p;
    return 0;
}

int childlist_parse(const char *text, size_t len, struct child_spec *specs, unsigned max,
                    char *why, size_t why_len)
{
    const char *p = text, *end = text + len;
    unsigned n = 0, line = 0;

    while (p < end) {
        const char *eol = p;
        while (eol < end && *eol != '\n')
            eol++;
        line++;
        const char *next = eol < end ? eol + 1 : eol;
        if (eol == p) { /* an empty line */
            p = next;
            continue;
        }
        const char *t1 = find_tab(p, eol);
        const char *t2 = t1 ? find_tab(t1 + 1, eol) : 0;
        if (!t1 || !t2) {
            ksnprintf(why, why_len, "line %u: want NAME<TAB>MODULE<TAB>ARGS, found %s TAB",
                      line, t1 ? "one" : "no");
            return -1;
        }
        struct child_spec s = {
            p, (size_t)(t1 - p), t1 + 1, (size_t)(t2 - t1 - 1), t2 + 1,
            (size_t)(eol - t2 - 1), line,
        };
        if (s.name_len == 0 || s.name_len > CHILD_NAME_MAX) {
            ksnprintf(why, why_len, "line %u: a child name has 1 to %d bytes, not %u", line,
                      CHILD_NAME_MAX, (unsigned)s.name_len);
            return -1;
        }
        if (s.module_len == 0 || s.module_len > CHILD_MODULE_MAX) {
            ksnprintf(why, why_len, "line %u: a module name has 1 to %d bytes, not %u", line,
                      CHILD_MODULE_MAX, (unsigned)s.module_len);
            return -1;
        }
        if (s.args_len > CHILD_ARGS_MAX) {
            ksnprintf(why, why_len, "line %u: the arguments have %u bytes, at most %d", line,
                      (unsigned)s.args_len, CHILD_ARGS_MAX);
            return -1;
        }
        if (find_tab(s.args, eol)) {
            ksnprintf(why, why_len, "line %u: a TAB in the arguments", line);
            return -1;
        }
        if (same(s.name, s.name_len, "root", 4)) {
            ksnprintf(why, why_len, "line %u: \"root\" is the root's own name", line);
            return -1;
        }
        for (unsigned i = 0; i < n; i++) {
            if (same(s.name, s.name_len, specs[i].name, specs[i].name_len)) {
                ksnprintf(why, why_len, "line %u: the name %.*s is taken by line %u", line,
                          (int)s.name_len, s.name, specs[i].line);
                return -1;
            }
        }
        if (n == max) {
            ksnprintf(why, why_len, "line %u: more than %u children", line, max);
            return -1;
        }
        specs[n++] = s;
        p = next;
    }
    return (int)n;
}
