/* Handlers specialized at decode time (DESIGN.md "Speed by design": split register and
 * memory forms at decode time). Each family's semantics live once, in
 * exec_templates.h; here they are instantiated for every (destination kind, source
 * kind, size) so that the operand switches fold away. */
#include "exec_templates.h"
#include "insn_table.h"

enum { FORM_RR, FORM_RM, FORM_MR, FORM_RI, FORM_MI, FORM_COUNT };

#define GEN(name, k0, k1, sz) \
	static void name##_##k0##_##k1##_##sz(struct cpu *c, const struct insn *i) \
	{ name##_t(c, i, k0, k1, sz); }
#define GEN_SIZES(name, k0, k1) \
	GEN(name, k0, k1, 1) GEN(name, k0, k1, 2) GEN(name, k0, k1, 4) GEN(name, k0, k1, 8)
#define GEN_FAMILY(name) \
	GEN_SIZES(name, OPK_REG, OPK_REG) GEN_SIZES(name, OPK_REG, OPK_MEM) \
	GEN_SIZES(name, OPK_MEM, OPK_REG) GEN_SIZES(name, OPK_REG, OPK_IMM) \
	GEN_SIZES(name, OPK_MEM, OPK_IMM)

GEN_FAMILY(add)
GEN_FAMILY(or)
GEN_FAMILY(adc)
GEN_FAMILY(sbb)
GEN_FAMILY(and)
GEN_FAMILY(sub)
GEN_FAMILY(xor)
GEN_FAMILY(cmp)
GEN_FAMILY(test)
GEN_FAMILY(mov)

#define ROW(name, k0, k1) \
	{ name##_##k0##_##k1##_1, name##_##k0##_##k1##_2, name##_##k0##_##k1##_4, name##_##k0##_##k1##_8 }
#define FAMILY(name) \
	{ h_##name, { ROW(name, OPK_REG, OPK_REG), ROW(name, OPK_REG, OPK_MEM), \
		      ROW(name, OPK_MEM, OPK_REG), ROW(name, OPK_REG, OPK_IMM), \
		      ROW(name, OPK_MEM, OPK_IMM) } }

static const struct {
	insn_exec_fn generic;
	insn_exec_fn form[FORM_COUNT][4]; /* by form, then size 1, 2, 4, 8 */
} families[] = {
	FAMILY(add), FAMILY(or), FAMILY(adc), FAMILY(sbb), FAMILY(and),
	FAMILY(sub), FAMILY(xor), FAMILY(cmp), FAMILY(test), FAMILY(mov),
};

static int form_of(const struct insn *i)
{
	static const int8_t forms[4][4] = {
		/* dst \ src:   NONE  REG      MEM      IMM */
		[OPK_REG] = { -1, FORM_RR, FORM_RM, FORM_RI },
		[OPK_MEM] = { -1, FORM_MR, -1, FORM_MI },
	};
	if (i->kind[2] != OPK_NONE || i->kind[0] > OPK_MEM || i->kind[1] > OPK_IMM)
		return -1;
	return forms[i->kind[0]][i->kind[1]];
}

insn_exec_fn exec_specialize(const struct insn *i)
{
	int form = form_of(i);
	unsigned sz = i->size[0];
	if (form < 0 || i->size[1] != sz || (sz & (sz - 1)) || sz > 8)
		return i->exec;
	unsigned szi = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
	for (unsigned f = 0; f < sizeof families / sizeof families[0]; f++)
		if (families[f].generic == i->exec)
			return families[f].form[form][szi];
	return i->exec;
}
