/* String formatting: the guest library's ksnprintf against the strings C's printf
   would produce: every conversion, width, zero padding, left justification,
   precision, length modifiers, extreme values and truncation. Decimal conversion
   divides by 10 (DIV at -O0, multiply-high at -O2); varargs go through va_arg. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "kstring.h"

static char buf[128];

/* Format, print the result and compare. KPRINTF_FORMAT lets gcc check each call. */
static void check_fmt(const char *want, const char *fmt, ...) KPRINTF_FORMAT(2, 3);

static void check_fmt(const char *want, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    check_str(fmt, buf, want);
    if (n != (int)strlen(want))
        check_i64("  returned length", n, (int64_t)strlen(want));
}

static void integers(void)
{
    check_fmt("0", "%d", OPAQUE(0));
    check_fmt("-1", "%d", OPAQUE(-1));
    check_fmt("2147483647", "%d", OPAQUE(INT32_MAX));
    check_fmt("-2147483648", "%d", OPAQUE(INT32_MIN));
    check_fmt("4294967295", "%u", OPAQUE(UINT32_MAX));
    check_fmt("-9223372036854775808", "%lld", OPAQUE((long long)INT64_MIN));
    check_fmt("9223372036854775807", "%ld", OPAQUE((long)INT64_MAX));
    check_fmt("18446744073709551615", "%llu", OPAQUE(~0ull));
    check_fmt("12345 -678", "%i %i", OPAQUE(12345), OPAQUE(-678));
    check_fmt("deadbeef DEADBEEF", "%x %X", OPAQUE(0xdeadbeefu), OPAQUE(0xdeadbeefu));
    check_fmt("ffffffffffffffff", "%lx", OPAQUE(~0ul));
    check_fmt("123456789abcdef0", "%llx", OPAQUE(0x123456789abcdef0ull));
    check_fmt("0", "%x", OPAQUE(0u));
    check_fmt("-56 200", "%hhd %hhu", OPAQUE(200), OPAQUE(200));
    check_fmt("2345 -1", "%hx %hd", OPAQUE(0x12345), OPAQUE(0xffff));
    check_fmt("4096", "%zu", OPAQUE(sizeof(buf) * 32));
}

static void widths(void)
{
    check_fmt("   42", "%5d", OPAQUE(42));
    check_fmt("00042", "%05d", OPAQUE(42));
    check_fmt("-0042", "%05d", OPAQUE(-42));
    check_fmt("  -42", "%5d", OPAQUE(-42));
    check_fmt("42   |", "%-5d|", OPAQUE(42));
    /* Formats gcc's -Wformat would flag go through OPAQUE, out of its sight. */
    check_fmt("-42  |", OPAQUE("%-05d|"), OPAQUE(-42)); /* '-' overrides '0' */
    check_fmt("123456", "%3d", OPAQUE(123456)); /* width is a minimum */
    check_fmt("0000beef", "%08x", OPAQUE(0xbeefu));
    check_fmt("00000000deadbeef", "%016llx", OPAQUE(0xdeadbeefull));
    check_fmt("      ff", "%*x", OPAQUE(8), OPAQUE(255u));
    check_fmt("ff      |", "%*x|", OPAQUE(-8), OPAQUE(255u));
    check_fmt("|    x|x    |", "|%5c|%-5c|", OPAQUE('x'), OPAQUE('x'));
    check_fmt("+5 -5  5 +007", "%+d %+d % d %+04d", OPAQUE(5), OPAQUE(-5), OPAQUE(5), OPAQUE(7));
}

static void strings(void)
{
    check_fmt("hello", "%s", "hello");
    check_fmt("  abc|abc  |", "%5s|%-5s|", "abc", "abc");
    check_fmt("hel", "%.3s", "hello");
    check_fmt("   he", "%5.2s", "hello");
    check_fmt("hell", "%.*s", OPAQUE(4), "hello");
    check_fmt("", "%s", "");
    check_fmt("(null)", "%s", (const char *)OPAQUE((const char *)0));
    check_fmt("100% sure", "%d%% sure", OPAQUE(100));
    check_fmt("a%qb", OPAQUE("a%qb")); /* unknown conversions come out as written */
    check_fmt("0x1234 0x0", "%p %p", (void *)OPAQUE((uintptr_t)0x1234), (void *)0);
    check_fmt("  0xbeef|0xbeef  |", "%8p|%-8p|", (void *)OPAQUE((uintptr_t)0xbeef),
              (void *)OPAQUE((uintptr_t)0xbeef));
    check_fmt("[A][ B][C ]", "[%c][%2c][%-2c]", 'A', 'B', 'C');
}

static void truncation(void)
{
    char small[8];

    memset(small, 'Z', sizeof(small));
    int n = ksnprintf(small, sizeof(small), "hello %s", "world");
    check_str("cut to 7 bytes and a NUL", small, "hello w");
    check_i64("  returns the full length", n, 11);
    n = ksnprintf(small, 1, "%d", OPAQUE(12345));
    check_str("size 1 holds just the NUL", small, "");
    check_i64("  returns the full length", n, 5);
    small[0] = 'Q';
    n = ksnprintf(small, 0, "abc");
    check_true("size 0 writes nothing", small[0] == 'Q' && n == 3);
}

/* A table in fixed-width columns, as a monitor would print it. */
static void table(void)
{
    static const struct {
        const char *name;
        uint64_t hits, misses;
        int delta;
    } rows[] = {
        { "itlb", 1234567, 89, -3 },
        { "dtlb", 98765432101ull, 4321, 17 },
        { "l2tlb", 0, 0, 0 },
    };

    kprintf("%-8s %12s %8s %6s\n", "tlb", "hits", "misses", "delta");
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++)
        kprintf("%-8s %12llu %8llu %+6d\n", rows[i].name, (unsigned long long)rows[i].hits,
                (unsigned long long)rows[i].misses, rows[i].delta);
}

int main(void)
{
    kprintf("fmt: string formatting\n");
    integers();
    widths();
    strings();
    truncation();
    table();
    return check_failures();
}
