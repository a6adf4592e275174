/* Conditions and flags: the six comparisons, signed and unsigned, at 8/16/32/64 bits
   over edge values (CMP with Jcc, SETcc, CMOVcc), the overflow builtins (JO/SETO,
   JC/SETC), and multiword arithmetic whose carries chain (ADC/SBB). */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"

typedef unsigned __int128 u128;

static const int64_t edges[] = {
    0, 1, -1, 2, -2, 127, -128, 128, 255, 256, 32767, -32768, 32768, 65535,
    INT32_MAX, INT32_MIN, UINT32_MAX, 0x100000000ll, INT64_MAX, INT64_MIN, INT64_MIN + 1,
};
#define NR_EDGES ARRAY_SIZE(edges)

/* The six comparisons as six bits: < <= > >= == != */
#define CMP_MASK(a, b) \
    ((unsigned)((a) < (b)) | (unsigned)((a) <= (b)) << 1 | (unsigned)((a) > (b)) << 2 | \
     (unsigned)((a) >= (b)) << 3 | (unsigned)((a) == (b)) << 4 | (unsigned)((a) != (b)) << 5)

/* One width and signedness per function, so each compiles to its own CMP size. */
static unsigned cmp_s64(int64_t a, int64_t b) { return CMP_MASK(a, b); }
static unsigned cmp_u64(uint64_t a, uint64_t b) { return CMP_MASK(a, b); }
static unsigned cmp_s32(int32_t a, int32_t b) { return CMP_MASK(a, b); }
static unsigned cmp_u32(uint32_t a, uint32_t b) { return CMP_MASK(a, b); }
static unsigned cmp_s16(int16_t a, int16_t b) { return CMP_MASK(a, b); }
static unsigned cmp_u16(uint16_t a, uint16_t b) { return CMP_MASK(a, b); }
static unsigned cmp_s8(int8_t a, int8_t b) { return CMP_MASK(a, b); }
static unsigned cmp_u8(uint8_t a, uint8_t b) { return CMP_MASK(a, b); }

/* The same question by branches: -1, 0, 1. */
static int order_s64(int64_t a, int64_t b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    return 0;
}

static int order_u64(uint64_t a, uint64_t b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    return 0;
}

static void comparisons(void)
{
    static const char *const width_name[8] = { "s64", "u64", "s32", "u32",
                                               "s16", "u16", "s8", "u8" };
    uint32_t hash[8] = { 0 };
    int consistent = 1;

    for (unsigned i = 0; i < NR_EDGES; i++) {
        for (unsigned j = 0; j < NR_EDGES; j++) {
            int64_t a = OPAQUE(edges[i]), b = OPAQUE(edges[j]);
            unsigned m[8] = {
                cmp_s64(a, b), cmp_u64((uint64_t)a, (uint64_t)b),
                cmp_s32((int32_t)a, (int32_t)b), cmp_u32((uint32_t)a, (uint32_t)b),
                cmp_s16((int16_t)a, (int16_t)b), cmp_u16((uint16_t)a, (uint16_t)b),
                cmp_s8((int8_t)a, (int8_t)b), cmp_u8((uint8_t)a, (uint8_t)b),
            };
            for (int w = 0; w < 8; w++) {
                hash[w] = hash[w] * 67 + m[w];
                /* Exactly one of <, ==, > holds, and the rest follow from it. */
                unsigned lt = m[w] & 1, eq = (m[w] >> 4) & 1, gt = (m[w] >> 2) & 1;
                consistent &= lt + eq + gt == 1;
                consistent &= ((m[w] >> 1) & 1) == (lt | eq) && ((m[w] >> 3) & 1) == (gt | eq);
                consistent &= ((m[w] >> 5) & 1) == !eq;
            }
            int os = order_s64(a, b), ou = order_u64((uint64_t)a, (uint64_t)b);
            consistent &= os == (m[0] & 1 ? -1 : m[0] & 4 ? 1 : 0);
            consistent &= ou == (m[1] & 1 ? -1 : m[1] & 4 ? 1 : 0);
        }
    }
    for (int w = 0; w < 8; w++)
        kprintf("compare %-3s over %zu x %zu edge values: %08x\n", width_name[w], NR_EDGES,
                NR_EDGES, hash[w]);
    check_true("comparison results consistent", consistent);
    check_true("-1 < 0 signed", cmp_s64(OPAQUE(-1), 0) & 1);
    check_true("-1 > 0 unsigned", cmp_u64((uint64_t)OPAQUE(-1), 0) & 4);
    check_true("0x80 < 0x7f as int8", cmp_s8((int8_t)OPAQUE(0x80), 0x7f) & 1);
    check_true("0x80 > 0x7f as uint8", cmp_u8((uint8_t)OPAQUE(0x80), 0x7f) & 4);
}

static void overflow(void)
{
    unsigned counts[8] = { 0 };
    uint64_t mix = 0;

    for (unsigned i = 0; i < NR_EDGES; i++) {
        for (unsigned j = 0; j < NR_EDGES; j++) {
            int64_t a = OPAQUE(edges[i]), b = OPAQUE(edges[j]);
            int64_t s;
            uint64_t u;
            int32_t s32;
            uint32_t u32;
            counts[0] += __builtin_add_overflow(a, b, &s);
            mix = mix * 3 + (uint64_t)s;
            counts[1] += __builtin_sub_overflow(a, b, &s);
            mix = mix * 3 + (uint64_t)s;
            counts[2] += __builtin_mul_overflow(a, b, &s);
            mix = mix * 3 + (uint64_t)s;
            counts[3] += __builtin_add_overflow((uint64_t)a, (uint64_t)b, &u);
            mix = mix * 3 + u;
            counts[4] += __builtin_sub_overflow((uint64_t)a, (uint64_t)b, &u);
            mix = mix * 3 + u;
            counts[5] += __builtin_mul_overflow((uint64_t)a, (uint64_t)b, &u);
            mix = mix * 3 + u;
            counts[6] += __builtin_add_overflow((int32_t)a, (int32_t)b, &s32);
            mix = mix * 3 + (uint32_t)s32;
            counts[7] += __builtin_mul_overflow((uint32_t)a, (uint32_t)b, &u32);
            mix = mix * 3 + u32;
        }
    }
    kprintf("overflows: s64 add %u sub %u mul %u, u64 add %u sub %u mul %u, "
            "s32 add %u, u32 mul %u\n", counts[0], counts[1], counts[2], counts[3],
            counts[4], counts[5], counts[6], counts[7]);
    kprintf("overflow results mix = %016llx\n", (unsigned long long)mix);
    int64_t r;
    check_true("INT64_MAX + 1 overflows", __builtin_add_overflow(OPAQUE(INT64_MAX), 1, &r));
    check_true("INT64_MIN - 1 overflows", __builtin_sub_overflow(OPAQUE(INT64_MIN), 1, &r));
    check_true("2^32 * 2^31 overflows int64",
               __builtin_mul_overflow(OPAQUE((int64_t)1 << 32), (int64_t)1 << 31, &r));
    check_true("-2^31 * 2^32 does not", !__builtin_mul_overflow(OPAQUE(-((int64_t)1 << 31)),
                                                                (int64_t)1 << 32, &r));
}

/* 256-bit numbers as four 64-bit limbs, least significant first. */
#define LIMBS 4

static void add256(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS])
{
    unsigned carry = 0;

    for (int i = 0; i < LIMBS; i++) {
        u128 t = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)t;
        carry = (unsigned)(t >> 64);
    }
}

static void sub256(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS])
{
    unsigned borrow = 0;

    for (int i = 0; i < LIMBS; i++) {
        uint64_t d = a[i] - b[i] - borrow;
        borrow = a[i] < b[i] || (a[i] == b[i] && borrow);
        r[i] = d;
    }
}

static void multiword(void)
{
    uint64_t f[3][LIMBS] = { { 0 }, { 1 } }; /* F(n-1), F(n), scratch */

    for (int n = 2; n <= 300; n++) {
        add256(f[2], f[0], f[1]);
        for (int i = 0; i < LIMBS; i++) {
            f[0][i] = f[1][i];
            f[1][i] = f[2][i];
        }
    }
    kprintf("F(300) = 0x%016llx%016llx%016llx%016llx\n", (unsigned long long)f[1][3],
            (unsigned long long)f[1][2], (unsigned long long)f[1][1], (unsigned long long)f[1][0]);
    check_u64("F(300) limb 3", f[1][3], 0x8a4b);
    check_u64("F(300) limb 0", f[1][0], 0xf510e921b33e2e10ull);

    uint64_t d[LIMBS], back[LIMBS];
    sub256(d, f[1], f[0]);          /* F(300) - F(299) = F(298) */
    add256(back, d, f[0]);
    int same = 1;
    for (int i = 0; i < LIMBS; i++)
        same &= back[i] == f[1][i];
    check_true("(F(300) - F(299)) + F(299) == F(300)", same);

    uint64_t ones[LIMBS] = { ~0ull, ~0ull, ~0ull, ~0ull }, one[LIMBS] = { 1 }, z[LIMBS];
    add256(z, ones, one);           /* the carry runs through every limb */
    check_true("(2^256 - 1) + 1 wraps to 0", (z[0] | z[1] | z[2] | z[3]) == 0);
    sub256(z, z, one);
    check_true("0 - 1 borrows through every limb", (z[0] & z[1] & z[2] & z[3]) == ~0ull);
}

/* Branch-free selections gcc compiles to CMOV at -O2. */
static void selects(void)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint64_t abs_sum = 0, clamp_sum = 0;

    for (unsigned i = 0; i < NR_EDGES; i++) {
        int64_t v = OPAQUE(edges[i]);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        abs_sum += v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        int64_t c = v < -1000 ? -1000 : v > 1000 ? 1000 : v;
        clamp_sum += (uint64_t)c;
    }
    check_i64("min of edges", lo, INT64_MIN);
    check_i64("max of edges", hi, INT64_MAX);
    kprintf("abs sum = %016llx clamp sum = %lld\n", (unsigned long long)abs_sum,
            (long long)clamp_sum);
}

int main(void)
{
    kprintf("cond: comparisons, overflow, carries\n");
    comparisons();
    overflow();
    multiword();
    selects();
    return check_failures();
}
