#include "uart16550.h"

#include <stdbool.h>

/* Register offsets (PC16550D table II); DLAB is LCR bit 7. */
enum {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_THRE 0x20 /* transmitter holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define IIR_NO_INT 0x01
#define IIR_FIFO_ON 0xC0
#define FCR_FIFO_EN 0x01

void uart16550_init(struct uart16550 *u, FILE *out)
{
	*u = (struct uart16550){ .out = out };
	/* Divisor 1 (115200 baud) and 8N1, what firmware leaves behind. */
	u->dll = 1;
	u->lcr = 0x03;
}

void uart16550_register_counters(struct uart16550 *u, struct counter_registry *reg)
{
	counter_register(reg, "uart.tx_bytes", "bytes the guest wrote to the console (THR)",
			 &u->tx_bytes);
	counter_register(reg, "uart.reg_reads", "UART register reads", &u->reg_reads);
	counter_register(reg, "uart.reg_writes", "UART register writes", &u->reg_writes);
}

/* MSR in loopback mode mirrors MCR: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2 (PC16550D
 * "MODEM status register"); otherwise the modem lines report carrier, DSR and CTS. */
static uint8_t modem_status(const struct uart16550 *u)
{
	if (!(u->mcr & MCR_LOOP))
		return 0xB0;
	return (uint8_t)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
			 ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
}

uint8_t uart16550_in(void *ctx, uint16_t offset)
{
	struct uart16550 *u = ctx;
	bool dlab = u->lcr & LCR_DLAB;
	u->reg_reads++;
	switch (offset) {
	case UART_RBR_THR_DLL:
		return dlab ? u->dll : 0; /* no input: RBR reads 0 */
	case UART_IER_DLM:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		return IIR_NO_INT | ((u->fcr & FCR_FIFO_EN) ? IIR_FIFO_ON : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT; /* always ready to send, nothing received */
	case UART_MSR:
		return modem_status(u);
	default:
		return u->scr;
	}
}

void uart16550_out(void *ctx, uint16_t offset, uint8_t v)
{
	struct uart16550 *u = ctx;
	bool dlab = u->lcr & LCR_DLAB;
	u->reg_writes++;
	switch (offset) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			u->dll = v;
		} else {
			putc_unlocked(v, u->out);
			u->tx_bytes++;
		}
		break;
	case UART_IER_DLM:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v & 0x0F; /* bits 7:4 are always 0 */
		break;
	case UART_IIR_FCR:
		u->fcr = v & 0xC9; /* bits 1, 2 (FIFO resets) clear themselves */
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1F;
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only here (the data sheet reserves LSR writes for factory test) */
	default:
		u->scr = v;
		break;
	}
}
