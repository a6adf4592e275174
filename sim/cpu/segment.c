#include "segment.h"

#include "mem.h"

uint64_t seg_read_descriptor(struct cpu *c, uint16_t sel)
{
	if ((sel & 4) || (uint64_t)(sel | 7) > c->gdtr.limit)
		cpu_fault(c, EXC_GP, sel & ~3u);
	/* a descriptor-table read is a supervisor access whatever the CPL */
	return mem_read_sys(c, c->gdtr.base + (sel & ~7u), 8);
}

uint16_t seg_attr_of(uint64_t desc)
{
	return (uint16_t)(((desc >> 40) & 0xff) | ((desc >> 44) & 0xf00));
}

void seg_load_data(struct cpu *c, unsigned seg, uint16_t sel, unsigned cpl)
{
	unsigned rpl = sel & 3;
	if ((sel & ~3u) == 0) {
		/* a null selector: allowed except for SS at CPL 3 (or RPL != CPL) */
		if (seg == SEG_SS && (cpl == 3 || rpl != cpl))
			cpu_fault(c, EXC_GP, 0);
		c->seg[seg].sel = sel;
		c->seg[seg].attr = 0;
		c->seg[seg].base = 0;
		return;
	}
	uint64_t d = seg_read_descriptor(c, sel);
	uint16_t attr = seg_attr_of(d);
	unsigned dpl = (attr >> 5) & 3, type = attr & 0xf;
	bool s = attr & 0x10, present = attr & 0x80;
	bool code = type & 8, readable = type & 2, writable = !code && (type & 2);
	if (!s)
		cpu_fault(c, EXC_GP, sel & ~3u);
	if (seg == SEG_SS) {
		if (rpl != cpl || dpl != cpl || !writable)
			cpu_fault(c, EXC_GP, sel & ~3u);
		if (!present)
			cpu_fault(c, EXC_SS, sel & ~3u);
	} else {
		if (code && !readable)
			cpu_fault(c, EXC_GP, sel & ~3u);
		/* data and non-conforming code: DPL >= max(CPL, RPL) */
		bool conforming = code && (type & 4);
		if (!conforming && (dpl < cpl || dpl < rpl))
			cpu_fault(c, EXC_GP, sel & ~3u);
		if (!present)
			cpu_fault(c, EXC_NP, sel & ~3u);
	}
	c->seg[seg].sel = sel;
	c->seg[seg].attr = attr;
	c->seg[seg].limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (attr & 0x800)
		c->seg[seg].limit = (c->seg[seg].limit << 12) | 0xfff;
	/* in 64-bit mode MOV to FS/GS loads the 32-bit descriptor base (the MSRs hold the
	 * full 64-bit base); the other bases are treated as 0 */
	uint64_t base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	c->seg[seg].base = (seg == SEG_FS || seg == SEG_GS) ? base : 0;
}
