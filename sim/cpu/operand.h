/* Operand access for instruction handlers: registers by size, effective addresses,
 * and the decoded operands of struct insn. */
#ifndef HVSIM_CPU_OPERAND_H
#define HVSIM_CPU_OPERAND_H

#include "cpu.h"
#include "flags.h"
#include "mem.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE uint64_t reg_read(const struct cpu *c, unsigned r, unsigned size)
{
	if (size == 1 && r >= REG_AH)
		return (c->gpr[r - REG_AH] >> 8) & 0xff;
	return c->gpr[r] & size_mask(size);
}

/* Writes of 32 bits zero the upper half; 8- and 16-bit writes merge (SDM vol. 1 §3.4.1.1). */
ALWAYS_INLINE void reg_write(struct cpu *c, unsigned r, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (r >= REG_AH) {
			r -= REG_AH;
			c->gpr[r] = (c->gpr[r] & ~0xff00ull) | ((v & 0xff) << 8);
		} else {
			c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff);
		}
		break;
	case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
	case 4: c->gpr[r] = (uint32_t)v; break;
	default: c->gpr[r] = v; break;
	}
}

/* Effective address (offset within the segment) of the memory operand */
ALWAYS_INLINE uint64_t ea_offset(const struct cpu *c, const struct insn *i)
{
	uint64_t a = (uint64_t)i->disp + c->gpr[i->base] + (c->gpr[i->index] << i->scale) +
		     (c->rip_next & -(uint64_t)i->riprel);
	if (unlikely(i->asz == 4))
		a = (uint32_t)a;
	return a;
}

/* In 64-bit mode only FS and GS have a base (AMD APM vol. 2 §4.5.3): hvsim keeps the
 * other bases at 0, so no test is needed here. */
ALWAYS_INLINE uint64_t seg_base(const struct cpu *c, unsigned seg)
{
	return c->seg[seg].base;
}

ALWAYS_INLINE uint64_t ea_linear(const struct cpu *c, const struct insn *i)
{
	return ea_offset(c, i) + seg_base(c, i->seg);
}

/* Operand n of kind `kind` and size `sz`. Handlers that are specialized at decode time
 * (exec_fast.c) pass constants and the switches fold away; generic handlers pass the
 * decoded values through op_read/op_write. */
ALWAYS_INLINE uint64_t opk_read(struct cpu *c, const struct insn *i, int n, unsigned kind,
				unsigned sz)
{
	switch (kind) {
	case OPK_REG: return reg_read(c, i->reg[n], sz);
	case OPK_MEM: return mem_read(c, ea_linear(c, i), sz);
	default: return i->imm & size_mask(sz);
	}
}

ALWAYS_INLINE void opk_write(struct cpu *c, const struct insn *i, int n, unsigned kind,
			     unsigned sz, uint64_t v)
{
	if (kind == OPK_REG)
		reg_write(c, i->reg[n], sz, v);
	else
		mem_write(c, ea_linear(c, i), sz, v);
}

ALWAYS_INLINE uint64_t op_read(struct cpu *c, const struct insn *i, int n)
{
	return opk_read(c, i, n, i->kind[n], i->size[n]);
}

ALWAYS_INLINE void op_write(struct cpu *c, const struct insn *i, int n, uint64_t v)
{
	opk_write(c, i, n, i->kind[n], i->size[n], v);
}

/* Stack accesses: 64-bit pushes and pops (16-bit with 0x66) through SS (base 0). */
ALWAYS_INLINE void push(struct cpu *c, unsigned size, uint64_t v)
{
	uint64_t rsp = c->gpr[RSP] - size;
	mem_write(c, rsp, size, v);
	c->gpr[RSP] = rsp;
}

ALWAYS_INLINE uint64_t pop(struct cpu *c, unsigned size)
{
	uint64_t v = mem_read(c, c->gpr[RSP], size);
	c->gpr[RSP] += size;
	return v;
}

#endif
