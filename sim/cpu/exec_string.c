/* String instructions with REP/REPE/REPNE (SDM vol. 1 §7.3.9). Each iteration commits
 * RSI/RDI/RCX, so a fault in the middle leaves a restartable state, as on hardware.
 * Long forward MOVS/STOS runs are done a page at a time through the fast path. */
#include <string.h>

#include "insn_table.h"
#include "operand.h"

static inline uint64_t sreg(const struct cpu *c, unsigned r, unsigned asz)
{
	return asz == 8 ? c->gpr[r] : (uint32_t)c->gpr[r];
}

static inline void sreg_add(struct cpu *c, unsigned r, unsigned asz, int64_t d)
{
	if (asz == 8)
		c->gpr[r] += (uint64_t)d;
	else
		c->gpr[r] = (uint32_t)(c->gpr[r] + (uint64_t)d);
}

static inline int64_t step(const struct cpu *c, unsigned sz)
{
	return (c->rflags & FL_DF) ? -(int64_t)sz : (int64_t)sz;
}

static inline uint64_t src_la(const struct cpu *c, const struct insn *i)
{
	return seg_base(c, i->seg) + sreg(c, RSI, i->asz);
}

static inline uint64_t dst_la(const struct cpu *c, const struct insn *i)
{
	return sreg(c, RDI, i->asz); /* ES: no override, base 0 in 64-bit mode */
}

static void charge(struct cpu *c, uint64_t iterations)
{
	c->rep_iterations += iterations;
	c->cycles += iterations * c->params->v[PARAM_TIMING_STRING_ITER];
}

/* A REP instruction runs at most REP_CHUNK iterations at a time. Then, if RCX is not
 * yet 0, it stays the next instruction (not retired) and the run loop looks at its
 * limits, timers and interrupts before it goes on: as on hardware, a long REP is
 * interruptible, and every register it has committed makes the restart exact. */
#define REP_CHUNK 65536

static void rep_pause(struct cpu *c, const struct insn *i)
{
	c->rip_next = c->rip;
	c->insns_retired--;
	c->cycles -= i->cost_cycles;
}

/* How many whole elements of size sz fit before la's page ends */
static inline uint64_t room(uint64_t la, unsigned sz)
{
	return (PAGE_SIZE - (la & (PAGE_SIZE - 1))) / sz;
}

/* A forward run of MOVS or STOS inside one page on each side, through host pointers.
 * Returns the number of elements done (0: take the one-element path). */
static uint64_t bulk(struct cpu *c, const struct insn *i, bool movs, uint64_t count)
{
	unsigned sz = i->size[0];
	if ((c->rflags & FL_DF) || i->asz != 8)
		return 0;
	uint64_t d = dst_la(c, i), s = movs ? src_la(c, i) : 0;
	uint64_t n = room(d, sz);
	if (movs && room(s, sz) < n)
		n = room(s, sz);
	if (n > count)
		n = count;
	if (n < 2)
		return 0;
	uint8_t *dp = ftlb_hit(c, MMU_WRITE, d, (unsigned)(n * sz));
	if (!dp)
		return 0;
	c->fast_hits[MMU_WRITE] += n - 1; /* one TLB lookup per element, as the loop would */
	if (movs) {
		const uint8_t *sp = ftlb_hit(c, MMU_READ, s, (unsigned)(n * sz));
		if (!sp) {
			c->fast_hits[MMU_WRITE] -= n;
			return 0;
		}
		c->fast_hits[MMU_READ] += n - 1;
		if (dp > sp && dp < sp + n * sz) {
			/* overlapping forward copy replicates data: element by element, each
			 * element read whole before it is written (not byte by byte) */
			for (uint64_t k = 0; k < n; k++)
				store_le(dp + k * sz, sz, load_le(sp + k * sz, sz));
		} else {
			memmove(dp, sp, n * sz);
		}
		c->gpr[RSI] += n * sz;
	} else {
		uint64_t v = reg_read(c, RAX, sz);
		if (sz == 1) {
			memset(dp, (int)v, n);
		} else {
			for (uint64_t k = 0; k < n; k++)
				store_le(dp + k * sz, sz, v);
		}
	}
	c->gpr[RDI] += n * sz;
	return n;
}

static void movs_one(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t v = mem_read(c, src_la(c, i), sz);
	mem_write(c, dst_la(c, i), sz, v);
	sreg_add(c, RSI, i->asz, step(c, sz));
	sreg_add(c, RDI, i->asz, step(c, sz));
}

static void stos_one(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	mem_write(c, dst_la(c, i), sz, reg_read(c, RAX, sz));
	sreg_add(c, RDI, i->asz, step(c, sz));
}

static void bulk_rep(struct cpu *c, const struct insn *i, bool movs)
{
	if (!i->rep) {
		movs ? movs_one(c, i) : stos_one(c, i);
		return;
	}
	uint64_t done = 0;
	while (sreg(c, RCX, i->asz) != 0) {
		if (done >= REP_CHUNK) {
			rep_pause(c, i);
			break;
		}
		uint64_t left = sreg(c, RCX, i->asz);
		if (left > REP_CHUNK)
			left = REP_CHUNK;
		uint64_t n = bulk(c, i, movs, left);
		if (n == 0) {
			movs ? movs_one(c, i) : stos_one(c, i);
			n = 1;
		}
		sreg_add(c, RCX, i->asz, -(int64_t)n);
		done += n;
	}
	charge(c, done);
}

void h_movs(struct cpu *c, const struct insn *i) { bulk_rep(c, i, true); }
void h_stos(struct cpu *c, const struct insn *i) { bulk_rep(c, i, false); }

void h_lods(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t done = 0;
	do {
		if (i->rep && sreg(c, RCX, i->asz) == 0)
			break;
		if (done >= REP_CHUNK) {
			rep_pause(c, i);
			break;
		}
		reg_write(c, RAX, sz, mem_read(c, src_la(c, i), sz));
		sreg_add(c, RSI, i->asz, step(c, sz));
		if (i->rep)
			sreg_add(c, RCX, i->asz, -1);
		done++;
	} while (i->rep);
	if (i->rep)
		charge(c, done);
}

/* CMPS and SCAS: REPE stops when ZF becomes 0, REPNE when it becomes 1. */
static void compare_string(struct cpu *c, const struct insn *i, bool cmps)
{
	unsigned sz = i->size[0];
	uint64_t done = 0;
	for (;;) {
		if (i->rep && sreg(c, RCX, i->asz) == 0)
			break;
		if (done >= REP_CHUNK) {
			rep_pause(c, i);
			break;
		}
		uint64_t a = cmps ? mem_read(c, src_la(c, i), sz) : reg_read(c, RAX, sz);
		uint64_t b = mem_read(c, dst_la(c, i), sz);
		flags_lazy(c, LF_SUB, sz, a, b, a - b, 0);
		if (cmps)
			sreg_add(c, RSI, i->asz, step(c, sz));
		sreg_add(c, RDI, i->asz, step(c, sz));
		done++;
		if (!i->rep)
			break;
		sreg_add(c, RCX, i->asz, -1);
		bool zf = (a & size_mask(sz)) == (b & size_mask(sz));
		if ((i->rep == 0xF3 && !zf) || (i->rep == 0xF2 && zf))
			break;
	}
	if (i->rep)
		charge(c, done);
}

void h_cmps(struct cpu *c, const struct insn *i) { compare_string(c, i, true); }
void h_scas(struct cpu *c, const struct insn *i) { compare_string(c, i, false); }
