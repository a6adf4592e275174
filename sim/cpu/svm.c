/* The AMD SVM subset of specs/svm.md (AMD APM vol. 2 ch. 15). The VMCB lives in the
 * simulated machine's memory at the layout the spec gives; hvsim may reload every field
 * at each VMRUN (clean bits are legal to ignore). Guest entry and exit, the TLB tags and
 * the nested walk stay back-end neutral: this file only reads and writes the VMCB and
 * calls the CPU's context switch, tlbctl's flushes and the exception code. */
#include "svm.h"

#include <inttypes.h>
#include <stdio.h>

#include "cpu_event.h"
#include "exception.h"
#include "flags.h"
#include "insn_table.h"
#include "mem.h"
#include "operand.h"
#include "tlbctl.h"

/* ---- the VMCB layout (specs/svm.md) ---- */
#define VMCB_CR_INTERCEPTS 0x000
#define VMCB_EXC_INTERCEPTS 0x008
#define VMCB_MISC1 0x00C
#define VMCB_MISC2 0x010
#define VMCB_IOPM_BASE 0x040
#define VMCB_MSRPM_BASE 0x048
#define VMCB_TSC_OFFSET 0x050
#define VMCB_ASID 0x058
#define VMCB_TLB_CONTROL 0x05C
#define VMCB_VINTR 0x060
#define VMCB_VINTR_VECTOR 0x064
#define VMCB_INT_SHADOW 0x068
#define VMCB_EXITCODE 0x070
#define VMCB_EXITINFO1 0x078
#define VMCB_EXITINFO2 0x080
#define VMCB_EXITINTINFO 0x088
#define VMCB_NP_ENABLE 0x090
#define VMCB_EVENTINJ 0x0A8
#define VMCB_NCR3 0x0B0
#define VMCB_NRIP 0x0C8
#define VMCB_SEG(i) (0x400 + 16 * (i)) /* ES CS SS DS FS GS GDTR LDTR IDTR TR */
#define VMCB_CPL 0x4CB
#define VMCB_EFER 0x4D0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_DR7 0x560
#define VMCB_DR6 0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5D8
#define VMCB_RAX 0x5F8
#define VMCB_STAR 0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_SFMASK 0x618
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2 0x640
#define VMCB_G_PAT 0x668

enum { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_GDTR, VSEG_LDTR, VSEG_IDTR,
       VSEG_TR };

#define EFER_SUPPORTED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME)
#define CR4_SUPPORTED_GUEST (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE)
#define ATTR_L (1u << 9)
#define ATTR_DB (1u << 10)

static uint64_t rd(struct cpu *c, uint64_t pa, unsigned size)
{
	return phys_read(c->pm, pa, size);
}

static void wr(struct cpu *c, uint64_t pa, unsigned size, uint64_t v)
{
	phys_write(c->pm, pa, size, v);
}

static struct seg seg_rd(struct cpu *c, uint64_t vmcb, unsigned i)
{
	uint64_t a = vmcb + VMCB_SEG(i);
	return (struct seg){ .sel = (uint16_t)rd(c, a, 2), .attr = (uint16_t)rd(c, a + 2, 2),
			     .limit = (uint32_t)rd(c, a + 4, 4), .base = rd(c, a + 8, 8) };
}

static void seg_wr(struct cpu *c, uint64_t vmcb, unsigned i, const struct seg *s)
{
	uint64_t a = vmcb + VMCB_SEG(i);
	wr(c, a, 2, s->sel);
	wr(c, a + 2, 2, s->attr);
	wr(c, a + 4, 4, s->limit);
	wr(c, a + 8, 8, s->base);
}

static struct seg dtr_as_seg(const struct dtr *d)
{
	return (struct seg){ .limit = d->limit, .base = d->base };
}

/* A 64-bit code or data segment loaded by VMRUN/#VMEXIT: only FS/GS keep a base in
 * 64-bit mode (operand.h relies on the others being 0). */
static struct seg flat(struct seg s)
{
	s.base = 0;
	return s;
}

/* #UD when EFER.SVME is clear; the CPL 0 check (#GP) is the instruction table's
 * (PRIV_CPL0 with DF_SVM: the gate raises #UD first when SVME is clear). */
static void require_svme(struct cpu *c)
{
	if (!(c->efer & EFER_SVME))
		cpu_fault(c, EXC_UD, 0);
}

/* RAX holds a VMCB or save-area address: 4 KiB aligned and in RAM, else #GP. */
static uint64_t vmcb_operand(struct cpu *c)
{
	uint64_t pa = c->gpr[RAX];
	if ((pa & (PAGE_SIZE - 1)) || !phys_in_ram(c->pm, pa, PAGE_SIZE))
		cpu_fault(c, EXC_GP, 0);
	return pa;
}

static void log_line(struct cpu *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void log_line(struct cpu *c, const char *fmt, ...)
{
	FILE *f = c->log_out ? (FILE *)c->log_out : stderr;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

/* ---- exit descriptions (--log exits) ---- */

static const char *exit_name(uint64_t code, char *buf, size_t len)
{
	static const char *const cr_names[] = { "CR0", "CR1", "CR2", "CR3", "CR4", "CR5", "CR6",
		"CR7", "CR8", "CR9", "CR10", "CR11", "CR12", "CR13", "CR14", "CR15" };
	switch (code) {
	case SVM_EXIT_INTR: return "INTR";
	case SVM_EXIT_NMI: return "NMI";
	case SVM_EXIT_CPUID: return "CPUID";
	case SVM_EXIT_HLT: return "HLT";
	case SVM_EXIT_INVLPG: return "INVLPG";
	case SVM_EXIT_INVLPGA: return "INVLPGA";
	case SVM_EXIT_IOIO: return "IOIO";
	case SVM_EXIT_MSR: return "MSR";
	case SVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case SVM_EXIT_VMRUN: return "VMRUN";
	case SVM_EXIT_VMMCALL: return "VMMCALL";
	case SVM_EXIT_VMLOAD: return "VMLOAD";
	case SVM_EXIT_VMSAVE: return "VMSAVE";
	case SVM_EXIT_STGI: return "STGI";
	case SVM_EXIT_CLGI: return "CLGI";
	case SVM_EXIT_NPF: return "NPF";
	case SVM_EXIT_INVALID: return "INVALID";
	default: break;
	}
	if (code < 0x10)
		snprintf(buf, len, "READ_%s", cr_names[code]);
	else if (code < 0x20)
		snprintf(buf, len, "WRITE_%s", cr_names[code - 0x10]);
	else if (code >= 0x40 && code < 0x60)
		snprintf(buf, len, "EXCP_%s", exception_name((int)(code - 0x40)));
	else
		snprintf(buf, len, "0x%" PRIx64, code);
	return buf;
}

int svm_describe_exit(uint64_t code, uint64_t info1, uint64_t info2, char *out, size_t len)
{
	char buf[32], detail[160] = "";
	const char *name = exit_name(code, buf, sizeof buf); /* a fixed name, or formatted in buf */
	if (code < 0x20) {
		if (info1 >> 63)
			snprintf(detail, sizeof detail, "MOV with GPR %u", (unsigned)(info1 & 15));
	} else if (code >= 0x40 && code < 0x60) {
		if (code == 0x40 + EXC_PF)
			snprintf(detail, sizeof detail, "error 0x%" PRIx64 " address 0x%" PRIx64, info1, info2);
		else
			snprintf(detail, sizeof detail, "error 0x%" PRIx64, info1);
	} else if (code == SVM_EXIT_IOIO) {
		unsigned size = (info1 & 0x10) ? 1 : (info1 & 0x20) ? 2 : 4;
		snprintf(detail, sizeof detail, "%s port 0x%x size %u%s%s next RIP 0x%" PRIx64,
			 (info1 & 1) ? "IN" : "OUT", (unsigned)(info1 >> 16), size,
			 (info1 & 4) ? " string" : "", (info1 & 8) ? " rep" : "", info2);
	} else if (code == SVM_EXIT_MSR) {
		snprintf(detail, sizeof detail, "%s", info1 ? "WRMSR" : "RDMSR");
	} else if (code == SVM_EXIT_INVLPG || code == SVM_EXIT_INVLPGA) {
		snprintf(detail, sizeof detail, "address 0x%" PRIx64, info1);
	} else if (code == SVM_EXIT_NPF) {
		snprintf(detail, sizeof detail, "GPA 0x%" PRIx64 " %s%s%s%s%s(error 0x%" PRIx64 ")", info2,
			 (info1 & PFEC_P) ? "protection " : "not-present ",
			 (info1 & PFEC_W) ? "write " : (info1 & PFEC_I) ? "fetch " : "read ",
			 (info1 & PFEC_RSVD) ? "reserved-bit " : "",
			 (info1 & NPF_FINAL_GPA) ? "final-address " : "",
			 (info1 & NPF_GUEST_TABLE) ? "guest-page-table " : "", info1);
	}
	return snprintf(out, len, "%s%s%s", name, detail[0] ? " " : "", detail);
}

/* ---- #VMEXIT ---- */

const char *const svm_exit_class_name[SVM_EXIT_CLASSES] = {
	[SVM_XC_CR] = "cr", [SVM_XC_EXCEPTION] = "exception", [SVM_XC_INTR] = "intr",
	[SVM_XC_CPUID] = "cpuid", [SVM_XC_HLT] = "hlt", [SVM_XC_INVLPG] = "invlpg",
	[SVM_XC_IOIO] = "ioio", [SVM_XC_MSR] = "msr", [SVM_XC_SHUTDOWN] = "shutdown",
	[SVM_XC_VMMCALL] = "vmmcall", [SVM_XC_NPF] = "npf", [SVM_XC_OTHER] = "other",
};

static unsigned exit_class(uint64_t code)
{
	if (code < 0x20)
		return SVM_XC_CR;
	if (code >= 0x40 && code < 0x60)
		return SVM_XC_EXCEPTION;
	switch (code) {
	case SVM_EXIT_INTR: return SVM_XC_INTR;
	case SVM_EXIT_CPUID: return SVM_XC_CPUID;
	case SVM_EXIT_HLT: return SVM_XC_HLT;
	case SVM_EXIT_INVLPG: case SVM_EXIT_INVLPGA: return SVM_XC_INVLPG;
	case SVM_EXIT_IOIO: return SVM_XC_IOIO;
	case SVM_EXIT_MSR: return SVM_XC_MSR;
	case SVM_EXIT_SHUTDOWN: return SVM_XC_SHUTDOWN;
	case SVM_EXIT_VMMCALL: return SVM_XC_VMMCALL;
	case SVM_EXIT_NPF: return SVM_XC_NPF;
	default: return SVM_XC_OTHER;
	}
}

void svm_vmexit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2)
{
	struct svm_state *s = &c->svm;
	uint64_t vmcb = s->vmcb, h = s->hsave_pa;
	uint64_t guest_rip = c->rip;

	if (unlikely(c->tracer != NULL))
		cpu_trace_exit(c, code, info1, info2);
	if (c->log_mask & LOG_EXITS) {
		char text[256];
		svm_describe_exit(code, info1, info2, text, sizeof text);
		log_line(c, "[exit] cycle %" PRIu64 " asid %u rip 0x%" PRIx64 ": %s\n", c->cycles,
			 s->asid, guest_rip, text);
	}
	if (code == SVM_EXIT_VMMCALL && s->asid < 64) {
		s->hypercall_input[s->asid] = c->gpr[RCX];
		s->hypercall_pending[s->asid] = true;
	}
	if (code == SVM_EXIT_VMMCALL && c->on_hypercall)
		c->on_hypercall(c->on_hypercall_ctx, s->asid, c->gpr[RCX]);
	c->ctx_exits[cpu_ctx_slot(s->asid)][exit_class(code)]++;

	/* the guest's state into its VMCB */
	seg_wr(c, vmcb, VSEG_ES, &c->seg[SEG_ES]);
	seg_wr(c, vmcb, VSEG_CS, &c->seg[SEG_CS]);
	seg_wr(c, vmcb, VSEG_SS, &c->seg[SEG_SS]);
	seg_wr(c, vmcb, VSEG_DS, &c->seg[SEG_DS]);
	struct seg g = dtr_as_seg(&c->gdtr), i = dtr_as_seg(&c->idtr);
	seg_wr(c, vmcb, VSEG_GDTR, &g);
	seg_wr(c, vmcb, VSEG_IDTR, &i);
	wr(c, vmcb + VMCB_CPL, 1, c->cpl);
	wr(c, vmcb + VMCB_EFER, 8, c->efer);
	wr(c, vmcb + VMCB_CR4, 8, c->cr4);
	wr(c, vmcb + VMCB_CR3, 8, c->cr3);
	wr(c, vmcb + VMCB_CR0, 8, c->cr0);
	wr(c, vmcb + VMCB_CR2, 8, c->cr2);
	wr(c, vmcb + VMCB_RFLAGS, 8, cpu_get_rflags(c));
	wr(c, vmcb + VMCB_RIP, 8, guest_rip);
	wr(c, vmcb + VMCB_RSP, 8, c->gpr[RSP]);
	wr(c, vmcb + VMCB_RAX, 8, c->gpr[RAX]);
	wr(c, vmcb + VMCB_EXITCODE, 8, code);
	wr(c, vmcb + VMCB_EXITINFO1, 8, info1);
	wr(c, vmcb + VMCB_EXITINFO2, 8, info2);
	wr(c, vmcb + VMCB_EXITINTINFO, 8, s->exit_intinfo);
	wr(c, vmcb + VMCB_NRIP, 8, s->exit_nrip);
	wr(c, vmcb + VMCB_INT_SHADOW, 8, c->interrupt_shadow ? 1 : 0);
	uint64_t vintr = rd(c, vmcb + VMCB_VINTR, 8);
	vintr = (vintr & ~(0xffull | (1ull << 8))) | s->v_tpr | ((uint64_t)s->v_irq << 8);
	wr(c, vmcb + VMCB_VINTR, 8, vintr);
	s->exit_intinfo = 0;
	s->exit_nrip = 0;

	/* timing: the exit's cost is the guest's (shared/specs/timing.md attribution) */
	c->cycles += c->params->v[PARAM_TIMING_VM_EXIT];
	s->vmexits++;

	/* the host's state back from the save area; GIF = 0, no TLB flush implied */
	s->guest = false;
	s->gif = false;
	tlbctl_vm_transition(c);
	cpu_switch_context(c, 0);
	c->last_exit_asid = s->asid;
	c->host_since_exit_cycles = c->cycles;
	c->seg[SEG_ES] = flat(seg_rd(c, h, VSEG_ES));
	c->seg[SEG_CS] = flat(seg_rd(c, h, VSEG_CS));
	c->seg[SEG_SS] = flat(seg_rd(c, h, VSEG_SS));
	c->seg[SEG_DS] = flat(seg_rd(c, h, VSEG_DS));
	struct seg hg = seg_rd(c, h, VSEG_GDTR), hi = seg_rd(c, h, VSEG_IDTR);
	c->gdtr = (struct dtr){ .base = hg.base, .limit = (uint16_t)hg.limit };
	c->idtr = (struct dtr){ .base = hi.base, .limit = (uint16_t)hi.limit };
	c->efer = rd(c, h + VMCB_EFER, 8);
	c->cr0 = rd(c, h + VMCB_CR0, 8);
	c->cr3 = rd(c, h + VMCB_CR3, 8);
	c->cr4 = rd(c, h + VMCB_CR4, 8);
	cpu_set_rflags(c, rd(c, h + VMCB_RFLAGS, 8));
	c->rip = rd(c, h + VMCB_RIP, 8);
	c->gpr[RSP] = rd(c, h + VMCB_RSP, 8);
	c->gpr[RAX] = rd(c, h + VMCB_RAX, 8);
	c->cpl = 0;
	c->interrupt_shadow = false;
	cpu_flush_fast_path(c);
	cpu_kick(c);
}

_Noreturn void svm_exit_insn(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2)
{
	c->svm.exit_code = code;
	c->svm.exit_info1 = info1;
	c->svm.exit_info2 = info2;
	c->svm.exit_nrip = c->rip_next;
	cpu_fault(c, VEC_VMEXIT, 0);
}

/* ---- VMRUN ---- */

/* The consistency checks of specs/svm.md; returns NULL or the failed check's name. */
static const char *consistency_check(struct cpu *c, uint64_t vmcb)
{
	uint32_t misc2 = (uint32_t)rd(c, vmcb + VMCB_MISC2, 4);
	uint32_t asid = (uint32_t)rd(c, vmcb + VMCB_ASID, 4);
	uint64_t efer = rd(c, vmcb + VMCB_EFER, 8), cr0 = rd(c, vmcb + VMCB_CR0, 8);
	uint64_t cr3 = rd(c, vmcb + VMCB_CR3, 8), cr4 = rd(c, vmcb + VMCB_CR4, 8);
	uint8_t tlb_control = (uint8_t)rd(c, vmcb + VMCB_TLB_CONTROL, 1);
	struct seg cs = seg_rd(c, vmcb, VSEG_CS);
	bool lme_pg = (efer & EFER_LME) && (cr0 & CR0_PG);

	if (!(misc2 & (1u << SVM_I2_VMRUN)))
		return "VMRUN intercept clear";
	if (asid == 0)
		return "guest ASID 0";
	if (asid >= SVM_NR_ASIDS)
		return "guest ASID beyond the ASIDs CPUID reports";
	if (!(efer & EFER_SVME))
		return "guest EFER.SVME clear";
	if (efer & ~EFER_SUPPORTED)
		return "reserved bits in guest EFER";
	if ((cr0 >> 32) || ((cr0 & CR0_NW) && !(cr0 & CR0_CD)))
		return "reserved or illegal bits in guest CR0";
	if (cr3 & ~((1ull << MMU_PHYS_ADDR_BITS) - 1))
		return "reserved bits in guest CR3";
	if (cr4 & ~CR4_SUPPORTED_GUEST)
		return "reserved bits in guest CR4";
	if (lme_pg && !(cr4 & CR4_PAE))
		return "long mode without CR4.PAE";
	if (lme_pg && !(cr0 & CR0_PE))
		return "long mode without CR0.PE";
	if (lme_pg && (cs.attr & ATTR_L) && (cs.attr & ATTR_DB))
		return "CS.L and CS.D both set";
	if (tlb_control != 0 && tlb_control != 1 && tlb_control != 3 && tlb_control != 7)
		return "reserved TLB_CONTROL value";
	/* hvsim executes 64-bit code only: a guest in any other mode cannot run */
	if (!lme_pg || !(efer & EFER_LMA) || !(cs.attr & ATTR_L))
		return "guest not in 64-bit mode (the only mode hvsim models)";
	return NULL;
}

static void save_host(struct cpu *c, uint64_t h)
{
	seg_wr(c, h, VSEG_ES, &c->seg[SEG_ES]);
	seg_wr(c, h, VSEG_CS, &c->seg[SEG_CS]);
	seg_wr(c, h, VSEG_SS, &c->seg[SEG_SS]);
	seg_wr(c, h, VSEG_DS, &c->seg[SEG_DS]);
	struct seg g = dtr_as_seg(&c->gdtr), i = dtr_as_seg(&c->idtr);
	seg_wr(c, h, VSEG_GDTR, &g);
	seg_wr(c, h, VSEG_IDTR, &i);
	wr(c, h + VMCB_EFER, 8, c->efer);
	wr(c, h + VMCB_CR0, 8, c->cr0);
	wr(c, h + VMCB_CR3, 8, c->cr3);
	wr(c, h + VMCB_CR4, 8, c->cr4);
	wr(c, h + VMCB_RFLAGS, 8, cpu_get_rflags(c));
	wr(c, h + VMCB_RIP, 8, c->rip_next);
	wr(c, h + VMCB_RSP, 8, c->gpr[RSP]);
	wr(c, h + VMCB_RAX, 8, c->gpr[RAX]);
}

static void load_controls(struct cpu *c, uint64_t vmcb)
{
	struct svm_state *s = &c->svm;
	uint32_t crs = (uint32_t)rd(c, vmcb + VMCB_CR_INTERCEPTS, 4);
	s->cr_read = (uint16_t)crs;
	s->cr_write = (uint16_t)(crs >> 16);
	s->exceptions = (uint32_t)rd(c, vmcb + VMCB_EXC_INTERCEPTS, 4);
	s->misc1 = (uint32_t)rd(c, vmcb + VMCB_MISC1, 4);
	s->misc2 = (uint32_t)rd(c, vmcb + VMCB_MISC2, 4);
	s->iopm = rd(c, vmcb + VMCB_IOPM_BASE, 8) & ~(PAGE_SIZE - 1);
	s->msrpm = rd(c, vmcb + VMCB_MSRPM_BASE, 8) & ~(PAGE_SIZE - 1);
	s->tsc_offset = rd(c, vmcb + VMCB_TSC_OFFSET, 8);
	s->asid = (uint32_t)rd(c, vmcb + VMCB_ASID, 4);
	uint64_t vintr = rd(c, vmcb + VMCB_VINTR, 8);
	s->v_tpr = (uint8_t)(vintr & 0xf);
	s->v_irq = (vintr >> 8) & 1;
	s->v_intr_masking = (vintr >> 24) & 1;
	s->v_intr_vector = (uint8_t)rd(c, vmcb + VMCB_VINTR_VECTOR, 1);
	s->np = rd(c, vmcb + VMCB_NP_ENABLE, 8) & 1;
	s->ncr3 = rd(c, vmcb + VMCB_NCR3, 8);
}

static void load_guest(struct cpu *c, uint64_t vmcb)
{
	c->seg[SEG_ES] = flat(seg_rd(c, vmcb, VSEG_ES));
	c->seg[SEG_CS] = flat(seg_rd(c, vmcb, VSEG_CS));
	c->seg[SEG_SS] = flat(seg_rd(c, vmcb, VSEG_SS));
	c->seg[SEG_DS] = flat(seg_rd(c, vmcb, VSEG_DS));
	struct seg g = seg_rd(c, vmcb, VSEG_GDTR), i = seg_rd(c, vmcb, VSEG_IDTR);
	c->gdtr = (struct dtr){ .base = g.base, .limit = (uint16_t)g.limit };
	c->idtr = (struct dtr){ .base = i.base, .limit = (uint16_t)i.limit };
	c->efer = rd(c, vmcb + VMCB_EFER, 8);
	c->cr0 = rd(c, vmcb + VMCB_CR0, 8);
	c->cr2 = rd(c, vmcb + VMCB_CR2, 8);
	c->cr3 = rd(c, vmcb + VMCB_CR3, 8);
	c->cr4 = rd(c, vmcb + VMCB_CR4, 8);
	cpu_set_rflags(c, rd(c, vmcb + VMCB_RFLAGS, 8));
	c->gpr[RSP] = rd(c, vmcb + VMCB_RSP, 8);
	c->gpr[RAX] = rd(c, vmcb + VMCB_RAX, 8);
	c->cpl = (uint8_t)(rd(c, vmcb + VMCB_CPL, 1) & 3);
	c->interrupt_shadow = rd(c, vmcb + VMCB_INT_SHADOW, 8) & 1;
}

/* EVENTINJ (APM vol. 2 §15.20): vector 7:0, type 10:8 (0 INTR, 2 NMI, 3 exception,
 * 4 software interrupt), error code valid 11, valid 31; error code at 0x0AC. */
static void inject_event(struct cpu *c, uint64_t vmcb)
{
	uint64_t ev = rd(c, vmcb + VMCB_EVENTINJ, 8);
	if (!((ev >> 31) & 1))
		return;
	wr(c, vmcb + VMCB_EVENTINJ, 8, ev & ~(1ull << 31));
	int vector = (int)(ev & 0xff);
	unsigned type = (ev >> 8) & 7;
	bool has_error = (ev >> 11) & 1;
	uint32_t error = (uint32_t)(ev >> 32);
	c->svm.exit_intinfo = ev; /* reported again if the delivery exits */
	exception_inject(c, vector, has_error, error, type == 4, type != 3);
	c->svm.exit_intinfo = 0;
}

void h_vmrun(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	uint64_t vmcb = vmcb_operand(c);
	if (c->svm.guest) /* nested SVM is not modelled: the VMRUN intercept is always set */
		svm_exit_insn(c, SVM_EXIT_VMRUN, 0, 0);
	struct svm_state *s = &c->svm;
	if (!s->hsave_pa || !phys_in_ram(c->pm, s->hsave_pa, PAGE_SIZE))
		cpu_fault(c, EXC_GP, 0);

	const char *bad = consistency_check(c, vmcb);
	if (bad) {
		/* VMEXIT_INVALID: nothing of the guest was loaded; GIF is cleared as by any exit */
		wr(c, vmcb + VMCB_EXITCODE, 8, SVM_EXIT_INVALID);
		wr(c, vmcb + VMCB_EXITINFO1, 8, 0);
		wr(c, vmcb + VMCB_EXITINFO2, 8, 0);
		s->gif = false;
		s->vmexit_invalid++;
		if (c->log_mask & LOG_EXITS)
			log_line(c, "[exit] cycle %" PRIu64 " VMRUN of VMCB 0x%" PRIx64 " failed: INVALID (%s)\n",
				 c->cycles, vmcb, bad);
		return;
	}

	s->host_if = (c->rflags & FL_IF) != 0;
	s->host_efer = c->efer;
	s->host_cr0 = c->cr0;
	save_host(c, s->hsave_pa);
	load_controls(c, vmcb);
	s->vmcb = vmcb;
	s->guest = true;
	s->gif = true;
	s->vmruns++;
	if ((c->log_mask & LOG_HYPERCALLS) && s->asid < 64 && s->hypercall_pending[s->asid]) {
		uint64_t in = s->hypercall_input[s->asid], rax = rd(c, vmcb + VMCB_RAX, 8);
		s->hypercall_pending[s->asid] = false;
		log_line(c, "[hypercall] cycle %" PRIu64 " asid %u: %s (0x%04x)%s reps %u status 0x%04x"
			 " reps done %u\n", c->cycles, s->asid,
			 c->hypercall_name ? c->hypercall_name((uint16_t)in) : "hypercall",
			 (unsigned)(in & 0xffff), (in >> 16) & 1 ? " fast" : "",
			 (unsigned)((in >> 32) & 0xfff), (unsigned)(rax & 0xffff),
			 (unsigned)((rax >> 32) & 0xfff));
	}

	if (c->last_exit_asid) /* the host's work since that guest's exit was on its behalf */
		c->ctx_host_cycles[cpu_ctx_slot(c->last_exit_asid)] += c->cycles - c->host_since_exit_cycles;
	c->last_exit_asid = 0;
	cpu_switch_context(c, s->asid);
	tlbctl_vm_transition(c);
	switch (rd(c, vmcb + VMCB_TLB_CONTROL, 1)) {
	case 1: tlbctl_svm_flush(c, TLB_FLUSH_FULL, s->asid); break;
	case 3: tlbctl_svm_flush(c, TLB_FLUSH_ASID, s->asid); break;
	case 7: tlbctl_svm_flush(c, TLB_FLUSH_ASID_NONGLOBAL, s->asid); break;
	default: break;
	}
	load_guest(c, vmcb);
	c->cycles += c->params->v[PARAM_TIMING_VM_ENTRY];
	c->rip = rd(c, vmcb + VMCB_RIP, 8);
	cpu_flush_fast_path(c);
	cpu_kick(c);
	if (unlikely(c->tracer != NULL))
		cpu_trace_vmrun(c);
	inject_event(c, vmcb);
	c->rip_next = c->rip;
}

/* ---- the other SVM instructions ---- */

void h_vmmcall(struct cpu *c, const struct insn *i)
{
	if (svm_icpt2(c, SVM_I2_VMMCALL))
		svm_exit_insn(c, SVM_EXIT_VMMCALL, 0, 0);
	cpu_fault(c, EXC_UD, 0); /* no hypervisor above this one */
}

/* VMLOAD / VMSAVE move FS, GS, TR, LDTR with their hidden state, KernelGSBase, STAR,
 * LSTAR, CSTAR, SFMASK and the SYSENTER MSRs (specs/svm.md). */
void h_vmload(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	uint64_t v = vmcb_operand(c);
	if (svm_icpt2(c, SVM_I2_VMLOAD))
		svm_exit_insn(c, SVM_EXIT_VMLOAD, 0, 0);
	c->seg[SEG_FS] = seg_rd(c, v, VSEG_FS);
	c->seg[SEG_GS] = seg_rd(c, v, VSEG_GS);
	c->tr = seg_rd(c, v, VSEG_TR);
	c->ldtr = seg_rd(c, v, VSEG_LDTR);
	c->kernel_gs_base = rd(c, v + VMCB_KERNEL_GS_BASE, 8);
	c->star = rd(c, v + VMCB_STAR, 8);
	c->lstar = rd(c, v + VMCB_LSTAR, 8);
	c->cstar = rd(c, v + VMCB_CSTAR, 8);
	c->sfmask = rd(c, v + VMCB_SFMASK, 8);
	c->sysenter_cs = rd(c, v + VMCB_SYSENTER_CS, 8);
	c->sysenter_esp = rd(c, v + VMCB_SYSENTER_ESP, 8);
	c->sysenter_eip = rd(c, v + VMCB_SYSENTER_EIP, 8);
}

void h_vmsave(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	uint64_t v = vmcb_operand(c);
	if (svm_icpt2(c, SVM_I2_VMSAVE))
		svm_exit_insn(c, SVM_EXIT_VMSAVE, 0, 0);
	seg_wr(c, v, VSEG_FS, &c->seg[SEG_FS]);
	seg_wr(c, v, VSEG_GS, &c->seg[SEG_GS]);
	seg_wr(c, v, VSEG_TR, &c->tr);
	seg_wr(c, v, VSEG_LDTR, &c->ldtr);
	wr(c, v + VMCB_KERNEL_GS_BASE, 8, c->kernel_gs_base);
	wr(c, v + VMCB_STAR, 8, c->star);
	wr(c, v + VMCB_LSTAR, 8, c->lstar);
	wr(c, v + VMCB_CSTAR, 8, c->cstar);
	wr(c, v + VMCB_SFMASK, 8, c->sfmask);
	wr(c, v + VMCB_SYSENTER_CS, 8, c->sysenter_cs);
	wr(c, v + VMCB_SYSENTER_ESP, 8, c->sysenter_esp);
	wr(c, v + VMCB_SYSENTER_EIP, 8, c->sysenter_eip);
}

void h_stgi(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	if (svm_icpt2(c, SVM_I2_STGI))
		svm_exit_insn(c, SVM_EXIT_STGI, 0, 0);
	c->svm.gif = true;
	cpu_kick(c);
}

void h_clgi(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	if (svm_icpt2(c, SVM_I2_CLGI))
		svm_exit_insn(c, SVM_EXIT_CLGI, 0, 0);
	c->svm.gif = false;
}

/* INVLPGA: RAX = virtual address, ECX = ASID: that page of that ASID. */
void h_invlpga(struct cpu *c, const struct insn *i)
{
	require_svme(c);
	if (svm_icpt1(c, SVM_I1_INVLPGA))
		svm_exit_insn(c, SVM_EXIT_INVLPGA, c->gpr[RAX], (uint32_t)c->gpr[RCX]);
	tlbctl_invlpga(c, c->gpr[RAX], (uint32_t)c->gpr[RCX]);
}

/* ---- intercept checks ---- */

void svm_check_cr(struct cpu *c, unsigned cr, bool write, unsigned gpr)
{
	if (!c->svm.guest)
		return;
	uint16_t mask = write ? c->svm.cr_write : c->svm.cr_read;
	if ((mask >> cr) & 1) /* decode assist: bit 63 MOV, GPR number in 3:0 */
		svm_exit_insn(c, (write ? SVM_EXIT_CR_WRITE : SVM_EXIT_CR_READ) + cr,
			      (1ull << 63) | gpr, 0);
}

/* MSRPM: two bits per MSR (read, write) in three 2 KiB ranges; MSRs outside the ranges
 * always exit when MSR intercepts are on (APM vol. 2 §15.11). */
void svm_check_msr(struct cpu *c, uint32_t msr, bool write)
{
	if (!svm_icpt1(c, SVM_I1_MSR))
		return;
	uint64_t off;
	if (msr <= 0x1FFF)
		off = 0;
	else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
		off = 0x800, msr -= 0xC0000000;
	else if (msr >= 0xC0010000 && msr <= 0xC0011FFF)
		off = 0x1000, msr -= 0xC0010000;
	else
		svm_exit_insn(c, SVM_EXIT_MSR, write, 0);
	uint64_t bit = (uint64_t)msr * 2 + write;
	if ((rd(c, c->svm.msrpm + off + bit / 8, 1) >> (bit % 8)) & 1)
		svm_exit_insn(c, SVM_EXIT_MSR, write, 0);
}

/* IOPM: one bit per port; an access of several bytes checks every port it touches.
 * EXITINFO1: bit 0 IN, bits 6:4 size, bits 9:7 address size (64-bit), 31:16 port. */
void svm_check_io(struct cpu *c, uint16_t port, unsigned size, bool in)
{
	if (!svm_icpt1(c, SVM_I1_IOIO))
		return;
	bool hit = false;
	for (unsigned k = 0; k < size; k++) {
		uint32_t p = (uint32_t)port + k;
		if ((rd(c, c->svm.iopm + p / 8, 1) >> (p % 8)) & 1)
			hit = true;
	}
	if (hit) {
		uint64_t info1 = ((uint64_t)port << 16) | (in ? 1 : 0) | (1u << 9) |
				 (size == 1 ? 0x10 : size == 2 ? 0x20 : 0x40);
		svm_exit_insn(c, SVM_EXIT_IOIO, info1, c->rip_next);
	}
}

bool svm_msr_read(struct cpu *c, uint32_t msr, uint64_t *v, bool *ok)
{
	switch (msr) {
	case MSR_VM_CR: *v = c->svm.vm_cr; *ok = true; return true;
	case MSR_VM_HSAVE_PA: *v = c->svm.hsave_pa; *ok = true; return true;
	default: return false;
	}
}

bool svm_msr_write(struct cpu *c, uint32_t msr, uint64_t v, bool *ok)
{
	switch (msr) {
	case MSR_VM_CR:
		/* SVMDIS (bit 4) and LOCK (bit 3) are never set on this machine: read-only 0 */
		*ok = (v & ~0x7ull) == 0;
		if (*ok)
			c->svm.vm_cr = v;
		return true;
	case MSR_VM_HSAVE_PA:
		*ok = (v & (PAGE_SIZE - 1)) == 0 && v < (1ull << MMU_PHYS_ADDR_BITS);
		if (*ok)
			c->svm.hsave_pa = v;
		return true;
	default:
		return false;
	}
}

/* ---- interrupts in guest mode (APM vol. 2 §15.21) ---- */

bool svm_poll_interrupts(struct cpu *c)
{
	struct svm_state *s = &c->svm;
	if (!s->gif)
		return false;
	/* a physical interrupt: with V_INTR_MASKING the host's IF gates it, else the guest's */
	bool phys_enabled = s->v_intr_masking ? s->host_if : (c->rflags & FL_IF) != 0;
	if (phys_enabled && c->bus.intr_pending && c->bus.intr_pending(c->bus.ctx) >= 0) {
		if (svm_icpt1(c, SVM_I1_INTR)) {
			svm_vmexit(c, SVM_EXIT_INTR, 0, 0);
			return true;
		}
		return false; /* taken by the guest through the normal path */
	}
	/* a virtual interrupt: V_IRQ, taken when the guest's IF allows it */
	if (s->v_irq && (c->rflags & FL_IF) && !c->interrupt_shadow) {
		s->v_irq = false;
		exception_inject(c, s->v_intr_vector, false, 0, false, true);
		return true;
	}
	return false;
}
