/* Arithmetic, logic, shifts, rotates, multiply/divide and bit operations
 * (Intel SDM vol. 2 instruction pages; flag rules from each page's "Flags Affected"). */
#include "insn_table.h"
#include "exec_templates.h"
#include "operand.h"

void h_add(struct cpu *c, const struct insn *i) { add_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_or(struct cpu *c, const struct insn *i) { or_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_adc(struct cpu *c, const struct insn *i) { adc_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_sbb(struct cpu *c, const struct insn *i) { sbb_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_and(struct cpu *c, const struct insn *i) { and_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_sub(struct cpu *c, const struct insn *i) { sub_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_xor(struct cpu *c, const struct insn *i) { xor_t(c, i, i->kind[0], i->kind[1], i->size[0]); }
void h_cmp(struct cpu *c, const struct insn *i) { cmp_t(c, i, i->kind[0], i->kind[1], i->size[0]); }

void h_test(struct cpu *c, const struct insn *i)
{
	test_t(c, i, i->kind[0], i->kind[1], i->size[0]);
}

void h_inc(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t a = op_read(c, i, 0), res = (a + 1) & size_mask(sz);
	op_write(c, i, 0, res);
	flags_lazy_incdec(c, LF_INC, sz, a, res);
}

void h_dec(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t a = op_read(c, i, 0), res = (a - 1) & size_mask(sz);
	op_write(c, i, 0, res);
	flags_lazy_incdec(c, LF_DEC, sz, a, res);
}

void h_not(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 0, ~op_read(c, i, 0));
}

void h_neg(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t b = op_read(c, i, 0), res = (0 - b) & size_mask(sz);
	op_write(c, i, 0, res);
	flags_lazy(c, LF_SUB, sz, 0, b, res, 0);
}

/* ---- multiply and divide ---- */

/* Writes a double-width product or quotient/remainder pair to AL:AH, AX:DX, EAX:EDX or
 * RAX:RDX. */
static void write_pair(struct cpu *c, unsigned sz, uint64_t lo, uint64_t hi)
{
	if (sz == 1) {
		reg_write(c, RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
	} else {
		reg_write(c, RAX, sz, lo);
		reg_write(c, RDX, sz, hi);
	}
}

static uint64_t read_acc_hi(const struct cpu *c, unsigned sz)
{
	return sz == 1 ? reg_read(c, REG_AH, 1) : reg_read(c, RDX, sz);
}

/* MUL/IMUL leave SF, ZF, AF, PF undefined; hvsim derives them from the low half. */
static void mul_flags(struct cpu *c, unsigned sz, uint64_t lo, bool overflow)
{
	uint64_t f = flags_szp(lo, sz) | (overflow ? FL_CF | FL_OF : 0);
	flags_set_arith(c, FL_ARITH, f);
}

void h_mul(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz;
	unsigned __int128 p = (unsigned __int128)reg_read(c, RAX, sz) * op_read(c, i, 0);
	uint64_t lo = (uint64_t)p & size_mask(sz);
	uint64_t hi = (uint64_t)(p >> bits) & size_mask(sz);
	write_pair(c, sz, lo, hi);
	mul_flags(c, sz, lo, hi != 0);
}

void h_imul1(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz;
	__int128 p = (__int128)sign_extend(reg_read(c, RAX, sz), sz) *
		     sign_extend(op_read(c, i, 0), sz);
	uint64_t lo = (uint64_t)p & size_mask(sz);
	uint64_t hi = (uint64_t)(p >> bits) & size_mask(sz);
	write_pair(c, sz, lo, hi);
	mul_flags(c, sz, lo, p != (__int128)sign_extend(lo, sz));
}

/* IMUL r, r/m and IMUL r, r/m, imm: the product truncated to the operand size */
void h_imul(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	int64_t a, b;
	if (i->kind[2] != OPK_NONE) {
		a = sign_extend(op_read(c, i, 1), sz);
		b = sign_extend(op_read(c, i, 2), sz);
	} else {
		a = sign_extend(op_read(c, i, 0), sz);
		b = sign_extend(op_read(c, i, 1), sz);
	}
	__int128 p = (__int128)a * b;
	uint64_t lo = (uint64_t)p & size_mask(sz);
	op_write(c, i, 0, lo);
	mul_flags(c, sz, lo, p != (__int128)sign_extend(lo, sz));
}

void h_div(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz;
	uint64_t d = op_read(c, i, 0);
	if (d == 0)
		cpu_fault(c, EXC_DE, 0);
	unsigned __int128 n = sz == 1 ? reg_read(c, RAX, 2)
			      : ((unsigned __int128)read_acc_hi(c, sz) << bits) | reg_read(c, RAX, sz);
	unsigned __int128 q = n / d, r = n % d;
	if (q > size_mask(sz))
		cpu_fault(c, EXC_DE, 0);
	write_pair(c, sz, (uint64_t)q, (uint64_t)r);
}

void h_idiv(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz;
	int64_t d = sign_extend(op_read(c, i, 0), sz);
	if (d == 0)
		cpu_fault(c, EXC_DE, 0);
	__int128 n;
	if (sz == 1) {
		n = (int16_t)reg_read(c, RAX, 2);
	} else {
		unsigned __int128 u = ((unsigned __int128)read_acc_hi(c, sz) << bits) | reg_read(c, RAX, sz);
		/* sign-extend the 2*bits-wide dividend */
		unsigned shift = 128 - 2 * bits;
		n = (__int128)(u << shift) >> shift;
	}
	/* the one quotient that does not fit even in 128 bits */
	if (sz == 8 && d == -1 && n == (__int128)((unsigned __int128)1 << 127))
		cpu_fault(c, EXC_DE, 0);
	__int128 q = n / d, r = n % d;
	__int128 qmax = ((__int128)1 << (bits - 1)) - 1;
	if (q > qmax || q < -qmax - 1)
		cpu_fault(c, EXC_DE, 0);
	write_pair(c, sz, (uint64_t)q & size_mask(sz), (uint64_t)r & size_mask(sz));
}

/* ---- shifts and rotates ---- */

static unsigned shift_count(struct cpu *c, const struct insn *i, int n)
{
	/* the count is masked to 5 bits, 6 for 64-bit operands */
	return (unsigned)op_read(c, i, n) & (i->size[0] == 8 ? 63 : 31);
}

/* A masked count of 0 changes no flags and no bits, but a 32-bit register destination is
 * still written, so its upper half is cleared (SDM vol. 1 §3.4.1.1; AMD and Intel parts
 * agree, found by the differential tests). */
static void count_zero(struct cpu *c, const struct insn *i)
{
	if (i->kind[0] == OPK_REG && i->size[0] == 4)
		reg_write(c, i->reg[0], 4, reg_read(c, i->reg[0], 4));
}

void h_shl(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz, n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	uint64_t res = (a << n) & size_mask(sz);
	bool cf = n <= bits && ((a >> (bits - n)) & 1);
	op_write(c, i, 0, res);
	bool of = ((res & sign_bit(sz)) != 0) != cf;
	flags_set_arith(c, FL_ARITH, flags_szp(res, sz) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_shr(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	uint64_t res = a >> n;
	bool cf = (a >> (n - 1)) & 1;
	op_write(c, i, 0, res);
	bool of = (a & sign_bit(sz)) != 0;
	flags_set_arith(c, FL_ARITH, flags_szp(res, sz) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_sar(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], n = shift_count(c, i, 1);
	int64_t a = sign_extend(op_read(c, i, 0), sz);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	uint64_t res = (uint64_t)(a >> n) & size_mask(sz);
	bool cf = (a >> (n - 1)) & 1;
	op_write(c, i, 0, res);
	flags_set_arith(c, FL_ARITH, flags_szp(res, sz) | (cf ? FL_CF : 0));
}

static uint64_t rotl(uint64_t a, unsigned n, unsigned bits)
{
	uint64_t m = size_mask(bits / 8);
	n %= bits;
	return n ? ((a << n) | (a >> (bits - n))) & m : a;
}

void h_rol(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz, n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	uint64_t res = rotl(a, n, bits);
	op_write(c, i, 0, res);
	bool cf = res & 1, of = ((res & sign_bit(sz)) != 0) != cf;
	flags_set_arith(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_ror(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], bits = 8 * sz, n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	uint64_t res = rotl(a, bits - n % bits, bits);
	op_write(c, i, 0, res);
	bool cf = (res & sign_bit(sz)) != 0;
	bool of = cf != ((res & (sign_bit(sz) >> 1)) != 0);
	flags_set_arith(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_rcl(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0), m = size_mask(sz);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	if (sz < 4)
		n %= 8 * sz + 1;
	bool cf = flag_cf(c);
	for (unsigned k = 0; k < n; k++) {
		bool out = (a & sign_bit(sz)) != 0;
		a = ((a << 1) | cf) & m;
		cf = out;
	}
	op_write(c, i, 0, a);
	bool of = ((a & sign_bit(sz)) != 0) != cf;
	flags_set_arith(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_rcr(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0], n = shift_count(c, i, 1);
	uint64_t a = op_read(c, i, 0);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	if (sz < 4)
		n %= 8 * sz + 1;
	bool cf = flag_cf(c);
	bool of = ((a & sign_bit(sz)) != 0) != cf; /* before the rotation (SDM RCR) */
	for (unsigned k = 0; k < n; k++) {
		bool out = a & 1;
		a = (a >> 1) | (cf ? sign_bit(sz) : 0);
		cf = out;
	}
	op_write(c, i, 0, a);
	flags_set_arith(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

/* SHLD/SHRD: count masked like shifts; a 16-bit count above 16 gives an undefined
 * result (hvsim shifts through the 32-bit concatenation). */
static void double_shift(struct cpu *c, const struct insn *i, bool left)
{
	unsigned sz = i->size[0], bits = 8 * sz, n = shift_count(c, i, 2);
	uint64_t a = op_read(c, i, 0), b = op_read(c, i, 1), m = size_mask(sz);
	if (n == 0) {
		count_zero(c, i);
		return;
	}
	/* the bits shift through a window of 2 * bits; a 16-bit count above 16 extends the
	 * window to 48 bits by repeating the destination */
	unsigned __int128 cat;
	unsigned w = 2 * bits;
	uint64_t res;
	bool cf;
	if (left) {
		cat = ((unsigned __int128)a << bits) | b;
		if (sz == 2 && n > 16) {
			cat = ((unsigned __int128)a << 32) | (b << 16) | a;
			w = 48;
		}
		res = (uint64_t)((cat << n) >> (w - bits)) & m;
		cf = (uint64_t)(cat >> (w - n)) & 1;
	} else {
		cat = ((unsigned __int128)b << bits) | a;
		if (sz == 2 && n > 16)
			cat = ((unsigned __int128)a << 32) | (b << 16) | a;
		res = (uint64_t)(cat >> n) & m;
		cf = (uint64_t)(cat >> (n - 1)) & 1;
	}
	op_write(c, i, 0, res);
	bool of = ((a ^ res) & sign_bit(sz)) != 0;
	flags_set_arith(c, FL_ARITH, flags_szp(res, sz) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

void h_shld(struct cpu *c, const struct insn *i) { double_shift(c, i, true); }
void h_shrd(struct cpu *c, const struct insn *i) { double_shift(c, i, false); }

/* ---- bit test and scan ---- */

enum bt_op { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/* With a register bit offset and a memory operand the offset is signed and may reach
 * outside the operand (SDM BT: "bit base, bit offset"). */
static void bit_test(struct cpu *c, const struct insn *i, enum bt_op op)
{
	unsigned sz = i->size[0], bits = 8 * sz;
	uint64_t off = op_read(c, i, 1), v, mask;
	if (i->kind[0] == OPK_MEM && i->kind[1] == OPK_REG) {
		/* the word is offset >> log2(bits), rounded down (an arithmetic shift), and the
		 * address arithmetic wraps like the hardware's: nothing here can overflow */
		int64_t soff = sign_extend(off, sz);
		unsigned log2_bits = bits == 8 ? 3 : bits == 16 ? 4 : bits == 32 ? 5 : 6;
		int64_t word = soff >> log2_bits;
		uint64_t la = ea_linear(c, i) + (uint64_t)word * sz;
		unsigned bit = (unsigned)((uint64_t)soff & (bits - 1));
		v = mem_read(c, la, sz);
		mask = 1ull << bit;
		if (op != BT_TEST) {
			uint64_t nv = op == BT_SET ? v | mask : op == BT_RESET ? v & ~mask : v ^ mask;
			mem_write(c, la, sz, nv);
		}
	} else {
		mask = 1ull << (off & (bits - 1));
		v = op_read(c, i, 0);
		if (op != BT_TEST)
			op_write(c, i, 0, op == BT_SET ? v | mask : op == BT_RESET ? v & ~mask : v ^ mask);
	}
	flags_set_arith(c, FL_CF, (v & mask) ? FL_CF : 0);
}

void h_bt(struct cpu *c, const struct insn *i) { bit_test(c, i, BT_TEST); }
void h_bts(struct cpu *c, const struct insn *i) { bit_test(c, i, BT_SET); }
void h_btr(struct cpu *c, const struct insn *i) { bit_test(c, i, BT_RESET); }
void h_btc(struct cpu *c, const struct insn *i) { bit_test(c, i, BT_COMPLEMENT); }

/* BSF/BSR: a zero source sets ZF and leaves the destination unchanged (AMD APM vol. 3). */
void h_bsf(struct cpu *c, const struct insn *i)
{
	uint64_t v = op_read(c, i, 1);
	if (v == 0) {
		flags_set_arith(c, FL_ARITH, FL_ZF);
		return;
	}
	op_write(c, i, 0, (uint64_t)__builtin_ctzll(v));
	flags_set_arith(c, FL_ARITH, 0);
}

void h_bsr(struct cpu *c, const struct insn *i)
{
	uint64_t v = op_read(c, i, 1);
	if (v == 0) {
		flags_set_arith(c, FL_ARITH, FL_ZF);
		return;
	}
	op_write(c, i, 0, (uint64_t)(63 - __builtin_clzll(v)));
	flags_set_arith(c, FL_ARITH, 0);
}

void h_tzcnt(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t v = op_read(c, i, 1);
	uint64_t n = v ? (uint64_t)__builtin_ctzll(v) : 8 * sz;
	op_write(c, i, 0, n);
	flags_set_arith(c, FL_ARITH, (v == 0 ? FL_CF : 0) | (n == 0 ? FL_ZF : 0));
}

void h_lzcnt(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->size[0];
	uint64_t v = op_read(c, i, 1);
	uint64_t n = v ? (uint64_t)(__builtin_clzll(v) - (64 - 8 * (int)sz)) : 8 * sz;
	op_write(c, i, 0, n);
	flags_set_arith(c, FL_ARITH, (v == 0 ? FL_CF : 0) | (n == 0 ? FL_ZF : 0));
}

void h_popcnt(struct cpu *c, const struct insn *i)
{
	uint64_t v = op_read(c, i, 1);
	op_write(c, i, 0, (uint64_t)__builtin_popcountll(v));
	flags_set_arith(c, FL_ARITH, v == 0 ? FL_ZF : 0);
}
