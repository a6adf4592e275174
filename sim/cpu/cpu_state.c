/* The CPU's architectural state as named values (cpu_state.h). One table lists every
 * value: its group, its name and where it lives; the names and the reader both come
 * from it. */
#include "cpu_state.h"

#include "cpu.h"
#include "flags.h"

/* RFLAGS with the lazy arithmetic flags computed, leaving the lazy state as it is
 * (flags_materialize would fold it, which a digest must not do). */
static uint64_t peek_rflags(const struct cpu *c)
{
	if (c->lf.op == LF_NONE)
		return c->rflags;
	uint64_t f = (flag_cf(c) ? FL_CF : 0) | (flag_pf(c) ? FL_PF : 0) |
		     (flag_af(c) ? FL_AF : 0) | (flag_zf(c) ? FL_ZF : 0) |
		     (flag_sf(c) ? FL_SF : 0) | (flag_of(c) ? FL_OF : 0);
	return (c->rflags & ~FL_ARITH) | f;
}

#define SEG(X, nm, s)                                                                    \
	X(CSG_SEGMENT, nm ".sel", (s).sel) X(CSG_SEGMENT, nm ".attr", (s).attr)          \
	X(CSG_SEGMENT, nm ".limit", (s).limit) X(CSG_SEGMENT, nm ".base", (s).base)

#define CPU_STATE(X)                                                                     \
	X(CSG_REGISTER, "rax", c->gpr[RAX]) X(CSG_REGISTER, "rcx", c->gpr[RCX])          \
	X(CSG_REGISTER, "rdx", c->gpr[RDX]) X(CSG_REGISTER, "rbx", c->gpr[RBX])          \
	X(CSG_REGISTER, "rsp", c->gpr[RSP]) X(CSG_REGISTER, "rbp", c->gpr[RBP])          \
	X(CSG_REGISTER, "rsi", c->gpr[RSI]) X(CSG_REGISTER, "rdi", c->gpr[RDI])          \
	X(CSG_REGISTER, "r8", c->gpr[R8]) X(CSG_REGISTER, "r9", c->gpr[R9])              \
	X(CSG_REGISTER, "r10", c->gpr[R10]) X(CSG_REGISTER, "r11", c->gpr[R11])          \
	X(CSG_REGISTER, "r12", c->gpr[R12]) X(CSG_REGISTER, "r13", c->gpr[R13])          \
	X(CSG_REGISTER, "r14", c->gpr[R14]) X(CSG_REGISTER, "r15", c->gpr[R15])          \
	X(CSG_REGISTER, "rip", c->rip) X(CSG_REGISTER, "rflags", peek_rflags(c))         \
	SEG(X, "es", c->seg[SEG_ES]) SEG(X, "cs", c->seg[SEG_CS])                        \
	SEG(X, "ss", c->seg[SEG_SS]) SEG(X, "ds", c->seg[SEG_DS])                        \
	SEG(X, "fs", c->seg[SEG_FS]) SEG(X, "gs", c->seg[SEG_GS])                        \
	SEG(X, "ldtr", c->ldtr) SEG(X, "tr", c->tr)                                      \
	X(CSG_SEGMENT, "gdtr.base", c->gdtr.base) X(CSG_SEGMENT, "gdtr.limit", c->gdtr.limit) \
	X(CSG_SEGMENT, "idtr.base", c->idtr.base) X(CSG_SEGMENT, "idtr.limit", c->idtr.limit) \
	X(CSG_CONTROL, "cr0", c->cr0) X(CSG_CONTROL, "cr2", c->cr2)                      \
	X(CSG_CONTROL, "cr3", c->cr3) X(CSG_CONTROL, "cr4", c->cr4)                      \
	X(CSG_CONTROL, "cr8", c->cr8) X(CSG_CONTROL, "efer", c->efer)                    \
	X(CSG_CONTROL, "cpl", c->cpl) X(CSG_CONTROL, "interrupt_shadow", c->interrupt_shadow) \
	X(CSG_CONTROL, "tlb_asid", c->asid)                                              \
	X(CSG_MSR, "kernel_gs_base", c->kernel_gs_base) X(CSG_MSR, "star", c->star)      \
	X(CSG_MSR, "lstar", c->lstar) X(CSG_MSR, "cstar", c->cstar)                      \
	X(CSG_MSR, "sfmask", c->sfmask) X(CSG_MSR, "tsc_aux", c->tsc_aux)                \
	X(CSG_MSR, "pat", c->pat) X(CSG_MSR, "sysenter_cs", c->sysenter_cs)              \
	X(CSG_MSR, "sysenter_esp", c->sysenter_esp)                                      \
	X(CSG_MSR, "sysenter_eip", c->sysenter_eip)                                      \
	X(CSG_SVM, "svm.gif", c->svm.gif) X(CSG_SVM, "svm.guest", c->svm.guest)          \
	X(CSG_SVM, "svm.hsave_pa", c->svm.hsave_pa) X(CSG_SVM, "svm.vm_cr", c->svm.vm_cr) \
	X(CSG_SVM, "svm.vmcb", c->svm.vmcb) X(CSG_SVM, "svm.asid", c->svm.asid)          \
	X(CSG_SVM, "svm.np", c->svm.np) X(CSG_SVM, "svm.ncr3", c->svm.ncr3)              \
	X(CSG_SVM, "svm.cr_read", c->svm.cr_read) X(CSG_SVM, "svm.cr_write", c->svm.cr_write) \
	X(CSG_SVM, "svm.exceptions", c->svm.exceptions)                                  \
	X(CSG_SVM, "svm.misc1", c->svm.misc1) X(CSG_SVM, "svm.misc2", c->svm.misc2)      \
	X(CSG_SVM, "svm.iopm", c->svm.iopm) X(CSG_SVM, "svm.msrpm", c->svm.msrpm)        \
	X(CSG_SVM, "svm.tsc_offset", c->svm.tsc_offset)                                  \
	X(CSG_SVM, "svm.v_intr_masking", c->svm.v_intr_masking)                          \
	X(CSG_SVM, "svm.v_irq", c->svm.v_irq)                                            \
	X(CSG_SVM, "svm.v_intr_vector", c->svm.v_intr_vector)                            \
	X(CSG_SVM, "svm.v_tpr", c->svm.v_tpr) X(CSG_SVM, "svm.host_if", c->svm.host_if)  \
	X(CSG_SVM, "svm.host_efer", c->svm.host_efer)                                    \
	X(CSG_SVM, "svm.host_cr0", c->svm.host_cr0)

static const struct {
	uint8_t group;
	const char *name;
} fields[] = {
#define NAME(g, n, e) { g, n },
	CPU_STATE(NAME)
#undef NAME
};

size_t cpu_state_count(void)
{
	return sizeof fields / sizeof fields[0];
}

const char *cpu_state_name(size_t i)
{
	return fields[i].name;
}

enum cpu_state_group cpu_state_group(size_t i)
{
	return (enum cpu_state_group)fields[i].group;
}

const char *cpu_state_group_name(unsigned g)
{
	static const char *const names[CSG_NR_CPU_GROUPS] = {
		[CSG_REGISTER] = "registers", [CSG_SEGMENT] = "segment registers",
		[CSG_CONTROL] = "control registers", [CSG_MSR] = "MSRs",
		[CSG_SVM] = "SVM state",
	};
	return g < CSG_NR_CPU_GROUPS ? names[g] : "counters";
}

void cpu_state_read(const struct cpu *c, uint64_t *out)
{
	size_t i = 0;
#define READ(g, n, e) out[i++] = (uint64_t)(e);
	CPU_STATE(READ)
#undef READ
}
