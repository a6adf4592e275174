/* The emulated 16550 (vuart.h). Register map: PC16550D table II; DLAB is LCR bit 7. */
#include "vuart.h"

enum { RBR_THR_DLL, IER_DLM, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_THRE 0x20       /* transmitter holding register empty */
#define LSR_TEMT 0x40       /* transmitter empty */
#define IIR_NO_INTERRUPT 0x01
#define IIR_FIFOS_ON 0xC0
#define FCR_FIFO_ENABLE 0x01

void vuart_init(struct vuart *u)
{
    *u = (struct vuart){ .lcr = 0x03, .dll = 1 };
}

/* MSR: in loopback the modem inputs follow MCR's outputs (CTS = RTS, DSR = DTR,
   RI = OUT1, DCD = OUT2); otherwise carrier, DSR and CTS are up. */
static uint8_t modem_status(const struct vuart *u)
{
    if (!(u->mcr & MCR_LOOP))
        return 0xB0;
    return (uint8_t)((u->mcr & 0x02) << 3 | (u->mcr & 0x01) << 5 | (u->mcr & 0x04) << 4 |
                     (u->mcr & 0x08) << 4);
}

uint8_t vuart_read(struct vuart *u, unsigned offset)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;

    switch (offset & 7) {
    case RBR_THR_DLL: return dlab ? u->dll : 0; /* nothing is ever received */
    case IER_DLM: return dlab ? u->dlm : u->ier;
    case IIR_FCR: return IIR_NO_INTERRUPT | ((u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFOS_ON : 0);
    case LCR: return u->lcr;
    case MCR: return u->mcr;
    case LSR: return LSR_THRE | LSR_TEMT;
    case MSR: return modem_status(u);
    default: return u->scr;
    }
}

int vuart_write(struct vuart *u, unsigned offset, uint8_t v)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;

    switch (offset & 7) {
    case RBR_THR_DLL:
        if (!dlab)
            return 1;
        u->dll = v;
        break;
    case IER_DLM:
        if (dlab)
            u->dlm = v;
        else
            u->ier = v & 0x0F; /* bits 7:4 read as 0 */
        break;
    case IIR_FCR: u->fcr = v & 0xC9; break; /* the FIFO-reset bits clear themselves */
    case LCR: u->lcr = v; break;
    case MCR: u->mcr = v & 0x1F; break;
    case LSR:
    case MSR: break; /* read-only */
    default: u->scr = v; break;
    }
    return 0;
}
