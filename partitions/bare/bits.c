/* Bit manipulation: popcount, count leading/trailing zeros, ffs and parity through
   gcc builtins (BSR/BSF, or libgcc's __popcountdi2 without -mpopcnt), each against
   a plain loop; byte swaps (BSWAP), bit reversal, rotations (gcc recognises the
   idiom and emits ROL/ROR), and lowest-bit tricks. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "rng.h"

static int popcount_loop(uint64_t x)
{
    int n = 0;

    for (; x; x >>= 1)
        n += (int)(x & 1);
    return n;
}

static int clz_loop(uint64_t x) /* x != 0 */
{
    int n = 0;

    while (!(x & (1ull << 63))) {
        x <<= 1;
        n++;
    }
    return n;
}

static int ctz_loop(uint64_t x) /* x != 0 */
{
    int n = 0;

    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}

static uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << (r & 31)) | (x >> (-r & 31));
}

static uint32_t rotr32(uint32_t x, unsigned r)
{
    return (x >> (r & 31)) | (x << (-r & 31));
}

static uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << (r & 63)) | (x >> (-r & 63));
}

static uint64_t rotr64(uint64_t x, unsigned r)
{
    return (x >> (r & 63)) | (x << (-r & 63));
}

/* Reverse by swapping ever smaller halves: 32 <-> 32, 16 <-> 16, ..., 1 <-> 1. */
static uint64_t reverse64(uint64_t x)
{
    x = (x >> 32) | (x << 32);
    x = ((x >> 16) & 0x0000ffff0000ffffull) | ((x & 0x0000ffff0000ffffull) << 16);
    x = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    return x;
}

static uint64_t reverse64_loop(uint64_t x)
{
    uint64_t r = 0;

    for (int i = 0; i < 64; i++, x >>= 1)
        r = (r << 1) | (x & 1);
    return r;
}

static uint64_t next_pow2(uint64_t x) /* 1 < x <= 2^63 */
{
    return 1ull << (64 - __builtin_clzll(x - 1));
}

/* Builtins against loops over many values; any disagreement counts. */
static void builtins_vs_loops(void)
{
    struct rng r = rng_seed(5);
    uint64_t sum = 0;
    int bad = 0;

    for (int i = 0; i < 3000; i++) {
        /* Sparse and dense values alike: AND or OR of two random words, shifted. */
        uint64_t x = rng_u64(&r);
        if (i % 3 == 0)
            x &= rng_u64(&r) & rng_u64(&r);
        if (i % 3 == 1)
            x |= rng_u64(&r);
        x >>= i % 64;
        if (x == 0)
            x = 1;

        uint32_t lo = (uint32_t)x;
        bad += __builtin_popcountll(x) != popcount_loop(x);
        bad += __builtin_popcount(lo) != popcount_loop(lo);
        bad += __builtin_clzll(x) != clz_loop(x);
        bad += __builtin_ctzll(x) != ctz_loop(x);
        if (lo) {
            bad += __builtin_clz(lo) != clz_loop(lo) - 32;
            bad += __builtin_ctz(lo) != ctz_loop(lo);
        }
        bad += __builtin_ffsll((long long)x) != ctz_loop(x) + 1;
        bad += __builtin_parityll(x) != (popcount_loop(x) & 1);
        bad += reverse64(x) != reverse64_loop(x);
        bad += (x & (0 - x)) != (1ull << ctz_loop(x));          /* lowest set bit */
        bad += (x & (x - 1)) != (x ^ (1ull << ctz_loop(x)));     /* clear it */

        sum = sum * 33 + (uint64_t)__builtin_popcountll(x) + (uint64_t)__builtin_clzll(x) * 64
              + (uint64_t)__builtin_ctzll(x) * 4096 + reverse64(x);
    }
    kprintf("builtin summary = %016llx\n", (unsigned long long)sum);
    check_u64("builtins disagreeing with loops", (uint64_t)bad, 0);
}

static void fixed_values(void)
{
    uint64_t v = OPAQUE(0x0123456789abcdefull);

    check_u64("bswap64", __builtin_bswap64(v), 0xefcdab8967452301ull);
    check_u64("bswap32", __builtin_bswap32((uint32_t)v), 0xefcdab89);
    check_u64("bswap16", __builtin_bswap16((uint16_t)v), 0xefcd);
    check_u64("reverse64", reverse64(v), 0xf7b3d591e6a2c480ull);
    check_u64("rotl64 by 12", rotl64(v, OPAQUE(12u)), 0x3456789abcdef012ull);
    check_u64("rotr64 by 12", rotr64(v, OPAQUE(12u)), 0xdef0123456789abcull);
    check_u64("rotl64 by 0", rotl64(v, OPAQUE(0u)), v);
    check_u64("rotl32 by 4", rotl32(0x89abcdef, OPAQUE(4u)), 0x9abcdef8);
    check_u64("rotr32 by 4", rotr32(0x89abcdef, OPAQUE(4u)), 0xf89abcde);
    check_u64("rotl32 by 36 (count mod 32)", rotl32(0x89abcdef, OPAQUE(36u)), 0x9abcdef8);
    check_u64("rotl32 by a constant 8", rotl32(OPAQUE(0x11223344u), 8), 0x22334411);
    check_u64("popcount(0)", (uint64_t)__builtin_popcountll(OPAQUE(0ull)), 0);
    check_u64("popcount(~0)", (uint64_t)__builtin_popcountll(OPAQUE(~0ull)), 64);
    check_u64("clz(1)", (uint64_t)__builtin_clzll(OPAQUE(1ull)), 63);
    check_u64("ctz(2^63)", (uint64_t)__builtin_ctzll(OPAQUE(1ull << 63)), 63);
    check_u64("ffs(0)", (uint64_t)__builtin_ffs(OPAQUE(0)), 0);
    check_u64("clrsb(-1) (redundant sign bits)", (uint64_t)__builtin_clrsbll(OPAQUE(-1ll)), 63);
    check_u64("next_pow2(1000)", next_pow2(OPAQUE(1000ull)), 1024);
    check_u64("next_pow2(4096)", next_pow2(OPAQUE(4096ull)), 4096);
    uint32_t g = OPAQUE(1234567u);
    uint32_t gray = g ^ (g >> 1), back = gray;
    for (uint32_t s = 1; s < 32; s <<= 1)
        back ^= back >> s; /* undo the Gray code by a prefix XOR */
    check_u64("gray code round trip", back, 1234567);
    /* Bit-field insert/extract as a driver does with device registers. */
    uint32_t reg = OPAQUE(0xffffffffu);
    reg = (reg & ~(0x1fu << 7)) | (0x0au << 7);
    check_u64("bit-field insert", reg, 0xfffff57f);
    check_u64("bit-field extract", (reg >> 7) & 0x1f, 0x0a);
    int32_t sx = OPAQUE(0x00000f80);
    check_i64("sign-extend a 12-bit field", (int32_t)((uint32_t)sx << 20) >> 20, -128);
}

int main(void)
{
    kprintf("bits: bit manipulation\n");
    builtins_vs_loops();
    fixed_values();
    return check_failures();
}
