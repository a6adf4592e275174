/* The table-driven decoder: bytes → struct insn (operands resolved, handler chosen). */
#ifndef HVSIM_CPU_DECODE_H
#define HVSIM_CPU_DECODE_H

#include "cpu.h"

enum decode_status {
	DEC_OK,
	DEC_MORE,    /* the buffer ended inside the instruction */
	DEC_UD,      /* not an instruction hvsim implements: #UD */
	DEC_TOOLONG, /* longer than 15 bytes: #GP(0) */
};

/* Decodes the instruction in b[0..n). Does not set pa or cost_cycles. */
enum decode_status decode_buf(const uint8_t *b, unsigned n, struct insn *out);

/* Builds the opcode lookup from insn_table (idempotent). */
void decode_init(void);

#endif
