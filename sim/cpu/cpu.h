/* The CPU: architectural state, the decoded-instruction cache, the memory fast path and
 * the run loop's interface. The CPU reaches RAM through sim/mmu and everything else
 * (I/O ports, MSRs it does not own) through the callbacks in struct cpu_bus, which
 * sim/machine fills: the CPU knows nothing of devices. */
#ifndef HVSIM_CPU_CPU_H
#define HVSIM_CPU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/counters.h"
#include "../base/params.h"
#include "../mmu/phys.h"
#include "../mmu/walk.h"
#include "../tlb/tlb.h"

/* General-purpose register numbers (the encoding order) */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
/* Byte registers AH, CH, DH, BH (legacy encodings 4-7 without REX) are numbered 16-19. */
#define REG_AH 16

/* Segment registers in encoding order */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* RFLAGS bits */
#define FL_CF (1ull << 0)
#define FL_PF (1ull << 2)
#define FL_AF (1ull << 4)
#define FL_ZF (1ull << 6)
#define FL_SF (1ull << 7)
#define FL_TF (1ull << 8)
#define FL_IF (1ull << 9)
#define FL_DF (1ull << 10)
#define FL_OF (1ull << 11)
#define FL_IOPL (3ull << 12)
#define FL_NT (1ull << 14)
#define FL_RF (1ull << 16)
#define FL_VM (1ull << 17)
#define FL_AC (1ull << 18)
#define FL_ID (1ull << 21)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_FIXED1 (1ull << 1)

/* Control-register and EFER bits */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_PCIDE (1ull << 17)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)

/* Exception vectors */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
	EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13,
	EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18,
};

/* Lazy flags (DESIGN.md "Speed by design"): arithmetic instructions record their
 * operands and result; a flag is computed only when something reads it. */
enum lf_op {
	LF_NONE,  /* the arithmetic flags in cpu.rflags are current */
	LF_ADD,   /* res = a + b + carry_in */
	LF_SUB,   /* res = a - b - carry_in */
	LF_LOGIC, /* CF = OF = AF = 0 */
	LF_INC,   /* res = a + 1, CF kept in cf_saved */
	LF_DEC,   /* res = a - 1, CF kept in cf_saved */
};

struct lazy_flags {
	uint64_t res, a, b; /* truncated to size */
	uint8_t op;         /* enum lf_op */
	uint8_t size;       /* operand size in bytes */
	uint8_t carry_in;   /* ADC/SBB */
	uint8_t cf_saved;   /* INC/DEC */
};

struct seg {
	/* base: only FS and GS have one in 64-bit mode; the others are kept at 0, which the
	 * effective-address computation relies on (operand.h) */
	uint16_t sel;
	uint16_t attr; /* VMCB layout: type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11 */
	uint32_t limit;
	uint64_t base;
};

struct dtr {
	uint64_t base;
	uint16_t limit;
};

struct insn;
struct cpu;
struct cpu_tracer;
typedef void (*insn_exec_fn)(struct cpu *c, const struct insn *i);

/* Operand kinds after decoding */
enum { OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM };
/* "No base / no index" is register 20, which always reads 0: an effective address is
 * then computed without branches. RIP-relative operands set insn.riprel instead. */
#define REG_NONE 20

/* A decoded instruction, cached by physical address. Operands are in Intel order
 * (op 0 is the destination). */
struct insn {
	uint64_t pa;          /* cache tag: physical address of the first byte; ~0 = empty */
	insn_exec_fn exec;    /* the handler, chosen at decode time */
	uint64_t imm;         /* immediate, sign- or zero-extended as its form says */
	int64_t disp;         /* displacement (or the second immediate for ENTER) */
	uint16_t row;         /* index into insn_table[] */
	uint16_t cost_cycles; /* precomputed from the row's cost class */
	uint8_t len;          /* encoded length in bytes */
	uint8_t osz;          /* operand size in bytes */
	uint8_t asz;          /* address size in bytes (4 or 8) */
	uint8_t kind[3];      /* OPK_* */
	uint8_t size[3];      /* each operand's size in bytes */
	uint8_t reg[3];       /* register number for OPK_REG */
	uint8_t base, index, scale; /* memory operand (REG_NONE: none); scale is a shift */
	uint8_t riprel;       /* 1: the displacement is relative to the next RIP */
	uint8_t seg;          /* effective segment of the memory operand */
	uint8_t rep;          /* 0, 0xF3 (REP/REPE) or 0xF2 (REPNE) */
	uint8_t lock;
	uint8_t cc;           /* condition code for Jcc/SETcc/CMOVcc */
	uint8_t modrm;        /* raw ModRM byte (0 if none): the disassembler and exits use it */
	uint8_t bytes[15];    /* raw encoding, for the disassembler and fault reports */
};

/* How the machine reaches the CPU's surroundings. Return false from msr_* to make
 * the access #GP. io_in returns all-ones for unclaimed ports. Any callback may be NULL.
 *
 * Interrupts and time: the CPU asks intr_pending at instruction boundaries when RFLAGS.IF
 * is set (the highest-priority deliverable vector, or -1) and calls intr_ack with the
 * vector it accepts. Devices with timers report the cycle of their next event through
 * next_event (~0 for none); the CPU calls run_events(now) once the cycle clock reaches it,
 * and also while halted, when time jumps straight to the next event. */
struct cpu_bus {
	void *ctx;
	uint64_t (*io_in)(void *ctx, uint16_t port, unsigned size);
	void (*io_out)(void *ctx, uint16_t port, unsigned size, uint64_t v);
	bool (*msr_read)(void *ctx, uint32_t msr, uint64_t *v);
	bool (*msr_write)(void *ctx, uint32_t msr, uint64_t v);
	int (*intr_pending)(void *ctx);
	void (*intr_ack)(void *ctx, int vector);
	uint64_t (*next_event)(void *ctx);
	void (*run_events)(void *ctx, uint64_t now_cycles);
};

/* After something that may have changed pending interrupts or the next device event
 * (a WRMSR to a device, a device's own register write): re-check between instructions. */
static inline void cpu_kick(struct cpu *c);

/* Why cpu_run returned */
enum cpu_stop {
	STOP_NONE,
	STOP_EXIT,        /* the guest asked to end the run (debug-exit port) */
	STOP_TRIPLE_FAULT,
	STOP_HALTED,      /* HLT with interrupts disabled: nothing can wake the CPU */
	STOP_INSN_LIMIT,
	STOP_CYCLE_LIMIT,
	STOP_CHECK_FAILED, /* --check-tlb found a cached translation the page tables deny */
	STOP_WATCH,        /* the watch callback ended the run (a replay found a divergence) */
};

/* AMD SVM (specs/svm.md; svm.c). The controls of the running guest are cached from
 * its VMCB at VMRUN; the VMCB itself stays in guest-visible memory. */
struct svm_state {
	bool guest;               /* between VMRUN and #VMEXIT */
	bool gif;                 /* global interrupt flag */
	uint64_t hsave_pa;        /* VM_HSAVE_PA */
	uint64_t vm_cr;           /* VM_CR */
	uint64_t vmcb;            /* physical address of the running guest's VMCB */
	uint16_t cr_read, cr_write;
	uint32_t exceptions;      /* exception intercept bitmap */
	uint32_t misc1, misc2;    /* intercept words at 0x00C and 0x010 */
	uint64_t iopm, msrpm;     /* bitmap bases (physical) */
	uint64_t tsc_offset;
	uint32_t asid;
	bool np;                  /* nested paging */
	uint64_t ncr3;
	bool v_intr_masking, v_irq;
	uint8_t v_intr_vector, v_tpr;
	bool host_if;             /* the host's RFLAGS.IF at VMRUN (V_INTR_MASKING) */
	uint64_t host_efer, host_cr0; /* the host's paging mode, for nested walks */
	/* the #VMEXIT an instruction raised (cpu_fault with VEC_VMEXIT) */
	uint64_t exit_code, exit_info1, exit_info2;
	uint64_t exit_nrip;
	uint64_t exit_intinfo;    /* the event being delivered when the exit happened */
	/* per-exit bookkeeping for --log hypercalls: the VMMCALL input awaiting its result */
	uint64_t hypercall_input[64];
	bool hypercall_pending[64];
	/* counters */
	uint64_t vmruns, vmexits, vmexit_invalid;
};

/* Pseudo-vector: cpu_fault(c, VEC_VMEXIT, 0) leaves the instruction for the #VMEXIT in
 * c->svm.exit_* (an intercept or a nested page fault found inside the instruction). */
#define VEC_VMEXIT 256

/* --log views (the teaching view) */
#define LOG_EXITS (1u << 0)
#define LOG_FLUSHES (1u << 1)
#define LOG_HYPERCALLS (1u << 2)

/* The memory fast path: a direct-mapped cache of host pointers by linear page, one per
 * access kind, in front of the modeled TLB (DESIGN.md "Speed by design"). Every entry
 * mirrors an entry of the modeled L1 TLB: it dies when that entry is refilled or
 * flushed (its generation changes), and a hit marks the model entry used. */
#define FTLB_SIZE 256
#define FTLB_EPOCH_MASK 0x7ffull /* tag bits 10:0: the epoch the entry was made in */
#define FTLB_CODE_PAGE 0x800ull  /* tag bit 11: the page holds decoded code (writes check) */
struct ftlb_entry {
	uint64_t tag;             /* linear page address | epoch (| FTLB_CODE_PAGE) */
	uint8_t *host;            /* host address of the 4 KiB page */
	struct tlb_entry *model;  /* the modeled L1 entry this mirrors */
	uint64_t *stamp;          /* the model's last-use stamp of that entry (LRU) */
	uint32_t gen;             /* model->gen when this entry was made */
};

#define ICACHE_SIZE (1u << 16)
#define CPU_MAX_CTX 16 /* contexts whose cycles and instructions are counted apart */

/* #VMEXIT reasons, grouped for the per-ASID counters (svm.c names them) */
enum { SVM_XC_CR, SVM_XC_EXCEPTION, SVM_XC_INTR, SVM_XC_CPUID, SVM_XC_HLT, SVM_XC_INVLPG,
       SVM_XC_IOIO, SVM_XC_MSR, SVM_XC_SHUTDOWN, SVM_XC_VMMCALL, SVM_XC_NPF, SVM_XC_OTHER,
       SVM_EXIT_CLASSES };
extern const char *const svm_exit_class_name[SVM_EXIT_CLASSES];
static inline unsigned cpu_ctx_slot(uint32_t asid)
{
	return asid < CPU_MAX_CTX ? asid : CPU_MAX_CTX;
}

/* Which 64-byte lines of a physical page hold decoded instructions (smc.c) */
struct code_page {
	uint64_t pfn_plus1; /* 0: empty slot */
	uint64_t lines;
};

struct cpu {
	uint64_t gpr[21];    /* 0-15: RAX..R15; 16-19 unused (AH..BH alias 0-3); 20: always 0 */
	uint64_t rip;
	uint64_t rip_next;   /* RIP of the next instruction while one executes */
	uint64_t rflags;     /* arithmetic bits valid only when lf.op == LF_NONE */
	struct lazy_flags lf;

	struct seg seg[SEG_COUNT];
	struct seg ldtr, tr;
	struct dtr gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux, pat;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip; /* kept for VMLOAD/VMSAVE only */
	uint8_t cpl;
	bool interrupt_shadow; /* after STI / MOV SS: no interrupt before the next instruction */

	/* counters (registered by cpu_register_counters) */
	uint64_t insns_retired;
	uint64_t cycles;
	uint64_t exceptions;
	uint64_t icache_hits, icache_misses, icache_invalidations;
	uint64_t ftlb_misses;
	uint64_t page_walks, walk_refs, walk_nested_refs, walk_cycles;
	uint64_t rep_iterations;

	/* cost per class, resolved from the parameter table */
	uint16_t cost[8];
	const struct params *params;

	struct physmem *pm;
	struct cpu_bus bus;

	struct ftlb_entry ftlb[3][FTLB_SIZE]; /* indexed by enum mmu_access */
	uint64_t ftlb_epoch;                  /* 1..FTLB_EPOCH_MASK; bumping it empties the fast path */
	uint64_t fast_hits[3];                /* L1 hits served by the fast path, by access, not yet
					       * added to the model's counters (cpu_sync_counters) */
	struct tlb tlb;                       /* the modeled TLB */
	uint32_t asid;                        /* the current TLB tag: 0 = host (SVM sets guests') */
	struct svm_state svm;
	uint64_t pf_addr;                     /* the linear address of the #PF being raised */
	unsigned log_mask;                    /* LOG_* */
	void *log_out;                        /* FILE * for the --log views */
	const char *(*hypercall_name)(uint16_t code); /* for --log hypercalls (sim/machine) */
	/* cycles and instructions by context (host = ASID 0; a guest by its ASID; ASIDs at or
	 * above CPU_MAX_CTX share the last slot) */
	uint64_t ctx_cycles[CPU_MAX_CTX + 1], ctx_insns[CPU_MAX_CTX + 1];
	uint64_t ctx_since_cycles, ctx_since_insns;
	uint64_t ctx_walk_refs[CPU_MAX_CTX + 1], ctx_walk_nested_refs[CPU_MAX_CTX + 1];
	uint64_t ctx_exits[CPU_MAX_CTX + 1][SVM_EXIT_CLASSES];
	uint64_t ctx_host_cycles[CPU_MAX_CTX + 1]; /* host cycles between this guest's #VMEXIT
						     * and the next VMRUN: the hypervisor's
						     * work on its behalf */
	uint64_t host_since_exit_cycles;
	uint32_t last_exit_asid;
	/* called at every VMMCALL exit (sim/machine counts hypercalls by code) */
	void (*on_hypercall)(void *ctx, uint32_t asid, uint64_t input_value);
	void *on_hypercall_ctx;
	bool check_tlb;                       /* --check-tlb: re-walk on every TLB hit */
	uint64_t code_page_la;                /* the page RIP was last fetched from (~0: none) */
	uint64_t code_page_pa;                /* ... and its physical address (in RAM) */
	struct insn *icache;                  /* ICACHE_SIZE entries, direct-mapped by pa */
	struct code_page *code_pages;         /* hash table, code_pages_cap slots */
	size_t code_pages_cap, code_pages_used;
	struct code_page *code_page_last;     /* the last one looked up */

	/* run control */
	jmp_buf fault_jmp;
	enum cpu_stop stop;
	int exit_status;         /* STOP_EXIT: the byte the guest wrote */
	uint64_t max_insns;      /* 0 = no limit */
	uint64_t max_cycles;
	bool trace_insns;        /* print each retired instruction (the teaching view) */
	void *trace_out;         /* FILE * for trace_insns */
	/* the exception being raised (cpu_fault) and the one being delivered */
	int raise_vector;
	uint32_t raise_error;
	int delivering;          /* vector whose delivery is in progress, or -1 */
	bool delivering_interrupt; /* ... and it is an interrupt, not an exception */
	int first_fault;         /* the exception that started the current chain */
	uint32_t first_fault_error;
	bool step_once;          /* cpu_step: stop after one instruction or event */
	bool step_faulted;
	uint64_t step_start;
	bool events_pending;     /* something may need attention between instructions */
	uint64_t insn_check_at;  /* limits: checked when insns_retired or cycles reach these */
	uint64_t cycle_check_at; /* min(--max-cycles, the next device event) */
	uint64_t halted_cycles;  /* counter: cycles spent in HLT waiting for an interrupt */
	uint64_t interrupts;     /* counter: external interrupts accepted */
	struct insn scratch;     /* decode buffer for instructions that are not cached */
	char stop_detail[320];   /* what stopped the run, where: for the one-line report */
	/* The watch (recording and replay, sim/machine/record.c): between instructions, once
	 * insns_retired reaches watch_at, watch_fn runs and sets the next watch_at. It rides
	 * on insn_check_at, so it costs nothing per instruction. */
	uint64_t watch_at;
	void (*watch_fn)(struct cpu *c, void *ctx);
	void *watch_ctx;
	const struct cpu_tracer *tracer; /* --trace hooks (cpu_event.h); NULL: off */
};

/* Creates the CPU in the boot protocol's reset state is the loader's job; cpu_init only
 * allocates and zeroes. Returns false if the host is out of memory. */
bool cpu_init(struct cpu *c, struct physmem *pm, const struct cpu_bus *bus,
	      const struct params *params);
/* Replaces the TLB model's configuration (before the run); false with one line in err. */
bool cpu_configure_tlb(struct cpu *c, const struct tlb_config *cfg, char *err, size_t errlen);
/* Adds what the fast path counted to the model's counters (before reading them). */
void cpu_sync_counters(struct cpu *c);
void cpu_free(struct cpu *c);
void cpu_register_counters(struct cpu *c, struct counter_registry *reg);

/* Runs until the guest stops, a limit is reached, or max_insns more instructions
 * retired. Returns the reason (also in c->stop). */
enum cpu_stop cpu_run(struct cpu *c);
/* Executes exactly one instruction (or delivers one exception); for tests. */
enum cpu_stop cpu_step(struct cpu *c);

void cpu_reschedule(struct cpu *c);

/* The run loop looks up from its fast path only when the instruction count reaches
 * insn_check_at or the cycle count cycle_check_at: setting insn_check_at to 0 makes it
 * look after the current instruction. */
static inline void cpu_kick(struct cpu *c)
{
	c->events_pending = true;
	c->insn_check_at = 0;
}

/* Asks the run loop to stop after the current instruction (devices call this). */
static inline void cpu_request_stop(struct cpu *c, enum cpu_stop why, int status)
{
	c->stop = why;
	c->exit_status = status;
	c->insn_check_at = 0;
}

/* Switches the TLB tag and the cycle/instruction attribution to context `asid`
 * (0 = host): VMRUN and #VMEXIT. */
void cpu_switch_context(struct cpu *c, uint32_t asid);

/* Flushes the memory fast path (CR3 write, INVLPG, CPL change, paging mode change). */
void cpu_flush_fast_path(struct cpu *c);

/* Full RFLAGS with the lazy arithmetic flags folded in. */
uint64_t cpu_get_rflags(struct cpu *c);
void cpu_set_rflags(struct cpu *c, uint64_t v);

/* Raises an exception from inside an instruction: never returns. */
_Noreturn void cpu_fault(struct cpu *c, int vector, uint32_t error_code);

/* HLT: sleeps until the next interrupt, one device event at a time (exception.c). */
enum halt_result { HALT_WOKEN, HALT_ASLEEP, HALT_FOREVER };
enum halt_result cpu_halt(struct cpu *c);

/* Prints the instruction about to retire (--trace-insns): disasm.c */
void cpu_trace_insn(struct cpu *c, const struct insn *i);
/* Formats one decoded instruction in Intel syntax; returns the length written. */
int disasm_format(const struct insn *i, uint64_t rip, char *out, unsigned outlen);

#endif
