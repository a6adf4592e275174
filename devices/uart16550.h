/* A 16550 UART, the console of the boot protocol (DESIGN.md "Console"): ports
 * 0x3F8-0x3FF. Transmit only: a byte written to THR goes to the console FILE; the
 * transmitter is always empty, and the receiver never has data.
 * Register map: National Semiconductor PC16550D data sheet, table II. */
#ifndef HVSIM_DEVICES_UART16550_H
#define HVSIM_DEVICES_UART16550_H

#include <stdint.h>
#include <stdio.h>

#include "../sim/base/counters.h"

#define UART_COM1_BASE 0x3F8
#define UART_NR_PORTS 8

struct uart16550 {
	FILE *out;                /* the console; the caller owns its buffering */
	uint8_t ier, fcr, lcr, mcr, scr;
	uint8_t dll, dlm;         /* divisor latch, visible while LCR.DLAB = 1 */
	uint64_t tx_bytes;        /* counters */
	uint64_t reg_reads, reg_writes;
};

void uart16550_init(struct uart16550 *u, FILE *out);
void uart16550_register_counters(struct uart16550 *u, struct counter_registry *reg);

/* Byte accesses to register `offset` (0-7 from the base port); ctx is the uart. */
uint8_t uart16550_in(void *ctx, uint16_t offset);
void uart16550_out(void *ctx, uint16_t offset, uint8_t v);

#endif
