/* Console output through the 16550 UART's transmit holding register. */
#include "console.h"
#include "portio.h"

#define UART_BASE 0x3F8
#define UART_THR  (UART_BASE + 0) /* transmit holding register (when LCR.DLAB = 0) */

/* A real 16550 needs LSR.THRE (bit 5 of port base+5) polled before each byte. hvsim's
   UART always reports the transmitter empty (DESIGN.md), and under the hypervisor
   every port access is an intercept, so the poll is left out: one OUT per byte. */
void console_putc(char c)
{
    outb(UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        console_putc(s[i]);
}

void console_puts(const char *s)
{
    while (*s)
        console_putc(*s++);
}
