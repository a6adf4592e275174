/* The hypercall table and the control-value checks (hvcall_decode.h). */
#include "hvcall_decode.h"

#include "abi/hvregs.h"

/* Block layouts, by code (TLFS; the structs in hv/abi/hvcall.h and hvregs.h). */
struct layout {
	uint16_t code;
	bool fast_ok, varhead_ok;
	uint16_t in_fixed, in_elem, out_fixed, out_elem;
};

static const struct layout layouts[] = {
	/* header: AddressSpace, Flags, ProcessorMask; List: + GVA ranges. The fast form
	 * of 0x0002 (with HV_FLUSH_ALL_PROCESSORS) passes AddressSpace and Flags in RDX, R8. */
	{ HvCallFlushVirtualAddressSpace, true, false, sizeof(struct hv_flush_va_space), 0, 0, 0 },
	{ HvCallFlushVirtualAddressList, false, false, sizeof(struct hv_flush_va_space), 8, 0, 0 },
	/* the Ex forms: a 32-byte header, the VP set's banks as the variable header */
	{ HvCallFlushVirtualAddressSpaceEx, false, true, sizeof(struct hv_flush_va_space_ex), 0, 0, 0 },
	{ HvCallFlushVirtualAddressListEx, false, true, sizeof(struct hv_flush_va_space_ex), 8, 0, 0 },
	{ HvCallCreatePartition, false, false, sizeof(struct hv_create_partition_in), 0,
	  sizeof(struct hv_create_partition_out), 0 },
	{ HvCallInitializePartition, false, false, sizeof(struct hv_partition_id_in), 0, 0, 0 },
	{ HvCallDeletePartition, false, false, sizeof(struct hv_partition_id_in), 0, 0, 0 },
	{ HvCallGetPartitionId, false, false, 0, 0, sizeof(struct hv_get_partition_id_out), 0 },
	{ HvCallDepositMemory, false, false, sizeof(struct hv_deposit_memory_in), 8, 0, 0 },
	{ HvCallMapGpaPages, false, false, sizeof(struct hv_map_gpa_pages_in), 8, 0, 0 },
	{ HvCallUnmapGpaPages, false, false, sizeof(struct hv_unmap_gpa_pages_in), 0, 0, 0 },
	{ HvCallInstallIntercept, false, false, sizeof(struct hv_install_intercept_in), 0, 0, 0 },
	{ HvCallCreateVp, false, false, sizeof(struct hv_create_vp_in), 0, 0, 0 },
	/* Get: one u32 name per rep in, one 16-byte value per rep out; Set: one assoc */
	{ HvCallGetVpRegisters, false, false, sizeof(struct hv_vp_registers_in), 4, 0,
	  sizeof(union hv_register_value) },
	{ HvCallSetVpRegisters, false, false, sizeof(struct hv_vp_registers_in),
	  sizeof(struct hv_register_assoc), 0, 0 },
	{ HvCallPostMessage, false, false, sizeof(struct hv_post_message_in), 0, 0, 0 },
	/* ConnectionId u32, FlagNumber u16, RsvdZ u16: usually fast (RDX) */
	{ HvCallSignalEvent, true, false, 8, 0, 0, 0 },
	{ HvCallStartVirtualProcessor, false, false, sizeof(struct hv_start_vp_in), 0, 0, 0 },
};

_Static_assert(sizeof(struct hv_flush_va_space) == 24, "TLFS layout");
_Static_assert(sizeof(struct hv_flush_va_space_ex) == 32, "TLFS layout");
_Static_assert(sizeof(struct hv_post_message_in) == 256, "TLFS layout");
_Static_assert(sizeof(struct hv_register_assoc) == 32, "TLFS layout");
_Static_assert(sizeof(struct hv_start_vp_in) == 240, "TLFS layout");

#define ROWS (sizeof layouts / sizeof layouts[0])

static struct hvcall_desc table[] = {
#define X(code_, name_, kind_, priv_) { .code = code_, .name = #name_, .kind = kind_, .privilege = priv_ },
#include "abi/hvcalls.def"
#undef X
};

_Static_assert(sizeof table / sizeof table[0] == ROWS, "a layout for every row of hvcalls.def");

/* The row of each code below 0x100 (every code hvcalls.def has), + 1; 0: none */
static uint8_t row_of_code[0x100];

/* Fills each row's layout from layouts[] once: the .def stays the one list of calls. */
static void fill_layouts(void)
{
	static bool done;
	if (done)
		return;
	for (unsigned i = 0; i < ROWS; i++)
		if (table[i].code < 0x100)
			row_of_code[table[i].code] = (uint8_t)(i + 1);
	for (unsigned i = 0; i < ROWS; i++) {
		for (unsigned k = 0; k < ROWS; k++) {
			if (layouts[k].code != table[i].code)
				continue;
			table[i].fast_ok = layouts[k].fast_ok;
			table[i].varhead_ok = layouts[k].varhead_ok;
			table[i].in_fixed = layouts[k].in_fixed;
			table[i].in_elem = layouts[k].in_elem;
			table[i].out_fixed = layouts[k].out_fixed;
			table[i].out_elem = layouts[k].out_elem;
		}
	}
	done = true;
}

int hvcall_index(uint16_t code)
{
	fill_layouts();
	if (code < 0x100 && row_of_code[code])
		return row_of_code[code] - 1;
	for (unsigned i = 0; i < ROWS; i++) /* a code of 0x100 or more (none today) */
		if (table[i].code == code)
			return (int)i;
	return -1;
}

const struct hvcall_desc *hvcall_find(uint16_t code)
{
	int i = hvcall_index(code);
	return i < 0 ? 0 : &table[i];
}

const struct hvcall_desc *hvcall_table(unsigned *count)
{
	fill_layouts();
	*count = ROWS;
	return table;
}

uint16_t hvcall_decode(uint64_t v, uint64_t caller_privileges, struct hvcall_input *in)
{
	*in = (struct hvcall_input){
		.value = v,
		.code = HV_INPUT_CODE(v),
		.fast = (v & HV_INPUT_FAST) != 0,
		.varhead_qwords = (unsigned)((v & HV_INPUT_VARHEAD_MASK) >> HV_INPUT_VARHEAD_SHIFT),
		.rep_count = (unsigned)((v & HV_INPUT_REP_COUNT_MASK) >> HV_INPUT_REP_COUNT_SHIFT),
		.rep_start = (unsigned)((v & HV_INPUT_REP_START_MASK) >> HV_INPUT_REP_START_SHIFT),
	};
	/* 1. the call code */
	in->desc = hvcall_find(in->code);
	if (!in->desc)
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	/* 2. the control value */
	if (v & HV_INPUT_RESERVED_MASK)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in->desc->kind == HVCALL_SIMPLE && (in->rep_count != 0 || in->rep_start != 0))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in->desc->kind == HVCALL_REP && in->rep_count == 0)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in->desc->kind == HVCALL_REP && in->rep_start >= in->rep_count)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in->varhead_qwords != 0 && !in->desc->varhead_ok)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in->fast && !in->desc->fast_ok)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* 3. privilege */
	if ((in->desc->privilege & caller_privileges) != in->desc->privilege)
		return HV_STATUS_ACCESS_DENIED;
	return HV_STATUS_SUCCESS;
}

uint64_t hvcall_input_bytes(const struct hvcall_input *in)
{
	if (in->fast || !in->desc)
		return 0;
	return in->desc->in_fixed + 8ull * in->varhead_qwords +
	       (uint64_t)in->desc->in_elem * in->rep_count;
}

uint64_t hvcall_output_bytes(const struct hvcall_input *in)
{
	if (in->fast || !in->desc)
		return 0;
	return in->desc->out_fixed + (uint64_t)in->desc->out_elem * in->rep_count;
}

/* TLFS: "The input and output parameter lists cannot overlap or cross page boundaries",
 * and both are 8-byte aligned. */
static bool block_ok(uint64_t gpa, uint64_t bytes)
{
	if (bytes == 0)
		return true;
	if (gpa & 7)
		return false;
	uint64_t offset = gpa & (HV_PAGE_SIZE - 1);
	return bytes <= HV_PAGE_SIZE - offset;
}

uint16_t hvcall_check_blocks(const struct hvcall_input *in, uint64_t input_gpa,
			     uint64_t output_gpa)
{
	uint64_t in_bytes = hvcall_input_bytes(in), out_bytes = hvcall_output_bytes(in);
	if (!block_ok(input_gpa, in_bytes) || !block_ok(output_gpa, out_bytes))
		return HV_STATUS_INVALID_ALIGNMENT;
	/* the first parameter check: the lists "cannot overlap" (TLFS) */
	if (in_bytes && out_bytes && input_gpa < output_gpa + out_bytes &&
	    output_gpa < input_gpa + in_bytes)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

uint64_t hvcall_continuation(uint64_t v, unsigned rep_start)
{
	return (v & ~HV_INPUT_REP_START_MASK) |
	       ((uint64_t)(rep_start & 0xfff) << HV_INPUT_REP_START_SHIFT);
}
