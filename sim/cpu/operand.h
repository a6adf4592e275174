/* Operand access for instruction handlers: registers by size, effective addresses,
 * and the decoded operands of struct insn. */
#ifndef HVSIM_CPU_OPERAND_H
#define HVSIM_CPU_OPERAND_H

#include "cpu.h"
#include "flags.h"
#include "mem.h"

static inline uint64_t reg_read(const struct cpu *c, unsigned r, unsigned size)
{
	if (size == 1 && r >= REG_AH)
		return (c->gpr[r - REG_AH] >> 8) & 0xff;
	return c->gpr[r] & size_mask(size);
}

/* Writes of 32 bits zero the upper half; 8- and 16-bit writes merge (SDM vol. 1 §3.4.1.1). */
static inline void reg_write(struct cpu *c, unsigned r, unsigned size, uint64_t v)
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
static inline uint64_t ea_offset(const struct cpu *c, const struct insn *i)
{
	uint64_t a = (uint64_t)i->disp;
	if (i->base == REG_RIP)
		a += c->rip_next;
	else if (i->base != REG_NONE)
		a += c->gpr[i->base];
	if (i->index != REG_NONE)
		a += c->gpr[i->index] << i->scale;
	if (i->asz == 4)
		a = (uint32_t)a;
	return a;
}

/* In 64-bit mode only FS and GS have a base (AMD APM vol. 2 §4.5.3). */
static inline uint64_t seg_base(const struct cpu *c, unsigned seg)
{
	return seg >= SEG_FS ? c->seg[seg].base : 0;
}

static inline uint64_t ea_linear(const struct cpu *c, const struct insn *i)
{
	return ea_offset(c, i) + seg_base(c, i->seg);
}

static inline uint64_t op_read(struct cpu *c, const struct insn *i, int n)
{
	switch (i->kind[n]) {
	case OPK_REG: return reg_read(c, i->reg[n], i->size[n]);
	case OPK_MEM: return mem_read(c, ea_linear(c, i), i->size[n]);
	default: return i->imm & size_mask(i->size[n]);
	}
}

static inline void op_write(struct cpu *c, const struct insn *i, int n, uint64_t v)
{
	if (i->kind[n] == OPK_REG)
		reg_write(c, i->reg[n], i->size[n], v);
	else
		mem_write(c, ea_linear(c, i), i->size[n], v);
}

/* Stack accesses: 64-bit pushes and pops (16-bit with 0x66) through SS (base 0). */
static inline void push(struct cpu *c, unsigned size, uint64_t v)
{
	uint64_t rsp = c->gpr[RSP] - size;
	mem_write(c, rsp, size, v);
	c->gpr[RSP] = rsp;
}

static inline uint64_t pop(struct cpu *c, unsigned size)
{
	uint64_t v = mem_read(c, c->gpr[RSP], size);
	c->gpr[RSP] += size;
	return v;
}

#endif
