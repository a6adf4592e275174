/* The instruction table: one row per opcode form (insn.def). The decoder, the
 * disassembler, the cost model and the differential tests all read it. */
#ifndef HVSIM_CPU_INSN_TABLE_H
#define HVSIM_CPU_INSN_TABLE_H

#include <stdint.h>

#include "cpu.h"

/* Opcode maps */
enum { MAP_1B = 0, MAP_0F = 1, MAP_0F38 = 2, MAP_0F3A = 3 };

/* Mandatory prefix of a row (PFX_ANY: the row matches whatever prefix is present) */
enum { PFX_ANY, PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

/* Operand-size attribute (Intel SDM vol. 2 §A.2.2 / §2.2.1.2) */
enum {
	OSZ_B,   /* always 8 bits */
	OSZ_V,   /* 16/32/64: 0x66 -> 16, REX.W -> 64, else 32 */
	OSZ_D64, /* 16/64 in long mode, default 64 (PUSH, POP, near indirect branches) */
	OSZ_F64, /* always 64 in long mode (near relative branches, RET) */
	OSZ_Z,   /* 16/32: 0x66 -> 16, else 32; REX.W ignored (IN, OUT) */
	OSZ_W,   /* always 16 */
	OSZ_Q,   /* always 64 */
};

/* Operand descriptors, in Intel's notation (SDM vol. 2 appendix A.2) */
enum {
	O_NONE,
	O_Eb, O_Ew, O_Ed, O_Ev,  /* ModRM r/m: register or memory */
	O_Gb, O_Gw, O_Gv,        /* ModRM reg: register */
	O_M,                     /* ModRM r/m, memory only (LEA) */
	O_Ib, O_Ibs, O_Iw, O_Iz, O_Iv, /* immediates: byte, byte sign-extended, word, 16/32 sign-extended, full */
	O_Jb, O_Jz,              /* relative branch targets */
	O_Zb, O_Zv,              /* register in the opcode's low three bits (+REX.B) */
	O_AL, O_rAX, O_eAX, O_CL, O_DX, O_ONE,
	O_Ob, O_Ov,              /* moffs: absolute address */
	O_Xb, O_Xv, O_Yb, O_Yv,  /* string source DS:rSI / destination ES:rDI */
	O_Cd, O_Rq,              /* MOV CRn: ModRM.reg is the CR, ModRM.rm a register whatever mod */
	O_Sw,                    /* segment register in ModRM.reg */
	O_COUNT
};

/* Decode flags */
#define DF_MODRM 0x0001    /* a ModRM byte follows */
#define DF_OPREG 0x0002    /* opcode + r: the row covers 8 opcodes */
#define DF_COND 0x0004     /* opcode + cc: the row covers 16 opcodes */
#define DF_LOCK 0x0008     /* LOCK allowed (with a memory destination) */
#define DF_REP 0x0010      /* REP/REPE/REPNE apply */
#define DF_BRANCH 0x0020   /* changes RIP other than by its length */
#define DF_SHIFT_OF 0x0040 /* OF is defined only for a count of 1 */
#define DF_NO64 0x0080     /* invalid in 64-bit mode */
#define DF_SERIALIZE 0x0100/* ends a decoded block (writes state the decoder depends on) */
#define DF_SVM 0x0200      /* an SVM instruction: #UD before the privilege check when
			    * EFER.SVME is clear */

/* Flag masks */
#define F_C FL_CF
#define F_P FL_PF
#define F_A FL_AF
#define F_Z FL_ZF
#define F_S FL_SF
#define F_O FL_OF
#define F_D FL_DF
#define F_I FL_IF
#define F_OSZAPC (F_O | F_S | F_Z | F_A | F_P | F_C)
#define F_ALL 0x3f7fd5ull /* everything PUSHF/POPF can see */

/* Cost classes (shared/specs/timing.md): the cost of one retired instruction */
enum { CLS_SIMPLE, CLS_MUL, CLS_DIV, CLS_SERIAL, CLS_COUNT };

/* Privilege */
enum { PRIV_ANY, PRIV_CPL0, PRIV_IOPL };

struct insn_row {
	const char *mnem;   /* lower case; "a/b/c" = the name for 16/32/64-bit operand size */
	uint8_t map, opcode;
	int8_t ext;         /* ModRM.reg digit, or -1 */
	int16_t modrm;      /* exact ModRM byte, or -1 */
	uint8_t pfx, osz;
	uint16_t dflags;
	uint8_t op[3];
	uint32_t f_read, f_write, f_undef;
	uint8_t cls, priv;
	insn_exec_fn exec;
};

extern const struct insn_row insn_table[];
extern const unsigned insn_table_len;

/* Handler prototypes, one per distinct handler in insn.def */
#define X(mnem, map, opc, ext, modrm, pfx, osz, df, o0, o1, o2, fr, fw, fu, cls, priv, h) \
	void h(struct cpu *c, const struct insn *i);
#include "insn.def"
#undef X

#endif
