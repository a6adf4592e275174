/* Lazy arithmetic flags (DESIGN.md "Speed by design"). An instruction that sets flags
 * records (op, size, a, b, result); each flag is computed only when read. Instructions
 * whose flags are awkward to express lazily (shifts, multiplies, bit scans) set them
 * eagerly with flags_set_arith(). */
#ifndef HVSIM_CPU_FLAGS_H
#define HVSIM_CPU_FLAGS_H

#include "cpu.h"

static inline uint64_t size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static inline uint64_t sign_bit(unsigned size)
{
	return 1ull << (8 * size - 1);
}

static inline int64_t sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;
	return (int64_t)(v << shift) >> shift;
}

static inline void flags_lazy(struct cpu *c, enum lf_op op, unsigned size, uint64_t a,
			      uint64_t b, uint64_t res, unsigned carry_in)
{
	c->lf.op = op;
	c->lf.size = size;
	c->lf.a = a;
	c->lf.b = b;
	c->lf.res = res & size_mask(size);
	c->lf.carry_in = carry_in;
}

static inline bool flag_cf(const struct cpu *c)
{
	const struct lazy_flags *f = &c->lf;
	switch (f->op) {
	case LF_ADD: return f->res < f->a || (f->carry_in && f->res == f->a);
	case LF_SUB: return f->a < f->b || (f->carry_in && f->a == f->b);
	case LF_LOGIC: return false;
	case LF_INC:
	case LF_DEC: return f->cf_saved;
	default: return c->rflags & FL_CF;
	}
}

static inline bool flag_zf(const struct cpu *c)
{
	return c->lf.op == LF_NONE ? (c->rflags & FL_ZF) != 0 : c->lf.res == 0;
}

static inline bool flag_sf(const struct cpu *c)
{
	return c->lf.op == LF_NONE ? (c->rflags & FL_SF) != 0 : (c->lf.res & sign_bit(c->lf.size)) != 0;
}

static inline bool flag_pf(const struct cpu *c)
{
	return c->lf.op == LF_NONE ? (c->rflags & FL_PF) != 0 : !__builtin_parity((unsigned)(c->lf.res & 0xff));
}

static inline bool flag_of(const struct cpu *c)
{
	const struct lazy_flags *f = &c->lf;
	uint64_t sb = sign_bit(f->size);
	switch (f->op) {
	case LF_ADD: return ((f->a ^ f->res) & (f->b ^ f->res) & sb) != 0;
	case LF_SUB: return ((f->a ^ f->b) & (f->a ^ f->res) & sb) != 0;
	case LF_LOGIC: return false;
	case LF_INC: return f->res == sb;
	case LF_DEC: return f->res == sb - 1;
	default: return c->rflags & FL_OF;
	}
}

static inline bool flag_af(const struct cpu *c)
{
	const struct lazy_flags *f = &c->lf;
	switch (f->op) {
	case LF_ADD:
	case LF_SUB:
	case LF_INC:
	case LF_DEC: return ((f->a ^ f->b ^ f->res) & 0x10) != 0;
	case LF_LOGIC: return false;
	default: return c->rflags & FL_AF;
	}
}

/* Folds the lazy state into c->rflags. */
static inline void flags_materialize(struct cpu *c)
{
	if (c->lf.op == LF_NONE)
		return;
	uint64_t f = 0;
	f |= flag_cf(c) ? FL_CF : 0;
	f |= flag_pf(c) ? FL_PF : 0;
	f |= flag_af(c) ? FL_AF : 0;
	f |= flag_zf(c) ? FL_ZF : 0;
	f |= flag_sf(c) ? FL_SF : 0;
	f |= flag_of(c) ? FL_OF : 0;
	c->rflags = (c->rflags & ~FL_ARITH) | f;
	c->lf.op = LF_NONE;
}

/* Replaces the arithmetic flags in `mask` with those in `values`; the others keep their
 * current value. */
static inline void flags_set_arith(struct cpu *c, uint64_t mask, uint64_t values)
{
	flags_materialize(c);
	c->rflags = (c->rflags & ~mask) | (values & mask);
}

/* SF, ZF and PF of a result, as a flag word */
static inline uint64_t flags_szp(uint64_t res, unsigned size)
{
	res &= size_mask(size);
	uint64_t f = 0;
	if (res == 0)
		f |= FL_ZF;
	if (res & sign_bit(size))
		f |= FL_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= FL_PF;
	return f;
}

/* INC and DEC keep CF: remember it before recording the new operation. */
static inline void flags_lazy_incdec(struct cpu *c, enum lf_op op, unsigned size, uint64_t a,
				     uint64_t res)
{
	bool cf = flag_cf(c);
	flags_lazy(c, op, size, a, 1, res, 0);
	c->lf.cf_saved = cf;
}

/* Condition codes (Intel SDM vol. 1 appendix B): O NO B AE E NE BE A S NS P NP L GE LE G */
static inline bool cond_true(const struct cpu *c, unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0: r = flag_of(c); break;
	case 1: r = flag_cf(c); break;
	case 2: r = flag_zf(c); break;
	case 3: r = flag_cf(c) || flag_zf(c); break;
	case 4: r = flag_sf(c); break;
	case 5: r = flag_pf(c); break;
	case 6: r = flag_sf(c) != flag_of(c); break;
	default: r = flag_zf(c) || (flag_sf(c) != flag_of(c)); break;
	}
	return r ^ (cc & 1);
}

#endif
