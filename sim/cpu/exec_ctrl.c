/* Control transfer: jumps, calls, returns, LEAVE, LOOP/JRCXZ. A target that is not
 * canonical raises #GP(0) at the branch itself (SDM vol. 1 §6.3.7). */
#include "insn_table.h"
#include "operand.h"

static inline void branch_to(struct cpu *c, uint64_t target)
{
	if (unlikely(!mmu_canonical(target)))
		cpu_fault(c, EXC_GP, 0);
	c->rip_next = target;
}

void h_jcc(struct cpu *c, const struct insn *i)
{
	if (cond_true(c, i->cc))
		branch_to(c, c->rip_next + i->imm);
}

void h_jmp(struct cpu *c, const struct insn *i)
{
	branch_to(c, c->rip_next + i->imm);
}

void h_jmp_ind(struct cpu *c, const struct insn *i)
{
	branch_to(c, op_read(c, i, 0));
}

void h_call(struct cpu *c, const struct insn *i)
{
	uint64_t target = c->rip_next + i->imm;
	if (unlikely(!mmu_canonical(target)))
		cpu_fault(c, EXC_GP, 0);
	push(c, 8, c->rip_next);
	c->rip_next = target;
}

void h_call_ind(struct cpu *c, const struct insn *i)
{
	uint64_t target = op_read(c, i, 0);
	if (unlikely(!mmu_canonical(target)))
		cpu_fault(c, EXC_GP, 0);
	push(c, 8, c->rip_next);
	c->rip_next = target;
}

void h_ret(struct cpu *c, const struct insn *i)
{
	uint64_t target = mem_read(c, c->gpr[RSP], 8);
	branch_to(c, target);
	c->gpr[RSP] += 8 + (i->kind[0] == OPK_IMM ? i->imm & 0xffff : 0);
}

void h_leave(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	uint64_t v = mem_read(c, c->gpr[RBP], sz);
	c->gpr[RSP] = c->gpr[RBP] + sz;
	reg_write(c, RBP, sz, v);
}

void h_jrcxz(struct cpu *c, const struct insn *i)
{
	if (reg_read(c, RCX, i->asz) == 0)
		branch_to(c, c->rip_next + i->imm);
}

void h_loop(struct cpu *c, const struct insn *i)
{
	uint64_t n = (reg_read(c, RCX, i->asz) - 1) & size_mask(i->asz);
	uint64_t target = c->rip_next + i->imm;
	if (n != 0 && unlikely(!mmu_canonical(target)))
		cpu_fault(c, EXC_GP, 0);
	reg_write(c, RCX, i->asz, n);
	if (n != 0)
		c->rip_next = target;
}
