/* Privilege transitions and system tables: INT n, IRET, far RET, SYSCALL/SYSRET, SWAPGS,
 * LGDT/LIDT/SGDT/SIDT, LTR/STR/LLDT/SLDT, INVLPG, INVPCID. 64-bit mode only (hvsim does
 * not model compatibility mode). Sources: SDM vol. 2 instruction pages, vol. 3 §5.8.8
 * (SYSCALL/SYSRET), §7.2.3 (64-bit TSS); AMD APM vol. 2 §6.1. */
#include "exception.h"
#include "insn_table.h"
#include "operand.h"
#include "segment.h"
#include "svm.h"
#include "tlbctl.h"

/* Attributes SYSCALL/SYSRET give CS and SS (flat, fixed by the architecture) */
#define ATTR_CODE64_DPL0 0x29B /* P, S, type 0xB, L */
#define ATTR_DATA_DPL0 0xC93   /* P, S, type 3, D/B, G */
#define ATTR_CODE64_DPL3 0x2FB
#define ATTR_DATA_DPL3 0xCF3

static void set_cpl(struct cpu *c, unsigned cpl)
{
	if (c->cpl != cpl) {
		c->cpl = (uint8_t)cpl;
		cpu_flush_fast_path(c); /* fast-path entries were checked for the old CPL */
	}
}

void h_int3(struct cpu *c, const struct insn *i)
{
	/* #BP is an exception: a guest's INT3 exits when the bitmap says so, with RIP at
	 * the INT3 and NRIP after it (APM vol. 2 §15.12) */
	if (svm_exception_intercepted(c, EXC_BP))
		svm_exit_insn(c, SVM_EXIT_EXCP + EXC_BP, 0, 0);
	exception_deliver_trap(c, EXC_BP, true);
	c->rip_next = c->rip;
}

void h_int(struct cpu *c, const struct insn *i)
{
	exception_deliver_trap(c, (int)(i->imm & 0xff), true);
	c->rip_next = c->rip;
}

/* Checks a code-segment selector for a return to privilege level RPL; returns its
 * attributes. Nothing is loaded, so a later fault leaves the state untouched. */
static uint16_t check_cs_for_return(struct cpu *c, uint16_t sel)
{
	unsigned rpl = sel & 3;
	if ((sel & ~3u) == 0)
		cpu_fault(c, EXC_GP, 0);
	if (rpl < c->cpl)
		cpu_fault(c, EXC_GP, sel & ~3u);
	uint64_t d = seg_read_descriptor(c, sel);
	uint16_t attr = seg_attr_of(d);
	bool code = (attr & 0x18) == 0x18, conforming = attr & 4;
	unsigned dpl = (attr >> 5) & 3;
	if (!code || (conforming ? dpl > rpl : dpl != rpl))
		cpu_fault(c, EXC_GP, sel & ~3u);
	if (!(attr & 0x80))
		cpu_fault(c, EXC_NP, sel & ~3u);
	if (!(attr & 0x200)) /* only 64-bit code segments: compatibility mode is not modelled */
		cpu_fault(c, EXC_GP, sel & ~3u);
	return attr;
}

static void load_cs(struct cpu *c, uint16_t sel, uint16_t attr)
{
	c->seg[SEG_CS] = (struct seg){ .sel = sel, .attr = attr, .limit = 0xffffffff, .base = 0 };
}

/* IRET in 64-bit mode always pops RIP, CS, RFLAGS, RSP and SS (SDM IRET, IA-32e mode). */
void h_iret(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	uint64_t rsp = c->gpr[RSP];
	uint64_t rip = mem_read(c, rsp, sz);
	uint16_t cs = (uint16_t)mem_read(c, rsp + sz, sz);
	uint64_t fl = mem_read(c, rsp + 2 * sz, sz);
	uint64_t new_rsp = mem_read(c, rsp + 3 * sz, sz);
	uint16_t ss = (uint16_t)mem_read(c, rsp + 4 * sz, sz);
	unsigned new_cpl = cs & 3, old_cpl = c->cpl;
	if (!mmu_canonical(rip))
		cpu_fault(c, EXC_GP, 0);
	uint64_t old_fl = cpu_get_rflags(c);
	uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID | FL_RF;
	if (old_cpl == 0)
		mask |= FL_IOPL;
	if (old_cpl <= ((old_fl & FL_IOPL) >> 12))
		mask |= FL_IF;
	if (sz == 2)
		mask &= 0xffff;
	uint16_t cs_attr = check_cs_for_return(c, cs);
	/* SS: checked against the new CPL; a null SS is allowed unless returning to CPL 3 */
	if ((ss & ~3u) == 0 && new_cpl != 3) {
		c->seg[SEG_SS] = (struct seg){ .sel = ss };
	} else {
		seg_load_data(c, SEG_SS, ss, new_cpl);
	}
	load_cs(c, cs, cs_attr);
	set_cpl(c, new_cpl);
	c->gpr[RSP] = sz == 8 ? new_rsp : sz == 4 ? (uint32_t)new_rsp : (c->gpr[RSP] & ~0xffffull) | (new_rsp & 0xffff);
	cpu_set_rflags(c, (old_fl & ~mask) | (fl & mask));
	c->rip_next = sz == 8 ? rip : rip & size_mask(sz);
	cpu_kick(c);
}

/* RETF: pops RIP and CS, and RSP and SS when returning to an outer level. */
void h_retf(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz;
	uint64_t imm = i->kind[0] == OPK_IMM ? i->imm & 0xffff : 0;
	uint64_t rsp = c->gpr[RSP];
	uint64_t rip = mem_read(c, rsp, sz);
	uint16_t cs = (uint16_t)mem_read(c, rsp + sz, sz);
	unsigned new_cpl = cs & 3;
	if (!mmu_canonical(rip))
		cpu_fault(c, EXC_GP, 0);
	uint16_t cs_attr = check_cs_for_return(c, cs);
	if (new_cpl == c->cpl) {
		load_cs(c, cs, cs_attr);
		c->gpr[RSP] = rsp + 2 * sz + imm;
	} else {
		uint64_t new_rsp = mem_read(c, rsp + 2 * sz + imm, sz);
		uint16_t ss = (uint16_t)mem_read(c, rsp + 3 * sz + imm, sz);
		seg_load_data(c, SEG_SS, ss, new_cpl); /* SS is checked against the new CPL */
		load_cs(c, cs, cs_attr);
		set_cpl(c, new_cpl);
		c->gpr[RSP] = new_rsp + imm;
	}
	c->rip_next = rip;
}

/* SYSCALL (SDM vol. 3 §5.8.8): RCX = next RIP, R11 = RFLAGS, CS/SS from STAR[47:32],
 * RIP = LSTAR, RFLAGS &= ~SFMASK. Requires EFER.SCE. */
void h_syscall(struct cpu *c, const struct insn *i)
{
	if (!(c->efer & EFER_SCE))
		cpu_fault(c, EXC_UD, 0);
	uint64_t fl = cpu_get_rflags(c);
	c->gpr[RCX] = c->rip_next;
	c->gpr[R11] = fl & ~FL_RF;
	uint16_t sel = (uint16_t)(c->star >> 32) & ~3u;
	c->seg[SEG_CS] = (struct seg){ .sel = sel, .attr = ATTR_CODE64_DPL0, .limit = 0xffffffff };
	c->seg[SEG_SS] = (struct seg){ .sel = (uint16_t)(sel + 8), .attr = ATTR_DATA_DPL0, .limit = 0xffffffff };
	cpu_set_rflags(c, fl & ~c->sfmask & ~FL_RF);
	set_cpl(c, 0);
	c->rip_next = c->lstar;
}

/* SYSRET with REX.W returns to 64-bit code at CPL 3: CS = STAR[63:48] + 16, SS =
 * STAR[63:48] + 8, RIP = RCX, RFLAGS = R11. A non-canonical RCX is #GP(0) at CPL 0
 * (Intel behaviour; AMD would fault at CPL 3). The 32-bit form would enter
 * compatibility mode, which hvsim does not model: #UD. */
void h_sysret(struct cpu *c, const struct insn *i)
{
	if (!(c->efer & EFER_SCE) || i->osz != 8)
		cpu_fault(c, EXC_UD, 0);
	if (!mmu_canonical(c->gpr[RCX]))
		cpu_fault(c, EXC_GP, 0);
	uint16_t base = (uint16_t)(c->star >> 48);
	c->seg[SEG_CS] = (struct seg){ .sel = (uint16_t)((base + 16) | 3), .attr = ATTR_CODE64_DPL3, .limit = 0xffffffff };
	c->seg[SEG_SS] = (struct seg){ .sel = (uint16_t)((base + 8) | 3), .attr = ATTR_DATA_DPL3, .limit = 0xffffffff };
	cpu_set_rflags(c, (c->gpr[R11] & 0x3C7FD7) | FL_FIXED1);
	set_cpl(c, 3);
	c->rip_next = c->gpr[RCX];
	cpu_kick(c);
}

void h_swapgs(struct cpu *c, const struct insn *i)
{
	uint64_t t = c->seg[SEG_GS].base;
	c->seg[SEG_GS].base = c->kernel_gs_base;
	c->kernel_gs_base = t;
}

/* Descriptor-table registers: 2-byte limit, then an 8-byte base in 64-bit mode. */
static void load_dtr(struct cpu *c, const struct insn *i, struct dtr *d)
{
	uint64_t la = ea_linear(c, i);
	uint16_t limit = (uint16_t)mem_read(c, la, 2);
	uint64_t base = mem_read(c, la + 2, 8);
	if (!mmu_canonical(base))
		cpu_fault(c, EXC_GP, 0);
	d->limit = limit;
	d->base = base;
}

static void store_dtr(struct cpu *c, const struct insn *i, const struct dtr *d)
{
	uint64_t la = ea_linear(c, i);
	mem_probe_write(c, la, 10);
	mem_write(c, la, 2, d->limit);
	mem_write(c, la + 2, 8, d->base);
}

void h_lgdt(struct cpu *c, const struct insn *i) { load_dtr(c, i, &c->gdtr); }
void h_lidt(struct cpu *c, const struct insn *i) { load_dtr(c, i, &c->idtr); }
void h_sgdt(struct cpu *c, const struct insn *i) { store_dtr(c, i, &c->gdtr); }
void h_sidt(struct cpu *c, const struct insn *i) { store_dtr(c, i, &c->idtr); }

static void store_selector(struct cpu *c, const struct insn *i, uint16_t sel)
{
	if (i->kind[0] == OPK_MEM)
		mem_write(c, ea_linear(c, i), 2, sel);
	else
		reg_write(c, i->reg[0], i->osz, sel);
}

void h_str(struct cpu *c, const struct insn *i) { store_selector(c, i, c->tr.sel); }
void h_sldt(struct cpu *c, const struct insn *i) { store_selector(c, i, c->ldtr.sel); }

/* LLDT: hvsim does not model local descriptor tables; only the null selector loads. */
void h_lldt(struct cpu *c, const struct insn *i)
{
	uint16_t sel = (uint16_t)op_read(c, i, 0);
	if ((sel & ~3u) != 0)
		cpu_fault(c, EXC_GP, sel & ~3u);
	c->ldtr = (struct seg){ .sel = sel };
}

/* LTR: a 16-byte available 64-bit TSS descriptor in the GDT, marked busy on load. */
void h_ltr(struct cpu *c, const struct insn *i)
{
	uint16_t sel = (uint16_t)op_read(c, i, 0);
	if ((sel & ~3u) == 0)
		cpu_fault(c, EXC_GP, 0);
	if ((sel & 4) || (uint64_t)(sel | 7) + 8 > c->gdtr.limit)
		cpu_fault(c, EXC_GP, sel & ~3u);
	uint64_t lo = seg_read_descriptor(c, sel);
	uint64_t hi = seg_read_descriptor(c, (uint16_t)((sel & ~7u) + 8));
	uint16_t attr = seg_attr_of(lo);
	if ((attr & 0x1f) != 0x09) /* S = 0, type 9: available 64-bit TSS */
		cpu_fault(c, EXC_GP, sel & ~3u);
	if (!(attr & 0x80))
		cpu_fault(c, EXC_NP, sel & ~3u);
	mem_write_sys(c, c->gdtr.base + (sel & ~7u) + 5, 1, (lo >> 40 & 0xff) | 0x02); /* busy */
	uint32_t limit = (uint32_t)((lo & 0xffff) | ((lo >> 32) & 0xf0000));
	if (attr & 0x800)
		limit = (limit << 12) | 0xfff;
	c->tr = (struct seg){ .sel = sel, .attr = (uint16_t)(attr | 0x02), .limit = limit,
			      .base = ((lo >> 16) & 0xffffff) | ((lo >> 32) & 0xff000000) | (hi << 32) };
}

void h_invlpg(struct cpu *c, const struct insn *i)
{
	uint64_t la = ea_linear(c, i);
	if (svm_icpt1(c, SVM_I1_INVLPG))
		svm_exit_insn(c, SVM_EXIT_INVLPG, la, 0); /* decode assist: the address */
	tlbctl_invlpg(c, la);
}

/* INVPCID (SDM vol. 2): type in a register, a 16-byte descriptor {PCID, linear address}
 * in memory. Types: 0 one address, 1 one PCID, 2 everything incl. globals, 3 everything
 * but globals. */
void h_invpcid(struct cpu *c, const struct insn *i)
{
	uint64_t type = c->gpr[i->reg[0]];
	uint64_t la = ea_linear(c, i);
	uint64_t d0 = mem_read(c, la, 8), d1 = mem_read(c, la + 8, 8);
	uint16_t pcid = (uint16_t)(d0 & 0xfff);
	bool pcide = c->cr4 & CR4_PCIDE;
	if (type > 3 || (d0 >> 12) != 0)
		cpu_fault(c, EXC_GP, 0);
	if ((type == 0 || type == 1) && !pcide && pcid != 0)
		cpu_fault(c, EXC_GP, 0);
	if (type == 0 && !mmu_canonical(d1))
		cpu_fault(c, EXC_GP, 0);
	tlbctl_invpcid(c, (unsigned)type, pcid, d1);
}

void h_clts(struct cpu *c, const struct insn *i)
{
	c->cr0 &= ~CR0_TS;
}

/* WBINVD / INVD: hvsim models no data caches */
void h_wbinvd(struct cpu *c, const struct insn *i) {}
