#include "tlbctl.h"

void tlbctl_cr3_write(struct cpu *c, bool no_flush)
{
	cpu_flush_fast_path(c);
}

void tlbctl_flush_all(struct cpu *c)
{
	cpu_flush_fast_path(c);
}

void tlbctl_invlpg(struct cpu *c, uint64_t la)
{
	cpu_flush_fast_path(c);
	c->cycles += c->params->v[PARAM_TIMING_INVLPG];
}

void tlbctl_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t la)
{
	cpu_flush_fast_path(c);
	c->cycles += c->params->v[PARAM_TIMING_INVLPG];
}
