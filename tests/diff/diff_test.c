/* Differential tests against the host CPU (DESIGN.md, tests/): every non-privileged
 * instruction form of insn_table runs on the host and on the simulated CPU from the same
 * registers, flags and memory; the registers, the memory and every flag the manuals
 * define must come out the same. The forms are read from the table itself, so a row added
 * to insn.def is tested without touching this file.
 *
 * The scratch memory that memory operands point into is mapped at the same address
 * natively and in the simulated machine's identity-mapped RAM, and the instruction bytes
 * sit at the same address on both sides, so absolute, RIP-relative and stack addresses
 * agree. Deterministic: the generator is seeded from the form's index.
 *
 * Flags and results the SDM leaves undefined are not compared; the rules that the
 * table's f_undef column cannot express are in defined_state(), each with its source.
 *
 * For hunting, the environment can change the run: HVSIM_DIFF_FILTER=mnemonic runs only
 * that mnemonic's forms, HVSIM_DIFF_CASES=n runs n cases per form, HVSIM_DIFF_LIST=1
 * prints every case, HVSIM_DIFF_STRICT=1 compares undefined flags and results too (to
 * see what the rules hide: on AMD, AF after shifts, OF after RCR, SF/ZF/AF/PF after
 * MUL and DIV, ...). */
#include <check.h>
#include <cpuid.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/cpu/cpu.h"
#include "sim/cpu/decode.h"
#include "sim/cpu/insn_table.h"

/* ---- the shared address space ---- */

#define SCRATCH_VA 0x10000000ull  /* memory operands, stacks, strings */
#define SCRATCH_BYTES 0x4000ull   /* four pages: accesses may cross page boundaries */
#define CODE_VA 0x10010000ull     /* the instruction under test */
#define RAM_BYTES 0x10100000ull   /* simulated RAM (sparse): covers both */
#define PT_PA 0x1000ull           /* simulated page tables: PML4, PDPT, PD */
#define WIN 512                   /* bytes compared around the memory operand */

#define CASES_PER_FORM 256
#define MAX_REPORTS 12

static struct {
	const char *filter;
	unsigned cases;
	bool list, strict;
} opt;

struct native_regs {
	uint64_t gpr[16];
	uint64_t rflags;
};

void native_exec(struct native_regs *r, const void *code);
extern const char native_return[];

/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static int64_t sext(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;
	return (int64_t)(v << shift) >> shift;
}

/* Edge values: zero, one, all-ones, the sign boundaries of every width, the nibble
 * boundary (AF), single bits. */
static uint64_t edge_value(unsigned size)
{
	uint64_t sb = 1ull << (8 * size - 1), v;
	switch (rnd_below(20)) {
	case 0: v = 0; break;
	case 1: v = 1; break;
	case 2: v = 2; break;
	case 3: v = ~0ull; break;
	case 4: v = ~1ull; break;
	case 5: v = sb; break;
	case 6: v = sb - 1; break;
	case 7: v = sb + 1; break;
	case 8: v = 0x7f; break;
	case 9: v = 0x80; break;
	case 10: v = 0xff; break;
	case 11: v = 0x0f; break;
	case 12: v = 0x10; break;
	case 13: v = 0x7fff; break;
	case 14: v = 0x8000; break;
	case 15: v = 0xffff; break;
	case 16: v = 0x7fffffff; break;
	case 17: v = 0x80000000; break;
	case 18: v = 0xffffffff; break;
	default: v = 1ull << rnd_below(8 * size); break;
	}
	return v & mask_of(size);
}

static uint64_t gen_value(unsigned size)
{
	uint64_t v;
	switch (rnd_below(8)) {
	case 0: case 1: case 2: v = edge_value(size); break;
	case 3: v = rnd_below(2) ? rnd_below(40) : -(uint64_t)rnd_below(40); break;
	case 4: v = 1ull << rnd_below(8 * size); if (rnd_below(2)) v = ~v; break;
	default: v = rnd(); break;
	}
	return v & mask_of(size);
}

/* A full register: random upper bits (so that merges of narrow writes are checked)
 * around an interesting low part. */
static uint64_t gen_reg64(void)
{
	unsigned size = 1u << rnd_below(4);
	uint64_t v = rnd();
	if (rnd_below(2))
		v = (v & ~mask_of(size)) | gen_value(size);
	if (rnd_below(8) == 0)
		v = gen_value(8);
	return v;
}

/* ---- forms and cases ---- */

enum { V_NONE, V_REG, V_MEM, V_STR, V_STR_REP, V_STR_REPNE };

struct form {
	uint16_t row;
	uint8_t cc;      /* DF_COND rows: the condition */
	uint8_t osz;     /* operand size in bytes */
	uint8_t variant; /* V_*: ModRM register or memory form, string prefix */
};

/* One operand as the generator encoded it */
struct opnd {
	uint8_t kind; /* OPK_* */
	uint8_t reg;  /* 0..15, or REG_AH.. for AH, CH, DH, BH */
	uint8_t size; /* bytes */
	uint64_t imm; /* immediate, extended as the instruction extends it */
};

struct tcase {
	uint8_t code[16];
	unsigned len;
	struct native_regs in;
	uint64_t target;   /* address of the memory operand */
	uint64_t win_va;   /* [win_va, win_va + WIN) is initialised and compared */
	uint8_t win[WIN];
	struct opnd op[3];
	bool expect_de;    /* DIV/IDIV whose quotient does not fit: #DE on both sides */
};

static bool is_E(unsigned d)
{
	return d == O_Eb || d == O_Ew || d == O_Ed || d == O_Ev || d == O_M;
}

static bool is_G(unsigned d)
{
	return d == O_Gb || d == O_Gw || d == O_Gv;
}

static bool is_string(const struct insn_row *row)
{
	return (row->dflags & DF_REP) != 0;
}

static bool is_stack(insn_exec_fn h)
{
	return h == h_push || h == h_pop || h == h_pushf || h == h_popf || h == h_leave;
}

/* Does the host implement the row? On a host without LZCNT or BMI1 the F3 forms run as
 * BSR/BSF, and LAHF/SAHF are optional in 64-bit mode (CPUID feature bits, SDM vol. 2). */
static bool host_has(insn_exec_fn h)
{
	unsigned a, b, c, d;
	if (h == h_popcnt)
		return __get_cpuid(1, &a, &b, &c, &d) && (c >> 23 & 1);
	if (h == h_lzcnt)
		return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c >> 5 & 1);
	if (h == h_lahf || h == h_sahf)
		return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & 1);
	if (h == h_tzcnt)
		return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 3 & 1);
	return true;
}

/* Rows the differential test leaves out, and why */
static bool row_skipped(const struct insn_row *row)
{
	insn_exec_fn h = row->exec;
	if (!host_has(h))
		return true; /* nothing to compare with */
	if (row->priv != PRIV_ANY)
		return true; /* CPL 0 / IOPL: the host runs the test at CPL 3 */
	if (row->dflags & (DF_BRANCH | DF_NO64))
		return true; /* control flow: the native side needs a fixed return point */
	if (h == h_nop)
		return true; /* NOP and hints: nothing to compare */
	if (row->cls == CLS_SERIAL)
		return true; /* system instructions (CPUID, MOV Sreg, SGDT, SLDT, ...): they read
			      * machine state that Linux user mode and the simulated machine do
			      * not share, and UMIP makes some of them fault on the host */
	if (h == h_rdtsc || h == h_rdtscp)
		return true; /* the simulated machine counts its own time */
	if (h == h_ud2)
		return true; /* #UD on both sides: nothing to compare */
	for (int k = 0; k < 3; k++)
		if (row->op[k] == O_Sw || row->op[k] == O_Cd || row->op[k] == O_Rq)
			return true; /* selectors and control registers differ by design */
	return false;
}

/* Does the operand size change what the row does? (Otherwise one size is enough.) */
static bool row_uses_osz(const struct insn_row *row)
{
	if (row->exec == h_cbw || row->exec == h_cwd || is_stack(row->exec) || is_string(row))
		return true;
	for (int k = 0; k < 3; k++) {
		unsigned d = row->op[k];
		if (d == O_Ev || d == O_Gv || d == O_Zv || d == O_rAX || d == O_eAX || d == O_Iz ||
		    d == O_Iv || d == O_Ibs || d == O_Ov || d == O_M || d == O_Xv || d == O_Yv)
			return true;
	}
	return false;
}

static unsigned enumerate_forms(struct form *out)
{
	unsigned n = 0;
	for (unsigned r = 0; r < insn_table_len; r++) {
		const struct insn_row *row = &insn_table[r];
		if (row_skipped(row))
			continue;
		uint8_t sizes[3];
		unsigned nsizes = 0;
		if (row->osz == OSZ_B) {
			sizes[nsizes++] = 1;
		} else if (row->osz == OSZ_D64) {
			sizes[nsizes++] = 2; /* 0x66 */
			sizes[nsizes++] = 8;
		} else if (row->osz == OSZ_V && row_uses_osz(row)) {
			/* BSWAP r16 is undefined (SDM BSWAP): not compared */
			if (row->exec != h_bswap)
				sizes[nsizes++] = 2;
			sizes[nsizes++] = 4;
			sizes[nsizes++] = 8;
		} else {
			sizes[nsizes++] = 4;
		}
		uint8_t variants[3];
		unsigned nvariants = 0;
		bool has_e = false, only_m = false;
		for (int k = 0; k < 3; k++) {
			has_e |= is_E(row->op[k]);
			only_m |= row->op[k] == O_M;
		}
		if (is_string(row)) {
			variants[nvariants++] = V_STR;
			variants[nvariants++] = V_STR_REP;
			if (row->f_write & FL_ZF)
				variants[nvariants++] = V_STR_REPNE; /* CMPS, SCAS */
		} else if (has_e) {
			if (!only_m)
				variants[nvariants++] = V_REG;
			variants[nvariants++] = V_MEM;
		} else {
			variants[nvariants++] = V_NONE;
		}
		unsigned ncc = row->dflags & DF_COND ? 16 : 1;
		for (unsigned cc = 0; cc < ncc; cc++)
			for (unsigned s = 0; s < nsizes; s++)
				for (unsigned v = 0; v < nvariants; v++) {
					if (out)
						out[n] = (struct form){ .row = (uint16_t)r, .cc = (uint8_t)cc,
									.osz = sizes[s], .variant = variants[v] };
					n++;
				}
	}
	return n;
}

static const char *const opnd_names[O_COUNT] = {
	[O_NONE] = "", [O_Eb] = "Eb", [O_Ew] = "Ew", [O_Ed] = "Ed", [O_Ev] = "Ev", [O_Gb] = "Gb",
	[O_Gw] = "Gw", [O_Gv] = "Gv", [O_M] = "M", [O_Ib] = "Ib", [O_Ibs] = "Ibs", [O_Iw] = "Iw",
	[O_Iz] = "Iz", [O_Iv] = "Iv", [O_Jb] = "Jb", [O_Jz] = "Jz", [O_Zb] = "Zb", [O_Zv] = "Zv",
	[O_AL] = "AL", [O_rAX] = "rAX", [O_eAX] = "eAX", [O_CL] = "CL", [O_DX] = "DX",
	[O_ONE] = "1", [O_Ob] = "Ob", [O_Ov] = "Ov", [O_Xb] = "Xb", [O_Xv] = "Xv", [O_Yb] = "Yb",
	[O_Yv] = "Yv", [O_Cd] = "Cd", [O_Rq] = "Rq", [O_Sw] = "Sw",
};

static const char *const cc_names[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
	"s", "ns", "p", "np", "l", "ge", "le", "g" };

static void form_name(const struct form *f, char *out, size_t len)
{
	const struct insn_row *row = &insn_table[f->row];
	static const char *const vnames[] = { "", " reg", " mem", "", " rep", " repne" };
	int n = snprintf(out, len, "%s%s", row->mnem, row->dflags & DF_COND ? cc_names[f->cc] : "");
	for (int k = 0; k < 3 && row->op[k] != O_NONE; k++)
		n += snprintf(out + n, len - (size_t)n, "%s%s", k ? "," : " ", opnd_names[row->op[k]]);
	snprintf(out + n, len - (size_t)n, " (%u-bit%s)", 8 * f->osz, vnames[f->variant]);
}

/* ---- register and memory helpers on the input state ---- */

static unsigned byte_reg(unsigned enc, bool rex)
{
	/* without REX, byte registers 4-7 are AH, CH, DH, BH (SDM vol. 1 §3.7.2.1) */
	return (!rex && enc >= 4 && enc < 8) ? REG_AH + enc - 4 : enc;
}

static uint64_t get_reg(const struct native_regs *s, unsigned reg, unsigned size)
{
	if (reg >= REG_AH)
		return (s->gpr[reg - REG_AH] >> 8) & 0xff;
	return s->gpr[reg] & mask_of(size);
}

static void set_reg(struct native_regs *s, unsigned reg, unsigned size, uint64_t v)
{
	if (reg >= REG_AH) {
		uint64_t *r = &s->gpr[reg - REG_AH];
		*r = (*r & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	uint64_t m = mask_of(size);
	s->gpr[reg] = (s->gpr[reg] & ~m) | (v & m);
}

static uint64_t win_get(const struct tcase *t, uint64_t va, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, t->win + (va - t->win_va), size);
	return v;
}

static void win_set(struct tcase *t, uint64_t va, unsigned size, uint64_t v)
{
	memcpy(t->win + (va - t->win_va), &v, size);
}

static uint64_t opnd_value(const struct tcase *t, int n)
{
	const struct opnd *o = &t->op[n];
	switch (o->kind) {
	case OPK_REG: return get_reg(&t->in, o->reg, o->size);
	case OPK_MEM: return win_get(t, t->target, o->size);
	default: return o->imm & mask_of(o->size);
	}
}

/* ---- the encoder ---- */

/* Addressing forms of a ModRM memory operand (SDM vol. 2 tables 2-2 and 2-3) */
enum {
	AM_BASE, AM_BASE_D8, AM_BASE_D32, /* [base], [base+d8], [base+d32] */
	AM_SIB, AM_SIB_D8, AM_SIB_D32,    /* [base+index*s(+d)] */
	AM_SIB_NOINDEX,                   /* SIB with index 100: [base(+d)] (how RSP/R12 are reached) */
	AM_NOBASE,                        /* [index*s+d32] */
	AM_ABS,                           /* [d32] through a SIB byte */
	AM_RIP,                           /* [rip+d32] */
	AM_COUNT
};

struct enc {
	bool rex;          /* emit a REX prefix */
	uint8_t stale_rex; /* a REX before the legacy prefixes, which ignores it (0: none) */
	uint8_t rex_bits;  /* W R X B */
	bool p66, p67, lock, pf3, pf2, seg_junk;
	uint8_t map, opcode;
	bool has_modrm;
	uint8_t modrm;
	bool has_sib;
	uint8_t sib;
	unsigned disp_size;
	int64_t disp;
	bool riprel;       /* disp is relative to the next instruction: patched last */
	unsigned imm_size;
	uint64_t imm;
};

static unsigned pick_reg(unsigned nregs, uint32_t avoid)
{
	for (;;) {
		unsigned r = rnd_below(nregs);
		if (!(avoid & (1u << r)))
			return r;
	}
}

/* Chooses the address of the memory operand and an addressing form reaching it; sets the
 * base and index registers in t->in. lea: no access, so base, index and displacement
 * are all random. */
static void gen_mem_operand(struct enc *e, struct tcase *t, unsigned nregs, uint32_t avoid,
			    unsigned regfield, bool lea)
{
	unsigned mode = rnd_below(AM_COUNT), scale = rnd_below(4), mod = 0;
	int base = -1, index = -1;
	bool asz4 = rnd_below(8) == 0;
	e->p67 = asz4;
	switch (mode) {
	case AM_BASE: case AM_BASE_D8: case AM_BASE_D32:
	case AM_SIB_NOINDEX:
		base = (int)pick_reg(nregs, avoid);
		mod = mode == AM_SIB_NOINDEX ? rnd_below(3) : mode - AM_BASE;
		break;
	case AM_SIB: case AM_SIB_D8: case AM_SIB_D32:
		base = (int)pick_reg(nregs, avoid);
		index = (int)pick_reg(nregs, avoid | (1u << RSP) | (1u << base));
		mod = mode - AM_SIB;
		break;
	case AM_NOBASE:
		index = (int)pick_reg(nregs, avoid | (1u << RSP));
		break;
	default:
		break;
	}
	/* mod 00 with base 101 means "no base": RBP and R13 need a displacement */
	if (base >= 0 && mod == 0 && (base & 7) == 5)
		mod = 1;
	e->has_modrm = true;
	bool sib = mode == AM_SIB || mode == AM_SIB_D8 || mode == AM_SIB_D32 ||
		   mode == AM_SIB_NOINDEX || mode == AM_NOBASE || mode == AM_ABS ||
		   (base >= 0 && (base & 7) == 4);
	unsigned rm;
	if (mode == AM_RIP) {
		rm = 5;
		e->disp_size = 4;
		e->riprel = !lea;
		if (nregs == 16 && rnd_below(2))
			e->rex_bits |= 1; /* REX.B does not turn RIP-relative into [r13] */
	} else if (sib) {
		rm = 4;
		unsigned sib_base = base >= 0 ? (unsigned)base & 7 : 5;
		unsigned sib_index = index >= 0 ? (unsigned)index & 7 : 4;
		e->has_sib = true;
		e->sib = (uint8_t)(scale << 6 | sib_index << 3 | sib_base);
		if (index >= 8)
			e->rex_bits |= 2;
		if (base >= 8)
			e->rex_bits |= 1;
		else if (base < 0 && nregs == 16 && rnd_below(2))
			e->rex_bits |= 1; /* no base whatever REX.B says */
		if (base < 0)
			e->disp_size = 4;
	} else {
		rm = (unsigned)base & 7;
		if (base >= 8)
			e->rex_bits |= 1;
	}
	if (mod == 1)
		e->disp_size = 1;
	else if (mod == 2)
		e->disp_size = 4;
	e->modrm = (uint8_t)(mod << 6 | (regfield & 7) << 3 | rm);

	uint64_t idxval = 0;
	if (index >= 0) {
		if (mode == AM_NOBASE && !asz4 && !lea)
			idxval = (uint64_t)((int64_t)rnd_below(0x20000) - 0x10000);
		else
			idxval = rnd_below(3) == 0 ? (uint64_t)((int64_t)rnd_below(64) - 32) : gen_reg64();
	}
	uint64_t scaled = idxval << scale;
	if (lea) {
		e->disp = e->disp_size == 1 ? (int8_t)rnd() : e->disp_size == 4 ? (int32_t)gen_value(4) : 0;
		if (base >= 0)
			t->in.gpr[base] = gen_reg64();
	} else if (mode == AM_RIP) {
		e->disp = 0; /* patched once the length is known */
	} else if (base < 0) {
		/* [index*s + d32] or [d32]: the displacement reaches the target */
		e->disp = asz4 ? (int32_t)(uint32_t)(t->target - scaled) : (int64_t)(t->target - scaled);
	} else {
		switch (e->disp_size) {
		case 1: e->disp = (int8_t)rnd(); break;
		case 4: e->disp = rnd_below(4) ? (int32_t)rnd() : (int32_t)(uint32_t)edge_value(4); break;
		default: e->disp = 0; break;
		}
		uint64_t b = t->target - (uint64_t)e->disp - scaled;
		if (asz4) /* only the low 32 bits take part in a 32-bit address */
			b = (uint32_t)b | (rnd() & 0xffffffff00000000ull);
		t->in.gpr[base] = b;
	}
	if (index >= 0)
		t->in.gpr[index] = idxval;
}

static unsigned assemble(const struct enc *e, const struct tcase *t, uint8_t *out)
{
	uint8_t pfx[6];
	unsigned np = 0, n = 0;
	if (e->seg_junk)
		pfx[np++] = "\x26\x2e\x36\x3e"[rnd_below(4)]; /* null segments in 64-bit mode */
	if (e->p66)
		pfx[np++] = 0x66;
	if (e->pf3)
		pfx[np++] = 0xF3;
	if (e->pf2)
		pfx[np++] = 0xF2;
	if (e->lock)
		pfx[np++] = 0xF0;
	if (e->p67)
		pfx[np++] = 0x67;
	/* legacy prefixes may come in any order */
	for (unsigned k = np; k > 1; k--) {
		unsigned j = rnd_below(k);
		uint8_t x = pfx[k - 1];
		pfx[k - 1] = pfx[j];
		pfx[j] = x;
	}
	if (np && e->stale_rex)
		out[n++] = e->stale_rex;
	memcpy(out + n, pfx, np);
	n += np;
	if (e->rex)
		out[n++] = (uint8_t)(0x40 | e->rex_bits);
	if (e->map != MAP_1B)
		out[n++] = 0x0F;
	if (e->map == MAP_0F38)
		out[n++] = 0x38;
	if (e->map == MAP_0F3A)
		out[n++] = 0x3A;
	out[n++] = e->opcode;
	if (e->has_modrm)
		out[n++] = e->modrm;
	if (e->has_sib)
		out[n++] = e->sib;
	unsigned disp_at = n;
	memcpy(out + n, &e->disp, e->disp_size);
	n += e->disp_size;
	memcpy(out + n, &e->imm, e->imm_size);
	n += e->imm_size;
	if (e->riprel) {
		int32_t d = (int32_t)(t->target - (CODE_VA + n));
		memcpy(out + disp_at, &d, 4);
	}
	return n;
}

/* The masked shift/rotate count (SDM SAL/SAR/SHL/SHR: 5 bits, 6 with REX.W) */
static unsigned shift_count(const struct form *f, const struct tcase *t)
{
	const struct insn_row *row = &insn_table[f->row];
	int n = row->op[2] != O_NONE ? 2 : 1;
	return (unsigned)opnd_value(t, n) & (t->op[0].size == 8 ? 63 : 31);
}

/* String instructions: RSI and RDI in the window, a count of 0..16 elements, either
 * direction; CMPS and SCAS get runs of equal elements so that REPE/REPNE stop anywhere. */
static void gen_string(const struct form *f, unsigned k, struct tcase *t, struct enc *e)
{
	const struct insn_row *row = &insn_table[f->row];
	insn_exec_fn h = row->exec;
	unsigned sz = t->op[0].size ? t->op[0].size : t->op[1].size;
	bool rep = f->variant != V_STR;
	e->pf3 = f->variant == V_STR_REP;
	e->pf2 = f->variant == V_STR_REPNE;
	e->p67 = rnd_below(8) == 0;
	uint64_t upper = e->p67 ? rnd() & 0xffffffff00000000ull : 0; /* ignored with 0x67 */
	unsigned n = rep ? rnd_below(17) : 1;
	if (rep && k < 4)
		n = k; /* small counts, zero included, in every form */
	uint64_t src = t->target - 120 + rnd_below(233), dst = t->target - 120 + rnd_below(233);
	t->in.gpr[RSI] = src | upper;
	t->in.gpr[RDI] = dst | (e->p67 ? rnd() & 0xffffffff00000000ull : 0);
	if (rep)
		t->in.gpr[RCX] = n | (e->p67 ? rnd() & 0xffffffff00000000ull : 0);
	int64_t step = (t->in.rflags & FL_DF) ? -(int64_t)sz : (int64_t)sz;
	uint64_t acc = get_reg(&t->in, RAX, sz);
	for (unsigned j = 0; j < n; j++) {
		uint64_t s = src + (uint64_t)(step * j), d = dst + (uint64_t)(step * j);
		if (h == h_cmps && f->variant != V_STR_REPNE)
			win_set(t, d, sz, win_get(t, s, sz)); /* REPE: equal runs */
		else if (h == h_scas && f->variant != V_STR_REPNE)
			win_set(t, d, sz, acc);
	}
	if ((h == h_cmps || h == h_scas) && n && rnd_below(4)) {
		/* one element that ends the run: different for REPE, equal for REPNE */
		unsigned j = rnd_below(n);
		uint64_t s = src + (uint64_t)(step * j), d = dst + (uint64_t)(step * j);
		uint64_t v = h == h_cmps ? win_get(t, s, sz) : acc;
		if (f->variant == V_STR_REPNE)
			win_set(t, d, sz, v);
		else
			win_set(t, d, sz, v ^ (1ull << rnd_below(8 * sz)));
	}
}

static void gen_case(const struct form *f, unsigned k, struct tcase *t)
{
	const struct insn_row *row = &insn_table[f->row];
	insn_exec_fn h = row->exec;
	unsigned osz = f->osz;
	struct enc e = { .map = row->map };
	memset(t, 0, sizeof *t);

	bool need_w = (row->osz == OSZ_V && osz == 8);
	e.rex = need_w || rnd_below(2);
	e.rex_bits = need_w ? 8 : 0;
	if (row->osz == OSZ_D64 && osz == 8 && e.rex && rnd_below(2))
		e.rex_bits = 8; /* PUSH/POP: REX.W changes nothing */
	bool size_free = row->osz == OSZ_B || !row_uses_osz(row);
	if (size_free && e.rex && rnd_below(4) == 0)
		e.rex_bits = 8; /* byte forms and LAHF, CLC, ...: REX.W changes nothing */
	unsigned nregs = e.rex ? 16 : 8;
	e.p66 = osz == 2 && row->osz != OSZ_B;
	bool junk66 = false;
	if ((e.rex_bits & 8) && rnd_below(8) == 0)
		junk66 = true; /* REX.W wins over 0x66 (SDM vol. 2 §2.2.1.2) */
	if (size_free && rnd_below(16) == 0)
		junk66 = true; /* ignored where the operand size does not matter */
	e.p66 |= junk66;
	e.pf3 = row->pfx == PFX_F3;
	e.pf2 = row->pfx == PFX_F2;
	e.seg_junk = rnd_below(16) == 0;
	if (rnd_below(16) == 0)
		e.stale_rex = (uint8_t)(0x40 | rnd_below(16)); /* SDM vol. 2 §2.2.1: REX must
								 * precede the opcode; elsewhere ignored */
	e.opcode = row->opcode;
	if (row->dflags & DF_COND)
		e.opcode = (uint8_t)(row->opcode + f->cc);

	for (int r = 0; r < 16; r++)
		t->in.gpr[r] = gen_reg64();
	t->in.rflags = 0x202 | (rnd() & (FL_ARITH | FL_DF));
	for (unsigned b = 0; b < WIN; b += 8) {
		uint64_t v = rnd();
		memcpy(t->win + b, &v, 8);
	}

	/* the memory operand's address: anywhere in the middle pages, often straddling a
	 * page boundary; locked accesses naturally aligned (no split locks) */
	uint64_t off = 0x800 + rnd_below(0x2800);
	if (rnd_below(4) == 0)
		off = 0x1000 * (1 + rnd_below(3)) - 8 + rnd_below(12);
	t->target = SCRATCH_VA + off;

	/* registers named by the encoding */
	bool has_g = false;
	for (int n = 0; n < 3; n++)
		has_g |= is_G(row->op[n]);
	unsigned g = pick_reg(nregs, 0);
	unsigned rm = pick_reg(nregs, 0);
	unsigned z = pick_reg(nregs, 0);
	unsigned regfield = row->ext >= 0 ? (unsigned)row->ext : has_g ? g : rnd_below(8);
	if (has_g && g >= 8)
		e.rex_bits |= 4;

	/* registers an address must not live in, because the test sets them later */
	uint32_t avoid = 0;
	for (int n = 0; n < 3; n++)
		if (row->op[n] == O_CL)
			avoid |= 1u << RCX;
	if (h == h_div || h == h_idiv)
		avoid |= 1u << RAX | 1u << RDX;
	if (h == h_cmpxchg)
		avoid |= 1u << RAX;
	bool bt_reg_mem = (h == h_bt || h == h_bts || h == h_btr || h == h_btc) && has_g &&
			  f->variant == V_MEM;
	if (has_g && (bt_reg_mem || rnd_below(4)))
		avoid |= 1u << g;

	if (is_stack(h))
		avoid |= 1u << RSP; /* the stack pointer is set below */

	bool locked = h == h_xchg && f->variant == V_MEM;
	if ((row->dflags & DF_LOCK) && f->variant == V_MEM && rnd_below(4) == 0)
		e.lock = locked = true;

	for (int n = 0; n < 3; n++) {
		unsigned d = row->op[n];
		struct opnd *o = &t->op[n];
		switch (d) {
		case O_NONE:
			break;
		case O_Eb: case O_Ew: case O_Ed: case O_Ev: case O_M:
			o->size = (uint8_t)(d == O_Eb ? 1 : d == O_Ew ? 2 : d == O_Ed ? 4 : osz);
			if (f->variant == V_REG) {
				o->kind = OPK_REG;
				o->reg = (uint8_t)(d == O_Eb ? byte_reg(rm, e.rex) : rm);
				e.has_modrm = true;
				e.modrm = (uint8_t)(0xC0 | (regfield & 7) << 3 | (rm & 7));
				if (rm >= 8)
					e.rex_bits |= 1;
			} else {
				o->kind = OPK_MEM;
			}
			break;
		case O_Gb: case O_Gw: case O_Gv:
			o->kind = OPK_REG;
			o->size = (uint8_t)(d == O_Gb ? 1 : d == O_Gw ? 2 : osz);
			o->reg = (uint8_t)(d == O_Gb ? byte_reg(g, e.rex) : g);
			break;
		case O_Zb: case O_Zv:
			o->kind = OPK_REG;
			o->size = (uint8_t)(d == O_Zb ? 1 : osz);
			o->reg = (uint8_t)(d == O_Zb ? byte_reg(z, e.rex) : z);
			e.opcode = (uint8_t)(row->opcode + (z & 7));
			if (z >= 8)
				e.rex_bits |= 1;
			break;
		case O_AL: o->kind = OPK_REG; o->size = 1; o->reg = RAX; break;
		case O_rAX: case O_eAX: o->kind = OPK_REG; o->size = (uint8_t)osz; o->reg = RAX; break;
		case O_CL: o->kind = OPK_REG; o->size = 1; o->reg = RCX; break;
		case O_DX: o->kind = OPK_REG; o->size = 2; o->reg = RDX; break;
		case O_ONE: o->kind = OPK_IMM; o->size = 1; o->imm = 1; break;
		case O_Ib:
			o->kind = OPK_IMM; o->size = 1;
			o->imm = gen_value(1);
			e.imm_size = 1; e.imm = o->imm;
			break;
		case O_Ibs:
			o->kind = OPK_IMM; o->size = (uint8_t)osz;
			e.imm_size = 1; e.imm = gen_value(1);
			o->imm = (uint64_t)sext(e.imm, 1) & mask_of(osz);
			break;
		case O_Iw:
			o->kind = OPK_IMM; o->size = 2;
			o->imm = gen_value(2);
			e.imm_size = 2; e.imm = o->imm;
			break;
		case O_Iz:
			o->kind = OPK_IMM; o->size = (uint8_t)osz;
			e.imm_size = osz == 2 ? 2 : 4;
			e.imm = gen_value(e.imm_size);
			o->imm = (uint64_t)sext(e.imm, e.imm_size) & mask_of(osz);
			break;
		case O_Iv:
			o->kind = OPK_IMM; o->size = (uint8_t)osz;
			o->imm = gen_value(osz);
			e.imm_size = osz; e.imm = o->imm;
			break;
		case O_Xb: case O_Xv: case O_Yb: case O_Yv:
			/* string operands: [rSI] and [rDI], set below */
			o->size = (uint8_t)(d == O_Xb || d == O_Yb ? 1 : osz);
			break;
		case O_Ob: case O_Ov:
			/* moffs: the absolute address takes the immediate's place */
			o->kind = OPK_MEM;
			o->size = (uint8_t)(d == O_Ob ? 1 : osz);
			e.p67 = rnd_below(8) == 0;
			e.imm_size = e.p67 ? 4 : 8;
			break;
		default:
			ck_abort_msg("operand %s of %s: the test cannot encode it", opnd_names[d], row->mnem);
		}
	}
	if (locked)
		t->target &= ~(uint64_t)(t->op[0].size - 1);
	t->win_va = t->target - WIN / 2;
	for (int n = 0; n < 3; n++)
		if (row->op[n] == O_Ob || row->op[n] == O_Ov)
			e.imm = t->target;

	/* operand values: the registers and the memory operand */
	for (int n = 0; n < 3; n++) {
		struct opnd *o = &t->op[n];
		if (o->kind == OPK_REG)
			set_reg(&t->in, o->reg, o->size, gen_value(o->size));
		else if (o->kind == OPK_MEM && row->op[n] != O_M)
			win_set(t, t->target, o->size, gen_value(o->size));
	}
	if (f->variant == V_MEM)
		gen_mem_operand(&e, t, nregs, avoid, regfield, h == h_lea);

	/* shifts and rotates: every count byte once per form (Ib and CL), both carries */
	if (row->dflags & DF_SHIFT_OF) {
		int n = row->op[2] != O_NONE ? 2 : 1;
		uint64_t count = k & 0xff;
		/* SHLD/SHRD r/m16 with a count above 16: result undefined (SDM SHLD); take the
		 * count modulo 17 instead */
		if ((h == h_shld || h == h_shrd) && osz == 2 && (count & 31) > 16)
			count = (count & ~31ull) | ((count & 31) % 17);
		if (t->op[n].kind == OPK_IMM && row->op[n] == O_Ib) {
			t->op[n].imm = count;
			e.imm = count;
		} else if (row->op[n] == O_CL) {
			set_reg(&t->in, RCX, 1, count);
		}
		t->in.rflags = (t->in.rflags & ~FL_CF) | ((k >> 6) & 1);
	}
	if (h == h_adc || h == h_sbb)
		t->in.rflags = (t->in.rflags & ~FL_CF) | (k & 1);
	/* BT with a memory operand and a register offset reaches outside the operand: keep it
	 * within the window */
	if (is_string(row))
		gen_string(f, k, t, &e);
	if (is_stack(h)) {
		/* the stack lies in the window: at the target, or beside a memory operand */
		uint64_t sp = f->variant == V_MEM ? t->target + 16 + rnd_below(160) : t->target;
		if (h == h_leave)
			t->in.gpr[RBP] = sp;
		else
			t->in.gpr[RSP] = sp;
		/* POPF: only the arithmetic flags and DF; TF would trap and AC check alignment
		 * on the host, IF and IOPL are not the user's to change there */
		if (h == h_popf)
			win_set(t, sp, osz, 0x202 | (rnd() & (FL_ARITH | FL_DF)));
	}
	if (bt_reg_mem)
		set_reg(&t->in, g, osz, (uint64_t)((int64_t)rnd_below(512) - 256));
	/* CMPXCHG: half the cases compare equal */
	if (h == h_cmpxchg && rnd_below(2))
		set_reg(&t->in, RAX, t->op[0].size, opnd_value(t, 0));
	/* DIV/IDIV: mostly quotients that fit; the rest must raise #DE */
	if (h == h_div || h == h_idiv) {
		unsigned sz = t->op[0].size;
		const struct opnd *o = &t->op[0];
		bool divisor_in_acc = o->kind == OPK_REG &&
				      (o->reg == RAX || o->reg == RDX || o->reg == REG_AH);
		uint64_t d = opnd_value(t, 0);
		if (!divisor_in_acc && d != 0 && rnd_below(4)) {
			if (h == h_div) {
				if (sz == 1)
					set_reg(&t->in, REG_AH, 1, rnd() % d);
				else
					set_reg(&t->in, RDX, sz, rnd() % d);
			} else {
				bool neg = get_reg(&t->in, RAX, sz) >> (8 * sz - 1) & 1;
				if (sz == 1)
					set_reg(&t->in, REG_AH, 1, neg ? 0xff : 0);
				else
					set_reg(&t->in, RDX, sz, neg ? ~0ull : 0);
			}
		}
		/* the prediction: does the quotient fit? (SDM DIV/IDIV) */
		d = opnd_value(t, 0);
		unsigned bits = 8 * sz;
		unsigned __int128 hi = sz == 1 ? get_reg(&t->in, REG_AH, 1) : get_reg(&t->in, RDX, sz);
		unsigned __int128 lo = get_reg(&t->in, RAX, sz);
		unsigned __int128 n = hi << bits | lo;
		if (d == 0) {
			t->expect_de = true;
		} else if (h == h_div) {
			t->expect_de = n / d > mask_of(sz);
		} else {
			/* |quotient| fits in bits-1 bits; compare magnitudes to avoid overflow */
			bool nneg = (hi >> (bits - 1)) & 1, dneg = (d >> (bits - 1)) & 1;
			unsigned __int128 full = bits == 64 ? ~(unsigned __int128)0 : ((unsigned __int128)1 << (2 * bits)) - 1;
			unsigned __int128 nmag = nneg ? (~n + 1) & full : n;
			uint64_t dmag = dneg ? (~d + 1) & mask_of(sz) : d;
			unsigned __int128 q = nmag / dmag;
			unsigned __int128 limit = (unsigned __int128)1 << (bits - 1);
			t->expect_de = (nneg != dneg) ? q > limit : q >= limit;
		}
	}
	/* at most 15 bytes (SDM vol. 2 §2.3.11): drop the prefixes that change nothing */
	t->len = assemble(&e, t, t->code);
	if (t->len > 15) {
		e.seg_junk = false;
		e.stale_rex = 0;
		if (junk66)
			e.p66 = false;
		t->len = assemble(&e, t, t->code);
	}
	ck_assert_msg(t->len <= 15, "%s: the test built a %u-byte instruction", row->mnem, t->len);
}

/* ---- what the manuals define ---- */

struct expect {
	uint64_t flags;     /* RFLAGS bits compared */
	uint32_t skip_regs; /* registers whose value is undefined */
};

static struct expect defined_state(const struct form *f, const struct tcase *t)
{
	const struct insn_row *row = &insn_table[f->row];
	insn_exec_fn h = row->exec;
	struct expect x = { .flags = FL_ARITH | FL_DF };
	uint64_t undef = row->f_undef;
	if (row->dflags & DF_SHIFT_OF) {
		unsigned count = shift_count(f, t), width = 8 * t->op[0].size;
		if (count == 0) {
			/* SDM SAL/SAR/SHL/SHR, ROL/ROR/RCL/RCR, SHLD/SHRD: "If the count is 0, the
			 * flags are not affected" */
			undef = 0;
		} else {
			/* OF is defined only for 1-bit shifts and rotates (SDM, same pages) */
			if (count != 1)
				undef |= FL_OF;
			/* SDM SAL/SAR/SHL/SHR: "CF is undefined for SHL and SHR instructions where
			 * the count is greater than or equal to the size (in bits) of the
			 * destination operand" */
			if ((h == h_shl || h == h_shr) && count >= width)
				undef |= FL_CF;
		}
	}
	/* SDM BSF/BSR: "If the content of the source operand is 0, the content of the
	 * destination operand is undefined" */
	if ((h == h_bsf || h == h_bsr) && opnd_value(t, 1) == 0)
		x.skip_regs |= 1u << t->op[0].reg;
	if (opt.strict) {
		undef = 0;
		x.skip_regs = 0;
	}
	x.flags &= ~undef;
	return x;
}

/* ---- the two machines ---- */

static struct physmem pm;
static struct cpu cpu;
static struct params params;
static uint8_t *native_scratch, *native_code;

static void *map_fixed(uint64_t va, uint64_t bytes, int prot)
{
	void *p = mmap((void *)va, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	ck_assert_msg(p == (void *)va,
		      "cannot map %llu bytes at 0x%llx for the native side (%s); another mapping is "
		      "there or the kernel ignores MAP_FIXED_NOREPLACE",
		      (unsigned long long)bytes, (unsigned long long)va,
		      p == MAP_FAILED ? "mmap failed" : "mapped elsewhere");
	return p;
}

static void write_phys64(uint64_t pa, uint64_t v)
{
	phys_write(&pm, pa, 8, v);
}

/* The simulated machine: long mode, CPL 0, RAM identity-mapped with 2 MiB pages (the
 * boot protocol's state, DESIGN.md), no IDT, so any exception ends in a triple fault that
 * names it. */
static void machine_setup(void)
{
	ck_assert_msg(physmem_init(&pm, RAM_BYTES), "cannot reserve %llu bytes of simulated RAM",
		      (unsigned long long)RAM_BYTES);
	params_defaults(&params);
	struct cpu_bus bus = { 0 };
	ck_assert_msg(cpu_init(&cpu, &pm, &bus, &params), "cpu_init failed");
	uint64_t pml4 = PT_PA, pdpt = PT_PA + 0x1000, pd = PT_PA + 0x2000;
	write_phys64(pml4, pdpt | PTE_P | PTE_RW);
	write_phys64(pdpt, pd | PTE_P | PTE_RW);
	for (uint64_t k = 0; k < 512; k++)
		write_phys64(pd + 8 * k, (k << 21) | PTE_P | PTE_RW | PTE_PS);
	cpu.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	cpu.cr4 = CR4_PAE;
	cpu.efer = EFER_LME | EFER_LMA | EFER_NXE;
	cpu.cr3 = pml4;
	cpu.cpl = 0;
	for (int s = 0; s < SEG_COUNT; s++)
		cpu.seg[s] = (struct seg){ .sel = 0x10, .attr = 0x493, .limit = 0xffffffff };
	cpu.seg[SEG_CS] = (struct seg){ .sel = 0x08, .attr = 0x29b, .limit = 0xffffffff };
	cpu_flush_fast_path(&cpu);

	native_scratch = map_fixed(SCRATCH_VA, SCRATCH_BYTES, PROT_READ | PROT_WRITE);
	native_code = map_fixed(CODE_VA, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
}

static void machine_teardown(void)
{
	cpu_free(&cpu);
	physmem_free(&pm);
	munmap(native_scratch, SCRATCH_BYTES);
	munmap(native_code, 0x1000);
}

struct outcome {
	struct native_regs regs;
	uint8_t win[WIN];
	enum cpu_stop stop;   /* simulator only */
	int fault;            /* simulator only: the exception, or -1 */
	uint64_t rip;         /* simulator only */
	char detail[sizeof ((struct cpu *)0)->stop_detail];
};

static void run_native(const struct tcase *t, struct outcome *o)
{
	memcpy(native_code, t->code, t->len);
	static const uint8_t jmp_back[6] = { 0xFF, 0x25, 0, 0, 0, 0 }; /* jmp [rip+0] */
	memcpy(native_code + t->len, jmp_back, 6);
	uint64_t ret = (uint64_t)(uintptr_t)native_return;
	memcpy(native_code + t->len + 6, &ret, 8);
	memcpy(native_scratch + (t->win_va - SCRATCH_VA), t->win, WIN);
	o->regs = t->in;
	native_exec(&o->regs, native_code);
	memcpy(o->win, native_scratch + (t->win_va - SCRATCH_VA), WIN);
}

static void run_sim(const struct tcase *t, struct outcome *o)
{
	uint8_t code[32] = { 0 };
	memcpy(code, t->code, t->len);
	code[t->len] = 0xFF; /* the native side's jump back, never reached */
	code[t->len + 1] = 0x25;
	phys_write_bytes(&pm, CODE_VA, code, sizeof code);
	phys_write_bytes(&pm, t->win_va, t->win, WIN);
	memcpy(cpu.gpr, t->in.gpr, sizeof t->in.gpr); /* RAX..R15 only */
	cpu.rip = CODE_VA;
	cpu_set_rflags(&cpu, t->in.rflags);
	o->stop = cpu_step(&cpu);
	o->fault = o->stop == STOP_TRIPLE_FAULT ? cpu.first_fault : -1;
	snprintf(o->detail, sizeof o->detail, "%s", o->stop != STOP_NONE ? cpu.stop_detail : "");
	o->rip = cpu.rip;
	memcpy(o->regs.gpr, cpu.gpr, sizeof o->regs.gpr);
	o->regs.rflags = cpu_get_rflags(&cpu);
	phys_read_bytes(&pm, t->win_va, o->win, WIN);
}

/* ---- reports ---- */

static const char *const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi",
	"rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

struct report {
	char *buf;
	size_t len, cap;
};

static void rp(struct report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (r->len + (size_t)n + 1 > r->cap) {
		r->cap = (r->len + (size_t)n + 1) * 2;
		r->buf = realloc(r->buf, r->cap);
		ck_assert_ptr_nonnull(r->buf);
	}
	memcpy(r->buf + r->len, tmp, (size_t)n + 1);
	r->len += (size_t)n;
}

static void flag_names(uint64_t f, char *out, size_t len)
{
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ FL_OF, "OF" }, { FL_DF, "DF" }, { FL_SF, "SF" }, { FL_ZF, "ZF" },
		{ FL_AF, "AF" }, { FL_PF, "PF" }, { FL_CF, "CF" },
	};
	size_t n = 0;
	out[0] = 0;
	for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
		if (f & names[k].bit)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", names[k].name);
}

static void describe_case(struct report *r, const struct form *f, const struct tcase *t)
{
	char name[96], text[160] = "(does not decode)";
	form_name(f, name, sizeof name);
	struct insn di;
	if (decode_buf(t->code, t->len, &di) == DEC_OK)
		disasm_format(&di, CODE_VA, text, sizeof text);
	rp(r, "  form %s\n  bytes", name);
	for (unsigned k = 0; k < t->len; k++)
		rp(r, " %02x", t->code[k]);
	rp(r, "   %s\n  in:", text);
	for (int k = 0; k < 16; k++)
		rp(r, "%s %s=%016llx", k % 4 == 0 ? "\n   " : "", gpr_names[k],
		   (unsigned long long)t->in.gpr[k]);
	char fl[40];
	flag_names(t->in.rflags, fl, sizeof fl);
	rp(r, "\n    rflags=%#llx [%s]  memory operand at %#llx:", (unsigned long long)t->in.rflags,
	   fl, (unsigned long long)t->target);
	for (unsigned k = 0; k < 8; k++)
		rp(r, " %02x", t->win[t->target - t->win_va + k]);
	rp(r, "\n");
}

/* Compares the two outcomes; returns true when they agree on everything defined. */
static bool compare(const struct form *f, const struct tcase *t, const struct outcome *nat,
		    const struct outcome *sim, struct report *r)
{
	struct expect x = defined_state(f, t);
	bool ok = true;
	if (sim->stop != STOP_NONE) {
		if (sim->stop == STOP_TRIPLE_FAULT)
			rp(r, "  the simulator faulted where the host did not (no IDT, hence): %s\n",
			   sim->detail);
		else
			rp(r, "  the simulator stopped (enum cpu_stop %d): %s\n", (int)sim->stop,
			   sim->detail);
		return false;
	}
	if (sim->rip != CODE_VA + t->len) {
		rp(r, "  simulator RIP %#llx after the instruction, expected %#llx (length %u)\n",
		   (unsigned long long)sim->rip, (unsigned long long)(CODE_VA + t->len), t->len);
		ok = false;
	}
	for (int k = 0; k < 16; k++) {
		if (x.skip_regs & (1u << k))
			continue;
		if (nat->regs.gpr[k] != sim->regs.gpr[k]) {
			rp(r, "  %-4s native %016llx  hvsim %016llx\n", gpr_names[k],
			   (unsigned long long)nat->regs.gpr[k], (unsigned long long)sim->regs.gpr[k]);
			ok = false;
		}
	}
	uint64_t fd = (nat->regs.rflags ^ sim->regs.rflags) & x.flags;
	if (fd) {
		char a[40], b[40], d[40];
		flag_names(nat->regs.rflags & x.flags, a, sizeof a);
		flag_names(sim->regs.rflags & x.flags, b, sizeof b);
		flag_names(fd, d, sizeof d);
		rp(r, "  flags (compared: %#llx) native [%s]  hvsim [%s]  differ: %s\n",
		   (unsigned long long)x.flags, a, b, d);
		ok = false;
	}
	for (unsigned k = 0, shown = 0; k < WIN; k++) {
		if (nat->win[k] != sim->win[k]) {
			if (shown++ < 8)
				rp(r, "  memory %#llx native %02x  hvsim %02x\n",
				   (unsigned long long)(t->win_va + k), nat->win[k], sim->win[k]);
			ok = false;
		}
	}
	return ok;
}

/* A DIV/IDIV whose quotient does not fit: the simulator must raise #DE and change
 * nothing (faults are precise, DESIGN.md invariants). */
static bool check_de(const struct tcase *t, const struct outcome *sim, struct report *r)
{
	bool ok = true;
	if (sim->stop != STOP_TRIPLE_FAULT || sim->fault != EXC_DE) {
		rp(r, "  expected #DE; the simulator %s%s\n",
		   sim->stop == STOP_NONE ? "completed the instruction" : "stopped: ", sim->detail);
		return false;
	}
	if (sim->rip != CODE_VA) {
		rp(r, "  #DE with RIP %#llx, expected the instruction's %#llx\n",
		   (unsigned long long)sim->rip, (unsigned long long)CODE_VA);
		ok = false;
	}
	for (int k = 0; k < 16; k++)
		if (sim->regs.gpr[k] != t->in.gpr[k]) {
			rp(r, "  #DE changed %s to %016llx\n", gpr_names[k],
			   (unsigned long long)sim->regs.gpr[k]);
			ok = false;
		}
	if ((sim->regs.rflags ^ t->in.rflags) & (FL_ARITH | FL_DF)) {
		rp(r, "  #DE changed the flags to %#llx\n", (unsigned long long)sim->regs.rflags);
		ok = false;
	}
	return ok;
}

/* ---- the test ---- */

START_TEST(test_differential)
{
	machine_setup();
	unsigned nforms = enumerate_forms(NULL);
	struct form *forms = calloc(nforms, sizeof *forms);
	ck_assert_ptr_nonnull(forms);
	enumerate_forms(forms);

	opt.filter = getenv("HVSIM_DIFF_FILTER");
	opt.cases = CASES_PER_FORM;
	if (getenv("HVSIM_DIFF_CASES"))
		opt.cases = (unsigned)strtoul(getenv("HVSIM_DIFF_CASES"), NULL, 0);
	opt.list = getenv("HVSIM_DIFF_LIST") != NULL;
	opt.strict = getenv("HVSIM_DIFF_STRICT") != NULL;
	unsigned cases = opt.cases;
	unsigned long long executions = 0, mismatches = 0, de_checks = 0, forms_run = 0;
	unsigned forms_failed = 0;
	struct tcase *t = malloc(sizeof *t);
	struct outcome *nat = malloc(sizeof *nat), *sim = malloc(sizeof *sim);
	ck_assert(t && nat && sim);
	for (unsigned fi = 0; fi < nforms; fi++) {
		const struct form *f = &forms[fi];
		if (opt.filter && strcmp(opt.filter, insn_table[f->row].mnem) != 0)
			continue;
		forms_run++;
		rng = 0x9E3779B97F4A7C15ull * (fi + 1) ^ 0x68767369ull; /* "hvsi" */
		unsigned form_mismatches = 0;
		for (unsigned k = 0; k < cases; k++) {
			gen_case(f, k, t);
			struct report r = { 0 };
			bool ok;
			run_sim(t, sim);
			if (t->expect_de) {
				ok = check_de(t, sim, &r);
				de_checks++;
			} else {
				run_native(t, nat);
				ok = compare(f, t, nat, sim, &r);
			}
			executions++;
			if (opt.list) {
				struct report l = { 0 };
				rp(&l, "case %u:\n", k);
				describe_case(&l, f, t);
				printf("%s", l.buf);
				free(l.buf);
			}
			if (!ok) {
				if (mismatches < MAX_REPORTS) {
					struct report head = { 0 };
					rp(&head, "MISMATCH %llu (case %u):\n", mismatches + 1, k);
					describe_case(&head, f, t);
					printf("%s%s\n", head.buf, r.buf);
					free(head.buf);
				}
				mismatches++;
				form_mismatches++;
			}
			free(r.buf);
		}
		if (form_mismatches) {
			char name[96];
			form_name(f, name, sizeof name);
			if (forms_failed++ < 100)
				printf("  %-44s %u of %u cases differ\n", name, form_mismatches, cases);
		}
	}
	printf("differential: %llu forms × %u cases = %llu executions, %llu mismatches "
	       "(%llu executions are DIV/IDIV cases that must raise #DE, checked on the "
	       "simulator alone)\n",
	       forms_run, cases, executions, mismatches, de_checks);
	fflush(stdout);
	free(t);
	free(nat);
	free(sim);
	free(forms);
	machine_teardown();
	ck_assert_msg(mismatches == 0, "%llu of %llu executions differ between hvsim and the host "
		      "CPU in %u forms (the first %d are printed above)", mismatches, executions,
		      forms_failed, MAX_REPORTS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("host-cpu");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_differential);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
