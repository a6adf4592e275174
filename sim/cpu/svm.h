/* AMD SVM: VMRUN / #VMEXIT, intercepts, VMLOAD / VMSAVE, GIF, INVLPGA, event injection
 * and virtual interrupts (specs/svm.md; AMD APM vol. 2 ch. 15). */
#ifndef HVSIM_CPU_SVM_H
#define HVSIM_CPU_SVM_H

#include "cpu.h"

/* Exit codes (specs/svm.md "Exit codes") */
#define SVM_EXIT_CR_READ 0x00   /* + CR number */
#define SVM_EXIT_CR_WRITE 0x10  /* + CR number */
#define SVM_EXIT_EXCP 0x40      /* + vector */
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_INVLPG 0x79
#define SVM_EXIT_INVLPGA 0x7A
#define SVM_EXIT_IOIO 0x7B
#define SVM_EXIT_MSR 0x7C
#define SVM_EXIT_SHUTDOWN 0x7F
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_VMSAVE 0x83
#define SVM_EXIT_STGI 0x84
#define SVM_EXIT_CLGI 0x85
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID (~0ull)

/* Intercept bits: the word at VMCB 0x00C ... */
#define SVM_I1_INTR 0
#define SVM_I1_NMI 1
#define SVM_I1_CPUID 18
#define SVM_I1_HLT 24
#define SVM_I1_INVLPG 25
#define SVM_I1_INVLPGA 26
#define SVM_I1_IOIO 27
#define SVM_I1_MSR 28
#define SVM_I1_SHUTDOWN 31
/* ... and at 0x010 */
#define SVM_I2_VMRUN 0
#define SVM_I2_VMMCALL 1
#define SVM_I2_VMLOAD 2
#define SVM_I2_VMSAVE 3
#define SVM_I2_STGI 4
#define SVM_I2_CLGI 5

#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117

/* The number of ASIDs CPUID 0x8000000A reports (ASID 0 is the host's) */
#define SVM_NR_ASIDS 64

static inline bool svm_icpt1(const struct cpu *c, unsigned bit)
{
	return c->svm.guest && ((c->svm.misc1 >> bit) & 1);
}

static inline bool svm_icpt2(const struct cpu *c, unsigned bit)
{
	return c->svm.guest && ((c->svm.misc2 >> bit) & 1);
}

/* Leaves the current instruction with a #VMEXIT (RIP stays at the instruction; NRIP is
 * the next one). Never returns. */
_Noreturn void svm_exit_insn(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2);

/* Intercept checks made by instruction handlers; each exits (never returns) when the
 * access is intercepted. */
void svm_check_cr(struct cpu *c, unsigned cr, bool write, unsigned gpr);
void svm_check_msr(struct cpu *c, uint32_t msr, bool write);
void svm_check_io(struct cpu *c, uint16_t port, unsigned size, bool in);

/* Performs a #VMEXIT now: saves the guest, reloads the host (specs/svm.md). */
void svm_vmexit(struct cpu *c, uint64_t code, uint64_t info1, uint64_t info2);
/* Whether exception `vector` raised in the guest exits instead of being delivered. */
static inline bool svm_exception_intercepted(const struct cpu *c, int vector)
{
	return c->svm.guest && vector < 32 && ((c->svm.exceptions >> vector) & 1);
}

/* SVM's MSRs (VM_CR, VM_HSAVE_PA): false when msr is not one of them. */
bool svm_msr_read(struct cpu *c, uint32_t msr, uint64_t *v, bool *ok);
bool svm_msr_write(struct cpu *c, uint32_t msr, uint64_t v, bool *ok);

/* Between instructions in guest mode: physical interrupts (INTR intercept) and virtual
 * ones (V_IRQ). True when it did something (an exit or a delivery). */
bool svm_poll_interrupts(struct cpu *c);

/* One line describing an exit for --log exits: the code by name, EXITINFO decoded. */
int svm_describe_exit(uint64_t code, uint64_t info1, uint64_t info2, char *out, size_t len);

#endif
