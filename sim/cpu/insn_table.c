/* The instruction table as data: insn.def expanded once. */
#include "insn_table.h"

const struct insn_row insn_table[] = {
#define X(mnem, map, opc, ext, modrm, pfx, osz, df, o0, o1, o2, fr, fw, fu, cls, priv, h) \
	{ mnem, map, opc, ext, modrm, pfx, osz, df, { o0, o1, o2 }, fr, fw, fu, cls, priv, h },
#include "insn.def"
#undef X
};

const unsigned insn_table_len = sizeof insn_table / sizeof insn_table[0];
