/* Flag instructions and the system instructions a kernel needs: CPUID, RDTSC, MSRs,
 * port I/O, HLT, MOV CRn. Privilege rules: SDM vol. 3 §5.9 (CPL 0 only) and §18.2
 * (I/O privilege level). */
#include <stdio.h>

#include "cpuid.h"
#include "insn_table.h"
#include "operand.h"
#include "svm.h"
#include "tlbctl.h"

static unsigned iopl(const struct cpu *c)
{
	return (unsigned)((c->rflags & FL_IOPL) >> 12);
}

/* ---- flags ---- */

void h_cmc(struct cpu *c, const struct insn *i) { flags_set_arith(c, FL_CF, flag_cf(c) ? 0 : FL_CF); }
void h_clc(struct cpu *c, const struct insn *i) { flags_set_arith(c, FL_CF, 0); }
void h_stc(struct cpu *c, const struct insn *i) { flags_set_arith(c, FL_CF, FL_CF); }
void h_cld(struct cpu *c, const struct insn *i) { c->rflags &= ~FL_DF; }
void h_std(struct cpu *c, const struct insn *i) { c->rflags |= FL_DF; }

void h_cli(struct cpu *c, const struct insn *i)
{
	c->rflags &= ~FL_IF;
}

/* STI: interrupts are recognized only after the next instruction (the STI shadow). */
void h_sti(struct cpu *c, const struct insn *i)
{
	if (!(c->rflags & FL_IF))
		c->interrupt_shadow = true;
	c->rflags |= FL_IF;
	cpu_kick(c);
}

/* PUSHF stores RFLAGS with VM and RF cleared (SDM PUSHF). */
void h_pushf(struct cpu *c, const struct insn *i)
{
	push(c, i->osz, cpu_get_rflags(c) & ~(FL_VM | FL_RF));
}

/* POPF: IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM and RF are never set
 * from the stack in 64-bit mode (SDM POPF, 64-bit mode operation). */
void h_popf(struct cpu *c, const struct insn *i)
{
	uint64_t v = mem_read(c, c->gpr[RSP], i->osz);
	uint64_t old = cpu_get_rflags(c);
	uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	if (c->cpl == 0)
		mask |= FL_IOPL;
	if (c->cpl <= iopl(c))
		mask |= FL_IF;
	if (i->osz == 2)
		mask &= 0xffff;
	c->gpr[RSP] += i->osz;
	cpu_set_rflags(c, (old & ~mask) | (v & mask));
	if ((c->rflags & FL_IF) && !(old & FL_IF))
		cpu_kick(c);
}

void h_sahf(struct cpu *c, const struct insn *i)
{
	uint64_t ah = reg_read(c, REG_AH, 1);
	flags_set_arith(c, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, ah);
}

void h_lahf(struct cpu *c, const struct insn *i)
{
	reg_write(c, REG_AH, 1, (cpu_get_rflags(c) & 0xd5) | FL_FIXED1);
}

/* ---- system ---- */

void h_cpuid(struct cpu *c, const struct insn *i)
{
	if (svm_icpt1(c, SVM_I1_CPUID))
		svm_exit_insn(c, SVM_EXIT_CPUID, 0, 0);
	uint32_t r[4];
	cpuid_query(c, (uint32_t)c->gpr[RAX], (uint32_t)c->gpr[RCX], r);
	c->gpr[RAX] = r[0];
	c->gpr[RBX] = r[1];
	c->gpr[RCX] = r[2];
	c->gpr[RDX] = r[3];
}

/* RDTSC returns the simulated cycle count (DESIGN.md boot protocol); a guest sees it
 * plus its VMCB's TSC offset. */
void h_rdtsc(struct cpu *c, const struct insn *i)
{
	uint64_t tsc = c->cycles + (c->svm.guest ? c->svm.tsc_offset : 0);
	c->gpr[RAX] = (uint32_t)tsc;
	c->gpr[RDX] = tsc >> 32;
}

void h_rdtscp(struct cpu *c, const struct insn *i)
{
	h_rdtsc(c, i);
	c->gpr[RCX] = (uint32_t)c->tsc_aux;
}

#define MSR_TSC 0x10
#define MSR_PAT 0x277
#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_SFMASK 0xC0000084
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_TSC_AUX 0xC0000103

/* EFER bits software may write: SCE, LME, NXE, SVME (LMA is read-only). */
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE | EFER_SVME)

static bool msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
	bool ok;
	if (svm_msr_read(c, msr, v, &ok))
		return ok;
	switch (msr) {
	case MSR_TSC: *v = c->cycles + (c->svm.guest ? c->svm.tsc_offset : 0); return true;
	case MSR_PAT: *v = c->pat; return true;
	case MSR_EFER: *v = c->efer; return true;
	case MSR_STAR: *v = c->star; return true;
	case MSR_LSTAR: *v = c->lstar; return true;
	case MSR_CSTAR: *v = c->cstar; return true;
	case MSR_SFMASK: *v = c->sfmask; return true;
	case MSR_FS_BASE: *v = c->seg[SEG_FS].base; return true;
	case MSR_GS_BASE: *v = c->seg[SEG_GS].base; return true;
	case MSR_KERNEL_GS_BASE: *v = c->kernel_gs_base; return true;
	case MSR_TSC_AUX: *v = c->tsc_aux; return true;
	default:
		return c->bus.msr_read && c->bus.msr_read(c->bus.ctx, msr, v);
	}
}

static bool msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
	bool ok;
	if (svm_msr_write(c, msr, v, &ok))
		return ok;
	switch (msr) {
	case MSR_TSC: return false; /* hvsim's TSC is the cycle clock: not writable */
	case MSR_PAT: c->pat = v; return true;
	case MSR_EFER:
		if (v & ~(EFER_WRITABLE | EFER_LMA))
			return false;
		/* LME cannot change while paging is on; LMA follows the hardware */
		if ((c->cr0 & CR0_PG) && ((v ^ c->efer) & EFER_LME))
			return false;
		if ((v ^ c->efer) & EFER_NXE)
			cpu_flush_fast_path(c);
		c->efer = (c->efer & EFER_LMA) | (v & EFER_WRITABLE);
		return true;
	case MSR_STAR: c->star = v; return true;
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!mmu_canonical(v))
			return false;
		*(msr == MSR_LSTAR ? &c->lstar : &c->cstar) = v;
		return true;
	case MSR_SFMASK: c->sfmask = v & 0xffffffff; return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!mmu_canonical(v))
			return false;
		if (msr == MSR_KERNEL_GS_BASE)
			c->kernel_gs_base = v;
		else
			c->seg[msr == MSR_FS_BASE ? SEG_FS : SEG_GS].base = v;
		return true;
	case MSR_TSC_AUX: c->tsc_aux = (uint32_t)v; return true;
	default:
		return c->bus.msr_write && c->bus.msr_write(c->bus.ctx, msr, v);
	}
}

void h_rdmsr(struct cpu *c, const struct insn *i)
{
	svm_check_msr(c, (uint32_t)c->gpr[RCX], false);
	uint64_t v;
	if (!msr_read(c, (uint32_t)c->gpr[RCX], &v))
		cpu_fault(c, EXC_GP, 0);
	c->gpr[RAX] = (uint32_t)v;
	c->gpr[RDX] = v >> 32;
}

void h_wrmsr(struct cpu *c, const struct insn *i)
{
	svm_check_msr(c, (uint32_t)c->gpr[RCX], true);
	uint64_t v = (c->gpr[RDX] << 32) | (uint32_t)c->gpr[RAX];
	if (!msr_write(c, (uint32_t)c->gpr[RCX], v))
		cpu_fault(c, EXC_GP, 0);
	cpu_kick(c); /* a device register may have moved its next event or raised an interrupt */
}

/* Port I/O: the privilege check (CPL <= IOPL; the TSS I/O permission bitmap is not
 * modelled, so CPL > IOPL is #GP, SDM vol. 1 §18.5.2) is the table's (PRIV_IOPL). */
void h_in(struct cpu *c, const struct insn *i)
{
	uint16_t port = i->kind[1] == OPK_IMM ? (uint16_t)(i->imm & 0xff) : (uint16_t)c->gpr[RDX];
	unsigned sz = i->size[0];
	svm_check_io(c, port, sz, true);
	uint64_t v = c->bus.io_in ? c->bus.io_in(c->bus.ctx, port, sz) : ~0ull;
	reg_write(c, RAX, sz, v);
}

void h_out(struct cpu *c, const struct insn *i)
{
	uint16_t port = i->kind[0] == OPK_IMM ? (uint16_t)(i->imm & 0xff) : (uint16_t)c->gpr[RDX];
	unsigned sz = i->size[1];
	svm_check_io(c, port, sz, false);
	if (c->bus.io_out)
		c->bus.io_out(c->bus.ctx, port, sz, reg_read(c, RAX, sz));
}

/* HLT with interrupts disabled and nothing that could wake the CPU ends the run; with
 * interrupts enabled the CPU sleeps until the next interrupt (exception.c). */
void h_hlt(struct cpu *c, const struct insn *i)
{
	if (svm_icpt1(c, SVM_I1_HLT))
		svm_exit_insn(c, SVM_EXIT_HLT, 0, 0);
	enum halt_result h = cpu_halt(c);
	if (h == HALT_ASLEEP) {
		/* still asleep after a device event: HLT stays the next instruction, not
		 * retired, and the run loop checks its limits before sleeping on */
		c->rip_next = c->rip;
		c->insns_retired--;
		c->cycles -= i->cost_cycles;
		return;
	}
	if (h == HALT_FOREVER) {
		cpu_request_stop(c, STOP_HALTED, 0);
		snprintf(c->stop_detail, sizeof c->stop_detail,
			 "the CPU halted with %s at RIP 0x%llx after %llu instructions: nothing can wake it",
			 (c->rflags & FL_IF) ? "no interrupt source armed" : "interrupts disabled",
			 (unsigned long long)c->rip,
			 (unsigned long long)c->insns_retired + 1);
	}
}

void h_ud2(struct cpu *c, const struct insn *i)
{
	cpu_fault(c, EXC_UD, 0);
}

/* ---- control registers (SDM vol. 3 §2.5, AMD APM vol. 2 §3.1) ---- */

#define CR0_RESERVED (~0xffffffffull)
/* CR4.PSE is accepted and ignored in long mode. */
#define CR4_SUPPORTED (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE)
#define CR3_RESERVED (~((1ull << MMU_PHYS_ADDR_BITS) - 1) & ~(1ull << 63))

/* CR8 is the task-priority register's bits 7:4 (SDM vol. 3 §10.8.6.1): in a guest with
 * V_INTR_MASKING it is V_TPR (APM vol. 2 §15.21.4); on the host, the x2APIC's TPR
 * (MSR 0x808) once the APIC is enabled, else a plain register. */
#define MSR_X2APIC_TPR 0x808
static uint64_t cr8_read(struct cpu *c)
{
	uint64_t tpr;
	if (c->svm.guest && c->svm.v_intr_masking)
		return c->svm.v_tpr & 0xf;
	if (c->bus.msr_read && c->bus.msr_read(c->bus.ctx, MSR_X2APIC_TPR, &tpr))
		return (tpr >> 4) & 0xf;
	return c->cr8;
}

static void cr8_write(struct cpu *c, uint64_t v)
{
	if (c->svm.guest && c->svm.v_intr_masking) {
		c->svm.v_tpr = (uint8_t)v;
		return;
	}
	c->cr8 = v;
	if (c->bus.msr_write && c->bus.msr_write(c->bus.ctx, MSR_X2APIC_TPR, v << 4))
		cpu_kick(c); /* a lower priority may unmask a pending interrupt */
}

void h_mov_from_cr(struct cpu *c, const struct insn *i)
{
	svm_check_cr(c, i->reg[1], false, i->reg[0]);
	uint64_t v;
	switch (i->reg[1]) {
	case 0: v = c->cr0; break;
	case 2: v = c->cr2; break;
	case 3: v = c->cr3; break;
	case 4: v = c->cr4; break;
	case 8: v = cr8_read(c); break;
	default: cpu_fault(c, EXC_UD, 0);
	}
	c->gpr[i->reg[0]] = v;
}

void h_mov_to_cr(struct cpu *c, const struct insn *i)
{
	svm_check_cr(c, i->reg[0], true, i->reg[1]);
	uint64_t v = c->gpr[i->reg[1]];
	switch (i->reg[0]) {
	case 0:
		/* hvsim runs 64-bit code only: leaving paging or protection is refused */
		if ((v & CR0_RESERVED) || !(v & CR0_PG) || !(v & CR0_PE) || ((v & CR0_NW) && !(v & CR0_CD)))
			cpu_fault(c, EXC_GP, 0);
		if ((v ^ c->cr0) & CR0_WP)
			cpu_flush_fast_path(c);
		c->cr0 = v | CR0_ET;
		break;
	case 2:
		c->cr2 = v;
		break;
	case 3: {
		/* with CR4.PCIDE, bits 11:0 are the PCID and bit 63 asks not to flush */
		bool no_flush = (c->cr4 & CR4_PCIDE) && (v >> 63);
		if (v & CR3_RESERVED)
			cpu_fault(c, EXC_GP, 0);
		c->cr3 = v & ~(1ull << 63);
		tlbctl_cr3_write(c, no_flush);
		break;
	}
	case 4:
		if ((v & ~CR4_SUPPORTED) || !(v & CR4_PAE))
			cpu_fault(c, EXC_GP, 0);
		/* PCIDE can be set only with PCID 0 in CR3 (SDM MOV CR4) */
		if ((v & CR4_PCIDE) && !(c->cr4 & CR4_PCIDE) && (c->cr3 & 0xfff))
			cpu_fault(c, EXC_GP, 0);
		if ((v ^ c->cr4) & (CR4_PGE | CR4_PCIDE))
			tlbctl_flush_all(c);
		c->cr4 = v;
		break;
	case 8:
		if (v & ~0xfull)
			cpu_fault(c, EXC_GP, 0);
		cr8_write(c, v);
		break;
	default:
		cpu_fault(c, EXC_UD, 0);
	}
}
