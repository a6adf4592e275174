/* Formatted output: a small printf for guests.
   Conversions: %d %i %u %x %X %c %s %p %%; flags '-' (left-justify), '0' (zero-pad),
   '+' and ' ' (sign of a nonnegative %d); a width (digits or '*'); a precision for
   %s (".N" or ".*"); length modifiers hh h l ll z. Anything else is printed as
   written. No floating point: guests are built integer-only. */
#ifndef KPRINTF_H
#define KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define KPRINTF_FORMAT(f, a) __attribute__((format(printf, f, a)))

/* To the console; returns the number of bytes written. */
int kprintf(const char *fmt, ...) KPRINTF_FORMAT(1, 2);
int kvprintf(const char *fmt, va_list ap);

/* Into buf, always NUL-terminated when size > 0; returns the length the whole output
   would have had, like C's snprintf, so a return >= size means it was cut short. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) KPRINTF_FORMAT(3, 4);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
