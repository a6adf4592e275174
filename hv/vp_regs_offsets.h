/* Offsets into struct vp_regs (hv.h) for vmrun.S; hv.h checks them. */
#ifndef HV_VP_REGS_OFFSETS_H
#define HV_VP_REGS_OFFSETS_H

#define VP_RBX 0
#define VP_RCX 8
#define VP_RDX 16
#define VP_RSI 24
#define VP_RDI 32
#define VP_RBP 40
#define VP_R8 48
#define VP_R9 56
#define VP_R10 64
#define VP_R11 72
#define VP_R12 80
#define VP_R13 88
#define VP_R14 96
#define VP_R15 104

#endif
