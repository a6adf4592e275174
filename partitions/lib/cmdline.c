/* Command-line parsing. Self-contained (no kstring.h), so native builds of guest
   programs compile the very same file. */
#include "cmdline.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* If the token at t is the word w, alone or followed by '=', return what follows
   the word ("" or "=..."), else 0. */
static const char *match_key(const char *t, const char *w)
{
    while (*w) {
        if (*t != *w)
            return 0;
        t++;
        w++;
    }
    return (*t == '\0' || *t == '=' || is_space(*t)) ? t : 0;
}

static int parse_u64(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    int digits = 0;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (; *p && !is_space(*p); p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            return 0;
        v = v * base + d;
        digits++;
    }
    if (digits == 0)
        return 0;
    *out = v;
    return 1;
}

/* What follows key in the last token that is key or key=..., or 0. */
static const char *find_last(const char *cmdline, const char *key)
{
    const char *found = 0;
    const char *p = cmdline;

    while (*p) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        const char *rest = match_key(p, key);
        if (rest)
            found = rest;
        while (*p && !is_space(*p))
            p++;
    }
    return found;
}

uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t fallback)
{
    const char *rest = find_last(cmdline, key);
    uint64_t v;

    if (rest && *rest == '=' && parse_u64(rest + 1, &v))
        return v;
    return fallback;
}

/* Does the value at p (up to a space or the end) equal word? */
static int value_is(const char *p, const char *word)
{
    while (*word && *p == *word) {
        p++;
        word++;
    }
    return *word == '\0' && (*p == '\0' || is_space(*p));
}

int cmdline_bool(const char *cmdline, const char *key, int fallback)
{
    const char *rest = find_last(cmdline, key);

    if (rest == 0)
        return fallback;
    if (*rest != '=')
        return 1; /* the bare word */
    rest++;
    if (value_is(rest, "on") || value_is(rest, "1") || value_is(rest, "yes") ||
        value_is(rest, "true"))
        return 1;
    if (value_is(rest, "off") || value_is(rest, "0") || value_is(rest, "no") ||
        value_is(rest, "false"))
        return 0;
    return fallback;
}

int cmdline_has(const char *cmdline, const char *word)
{
    return find_last(cmdline, word) != 0;
}
