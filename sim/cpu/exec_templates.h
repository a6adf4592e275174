/* Instruction semantics shared by the generic handlers (which read operand kinds and
 * sizes from the decoded instruction) and the forms specialized at decode time
 * (exec_fast.c, where kinds and sizes are constants). One definition of each meaning. */
#ifndef HVSIM_CPU_EXEC_TEMPLATES_H
#define HVSIM_CPU_EXEC_TEMPLATES_H

#include "operand.h"

enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* The eight classic two-operand ALU instructions. The result is written before the flags
 * change, so a faulting write leaves the flags as they were. */
ALWAYS_INLINE void alu2_t(struct cpu *c, const struct insn *i, enum alu_op op, unsigned k0,
			  unsigned k1, unsigned sz)
{
	uint64_t m = size_mask(sz);
	uint64_t a = opk_read(c, i, 0, k0, sz), b = opk_read(c, i, 1, k1, sz) & m, res;
	unsigned cin = 0;
	switch (op) {
	case ALU_ADC:
		cin = flag_cf(c);
		/* fall through */
	case ALU_ADD:
		res = (a + b + cin) & m;
		opk_write(c, i, 0, k0, sz, res);
		flags_lazy(c, LF_ADD, sz, a, b, res, cin);
		break;
	case ALU_SBB:
		cin = flag_cf(c);
		/* fall through */
	case ALU_SUB:
	case ALU_CMP:
		res = (a - b - cin) & m;
		if (op != ALU_CMP)
			opk_write(c, i, 0, k0, sz, res);
		flags_lazy(c, LF_SUB, sz, a, b, res, cin);
		break;
	default:
		res = op == ALU_AND ? a & b : op == ALU_OR ? a | b : a ^ b;
		opk_write(c, i, 0, k0, sz, res);
		flags_lazy(c, LF_LOGIC, sz, a, b, res, 0);
		break;
	}
}

ALWAYS_INLINE void test_t(struct cpu *c, const struct insn *i, unsigned k0, unsigned k1,
			  unsigned sz)
{
	uint64_t res = opk_read(c, i, 0, k0, sz) & opk_read(c, i, 1, k1, sz);
	flags_lazy(c, LF_LOGIC, sz, res, 0, res, 0);
}

ALWAYS_INLINE void mov_t(struct cpu *c, const struct insn *i, unsigned k0, unsigned k1,
			 unsigned sz)
{
	opk_write(c, i, 0, k0, sz, opk_read(c, i, 1, k1, sz));
}

#define ALU_TEMPLATE(name, OP) \
	ALWAYS_INLINE void name##_t(struct cpu *c, const struct insn *i, unsigned k0, \
				    unsigned k1, unsigned sz) { alu2_t(c, i, OP, k0, k1, sz); }
ALU_TEMPLATE(add, ALU_ADD)
ALU_TEMPLATE(or, ALU_OR)
ALU_TEMPLATE(adc, ALU_ADC)
ALU_TEMPLATE(sbb, ALU_SBB)
ALU_TEMPLATE(and, ALU_AND)
ALU_TEMPLATE(sub, ALU_SUB)
ALU_TEMPLATE(xor, ALU_XOR)
ALU_TEMPLATE(cmp, ALU_CMP)
#undef ALU_TEMPLATE

/* insn_exec_fn for the decoded instruction: a specialized form when one exists. */
insn_exec_fn exec_specialize(const struct insn *i);

#endif
