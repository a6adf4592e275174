/* Self-check reporting: "ok" or "FAIL", the name, and what was seen. */
#include "check.h"
#include "kprintf.h"
#include "kstring.h"

static int failures;

static void verdict(int ok, const char *what)
{
    kprintf("%s %s", ok ? "ok  " : "FAIL", what);
    failures += !ok;
}

void check_u64(const char *what, uint64_t got, uint64_t want)
{
    verdict(got == want, what);
    kprintf(" = 0x%llx", (unsigned long long)got);
    if (got != want)
        kprintf(" (want 0x%llx)", (unsigned long long)want);
    kprintf("\n");
}

void check_i64(const char *what, int64_t got, int64_t want)
{
    verdict(got == want, what);
    kprintf(" = %lld", (long long)got);
    if (got != want)
        kprintf(" (want %lld)", (long long)want);
    kprintf("\n");
}

void check_str(const char *what, const char *got, const char *want)
{
    verdict(strcmp(got, want) == 0, what);
    kprintf(" = \"%s\"", got);
    if (strcmp(got, want) != 0)
        kprintf(" (want \"%s\")", want);
    kprintf("\n");
}

void check_true(const char *what, int ok)
{
    verdict(ok, what);
    kprintf("\n");
}

int check_failures(void)
{
    kprintf("%d check%s failed\n", failures, failures == 1 ? "" : "s");
    return failures;
}
