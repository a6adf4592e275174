/* Data movement: MOV and its extending forms, LEA, exchanges, the stack, CMOVcc/SETcc. */
#include "insn_table.h"
#include "exec_templates.h"
#include "operand.h"
#include "segment.h"

void h_nop(struct cpu *c, const struct insn *i) {}

void h_mov(struct cpu *c, const struct insn *i)
{
	mov_t(c, i, i->kind[0], i->kind[1], i->size[0]);
}

void h_movzx(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 0, op_read(c, i, 1));
}

void h_movsx(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 0, (uint64_t)sign_extend(op_read(c, i, 1), i->size[1]));
}

void h_movsxd(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 0, (uint64_t)sign_extend(op_read(c, i, 1), 4));
}

void h_lea(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg[0], i->size[0], ea_offset(c, i));
}

/* XCHG with memory: the memory write comes first so that a fault changes nothing. */
void h_xchg(struct cpu *c, const struct insn *i)
{
	uint64_t a = op_read(c, i, 0), b = op_read(c, i, 1);
	op_write(c, i, 0, b);
	op_write(c, i, 1, a);
}

/* CMPXCHG: compare the accumulator with the destination (flags as CMP). A memory
 * destination is written in both cases, as the locked cycle does (SDM CMPXCHG). */
void h_cmpxchg(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t acc = reg_read(c, RAX, sz), dst = op_read(c, i, 0), src = op_read(c, i, 1);
	uint64_t res = (acc - dst) & size_mask(sz);
	if (acc == dst) {
		op_write(c, i, 0, src);
	} else {
		if (i->kind[0] == OPK_MEM)
			op_write(c, i, 0, dst);
		reg_write(c, RAX, sz, dst);
	}
	flags_lazy(c, LF_SUB, sz, acc, dst, res, 0);
}

void h_xadd(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t dst = op_read(c, i, 0), src = op_read(c, i, 1);
	uint64_t sum = (dst + src) & size_mask(sz);
	if (i->kind[0] == OPK_MEM) {
		op_write(c, i, 0, sum);
		op_write(c, i, 1, dst);
	} else {
		op_write(c, i, 1, dst);
		op_write(c, i, 0, sum);
	}
	flags_lazy(c, LF_ADD, sz, dst, src, sum, 0);
}

void h_push(struct cpu *c, const struct insn *i)
{
	push(c, i->osz, op_read(c, i, 0));
}

/* POP to memory computes the address with RSP already incremented (SDM POP). */
void h_pop(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	uint64_t rsp = c->gpr[RSP];
	uint64_t v = mem_read(c, rsp, sz);
	if (i->kind[0] == OPK_MEM) {
		c->gpr[RSP] = rsp + sz;
		uint64_t la = ea_linear(c, i);
		c->gpr[RSP] = rsp;
		mem_write(c, la, sz, v);
		c->gpr[RSP] = rsp + sz;
	} else {
		c->gpr[RSP] = rsp + sz;
		reg_write(c, i->reg[0], sz, v);
	}
}

void h_bswap(struct cpu *c, const struct insn *i)
{
	uint64_t v = reg_read(c, i->reg[0], i->size[0]);
	switch (i->size[0]) {
	case 8: v = __builtin_bswap64(v); break;
	case 4: v = __builtin_bswap32((uint32_t)v); break;
	default: v = 0; break; /* BSWAP r16 is undefined; hvsim clears the word (as AMD and Intel parts do) */
	}
	reg_write(c, i->reg[0], i->size[0], v);
}

/* CMOVcc reads its source whatever the condition, and a 32-bit CMOV zero-extends the
 * destination even when the condition is false (SDM CMOVcc). */
void h_cmov(struct cpu *c, const struct insn *i)
{
	uint64_t v = op_read(c, i, 1);
	if (cond_true(c, i->cc))
		op_write(c, i, 0, v);
	else if (i->size[0] == 4)
		reg_write(c, i->reg[0], 4, reg_read(c, i->reg[0], 4));
}

void h_set(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 0, cond_true(c, i->cc));
}

/* CBW / CWDE / CDQE */
void h_cbw(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	reg_write(c, RAX, sz, (uint64_t)sign_extend(reg_read(c, RAX, sz / 2), sz / 2));
}

/* CWD / CDQ / CQO */
void h_cwd(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	bool neg = reg_read(c, RAX, sz) & sign_bit(sz);
	reg_write(c, RDX, sz, neg ? ~0ull : 0);
}

/* MOV r/m, Sreg: a register destination receives the zero-extended selector, a memory
 * destination exactly 16 bits (SDM MOV). */
void h_mov_from_sreg(struct cpu *c, const struct insn *i)
{
	if (i->reg[1] >= SEG_COUNT)
		cpu_fault(c, EXC_UD, 0);
	uint16_t sel = c->seg[i->reg[1]].sel;
	if (i->kind[0] == OPK_MEM)
		mem_write(c, ea_linear(c, i), 2, sel);
	else
		reg_write(c, i->reg[0], i->osz, sel);
}

/* MOV Sreg, r/m16: CS cannot be loaded this way (#UD). */
void h_mov_to_sreg(struct cpu *c, const struct insn *i)
{
	unsigned seg = i->reg[0];
	if (seg == SEG_CS || seg >= SEG_COUNT)
		cpu_fault(c, EXC_UD, 0);
	uint16_t sel = (uint16_t)op_read(c, i, 1);
	seg_load_data(c, seg, sel, c->cpl);
	if (seg == SEG_SS) {
		/* MOV SS inhibits interrupts until after the next instruction */
		c->interrupt_shadow = true;
		cpu_kick(c);
	}
}
