/* 8- and 16-bit arithmetic: int8_t/uint8_t/int16_t/uint16_t values promote to int for
   every operation (C11 6.3.1.1) and wrap only when stored back (gcc converts
   modulo 2^N, C11 6.3.1.3). Compilers use byte and word registers, MOVSX/MOVZX,
   8-bit MUL/DIV, CBW/CWD and 16-bit operand-size prefixes for these. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "rng.h"

static void wraparound(void)
{
    int8_t s8 = OPAQUE((int8_t)127);
    s8 = (int8_t)(s8 + 1);
    check_i64("int8 127 + 1 wraps", s8, -128);
    s8 = (int8_t)(s8 - 1);
    check_i64("int8 -128 - 1 wraps", s8, 127);

    uint8_t u8 = OPAQUE((uint8_t)250);
    u8 = (uint8_t)(u8 + 10);
    check_u64("uint8 250 + 10", u8, 4);
    u8 = (uint8_t)(u8 - 5);
    check_u64("uint8 4 - 5", u8, 255);

    int16_t s16 = OPAQUE((int16_t)32767);
    s16 = (int16_t)(s16 + 1);
    check_i64("int16 32767 + 1 wraps", s16, -32768);
    uint16_t u16 = OPAQUE((uint16_t)300);
    u16 = (uint16_t)(u16 * u16);
    check_u64("uint16 300 * 300", u16, 90000 % 65536);

    int8_t a = OPAQUE((int8_t)-128), b = OPAQUE((int8_t)-1);
    check_i64("int8 -128 / -1 is 128 in int", a / b, 128);
    check_i64("  and -128 stored back to int8", (int8_t)(a / b), -128);
    int8_t e = OPAQUE((int8_t)-100);
    check_i64("int8 -100 * 3 in int", e * 3, -300);
    check_i64("  stored back to int8", (int8_t)(e * 3), -44);

    uint8_t c = OPAQUE((uint8_t)200);
    int8_t d = OPAQUE((int8_t)-56);
    check_true("uint8 200 != int8 -56 after promotion", c != d);
    check_true("(uint8_t)-56 == 200", (uint8_t)d == c);
    check_i64("int8 -56 zero-extended via uint8", (uint8_t)d, 200);
}

static void shifts_and_division(void)
{
    uint8_t u = OPAQUE((uint8_t)0x81);
    check_u64("uint8 0x81 << 1 in int", (uint64_t)(u << 1), 0x102);
    check_u64("  stored to uint8", (uint8_t)(u << 1), 0x02);
    check_u64("uint8 0x81 >> 1", (uint64_t)(u >> 1), 0x40);
    int8_t s = OPAQUE((int8_t)-127);
    check_i64("int8 -127 >> 1 (arithmetic)", s >> 1, -64);
    check_i64("int8 -127 / 2 (toward zero)", s / 2, -63);
    check_i64("int8 -127 % 10", s % 10, -7);
    uint16_t w = OPAQUE((uint16_t)0xfedc);
    check_u64("uint16 0xfedc >> 4", (uint64_t)(w >> 4), 0x0fed);
    check_u64("uint16 rotate left 4", (uint16_t)((w << 4) | (w >> 12)), 0xedcf);
    int16_t sw = OPAQUE((int16_t)-30000);
    check_i64("int16 -30000 / 7", sw / 7, -4285);
    check_i64("int16 -30000 % 7", sw % 7, -5);
    check_u64("uint16 65535 / 255", (uint64_t)(OPAQUE((uint16_t)65535) / OPAQUE((uint16_t)255)),
              257);
    check_u64("uint8 255 / 16", (uint64_t)(OPAQUE((uint8_t)255) / OPAQUE((uint8_t)16)), 15);
    check_u64("uint8 255 % 16", (uint64_t)(OPAQUE((uint8_t)255) % OPAQUE((uint8_t)16)), 15);
}

/* Mixed-width loops over random data, summarised. */
static void mixes(void)
{
    struct rng r = rng_seed(11);
    uint8_t h8 = 0;
    uint16_t h16 = 0;
    int8_t m8 = 0;
    int16_t m16 = 0;
    int64_t sum = 0;

    for (int i = 0; i < 5000; i++) {
        uint32_t x = rng_u32(&r);
        uint8_t b = (uint8_t)x;
        int8_t sb = (int8_t)(x >> 8);
        uint16_t hw = (uint16_t)(x >> 16);
        int16_t shw = (int16_t)x;

        h8 = (uint8_t)(h8 * 31 + b);
        h8 ^= (uint8_t)(h8 >> 3);
        h16 = (uint16_t)(h16 * 257 + hw);
        h16 = (uint16_t)((h16 << 5) | (h16 >> 11));
        m8 = (int8_t)(m8 + sb * 3);
        if (sb != 0)
            m8 = (int8_t)(m8 ^ (int8_t)(b / (uint8_t)(sb | 1)));
        m16 = (int16_t)(m16 - shw / 3);
        if (shw != 0 && shw != -1)
            m16 = (int16_t)(m16 + (int16_t)(hw % (uint16_t)shw));
        sum += sb * shw + (sb >> 2) - (b > (uint8_t)sb) + (shw < (int16_t)hw);
    }
    kprintf("h8=%02x h16=%04x m8=%d m16=%d sum=%lld\n", h8, h16, m8, m16, (long long)sum);
}

/* Byte-counter loops: a uint8_t counter wraps after 255. */
static void counters(void)
{
    unsigned steps = 0;
    uint8_t i = OPAQUE((uint8_t)200);

    do {
        steps++;
        i++;
    } while (i != 100);
    check_u64("uint8 counter 200 -> 100 steps", steps, 156);

    char text[] = "Narrow Types: ABC xyz 0189";
    for (char *p = text; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + ('a' - 'A'));
        else if (*p >= '0' && *p <= '9')
            *p = (char)('9' - (*p - '0'));
    }
    check_str("case swap and digit mirror", text, "nARROW tYPES: abc XYZ 9810");
}

int main(void)
{
    kprintf("narrow: 8- and 16-bit arithmetic\n");
    wraparound();
    shifts_and_division();
    mixes();
    counters();
    return check_failures();
}
