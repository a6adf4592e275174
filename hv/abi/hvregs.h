/* Virtual-processor registers for HvCallGet/SetVpRegisters and the initial context of
 * HvCallStartVirtualProcessor (TLFS HV_REGISTER_NAME, HV_REGISTER_VALUE,
 * HV_INITIAL_VP_CONTEXT), the subset hvsim uses. */
#ifndef HV_ABI_HVREGS_H
#define HV_ABI_HVREGS_H

#include <stdint.h>

enum hv_register_name {
	HvRegisterExplicitSuspend = 0x00000000,
	HvRegisterInterceptSuspend = 0x00000001, /* 1 while an intercept awaits the parent */
	HvX64RegisterRax = 0x00020000,
	HvX64RegisterRcx = 0x00020001,
	HvX64RegisterRdx = 0x00020002,
	HvX64RegisterRbx = 0x00020003,
	HvX64RegisterRsp = 0x00020004,
	HvX64RegisterRbp = 0x00020005,
	HvX64RegisterRsi = 0x00020006,
	HvX64RegisterRdi = 0x00020007,
	HvX64RegisterR8 = 0x00020008, /* ... R15 = 0x0002000F */
	HvX64RegisterR15 = 0x0002000F,
	HvX64RegisterRip = 0x00020010,
	HvX64RegisterRflags = 0x00020011,
	HvX64RegisterCr0 = 0x00040000,
	HvX64RegisterCr2 = 0x00040001,
	HvX64RegisterCr3 = 0x00040002,
	HvX64RegisterCr4 = 0x00040003,
	HvX64RegisterCr8 = 0x00040004,
	HvX64RegisterEs = 0x00060000,
	HvX64RegisterCs = 0x00060001,
	HvX64RegisterSs = 0x00060002,
	HvX64RegisterDs = 0x00060003,
	HvX64RegisterFs = 0x00060004,
	HvX64RegisterGs = 0x00060005,
	HvX64RegisterLdtr = 0x00060006,
	HvX64RegisterTr = 0x00060007,
	HvX64RegisterIdtr = 0x00070000,
	HvX64RegisterGdtr = 0x00070001,
	HvX64RegisterEfer = 0x00080001,
};

struct hv_x64_segment_register {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes; /* the VMCB attribute layout: type 3:0, S 4, DPL 6:5, P 7,
			      * AVL 8, L 9, D/B 10, G 11 */
};

struct hv_x64_table_register {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};

union hv_register_value {
	uint64_t reg64;
	struct hv_x64_segment_register segment;
	struct hv_x64_table_register table;
	uint8_t bytes[16];
};

struct hv_register_assoc {
	uint32_t name;       /* enum hv_register_name */
	uint32_t reserved1;
	uint64_t reserved2;
	union hv_register_value value;
};

struct hv_initial_vp_context {
	uint64_t rip, rsp, rflags;
	struct hv_x64_segment_register cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_x64_table_register idtr, gdtr;
	uint64_t efer, cr0, cr3, cr4, msr_cr_pat;
};

struct hv_start_vp_in {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t target_vtl;  /* must be 0 */
	uint8_t reserved[3];
	struct hv_initial_vp_context context;
};

#endif
