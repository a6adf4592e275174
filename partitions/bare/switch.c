/* Switch statements: a dense switch of 32 cases (compiled to a jump table, an
   indirect JMP through .rodata, at every -O level), a switch over characters, a
   sparse switch (compare trees), fall-through (Duff's device) and a table of
   function pointers. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"

/* Dense: cases 0..31, each doing different arithmetic so no two can be merged. */
static uint32_t dense(uint32_t op, uint32_t x)
{
    switch (op) {
    case 0:  return x + 1;
    case 1:  return x * 3;
    case 2:  return x ^ 0x5a5a5a5a;
    case 3:  return x << 3;
    case 4:  return x >> 2;
    case 5:  return ~x;
    case 6:  return x - 1000;
    case 7:  return x * x;
    case 8:  return x | 0x80000001;
    case 9:  return x & 0xffff;
    case 10: return x / 3;
    case 11: return x % 1000;
    case 12: return (x << 7) | (x >> 25);
    case 13: return x + (x >> 16);
    case 14: return x * 0x9e3779b9u;
    case 15: return 0u - x;
    case 16: return x ^ (x >> 1);
    case 17: return x & (x - 1);
    case 18: return x | (x + 1);
    case 19: return x / 10 + x % 10;
    case 20: return x * 5 + 7;
    case 21: return (x >> 8) ^ (x << 24);
    case 22: return x - (x >> 3);
    case 23: return x & 0xf0f0f0f0;
    case 24: return x + 0x12345;
    case 25: return x * 17 - 3;
    case 26: return (x & 1) ? x * 3 + 1 : x / 2;
    case 27: return x ^ 0xdeadbeef;
    case 28: return x << (x & 15);
    case 29: return x >> (x & 15);
    case 30: return x % 97 * 1000;
    case 31: return (uint32_t)(((uint64_t)x * 2654435761u) >> 16);
    default: return 0xffffffff;
    }
}

enum char_class { CLASS_OTHER, CLASS_DIGIT, CLASS_LOWER, CLASS_UPPER, CLASS_SPACE,
                  CLASS_PUNCT, NR_CLASSES };

/* A switch over character codes, as in a lexer: several dense ranges of cases. */
static enum char_class classify(char c)
{
    switch (c) {
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return CLASS_DIGIT;
    case 'a': case 'b': case 'c': case 'd': case 'e': case 'f': case 'g': case 'h':
    case 'i': case 'j': case 'k': case 'l': case 'm': case 'n': case 'o': case 'p':
    case 'q': case 'r': case 's': case 't': case 'u': case 'v': case 'w': case 'x':
    case 'y': case 'z':
        return CLASS_LOWER;
    case 'A': case 'B': case 'C': case 'D': case 'E': case 'F': case 'G': case 'H':
    case 'I': case 'J': case 'K': case 'L': case 'M': case 'N': case 'O': case 'P':
    case 'Q': case 'R': case 'S': case 'T': case 'U': case 'V': case 'W': case 'X':
    case 'Y': case 'Z':
        return CLASS_UPPER;
    case ' ': case '\t': case '\n':
        return CLASS_SPACE;
    case '.': case ',': case ';': case ':': case '!': case '?': case '(': case ')':
        return CLASS_PUNCT;
    default:
        return CLASS_OTHER;
    }
}

/* Sparse: far-apart values, which gcc compiles to a tree of compares instead. */
static int sparse(uint32_t v)
{
    switch (v) {
    case 1:          return 10;
    case 100:        return 20;
    case 1000:       return 30;
    case 4096:       return 40;
    case 65535:      return 50;
    case 1000000:    return 60;
    case 0x7fffffff: return 70;
    case 0xfffffffe: return 80;
    default:         return -1;
    }
}

/* Duff's device: case labels inside a loop body, entered through a jump table. */
static void duff_copy(uint8_t *to, const uint8_t *from, int count)
{
    if (count <= 0)
        return;
    int rounds = (count + 7) / 8;
    switch (count % 8) {
    case 0: do { *to++ = *from++; /* fall through */
    case 7:      *to++ = *from++; /* fall through */
    case 6:      *to++ = *from++; /* fall through */
    case 5:      *to++ = *from++; /* fall through */
    case 4:      *to++ = *from++; /* fall through */
    case 3:      *to++ = *from++; /* fall through */
    case 2:      *to++ = *from++; /* fall through */
    case 1:      *to++ = *from++;
            } while (--rounds > 0);
    }
}

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_min(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* The dispatch a switch stands for, written out: an indexed indirect CALL. */
static uint32_t (*const ops[])(uint32_t, uint32_t) = { op_add, op_sub, op_mul, op_xor, op_min };

int main(void)
{
    kprintf("switch: jump tables\n");

    /* Every case, plus out-of-range values that take the default. */
    for (uint32_t op = 0; op < 36; op += 4) {
        kprintf("dense");
        for (uint32_t k = op; k < op + 4; k++)
            kprintf(" %2u:%08x", k, dense(OPAQUE(k), 0x12345678u + k));
        kprintf("\n");
    }
    uint32_t x = 1;
    for (int i = 0; i < 10000; i++)
        x = dense(x % 33, x) + (uint32_t)i;
    kprintf("dense chain = %08x\n", x);
    check_u64("dense(99, x) takes the default", dense(OPAQUE(99u), 5), 0xffffffff);

    const char *text = "Hello, World! 42 switch-cases (in C): 0123456789 ABC xyz.\n";
    int count[NR_CLASSES] = { 0 };
    for (const char *p = text; *p; p++)
        count[classify(*p)]++;
    kprintf("classes: other=%d digit=%d lower=%d upper=%d space=%d punct=%d\n",
            count[CLASS_OTHER], count[CLASS_DIGIT], count[CLASS_LOWER], count[CLASS_UPPER],
            count[CLASS_SPACE], count[CLASS_PUNCT]);
    check_u64("digits counted", (uint64_t)count[CLASS_DIGIT], 12);
    check_u64("upper case counted", (uint64_t)count[CLASS_UPPER], 6);

    static const uint32_t probes[] = { 0, 1, 2, 100, 999, 1000, 4096, 65535, 65536,
                                       1000000, 0x7fffffff, 0xfffffffe, 0xffffffff };
    kprintf("sparse:");
    for (unsigned i = 0; i < ARRAY_SIZE(probes); i++)
        kprintf(" %d", sparse(OPAQUE(probes[i])));
    kprintf("\n");

    uint8_t src[40], dst[40];
    for (int i = 0; i < 40; i++)
        src[i] = (uint8_t)(i * 7 + 1);
    int ok = 1;
    for (int n = 0; n <= 40; n++) {
        for (int i = 0; i < 40; i++)
            dst[i] = 0xEE;
        duff_copy(dst, src, OPAQUE(n));
        for (int i = 0; i < 40; i++)
            ok &= dst[i] == (i < n ? src[i] : 0xEE);
    }
    check_true("Duff's device copies exactly n bytes, n = 0..40", ok);

    uint32_t acc = 7;
    for (uint32_t i = 0; i < 1000; i++)
        acc = ops[OPAQUE(i) % ARRAY_SIZE(ops)](acc, i * 2654435761u);
    kprintf("function-pointer table dispatch = %08x\n", acc);
    return check_failures();
}
