/* The disassembler (Intel syntax) for --trace-insns, the teaching view. It reads the
 * mnemonic and the operand forms from insn_table; nothing here restates the table. */
#include <stdio.h>
#include <string.h>

#include "flags.h"
#include "insn_table.h"

static const char *const reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const reg32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const reg16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg8[20] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh" };
static const char *const cc_names[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
	"s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const seg_names[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *reg_name(unsigned r, unsigned size)
{
	if (r >= 20 || (r >= 16 && size != 1))
		return "?";
	switch (size) {
	case 1: return reg8[r];
	case 2: return reg16[r];
	case 4: return reg32[r];
	default: return reg64[r];
	}
}

static const char *size_ptr(unsigned size)
{
	switch (size) {
	case 1: return "byte ptr ";
	case 2: return "word ptr ";
	case 4: return "dword ptr ";
	default: return "qword ptr ";
	}
}

/* mnemonics like "cbw/cwde/cdqe" name the 16-, 32- and 64-bit forms */
static void mnemonic(const struct insn_row *row, const struct insn *i, char *out, size_t len)
{
	const char *m = row->mnem, *slash = strchr(m, '/');
	if (slash) {
		unsigned which = i->osz == 2 ? 0 : i->osz == 4 ? 1 : 2;
		for (unsigned k = 0; k < which && slash; k++) {
			m = slash + 1;
			slash = strchr(m, '/');
		}
		snprintf(out, len, "%.*s", slash ? (int)(slash - m) : (int)strlen(m), m);
	} else if (row->dflags & DF_COND) {
		snprintf(out, len, "%s%s", m, cc_names[i->cc]);
	} else if (row->dflags & DF_REP) {
		const char *sfx = i->size[0] == 1 ? "b" : i->size[0] == 2 ? "w" : i->size[0] == 4 ? "d" : "q";
		snprintf(out, len, "%s%s", m, sfx);
	} else {
		snprintf(out, len, "%s", m);
	}
}

static int mem_operand(const struct insn *i, unsigned size, bool with_size, char *out,
		       size_t len)
{
	char buf[96];
	int n = 0;
	if (i->seg == SEG_FS || i->seg == SEG_GS)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s:", seg_names[i->seg]);
	if (i->riprel) {
		n += snprintf(buf + n, sizeof buf - (size_t)n, "[rip%c0x%llx]", i->disp < 0 ? '-' : '+',
			      (unsigned long long)(i->disp < 0 ? -(uint64_t)i->disp : (uint64_t)i->disp));
	} else if (i->base == REG_NONE && i->index == REG_NONE) {
		n += snprintf(buf + n, sizeof buf - (size_t)n, "[0x%llx]", (unsigned long long)i->disp);
	} else {
		const char *const *names = i->asz == 4 ? reg32 : reg64;
		n += snprintf(buf + n, sizeof buf - (size_t)n, "[");
		if (i->base != REG_NONE)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s", names[i->base]);
		if (i->index != REG_NONE)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s*%d", i->base != REG_NONE ? "+" : "",
				      names[i->index], 1 << i->scale);
		if (i->disp)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s0x%llx", i->disp < 0 ? "-" : "+",
				      (unsigned long long)(i->disp < 0 ? -(uint64_t)i->disp : (uint64_t)i->disp));
		n += snprintf(buf + n, sizeof buf - (size_t)n, "]");
	}
	return snprintf(out, len, "%s%s", with_size ? size_ptr(size) : "", buf);
}

int disasm_format(const struct insn *i, uint64_t rip, char *out, unsigned outlen)
{
	const struct insn_row *row = &insn_table[i->row];
	char m[32];
	mnemonic(row, i, m, sizeof m);
	size_t len = outlen;
	int n = 0;
#define PUT(...) do { int k_ = snprintf(out + n, len > (size_t)n ? len - (size_t)n : 0, __VA_ARGS__); \
		      if (k_ > 0) n += k_; } while (0)
	if (i->lock)
		PUT("lock ");
	if (i->rep && (row->dflags & DF_REP))
		PUT("%s", i->rep == 0xF2 ? "repne " : (row->f_write & FL_ZF) ? "repe " : "rep ");
	PUT("%s", m);
	/* String instructions name their size in the mnemonic and their operands are
	 * implicit. A memory operand's size is spelled out unless a register operand of the
	 * same size implies it (not CL, a shift count, nor DX, a port). */
	if (row->dflags & DF_REP)
		return n;
	bool sized_by_reg = false;
	for (int k = 0; k < 3; k++)
		if (i->kind[k] == OPK_REG && row->op[k] != O_CL && row->op[k] != O_DX)
			for (int m = 0; m < 3; m++)
				if (i->kind[m] == OPK_MEM && i->size[m] == i->size[k])
					sized_by_reg = true;
	bool first = true;
	for (int k = 0; k < 3; k++) {
		unsigned d = row->op[k];
		if (d == O_NONE)
			continue;
		PUT("%s", first ? " " : ", ");
		first = false;
		switch (i->kind[k]) {
		case OPK_REG:
			if (d == O_Cd)
				PUT("cr%u", i->reg[k]);
			else if (d == O_Sw)
				PUT("%s", i->reg[k] < SEG_COUNT ? seg_names[i->reg[k]] : "?");
			else
				PUT("%s", reg_name(i->reg[k], i->size[k]));
			break;
		case OPK_MEM: {
			char buf[128];
			mem_operand(i, i->size[k], !sized_by_reg && d != O_M, buf, sizeof buf);
			PUT("%s", buf);
			break;
		}
		case OPK_IMM:
			if (d == O_Jb || d == O_Jz)
				PUT("0x%llx", (unsigned long long)(rip + i->len + i->imm));
			else
				PUT("0x%llx", (unsigned long long)(i->imm & size_mask(i->size[k])));
			break;
		default:
			break;
		}
	}
	if (i->riprel) /* the address a RIP-relative operand names, as a trailing comment */
		PUT("  ; 0x%llx", (unsigned long long)(rip + i->len + (uint64_t)i->disp));
#undef PUT
	return n;
}

void cpu_trace_insn(struct cpu *c, const struct insn *i)
{
	char text[160], bytes[48];
	int n = 0;
	for (unsigned k = 0; k < i->len; k++)
		n += snprintf(bytes + n, sizeof bytes - (size_t)n, "%02x", i->bytes[k]);
	disasm_format(i, c->rip, text, sizeof text);
	fprintf(c->trace_out ? (FILE *)c->trace_out : stderr, "%10llu %016llx  %-30s %s\n",
		(unsigned long long)c->insns_retired, (unsigned long long)c->rip, bytes, text);
}
