/* Integer arithmetic: signed and unsigned 32- and 64-bit multiply, divide and
   remainder (C rounds quotients toward zero, C11 6.5.5), division by constants
   (which gcc turns into multiply-high at -O2), and unsigned __int128 multiply and
   divide (calls into libgcc's __udivti3, __umodti3, __divti3, __modti3). */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "rng.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

static void print_u128(const char *what, u128 v)
{
    kprintf("%s = 0x%016llx%016llx\n", what,
            (unsigned long long)(v >> 64), (unsigned long long)v);
}

/* OPAQUE keeps operands out of the compiler's sight, so the IDIV/DIV really runs.
   No pair is MIN / -1: that quotient does not fit, and IDIV raises #DE for it. */
static void signed_division(void)
{
    static const int64_t pairs[][2] = {
        { 7, 2 }, { -7, 2 }, { 7, -2 }, { -7, -2 }, { 0, 5 }, { 100, 7 },
        { -100, 7 }, { INT64_MAX, -1 }, { INT64_MIN, 2 }, { INT64_MIN + 1, -3 },
        { INT64_MIN, INT64_MAX }, { 1, INT64_MIN },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
        int64_t a = OPAQUE(pairs[i][0]), b = OPAQUE(pairs[i][1]);
        kprintf("s64 %lld / %lld = %lld rem %lld\n", (long long)a, (long long)b,
                (long long)(a / b), (long long)(a % b));
    }
    static const int32_t pairs32[][2] = {
        { 7, 2 }, { -7, 2 }, { 7, -2 }, { -7, -2 }, { INT32_MAX, -1 }, { INT32_MIN, 2 },
        { INT32_MIN, 7 }, { INT32_MIN + 1, -1 }, { -1, INT32_MIN }, { 1000000, -999 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(pairs32); i++) {
        int32_t a = OPAQUE(pairs32[i][0]), b = OPAQUE(pairs32[i][1]);
        kprintf("s32 %d / %d = %d rem %d\n", a, b, a / b, a % b);
    }
    check_i64("-7 / 2 rounds toward zero", OPAQUE(-7) / OPAQUE(2), -3);
    check_i64("-7 % 2 takes the dividend's sign", OPAQUE(-7) % OPAQUE(2), -1);
    check_i64("7 % -2 takes the dividend's sign", OPAQUE(7) % OPAQUE(-2), 1);
}

static void unsigned_division(void)
{
    static const uint64_t pairs[][2] = {
        { 7, 2 }, { UINT64_MAX, 1 }, { UINT64_MAX, UINT64_MAX }, { UINT64_MAX, 3 },
        { 1ull << 63, 10 }, { 12345678901234567890ull, 987654321 }, { 5, 9 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
        uint64_t a = OPAQUE(pairs[i][0]), b = OPAQUE(pairs[i][1]);
        kprintf("u64 %llu / %llu = %llu rem %llu\n", (unsigned long long)a,
                (unsigned long long)b, (unsigned long long)(a / b),
                (unsigned long long)(a % b));
    }
    static const uint32_t pairs32[][2] = {
        { 7, 2 }, { UINT32_MAX, 1 }, { UINT32_MAX, UINT32_MAX }, { UINT32_MAX, 3 },
        { 1u << 31, 10 }, { 4000000000u, 65537 }, { 5, 9 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(pairs32); i++) {
        uint32_t a = OPAQUE(pairs32[i][0]), b = OPAQUE(pairs32[i][1]);
        kprintf("u32 %u / %u = %u rem %u\n", a, b, a / b, a % b);
    }
}

/* Division by constants: the divisor is visible, so at -O2 gcc uses multiply-high and
   shifts; at -O0 a real DIV. Both must agree with C's definition. */
static void constant_division(void)
{
    struct rng r = rng_seed(1);
    uint64_t acc = 0;

    for (int i = 0; i < 2000; i++) {
        uint64_t u = rng_u64(&r);
        int64_t s = (int64_t)rng_u64(&r);
        uint32_t u32 = rng_u32(&r);
        int32_t s32 = (int32_t)rng_u32(&r);
        acc = acc * 31 + u / 10 + u % 10 + u / 7 + u % 1000000007;
        acc = acc * 31 + (uint64_t)(s / 3) + (uint64_t)(s % 3) + (uint64_t)(s / -9);
        acc = acc * 31 + u32 / 100 + u32 % 13 + (uint64_t)(s32 / 7) + (uint64_t)(s32 % 64);
        acc = acc * 31 + (uint64_t)(s / 16) + (uint64_t)(s % 16); /* arithmetic shift + fixup */
    }
    kprintf("constant division mix = 0x%llx\n", (unsigned long long)acc);
}

static void multiply(void)
{
    struct rng r = rng_seed(2);
    uint64_t lo_acc = 0, hi_acc = 0;
    uint64_t s_acc = 0; /* sums wrap: kept unsigned, where wrapping is defined */
    uint32_t acc32 = 0;

    for (int i = 0; i < 2000; i++) {
        uint64_t a = rng_u64(&r), b = rng_u64(&r);
        u128 p = (u128)a * b;                       /* MUL: RDX:RAX */
        i128 sp = (i128)(int64_t)a * (int64_t)b;    /* IMUL one-operand form */
        lo_acc += (uint64_t)p;
        hi_acc ^= (uint64_t)(p >> 64);
        s_acc += (uint64_t)(sp >> 64);
        acc32 = acc32 * 2654435761u + (uint32_t)a * (uint32_t)b;
    }
    kprintf("u64*u64 low sum = 0x%llx high xor = 0x%llx\n",
            (unsigned long long)lo_acc, (unsigned long long)hi_acc);
    kprintf("s64*s64 high sum = 0x%llx, u32 mix = 0x%x\n", (unsigned long long)s_acc, acc32);
    check_u64("(2^64-1)^2 high half", (uint64_t)(((u128)OPAQUE(UINT64_MAX) * UINT64_MAX) >> 64),
              0xfffffffffffffffeull);
    check_i64("-3 * 5 high half", (int64_t)(((i128)OPAQUE(-3) * OPAQUE(5)) >> 64), -1);
}

/* (a * b) mod m without overflow, by a 128-bit product and __umodti3. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((u128)a * b % m);
}

static uint64_t powmod(uint64_t base, uint64_t e, uint64_t m)
{
    uint64_t result = 1 % m;

    base %= m;
    while (e) {
        if (e & 1)
            result = mulmod(result, base, m);
        base = mulmod(base, base, m);
        e >>= 1;
    }
    return result;
}

static void wide(void)
{
    u128 f = 1;

    for (unsigned i = 2; i <= 30; i++)
        f *= i;
    print_u128("30!", f);
    check_u64("30! high", (uint64_t)(f >> 64), 0xd13f6370f96ull);
    check_u64("30! low", (uint64_t)f, 0x865df5dd54000000ull);

    u128 d = OPAQUE((u128)1000000007);
    check_u64("30! / 1000000007 high", (uint64_t)(f / d >> 64), 0x382b);
    check_u64("30! / 1000000007 low", (uint64_t)(f / d), 0x62e0cc95230b4f89ull);
    check_u64("30! % 1000000007", (uint64_t)(f % d), 109361473);

    /* A divisor of 81 bits: both halves nonzero, the general 128-by-128 case. */
    u128 big = OPAQUE(((u128)0x12345 << 64) | 0xfedcba9876543210ull);
    u128 q = f / big, rem = f % big;                /* 128-by-128 division */
    print_u128("30! / big", q);
    print_u128("30! % big", rem);
    check_true("q * big + rem == 30!", q * big + rem == f && rem < big);

    i128 neg = -(i128)f;
    i128 sq = neg / OPAQUE((i128)7), sr = neg % OPAQUE((i128)7);
    print_u128("-30! / 7", (u128)sq);
    check_i64("-30! % 7 (30! is a multiple of 7)", (int64_t)sr, 0);
    sr = (neg + 3) % OPAQUE((i128)7);
    check_i64("(-30! + 3) % 7 takes the dividend's sign", (int64_t)sr, -4);

    uint64_t p = (1ull << 61) - 1;                  /* a Mersenne prime */
    check_u64("3^(p-1) mod p (Fermat)", powmod(3, p - 1, p), 1);
    kprintf("3^1000000000000000009 mod (2^61-1) = %llu\n",
            (unsigned long long)powmod(3, 1000000000000000009ull, p));
    check_u64("2^64 mod 1000000007", powmod(2, 64, 1000000007), 582344008);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void misc(void)
{
    check_u64("gcd(2^40*3^5, 2^33*3^9)", gcd(243ull << 40, 19683ull << 33), 243ull << 33);
    check_u64("gcd(F(90), F(89)) of Fibonacci numbers", gcd(2880067194370816120ull,
                                                            1779979416004714189ull), 1);
    int64_t x = OPAQUE(-123456789);
    check_i64("-123456789 >> 4 (arithmetic shift)", x >> 4, -7716050);
    check_u64("(uint64)-123456789 >> 4", (uint64_t)x >> 4, 0x0fffffffff8a432eull);
    int32_t y = OPAQUE(-5);
    check_i64("-5 / 2 via shift idiom", y / 2, -2);
    check_u64("negation of INT32_MIN as unsigned", 0u - (uint32_t)OPAQUE(INT32_MIN), 0x80000000u);
}

int main(void)
{
    kprintf("arith: integer arithmetic\n");
    signed_division();
    unsigned_division();
    constant_division();
    multiply();
    wide();
    misc();
    return check_failures();
}
