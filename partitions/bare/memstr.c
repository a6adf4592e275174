/* Memory and string functions at every length 0..80 and every alignment 0..7 of
   source and destination, so both the word loops and the byte tails of memcpy and
   memset run; overlapping memmove both ways; the sign conventions of memcmp, strcmp
   and strncmp (bytes compare as unsigned char). On the guest these are the guest
   library's, natively the C library's: the outputs must agree. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "kstring.h"
#include "rng.h"

#define BUF 256
#define WINDOW 96 /* covers offset 7 + length 80 + a guard byte */

static uint8_t src[BUF], dst[BUF], ref[BUF];

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    struct rng r = rng_seed(seed);

    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_u32(&r);
}

/* FNV-1a: a fingerprint of a buffer's bytes. */
static uint32_t fnv(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void copy_and_set(void)
{
    uint32_t hcpy = 0, hset = 0;
    int bad = 0;

    fill_pattern(src, BUF, 1);
    for (size_t so = 0; so < 8; so++) {
        for (size_t doff = 0; doff < 8; doff++) {
            for (size_t n = 0; n <= 80; n++) {
                memset(dst, 0xAA, WINDOW); /* the guard bytes around the copy */
                memcpy(dst + doff, src + so, n);
                for (size_t i = 0; i < WINDOW; i++)
                    ref[i] = i >= doff && i < doff + n ? src[so + i - doff] : 0xAA;
                bad += memcmp(dst, ref, WINDOW) != 0;
                hcpy = hcpy * 31 + fnv(dst, WINDOW);

                memset(dst + doff, (int)(n + so), n);
                for (size_t i = doff; i < doff + n; i++)
                    bad += dst[i] != (uint8_t)(n + so);
                bad += dst[doff + n] != 0xAA || (doff > 0 && dst[doff - 1] != 0xAA);
                hset = hset * 31 + fnv(dst, WINDOW);
            }
        }
    }
    kprintf("memcpy fingerprint %08x, memset fingerprint %08x\n", hcpy, hset);
    check_u64("memcpy/memset mismatches over 8 x 8 alignments x 81 lengths", (uint64_t)bad, 0);
    memset(dst, OPAQUE(0x1234), 4);
    check_true("memset uses only the low byte of c", dst[0] == 0x34 && dst[3] == 0x34);
    check_true("memcpy returns dst", memcpy(dst, src, 3) == dst);
}

static void move(void)
{
    int bad = 0;
    uint32_t h = 0;

    for (int shift = -9; shift <= 9; shift++) {
        for (size_t n = 0; n <= 40; n++) {
            fill_pattern(dst, BUF, 2);
            memcpy(ref, dst, BUF);
            size_t from = 100, to = (size_t)(100 + shift);
            memmove(dst + to, dst + from, n);
            /* What memmove promises: as if copied through a temporary buffer. */
            uint8_t t[40];
            for (size_t i = 0; i < n; i++)
                t[i] = ref[from + i];
            for (size_t i = 0; i < n; i++)
                ref[to + i] = t[i];
            bad += memcmp(dst, ref, BUF) != 0;
            h = h * 31 + fnv(dst + 80, 60);
        }
    }
    kprintf("memmove fingerprint %08x\n", h);
    check_u64("memmove mismatches, overlaps both ways", (uint64_t)bad, 0);
}

static void compare(void)
{
    uint8_t a[64], b[64];
    uint32_t signs = 0;

    for (int i = 0; i < 64; i++)
        a[i] = b[i] = (uint8_t)(i * 3);
    check_i64("memcmp of equal buffers", memcmp(a, b, 64), 0);
    check_i64("memcmp of length 0", memcmp(a, OPAQUE(a + 1), 0), 0);
    for (int pos = 0; pos < 64; pos += 7) {
        b[pos] = 0x80;   /* greater than every a[pos] < 0x80 only as unsigned */
        signs = signs * 3 + (uint32_t)(sign(memcmp(a, b, 64)) + 1);
        signs = signs * 3 + (uint32_t)(sign(memcmp(b, a, 64)) + 1);
        signs = signs * 3 + (uint32_t)(sign(memcmp(a, b, (size_t)pos)) + 1);
        b[pos] = a[pos];
    }
    kprintf("memcmp sign trace %08x\n", signs);
    a[5] = 0xFF;
    check_i64("memcmp compares unsigned bytes", sign(memcmp(a, b, 64)), 1);
}

static void strings(void)
{
    static const char *const words[] = {
        "", "a", "ab", "abc", "abd", "abcd", "b", "ba", "\x80", "\x7f", "zzz", "Abc",
    };
    uint32_t trace = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(words); i++) {
        for (unsigned j = 0; j < ARRAY_SIZE(words); j++) {
            trace = trace * 3 + (uint32_t)(sign(strcmp(words[i], words[j])) + 1);
            trace = trace * 3 + (uint32_t)(sign(strncmp(words[i], words[j], 2)) + 1);
        }
    }
    kprintf("strcmp/strncmp sign trace %08x\n", trace);
    check_i64("strcmp(\"\\x80\", \"\\x7f\") > 0 (unsigned char)", sign(strcmp("\x80", OPAQUE("\x7f"))), 1);
    check_i64("strcmp(\"abc\", \"abd\") < 0", sign(strcmp("abc", OPAQUE("abd"))), -1);
    check_i64("strncmp(\"abc\", \"abd\", 2) == 0", strncmp("abc", OPAQUE("abd"), 2), 0);
    check_i64("strncmp(.., 0) == 0", strncmp("x", OPAQUE("y"), 0), 0);

    char text[BUF];
    size_t total = 0;
    for (int n = 0; n < 200; n += 13) {
        memset(text, 'x', (size_t)n);
        text[n] = '\0';
        total += strlen(text);
    }
    check_u64("sum of strlen over lengths 0, 13, .., 195", total, 1560);
    const char *hay = "find the needle: n!";
    check_i64("strchr finds the first 'n'", strchr(hay, 'n') - hay, 2);
    check_i64("strchr finds the NUL", strchr(hay, '\0') - hay, (int64_t)strlen(hay));
    check_true("strchr misses 'q'", strchr(hay, OPAQUE('q')) == 0);
}

/* Struct assignment and zero-initialised locals: gcc emits memcpy/memset calls for
   these on its own. */
struct block {
    uint32_t words[40];
    char name[16];
};

static struct block copy_block(struct block b)
{
    b.words[0]++;
    return b;
}

static void implicit_calls(void)
{
    struct block a = { { 0 }, "zeroed" }, b;
    for (int i = 0; i < 40; i++)
        a.words[i] = (uint32_t)(i * i);
    b = copy_block(a);
    uint8_t zero[300] = { 0 };
    unsigned nonzero = 0;
    for (size_t i = 0; i < sizeof(zero); i++)
        nonzero += OPAQUE(zero)[i] != 0;
    check_u64("struct passed, changed and returned", b.words[0] + b.words[39], 1 + 39 * 39);
    check_str("  its string came along", b.name, "zeroed");
    check_u64("nonzero bytes in a zero-initialised array", nonzero, 0);
}

int main(void)
{
    kprintf("memstr: memory and string functions\n");
    copy_and_set();
    move();
    compare();
    strings();
    implicit_calls();
    return check_failures();
}
