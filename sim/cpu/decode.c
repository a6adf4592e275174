/* Instruction decoding for 64-bit mode (Intel SDM vol. 2 ch. 2, AMD APM vol. 3 ch. 1).
 * Prefixes, REX, the opcode maps, ModRM/SIB and immediates; the row that matches is
 * found in insn_table, which also says how to read each operand. */
#include "decode.h"

#include <string.h>

#include "insn_table.h"

#define MAX_CANDIDATES 24

static uint16_t cand[4][256][MAX_CANDIDATES];
static uint8_t ncand[4][256];
static bool decode_ready;

static void add_candidate(unsigned map, unsigned opc, unsigned row)
{
	if (ncand[map][opc] < MAX_CANDIDATES)
		cand[map][opc][ncand[map][opc]++] = (uint16_t)row;
}

void decode_init(void)
{
	if (decode_ready)
		return;
	for (unsigned r = 0; r < insn_table_len; r++) {
		const struct insn_row *row = &insn_table[r];
		unsigned span = row->dflags & DF_OPREG ? 8 : row->dflags & DF_COND ? 16 : 1;
		for (unsigned k = 0; k < span; k++)
			add_candidate(row->map, row->opcode + k, r);
	}
	decode_ready = true;
}

struct prefixes {
	uint8_t rex;  /* 0 when absent */
	bool p66, p67, lock;
	uint8_t rep;  /* last of F2/F3 */
	uint8_t seg;  /* override, or SEG_COUNT */
};

static bool row_matches(const struct insn_row *row, const struct prefixes *px, int modrm,
			int *score)
{
	int s = 0;
	if (row->modrm >= 0) {
		if (modrm != row->modrm)
			return false;
		s += 8;
	}
	if (row->ext >= 0) {
		if (modrm < 0 || ((modrm >> 3) & 7) != row->ext)
			return false;
		s += 4;
	}
	switch (row->pfx) {
	case PFX_F3: if (px->rep != 0xF3) return false; s += 16; break;
	case PFX_F2: if (px->rep != 0xF2) return false; s += 16; break;
	case PFX_66: if (!px->p66) return false; s += 16; break;
	default: break;
	}
	if (!(row->dflags & (DF_OPREG | DF_COND)))
		s += 1; /* an exact opcode beats a row covering a range (0x90 NOP vs XCHG) */
	*score = s;
	return true;
}

static unsigned byte_reg(unsigned r, const struct prefixes *px)
{
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH (SDM vol. 1 §3.7.2.1). */
	return (!px->rex && r >= 4 && r < 8) ? REG_AH + (r - 4) : r;
}

#define NEED(k) do { if (p + (k) > n) return p + (k) > 15 ? DEC_TOOLONG : DEC_MORE; } while (0)

static uint64_t read_imm(const uint8_t *b, unsigned p, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, b + p, size);
	return v;
}

enum decode_status decode_buf(const uint8_t *b, unsigned n, struct insn *in)
{
	struct prefixes px = { .seg = SEG_COUNT };
	unsigned p = 0;
	uint8_t x;

	if (n > 15)
		n = 15;
	for (;;) {
		NEED(1);
		x = b[p];
		if ((x & 0xF0) == 0x40) { /* REX counts only directly before the opcode */
			px.rex = x;
			p++;
			continue;
		}
		switch (x) {
		case 0xF0: px.lock = true; break;
		case 0xF2: case 0xF3: px.rep = x; break;
		case 0x66: px.p66 = true; break;
		case 0x67: px.p67 = true; break;
		case 0x26: case 0x2E: case 0x36: case 0x3E: break; /* null segments in 64-bit mode */
		case 0x64: px.seg = SEG_FS; break;
		case 0x65: px.seg = SEG_GS; break;
		default: goto opcode;
		}
		px.rex = 0;
		p++;
	}
opcode:;
	unsigned map = MAP_1B, opc = x;
	p++;
	if (x == 0x0F) {
		NEED(1);
		opc = b[p++];
		map = MAP_0F;
		if (opc == 0x38 || opc == 0x3A) {
			map = opc == 0x38 ? MAP_0F38 : MAP_0F3A;
			NEED(1);
			opc = b[p++];
		}
	}
	if (!ncand[map][opc])
		return DEC_UD;

	bool want_modrm = false;
	for (unsigned k = 0; k < ncand[map][opc]; k++) {
		const struct insn_row *row = &insn_table[cand[map][opc][k]];
		if ((row->dflags & DF_MODRM) || row->modrm >= 0 || row->ext >= 0)
			want_modrm = true;
	}
	int modrm = -1;
	if (want_modrm) {
		NEED(1);
		modrm = b[p];
	}

	int best = -1, best_score = -1;
	for (unsigned k = 0; k < ncand[map][opc]; k++) {
		unsigned r = cand[map][opc][k];
		const struct insn_row *row = &insn_table[r];
		int score;
		if (!row_matches(row, &px, (row->dflags & DF_MODRM) || row->modrm >= 0 || row->ext >= 0 ? modrm : -1, &score))
			continue;
		/* 0x90 with REX.B is XCHG r8, rAX, not NOP (SDM vol. 2, NOP/XCHG) */
		if (map == MAP_1B && opc == 0x90 && (px.rex & 1) && !(row->dflags & DF_OPREG))
			continue;
		if (score > best_score) {
			best = (int)r;
			best_score = score;
		}
	}
	if (best < 0)
		return DEC_UD;
	const struct insn_row *row = &insn_table[best];
	if (row->dflags & DF_NO64)
		return DEC_UD;
	bool has_modrm = (row->dflags & DF_MODRM) || row->modrm >= 0 || row->ext >= 0;
	if (has_modrm)
		p++;

	memset(in, 0, sizeof *in);
	in->row = (uint16_t)best;
	in->exec = row->exec;
	in->base = in->index = REG_NONE;
	in->rep = px.rep;
	in->lock = px.lock;
	in->modrm = has_modrm ? (uint8_t)modrm : 0;
	if (row->dflags & (DF_COND))
		in->cc = (uint8_t)(opc - row->opcode);

	bool rexw = px.rex & 8;
	switch (row->osz) {
	case OSZ_B: in->osz = 1; break;
	case OSZ_V: in->osz = rexw ? 8 : px.p66 ? 2 : 4; break;
	case OSZ_D64: in->osz = rexw ? 8 : px.p66 ? 2 : 8; break; /* REX.W wins over 0x66 (SDM vol. 2 §2.2.1.2) */
	case OSZ_Z: in->osz = px.p66 ? 2 : 4; break;
	case OSZ_W: in->osz = 2; break;
	default: in->osz = 8; break;
	}
	in->asz = px.p67 ? 4 : 8;

	/* ModRM and SIB (SDM vol. 2 §2.1.5, §2.2.1) */
	unsigned mod = 0, reg = 0, rm = 0;
	bool is_mem = false;
	if (has_modrm) {
		mod = (unsigned)modrm >> 6;
		reg = (((unsigned)modrm >> 3) & 7) | ((px.rex & 4) << 1);
		rm = ((unsigned)modrm & 7) | ((px.rex & 1) << 3);
		/* MOV CRn ignores mod: r/m always names a register (SDM vol. 2, MOV—Move to/from
		 * Control Registers) */
		bool rm_is_reg = row->op[0] == O_Rq || row->op[1] == O_Rq;
		if (mod != 3 && (row->dflags & DF_MODRM) && !rm_is_reg) {
			is_mem = true;
			unsigned disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
			if ((modrm & 7) == 4) {
				NEED(1);
				uint8_t sib = b[p++];
				unsigned idx = ((sib >> 3) & 7) | ((px.rex & 2) << 2);
				if (idx != RSP)
					in->index = (uint8_t)idx;
				in->scale = sib >> 6;
				if ((sib & 7) == 5 && mod == 0)
					disp_size = 4;
				else
					in->base = (uint8_t)((sib & 7) | ((px.rex & 1) << 3));
			} else if ((modrm & 7) == 5 && mod == 0) {
				in->riprel = 1;
				disp_size = 4;
			} else {
				in->base = (uint8_t)rm;
			}
			NEED(disp_size);
			if (disp_size == 1)
				in->disp = (int8_t)b[p];
			else if (disp_size == 4)
				in->disp = (int32_t)read_imm(b, p, 4);
			p += disp_size;
		}
	}
	in->seg = px.seg != SEG_COUNT ? px.seg
		  : (in->base == RSP || in->base == RBP) && !in->riprel ? SEG_SS : SEG_DS;

	for (int k = 0; k < 3; k++) {
		unsigned d = row->op[k];
		uint8_t *kind = &in->kind[k], *size = &in->size[k], *r = &in->reg[k];
		switch (d) {
		case O_NONE: break;
		case O_Eb: case O_Ew: case O_Ed: case O_Ev:
			*size = d == O_Eb ? 1 : d == O_Ew ? 2 : d == O_Ed ? 4 : in->osz;
			if (is_mem) {
				*kind = OPK_MEM;
			} else {
				*kind = OPK_REG;
				*r = (uint8_t)(d == O_Eb ? byte_reg(rm, &px) : rm);
			}
			break;
		case O_Gb: case O_Gw: case O_Gv:
			*kind = OPK_REG;
			*size = d == O_Gb ? 1 : d == O_Gw ? 2 : in->osz;
			*r = (uint8_t)(d == O_Gb ? byte_reg(reg, &px) : reg);
			break;
		case O_M:
			if (!is_mem)
				return DEC_UD;
			*kind = OPK_MEM;
			*size = in->osz;
			break;
		case O_Ib: case O_Ibs:
			NEED(1);
			*kind = OPK_IMM;
			*size = d == O_Ib ? 1 : in->osz;
			in->imm = d == O_Ib ? b[p] : (uint64_t)(int64_t)(int8_t)b[p];
			p += 1;
			break;
		case O_Iw:
			NEED(2);
			*kind = OPK_IMM;
			*size = 2;
			in->imm = read_imm(b, p, 2);
			p += 2;
			break;
		case O_Iz:
			*kind = OPK_IMM;
			*size = in->osz;
			if (in->osz == 2) {
				NEED(2);
				in->imm = read_imm(b, p, 2);
				p += 2;
			} else {
				NEED(4);
				in->imm = (uint64_t)(int64_t)(int32_t)read_imm(b, p, 4);
				p += 4;
			}
			break;
		case O_Iv:
			*kind = OPK_IMM;
			*size = in->osz;
			NEED(in->osz);
			in->imm = read_imm(b, p, in->osz);
			p += in->osz;
			break;
		case O_Jb:
			NEED(1);
			*kind = OPK_IMM;
			*size = 8;
			in->imm = (uint64_t)(int64_t)(int8_t)b[p];
			p += 1;
			break;
		case O_Jz:
			NEED(4);
			*kind = OPK_IMM;
			*size = 8;
			in->imm = (uint64_t)(int64_t)(int32_t)read_imm(b, p, 4);
			p += 4;
			break;
		case O_Zb: case O_Zv:
			*kind = OPK_REG;
			*size = d == O_Zb ? 1 : in->osz;
			*r = (uint8_t)(((opc - row->opcode) & 7) | ((px.rex & 1) << 3));
			if (d == O_Zb)
				*r = (uint8_t)byte_reg(*r, &px);
			break;
		case O_AL: *kind = OPK_REG; *size = 1; *r = RAX; break;
		case O_rAX: case O_eAX: *kind = OPK_REG; *size = in->osz; *r = RAX; break;
		case O_CL: *kind = OPK_REG; *size = 1; *r = RCX; break;
		case O_DX: *kind = OPK_REG; *size = 2; *r = RDX; break;
		case O_ONE: *kind = OPK_IMM; *size = 1; in->imm = 1; break;
		case O_Ob: case O_Ov:
			NEED(in->asz);
			*kind = OPK_MEM;
			*size = d == O_Ob ? 1 : in->osz;
			in->disp = (int64_t)read_imm(b, p, in->asz);
			p += in->asz;
			break;
		case O_Xb: case O_Yb: *size = 1; break;
		case O_Xv: case O_Yv: *size = in->osz; break;
		case O_Cd: *kind = OPK_REG; *size = 8; *r = (uint8_t)reg; break;
		case O_Rq: *kind = OPK_REG; *size = 8; *r = (uint8_t)rm; break;
		case O_Sw: *kind = OPK_REG; *size = 2; *r = (uint8_t)(reg & 7); break;
		}
	}
	if (p > 15)
		return DEC_TOOLONG;
	/* LOCK only on a read-modify-write instruction with a memory destination */
	if (px.lock && (!(row->dflags & DF_LOCK) || in->kind[0] != OPK_MEM))
		return DEC_UD;
	in->len = (uint8_t)p;
	memcpy(in->bytes, b, p);
	return DEC_OK;
}
