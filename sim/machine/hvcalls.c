#include "hvcalls.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hv/abi/hvcall.h"

static const struct { uint16_t code; const char *name; } calls[] = {
#define X(code, name, kind, priv) { code, #name },
#include "hv/abi/hvcalls.def"
#undef X
};
#define NR_CALLS (sizeof calls / sizeof calls[0])
_Static_assert(NR_CALLS <= HVCALLS_KNOWN, "raise HVCALLS_KNOWN");

static int call_index(uint16_t code)
{
	for (unsigned k = 0; k < NR_CALLS; k++)
		if (calls[k].code == code)
			return (int)k;
	return -1;
}

static const char *hypercall_name(uint16_t code)
{
	int k = call_index(code);
	return k < 0 ? "unknown call code" : calls[k].name;
}

static void on_hypercall(void *ctx, uint32_t asid, uint64_t input)
{
	struct hvcall_stats *s = ctx;
	int k = call_index(HV_INPUT_CODE(input));
	s->count[cpu_ctx_slot(asid)][k < 0 ? HVCALLS_KNOWN : (unsigned)k]++;
}

/* Counter names are dotted lower case: HvCallFlushVirtualAddressSpace becomes
 * flush_virtual_address_space. */
static void counter_form(const char *name, char *out, size_t len)
{
	const char *p = strncmp(name, "HvCall", 6) == 0 ? name + 6 : name;
	size_t n = 0;
	for (; *p && n + 2 < len; p++) {
		if (isupper((unsigned char)*p) && n > 0)
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = 0;
}

void hvcalls_attach(struct hvcall_stats *s, struct cpu *c, struct counter_registry *reg)
{
	c->on_hypercall = on_hypercall;
	c->on_hypercall_ctx = s;
	c->hypercall_name = hypercall_name;
	for (unsigned a = 1; a <= CPU_MAX_CTX; a++) {
		char id[8], name[96], desc[128];
		if (a == CPU_MAX_CTX)
			snprintf(id, sizeof id, "other");
		else
			snprintf(id, sizeof id, "%u", a);
		for (unsigned k = 0; k < NR_CALLS; k++) {
			char call[64];
			counter_form(calls[k].name, call, sizeof call);
			snprintf(name, sizeof name, "hypercall.asid.%s.%s", id, call);
			snprintf(desc, sizeof desc, "VMMCALLs of code 0x%04x (%s) by this guest",
				 calls[k].code, calls[k].name);
			counter_register(reg, name, desc, &s->count[a][k]);
		}
		snprintf(name, sizeof name, "hypercall.asid.%s.unknown", id);
		counter_register(reg, name, "VMMCALLs with a code hv/abi does not list",
				 &s->count[a][HVCALLS_KNOWN]);
	}
}
