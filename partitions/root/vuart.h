/* A child's 16550 UART, emulated by its worker: the registers a program on the bare
   machine sees at ports 0x3F8-0x3FF (devices/uart16550.c; National Semiconductor
   PC16550D data sheet), with no receiver. Portable C (host unit test). */
#ifndef VUART_H
#define VUART_H

#include <stdint.h>

#define VUART_BASE 0x3F8
#define VUART_PORTS 8

struct vuart {
    uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
};

/* Divisor 1 and 8N1, what firmware leaves behind (as the bare machine's UART). */
void vuart_init(struct vuart *u);

/* A byte read of register offset (0-7). LSR always says "transmitter empty" (0x60). */
uint8_t vuart_read(struct vuart *u, unsigned offset);

/* A byte write of register offset. Returns 1 when it transmits v (THR with DLAB = 0):
   the byte then belongs on the child's console. */
int vuart_write(struct vuart *u, unsigned offset, uint8_t v);

#endif
