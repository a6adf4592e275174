/* The CPU's life cycle, the decoded-instruction cache and the run loop. */
#include "cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "exception.h"
#include "exec_templates.h"
#include "flags.h"
#include "insn_table.h"
#include "mem.h"
#include "smc.h"

bool cpu_init(struct cpu *c, struct physmem *pm, const struct cpu_bus *bus,
	      const struct params *params)
{
	memset(c, 0, sizeof *c);
	decode_init();
	c->icache = malloc(ICACHE_SIZE * sizeof *c->icache);
	if (!c->icache)
		return false;
	for (unsigned k = 0; k < ICACHE_SIZE; k++)
		c->icache[k].pa = ~0ull;
	c->pm = pm;
	c->bus = *bus;
	c->params = params;
	c->cost[CLS_SIMPLE] = (uint16_t)params->v[PARAM_TIMING_INSN_SIMPLE];
	c->cost[CLS_MUL] = (uint16_t)params->v[PARAM_TIMING_INSN_MUL];
	c->cost[CLS_DIV] = (uint16_t)params->v[PARAM_TIMING_INSN_DIV];
	c->cost[CLS_SERIAL] = (uint16_t)params->v[PARAM_TIMING_INSN_SERIALIZING];
	c->rflags = FL_FIXED1;
	c->lf.size = 8; /* flag getters compute a sign bit from it even when op is LF_NONE */
	c->delivering = -1;
	c->code_page_la = ~0ull;
	c->ftlb_epoch = 1;
	c->svm.gif = true;
	struct tlb_config tcfg;
	char err[160];
	tlb_config_defaults(&tcfg);
	if (!tlb_init(&c->tlb, &tcfg, err, sizeof err)) {
		free(c->icache);
		return false;
	}
	pm->code_write_hook = smc_write;
	pm->code_write_ctx = c;
	return true;
}

bool cpu_configure_tlb(struct cpu *c, const struct tlb_config *cfg, char *err, size_t errlen)
{
	struct tlb t;
	if (!tlb_init(&t, cfg, err, errlen))
		return false;
	tlb_free(&c->tlb);
	c->tlb = t;
	cpu_flush_fast_path(c);
	return true;
}


void cpu_switch_context(struct cpu *c, uint32_t asid)
{
	cpu_sync_counters(c);
	cpu_flush_fast_path(c);
	c->asid = asid;
}

void cpu_sync_counters(struct cpu *c)
{
	unsigned slot = cpu_ctx_slot(c->asid);
	c->ctx_cycles[slot] += c->cycles - c->ctx_since_cycles;
	c->ctx_insns[slot] += c->insns_retired - c->ctx_since_insns;
	c->ctx_since_cycles = c->cycles;
	c->ctx_since_insns = c->insns_retired;
	tlb_count_l1_hits(&c->tlb, c->asid, TLB_FETCH, c->fast_hits[MMU_EXEC]);
	tlb_count_l1_hits(&c->tlb, c->asid, TLB_DATA, c->fast_hits[MMU_READ] + c->fast_hits[MMU_WRITE]);
	c->fast_hits[MMU_EXEC] = c->fast_hits[MMU_READ] = c->fast_hits[MMU_WRITE] = 0;
}

void cpu_free(struct cpu *c)
{
	tlb_free(&c->tlb);
	free(c->icache);
	c->icache = NULL;
	smc_free(c);
}

void cpu_register_counters(struct cpu *c, struct counter_registry *reg)
{
	counter_register(reg, "cpu.insns_retired", "instructions retired", &c->insns_retired);
	counter_register(reg, "cpu.cycles", "simulated cycles", &c->cycles);
	counter_register(reg, "cpu.exceptions", "exceptions and interrupts delivered", &c->exceptions);
	counter_register(reg, "cpu.interrupts", "external interrupts accepted", &c->interrupts);
	counter_register(reg, "cpu.halted_cycles", "cycles spent halted, waiting for an interrupt", &c->halted_cycles);
	counter_register(reg, "cpu.rep_iterations", "iterations of REP string instructions", &c->rep_iterations);
	counter_register(reg, "cpu.icache.hits", "decoded-instruction cache hits", &c->icache_hits);
	counter_register(reg, "cpu.icache.misses", "decoded-instruction cache misses (instructions decoded)", &c->icache_misses);
	counter_register(reg, "cpu.icache.invalidations", "decoded instructions dropped because their page was written", &c->icache_invalidations);
	counter_register(reg, "cpu.fastpath.misses", "memory accesses that missed the host-pointer fast path", &c->ftlb_misses);
	for (unsigned k = 0; k <= CPU_MAX_CTX; k++) {
		char name[48], desc[96];
		const char *who = k == 0 ? "the host (ASID 0)" : "this guest ASID";
		if (k == CPU_MAX_CTX)
			snprintf(name, sizeof name, "cpu.asid.other.cycles");
		else
			snprintf(name, sizeof name, "cpu.asid.%u.cycles", k);
		snprintf(desc, sizeof desc, "cycles spent by %s", k == CPU_MAX_CTX ? "guest ASIDs >= 16" : who);
		counter_register(reg, name, desc, &c->ctx_cycles[k]);
		name[strlen(name) - strlen("cycles")] = 0;
		strcat(name, "insns");
		snprintf(desc, sizeof desc, "instructions retired by %s", k == CPU_MAX_CTX ? "guest ASIDs >= 16" : who);
		counter_register(reg, name, desc, &c->ctx_insns[k]);
		char id[8];
		if (k == CPU_MAX_CTX)
			snprintf(id, sizeof id, "other");
		else
			snprintf(id, sizeof id, "%u", k);
		snprintf(name, sizeof name, "mmu.asid.%s.walk_refs", id);
		counter_register(reg, name, "page-table references in the guest dimension", &c->ctx_walk_refs[k]);
		snprintf(name, sizeof name, "mmu.asid.%s.walk_nested_refs", id);
		counter_register(reg, name, "page-table references in the nested dimension", &c->ctx_walk_nested_refs[k]);
		if (k == 0)
			continue; /* the host has no exits */
		snprintf(name, sizeof name, "svm.asid.%s.host_cycles", id);
		counter_register(reg, name, "host cycles between this guest's #VMEXITs and the next VMRUN",
				 &c->ctx_host_cycles[k]);
		for (unsigned x = 0; x < SVM_EXIT_CLASSES; x++) {
			snprintf(name, sizeof name, "svm.asid.%s.exits.%s", id, svm_exit_class_name[x]);
			snprintf(desc, sizeof desc, "#VMEXITs of this guest: %s", svm_exit_class_name[x]);
			counter_register(reg, name, desc, &c->ctx_exits[k][x]);
		}
	}
	counter_register(reg, "svm.vmruns", "VMRUNs that entered a guest", &c->svm.vmruns);
	counter_register(reg, "svm.vmexits", "#VMEXITs", &c->svm.vmexits);
	counter_register(reg, "svm.vmexit_invalid", "VMRUNs that failed a consistency check (EXITCODE -1)", &c->svm.vmexit_invalid);
	counter_register(reg, "mmu.walks", "page walks", &c->page_walks);
	counter_register(reg, "mmu.walk_refs", "page-table references made by walks (guest dimension)", &c->walk_refs);
	counter_register(reg, "mmu.walk_nested_refs", "nested page-table references made by walks (nested dimension)", &c->walk_nested_refs);
	counter_register(reg, "mmu.walk_cycles", "cycles charged for page-walk references", &c->walk_cycles);
	counter_register(reg, "mmu.phys_oob_reads", "reads of physical addresses beyond RAM (all-ones)", &c->pm->oob_reads);
	counter_register(reg, "mmu.phys_oob_writes", "writes to physical addresses beyond RAM (ignored)", &c->pm->oob_writes);
	tlb_register_counters(&c->tlb, reg);
}

/* Empties the fast path by starting a new epoch (a memset only when the epochs wrap).
 * The model's entries are untouched: the fast path is untagged, the model is not. */
void cpu_flush_fast_path(struct cpu *c)
{
	cpu_sync_counters(c);
	if (++c->ftlb_epoch > FTLB_EPOCH_MASK) {
		memset(c->ftlb, 0, sizeof c->ftlb);
		c->ftlb_epoch = 1;
	}
	c->code_page_la = ~0ull;
}

uint64_t cpu_get_rflags(struct cpu *c)
{
	flags_materialize(c);
	return c->rflags;
}

void cpu_set_rflags(struct cpu *c, uint64_t v)
{
	c->lf.op = LF_NONE;
	c->rflags = (v & F_ALL) | FL_FIXED1;
}

_Noreturn void cpu_fault(struct cpu *c, int vector, uint32_t error_code)
{
	c->raise_vector = vector;
	c->raise_error = error_code;
	longjmp(c->fault_jmp, 1);
}

/* The gate of the rows the table marks privileged: PRIV_CPL0 needs CPL 0, PRIV_IOPL
 * needs CPL <= RFLAGS.IOPL (SDM vol. 3 §5.9, vol. 1 §18.2); else #GP(0). An SVM
 * instruction with EFER.SVME clear is #UD before that (APM vol. 2 §15.4). */
static void exec_privileged(struct cpu *c, const struct insn *i)
{
	const struct insn_row *row = &insn_table[i->row];
	unsigned limit = row->priv == PRIV_CPL0 ? 0 : (unsigned)((c->rflags & FL_IOPL) >> 12);
	if (c->cpl > limit) {
		if ((row->dflags & DF_SVM) && !(c->efer & EFER_SVME))
			cpu_fault(c, EXC_UD, 0);
		cpu_fault(c, EXC_GP, 0);
	}
	row->exec(c, i);
}

/* Decodes the instruction at RIP whose first byte is at physical address pa, host p. */
static struct insn *decode_at(struct cpu *c, uint64_t pa, const uint8_t *p)
{
	uint8_t buf[16];
	unsigned in_page = (unsigned)(PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
	unsigned n = in_page < 15 ? in_page : 15;
	memcpy(buf, p, n);
	struct insn *i = &c->icache[pa & (ICACHE_SIZE - 1)];
	enum decode_status st = decode_buf(buf, n, i);
	bool crosses = false;
	if (st == DEC_MORE) {
		/* the instruction continues on the next page: fetch it (this may fault) */
		uint64_t next_pa = mem_translate(c, (c->rip | (PAGE_SIZE - 1)) + 1, MMU_EXEC);
		for (unsigned k = n; k < 15; k++)
			buf[k] = (uint8_t)phys_read(c->pm, next_pa + (k - n), 1);
		i = &c->scratch;
		st = decode_buf(buf, 15, i);
		crosses = true;
	}
	if (st != DEC_OK) {
		/* decode_buf may have half-filled the slot: it must not match this address */
		i->pa = ~0ull;
		memcpy(c->scratch.bytes, buf, 15);
		cpu_fault(c, st == DEC_TOOLONG ? EXC_GP : EXC_UD, 0);
	}
	i->cost_cycles = c->cost[insn_table[i->row].cls];
	i->exec = exec_specialize(i);
	if (insn_table[i->row].priv != PRIV_ANY)
		i->exec = exec_privileged;
	c->icache_misses++;
	if (crosses) {
		i->pa = ~0ull;
		return i;
	}
	i->pa = pa;
	smc_mark(c, pa, i->len);
	return i;
}

/* RIP left the current code page: translate it through the fast path (or a walk). */
static uint64_t fetch_page(struct cpu *c)
{
	uint8_t *p = ftlb_hit(c, MMU_EXEC, c->rip, 1);
	uint64_t pa;
	if (likely(p != 0)) {
		pa = (uint64_t)(p - c->pm->host);
	} else {
		pa = mem_translate(c, c->rip, MMU_EXEC);
		if (!phys_in_ram(c->pm, pa, 1)) {
			/* executing beyond RAM: all-ones bytes, which decode as nothing valid */
			cpu_fault(c, EXC_UD, 0);
		}
	}
	c->code_page_la = c->rip & PAGE_MASK;
	c->code_page_pa = pa & PAGE_MASK;
	return pa;
}

/* The decoded instruction at RIP. Straight-line code and branches within the page skip
 * the fast-path lookup: one compare finds the physical address. */
static inline struct insn *fetch(struct cpu *c)
{
	uint64_t off = c->rip - c->code_page_la;
	uint64_t pa = likely(off < PAGE_SIZE) ? c->code_page_pa + off : fetch_page(c);
	struct insn *i = &c->icache[pa & (ICACHE_SIZE - 1)];
	if (likely(i->pa == pa)) {
		c->icache_hits++;
		return i;
	}
	return decode_at(c, pa, c->pm->host + pa);
}

/* The cycle at which the run loop must look up: the next device event or the limit. */

static void schedule_cycle_check(struct cpu *c)
{
	uint64_t at = c->max_cycles ? c->max_cycles : ~0ull;
	if (c->bus.next_event) {
		uint64_t ev = c->bus.next_event(c->bus.ctx);
		if (ev < at)
			at = ev;
	}
	c->cycle_check_at = at;
}

void cpu_reschedule(struct cpu *c)
{
	schedule_cycle_check(c);
}

/* Device events that are due */
static void time_events(struct cpu *c)
{
	if (c->bus.run_events && c->bus.next_event &&
	    c->bus.next_event(c->bus.ctx) <= c->cycles) {
		c->bus.run_events(c->bus.ctx, c->cycles);
		c->events_pending = true;
	}
	schedule_cycle_check(c);
}

static bool limits_reached(struct cpu *c)
{
	if (c->max_insns && c->insns_retired >= c->max_insns) {
		c->stop = STOP_INSN_LIMIT;
		snprintf(c->stop_detail, sizeof c->stop_detail,
			 "instruction limit (%llu) reached at RIP 0x%llx, cycle %llu",
			 (unsigned long long)c->max_insns, (unsigned long long)c->rip,
			 (unsigned long long)c->cycles);
		return true;
	}
	if (c->max_cycles && c->cycles >= c->max_cycles) {
		c->stop = STOP_CYCLE_LIMIT;
		snprintf(c->stop_detail, sizeof c->stop_detail,
			 "cycle limit (%llu) reached at RIP 0x%llx after %llu instructions",
			 (unsigned long long)c->max_cycles, (unsigned long long)c->rip,
			 (unsigned long long)c->insns_retired);
		return true;
	}
	return false;
}

/* Everything the fast loop does not look at: a stop request, single-stepping, device
 * events, limits, interrupts. Re-arms insn_check_at. True if the run ends. */
static bool between_instructions(struct cpu *c)
{
	c->insn_check_at = c->max_insns ? c->max_insns : ~0ull;
	if (unlikely(c->watch_fn != NULL)) {
		/* before the stop check: a digest at the count where the run ends is taken */
		if (c->insns_retired >= c->watch_at)
			c->watch_fn(c, c->watch_ctx);
		if (c->watch_at < c->insn_check_at)
			c->insn_check_at = c->watch_at;
	}
	if (c->stop != STOP_NONE)
		return true;
	if (c->cycles >= c->cycle_check_at)
		time_events(c);
	if (limits_reached(c))
		return true;
	if (c->events_pending && cpu_poll_events(c))
		return true;
	if (c->step_once && (c->step_faulted || c->insns_retired != c->step_start))
		return true;
	if (c->step_once || c->trace_insns)
		c->insn_check_at = 0; /* look again after the next instruction */
	return c->stop != STOP_NONE;
}

/* The fast loop: fetch, execute, retire. No setjmp here, so the compiler keeps the CPU
 * pointer in a register; faults leave through cpu_run's setjmp. */
static __attribute__((noinline)) enum cpu_stop run_loop(struct cpu *c)
{
	for (;;) {
		if (unlikely(c->insns_retired >= c->insn_check_at || c->cycles >= c->cycle_check_at) &&
		    between_instructions(c))
			return c->stop;
		struct insn *i = fetch(c);
		c->rip_next = c->rip + i->len;
		if (unlikely(c->trace_insns))
			cpu_trace_insn(c, i);
		i->exec(c, i);
		c->rip = c->rip_next;
		c->insns_retired++;
		c->cycles += i->cost_cycles;
	}
}

enum cpu_stop cpu_run(struct cpu *c)
{
	c->stop = STOP_NONE;
	c->step_start = c->insns_retired;
	c->step_faulted = false;
	if (setjmp(c->fault_jmp)) {
		/* an instruction (or a delivery) faulted: state is that before it */
		exception_raise(c, c->raise_vector, c->raise_error);
		c->step_faulted = true;
	}
	c->delivering = -1;
	schedule_cycle_check(c);
	cpu_kick(c);
	enum cpu_stop stop = run_loop(c);
	cpu_sync_counters(c);
	return stop;
}

enum cpu_stop cpu_step(struct cpu *c)
{
	c->step_once = true;
	enum cpu_stop s = cpu_run(c);
	c->step_once = false;
	return s;
}
