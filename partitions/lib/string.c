/* memcpy and friends for guests, in plain C.
   Built with -fno-tree-loop-distribute-patterns: otherwise gcc may recognise the
   byte loop inside memset as "a memset" and compile it into a call to itself. */
#include <stdint.h>
#include "kstring.h"

/* A word type allowed to alias any object, so word-wide copies of char buffers
   stay within the C aliasing rules. */
typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD_BYTES sizeof(word_t)
#define ALIGNED(p) (((uintptr_t)(p) & (WORD_BYTES - 1)) == 0)

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Whole words when both ends are aligned: 8x fewer loads and stores. */
    if (ALIGNED(d) && ALIGNED(s)) {
        for (; n >= WORD_BYTES; n -= WORD_BYTES) {
            *(word_t *)d = *(const word_t *)s;
            d += WORD_BYTES;
            s += WORD_BYTES;
        }
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Copying forward is safe unless dst starts inside [src, src + n). */
    if ((uintptr_t)d - (uintptr_t)s >= n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    if (ALIGNED(d)) {
        word_t w = b * 0x0101010101010101ull; /* the byte in every lane */
        for (; n >= WORD_BYTES; n -= WORD_BYTES) {
            *(word_t *)d = w;
            d += WORD_BYTES;
        }
    }
    while (n--)
        *d++ = b;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
    /* C compares strings as unsigned char (C11 7.24.4). */
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    return (*x > *y) - (*x < *y);
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    for (; n > 0; n--, x++, y++) {
        if (*x != *y || *x == 0)
            return (*x > *y) - (*x < *y);
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    /* The terminating NUL counts as part of the string (C11 7.24.5.2). */
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == 0)
            return 0;
    }
}
