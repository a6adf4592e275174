/* Segment registers in long mode: loading a selector from the GDT (SDM vol. 3 §3.4.5,
 * §5.2; AMD APM vol. 2 §4.8). In 64-bit mode only FS/GS bases and the attributes
 * (CPL, L, D) matter; limits are not checked. */
#ifndef HVSIM_CPU_SEGMENT_H
#define HVSIM_CPU_SEGMENT_H

#include "cpu.h"

/* Reads the 8-byte descriptor for selector sel from the GDT (LDT: #GP). Raises
 * #GP(sel) when sel lies beyond the table limit. */
uint64_t seg_read_descriptor(struct cpu *c, uint16_t sel);
/* The VMCB attribute word (type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11) of a
 * descriptor */
uint16_t seg_attr_of(uint64_t desc);
/* MOV Sreg semantics for DS, ES, SS, FS, GS: checks against privilege level cpl (the
 * current one, or the one a return is going to) and loads. */
void seg_load_data(struct cpu *c, unsigned seg, uint16_t sel, unsigned cpl);

#endif
