/* The console of a ring-3 program: SYS_write. With it, the guest library's kprintf
   (kprintf.h) works unchanged in user code. */
#include "console.h"
#include "usys.h"

void console_write(const char *s, size_t n)
{
    sys_write(s, n);
}

void console_putc(char c)
{
    sys_write(&c, 1);
}

void console_puts(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    sys_write(s, n);
}
