/* The kernel's GDT and 64-bit TSS (Intel SDM vol. 3 §3.4.5, §7.7; AMD APM vol. 2
   §4.8, §12.2.5). One CPU: one GDT, one TSS. */
#ifndef GDT_H
#define GDT_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Selectors. The order is what SYSCALL and SYSRET need (SDM vol. 3 §5.8.8, "SYSCALL
   and SYSRET"): SYSCALL loads CS = STAR[47:32] and SS = STAR[47:32] + 8, so kernel
   data follows kernel code; SYSRET to 64-bit code loads SS = STAR[63:48] + 8 and
   CS = STAR[63:48] + 16, so user data comes before user code. Kernel code and data keep
   the loader's selectors (0x08, 0x10: DESIGN.md, "Boot protocol"). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18  /* used with RPL 3: 0x1B */
#define SEL_UCODE 0x20  /* used with RPL 3: 0x23 */
#define SEL_TSS   0x28  /* 16 bytes: two GDT slots */
#define SEL_RPL3  3

#define USER_CS (SEL_UCODE | SEL_RPL3)
#define USER_SS (SEL_UDATA | SEL_RPL3)
/* STAR[63:48]: the base SYSRET adds 8 (SS) and 16 (CS) to */
#define STAR_SYSRET_BASE (SEL_UDATA - 8)

/* Interrupt stack table slots (SDM vol. 3 §6.14.5): a gate naming one always switches
   to that stack, so a handler gets a good stack even when RSP was the problem. */
#define IST_DOUBLE_FAULT 1

#ifndef __ASSEMBLER__
/* Loads the GDT, reloads every segment register, loads TR. IST_DOUBLE_FAULT gets a
   stack of its own; RSP0 is 0 until tss_set_rsp0. */
void gdt_init(void);

/* The stack the CPU switches to on an interrupt or exception from CPL 3. */
void tss_set_rsp0(uint64_t rsp0);
/* IST slot n (1-7); returns the old value so a test can put it back. */
uint64_t tss_set_ist(unsigned n, uint64_t top);
#endif

#endif
