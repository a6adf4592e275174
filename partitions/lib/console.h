/* The console: bytes written here leave the machine through the 16550 UART at
   I/O port 0x3F8 (DESIGN.md, "Boot protocol"). Bytes go out unchanged: no "\n" to
   "\r\n" translation, so guest output compares byte for byte with a native run. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>

void console_putc(char c);
void console_write(const char *s, size_t n);
void console_puts(const char *s); /* no newline appended */

#endif
