/* kprintf: one formatter (format()) writing through a sink; the console and a
   string buffer are the two sinks. */
#include <stdint.h>
#include "console.h"
#include "kprintf.h"

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;
    size_t size;    /* capacity of buf */
    size_t used;    /* bytes stored in buf */
    size_t total;   /* bytes produced, stored or not */
};

static void emit(struct sink *s, char c)
{
    s->put(s, c);
    s->total++;
}

static void emit_n(struct sink *s, char c, int n)
{
    for (; n > 0; n--)
        emit(s, c);
}

/* One conversion's options, as parsed from "%-08lx". */
struct spec {
    int left;       /* '-' */
    int zero;       /* '0' */
    char plus;      /* '+' or ' ': what to print before a nonnegative %d, or 0 */
    int width;
    int precision;  /* -1: none */
};

/* Print magnitude mag in base 10 or 16 with an optional sign in front, padded to the
   width: "-0042" (zero-pad puts the sign before the zeros), "  -42", "-42  ".
   sign is '-', '+', ' ' or 0 for none. */
static void format_number(struct sink *s, const struct spec *sp, uint64_t mag,
                          unsigned base, char sign, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[20]; /* UINT64_MAX has 20 decimal digits */
    int n = 0;

    do {
        tmp[n++] = digits[mag % base];
        mag /= base;
    } while (mag != 0);

    int pad = sp->width - n - (sign != 0);
    if (!sp->left && !sp->zero)
        emit_n(s, ' ', pad);
    if (sign)
        emit(s, sign);
    if (!sp->left && sp->zero)
        emit_n(s, '0', pad);
    while (n > 0)
        emit(s, tmp[--n]);
    if (sp->left)
        emit_n(s, ' ', pad);
}

static void format_string(struct sink *s, const struct spec *sp, const char *str)
{
    int n = 0;

    if (str == 0)
        str = "(null)";
    while (str[n] && (sp->precision < 0 || n < sp->precision))
        n++;
    if (!sp->left)
        emit_n(s, ' ', sp->width - n);
    for (int i = 0; i < n; i++)
        emit(s, str[i]);
    if (sp->left)
        emit_n(s, ' ', sp->width - n);
}

enum length { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_Z };

static uint64_t arg_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:  return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_INT: return va_arg(*ap, unsigned int);
    case LEN_L:  return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z:  return va_arg(*ap, size_t);
    }
    return 0;
}

static int64_t arg_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H:  return (short)va_arg(*ap, int);
    case LEN_INT: return va_arg(*ap, int);
    case LEN_L:  return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z:  return (int64_t)va_arg(*ap, size_t);
    }
    return 0;
}

/* A va_list is passed by pointer: on x86-64 it is an array type, and passing it by
   value to a helper that calls va_arg leaves the caller's copy indeterminate. */
static void format(struct sink *s, const char *fmt, va_list *ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(s, *fmt);
            continue;
        }
        fmt++;

        struct spec sp = { 0, 0, 0, 0, -1 };
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = 1;
            else if (*fmt == '0')
                sp.zero = 1;
            else if (*fmt == '+')
                sp.plus = '+';
            else if (*fmt == ' ' && sp.plus != '+') /* '+' wins over ' ' (C11 7.21.6.1) */
                sp.plus = ' ';
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(*ap, int);
            if (sp.width < 0) { /* a negative '*' width means '-' (C11 7.21.6.1) */
                sp.left = 1;
                sp.width = -sp.width;
            }
            fmt++;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            sp.width = sp.width * 10 + (*fmt - '0');
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(*ap, int);
                fmt++;
            }
            for (; *fmt >= '0' && *fmt <= '9'; fmt++)
                sp.precision = sp.precision * 10 + (*fmt - '0');
        }

        enum length len = LEN_INT;
        if (*fmt == 'h') {
            len = LEN_H;
            if (*++fmt == 'h') {
                len = LEN_HH;
                fmt++;
            }
        } else if (*fmt == 'l') {
            len = LEN_L;
            if (*++fmt == 'l') {
                len = LEN_LL;
                fmt++;
            }
        } else if (*fmt == 'z') {
            len = LEN_Z;
            fmt++;
        }

        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = arg_signed(ap, len);
            /* 0 - (uint64_t)v is |v| even for INT64_MIN, where -v would overflow. */
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            format_number(s, &sp, mag, 10, v < 0 ? '-' : sp.plus, 0);
            break;
        }
        case 'u':
            format_number(s, &sp, arg_unsigned(ap, len), 10, 0, 0);
            break;
        case 'x':
        case 'X':
            format_number(s, &sp, arg_unsigned(ap, len), 16, 0, *fmt == 'X');
            break;
        case 'p': {
            /* "0x" and the digits, padded as one string: "  0x1f", not "0x  1f". */
            uintptr_t p = (uintptr_t)va_arg(*ap, void *);
            char text[2 + 2 * sizeof(p) + 1], rev[2 * sizeof(p)];
            int n = 0, k = 0;
            do {
                rev[k++] = "0123456789abcdef"[p & 15];
                p >>= 4;
            } while (p != 0);
            text[n++] = '0';
            text[n++] = 'x';
            while (k > 0)
                text[n++] = rev[--k];
            text[n] = '\0';
            sp.precision = -1;
            format_string(s, &sp, text);
            break;
        }
        case 'c': {
            char c = (char)va_arg(*ap, int);
            if (!sp.left)
                emit_n(s, ' ', sp.width - 1);
            emit(s, c);
            if (sp.left)
                emit_n(s, ' ', sp.width - 1);
            break;
        }
        case 's':
            format_string(s, &sp, va_arg(*ap, const char *));
            break;
        case '%':
            emit(s, '%');
            break;
        case '\0':
            /* A lone '%' at the end: print it and stop before the terminator. */
            emit(s, '%');
            return;
        default:
            /* Unknown conversion: show it as written rather than guess. */
            emit(s, '%');
            emit(s, *fmt);
            break;
        }
    }
}

/* Console sink: collect bytes and hand them to the console in chunks. */
static void put_console(struct sink *s, char c)
{
    s->buf[s->used++] = c;
    if (s->used == s->size) {
        console_write(s->buf, s->used);
        s->used = 0;
    }
}

int kvprintf(const char *fmt, va_list ap)
{
    char chunk[128];
    struct sink s = { put_console, chunk, sizeof(chunk), 0, 0 };
    va_list copy;

    va_copy(copy, ap);
    format(&s, fmt, &copy);
    va_end(copy);
    if (s.used)
        console_write(chunk, s.used);
    return (int)s.total;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* String sink: keep one byte free for the terminating NUL. */
static void put_buffer(struct sink *s, char c)
{
    if (s->used + 1 < s->size)
        s->buf[s->used++] = c;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { put_buffer, buf, size, 0, 0 };
    va_list copy;

    va_copy(copy, ap);
    format(&s, fmt, &copy);
    va_end(copy);
    if (size > 0)
        buf[s.used] = '\0';
    return (int)s.total;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
