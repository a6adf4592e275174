/* The hypercall interface (shared/specs/hypercall-abi.md "Calling convention", TLFS
 * §3): codes, the input and result values, status codes, and the input/output blocks
 * of every call hvsim implements. The one contract between hv/ and partitions/. */
#ifndef HV_ABI_HVCALL_H
#define HV_ABI_HVCALL_H

#include <stdint.h>

#include "hvprivs.h"

/* ---- call codes (hvcalls.def) ---- */
#define HVCALL_SIMPLE 0
#define HVCALL_REP 1
enum hv_call_code {
#define X(code, name, kind, priv) name = code,
#include "hvcalls.def"
#undef X
};

/* ---- the input value (RCX) ---- */
#define HV_INPUT_CODE(v) ((uint16_t)((v) & 0xffff))
#define HV_INPUT_FAST (1ull << 16)
#define HV_INPUT_VARHEAD_SHIFT 17 /* bits 26:17, in 8-byte units */
#define HV_INPUT_VARHEAD_MASK (0x3ffull << HV_INPUT_VARHEAD_SHIFT)
#define HV_INPUT_REP_COUNT_SHIFT 32 /* bits 43:32 */
#define HV_INPUT_REP_COUNT_MASK (0xfffull << HV_INPUT_REP_COUNT_SHIFT)
#define HV_INPUT_REP_START_SHIFT 48 /* bits 59:48 */
#define HV_INPUT_REP_START_MASK (0xfffull << HV_INPUT_REP_START_SHIFT)
#define HV_INPUT_RESERVED_MASK ((0x1full << 27) | (0xfull << 44) | (0xfull << 60))

static inline uint64_t hv_input_value(uint16_t code, unsigned rep_count, unsigned rep_start,
				      unsigned varhead_qwords, int fast)
{
	return (uint64_t)code | (fast ? HV_INPUT_FAST : 0) |
	       ((uint64_t)(varhead_qwords & 0x3ff) << HV_INPUT_VARHEAD_SHIFT) |
	       ((uint64_t)(rep_count & 0xfff) << HV_INPUT_REP_COUNT_SHIFT) |
	       ((uint64_t)(rep_start & 0xfff) << HV_INPUT_REP_START_SHIFT);
}

/* ---- the result value (RAX) ---- */
#define HV_RESULT_STATUS(r) ((uint16_t)((r) & 0xffff))
#define HV_RESULT_REPS_DONE(r) ((unsigned)(((r) >> 32) & 0xfff))
static inline uint64_t hv_result_value(uint16_t status, unsigned reps_done)
{
	return (uint64_t)status | ((uint64_t)(reps_done & 0xfff) << 32);
}

/* ---- status codes ---- */
#define HV_STATUS_SUCCESS 0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT 0x0004
#define HV_STATUS_INVALID_PARAMETER 0x0005
#define HV_STATUS_ACCESS_DENIED 0x0006
#define HV_STATUS_INVALID_PARTITION_STATE 0x0007
#define HV_STATUS_INSUFFICIENT_MEMORY 0x000B
#define HV_STATUS_INVALID_PARTITION_ID 0x000D
#define HV_STATUS_INVALID_VP_INDEX 0x000E
#define HV_STATUS_INVALID_PORT_ID 0x0011
#define HV_STATUS_INVALID_CONNECTION_ID 0x0012
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x0013
#define HV_STATUS_INVALID_SYNIC_STATE 0x0018

/* ---- common values ---- */
#define HV_PARTITION_ID_INVALID 0ull
#define HV_PARTITION_ID_SELF (~0ull)
#define HV_VP_INDEX_SELF 0xfffffffeu
#define HV_PAGE_SIZE 4096
#define HV_MAX_REPS 4095

/* ---- TLB flushes (codes 0x0002, 0x0003, 0x0013, 0x0014) ---- */
#define HV_FLUSH_ALL_PROCESSORS (1ull << 0)
#define HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES (1ull << 1)
#define HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY (1ull << 2)

struct hv_flush_va_space {         /* FlushVirtualAddressSpace / List header */
	uint64_t address_space;    /* the CR3 of the space, PCID bits stripped */
	uint64_t flags;            /* HV_FLUSH_* */
	uint64_t processor_mask;   /* bit n = VP n (ignored with ALL_PROCESSORS) */
};

#define HV_VP_SET_SPARSE_4K 0
#define HV_VP_SET_ALL 1
struct hv_flush_va_space_ex {      /* the Ex forms' 32-byte fixed header */
	uint64_t address_space;
	uint64_t flags;
	uint64_t vp_set_format;    /* HV_VP_SET_* */
	uint64_t vp_set_valid_banks;
	/* then one u64 per set bit of valid_banks (the variable header), then, for
	 * ListEx, the GVA ranges */
};

/* A GVA range element (List forms): bits 63:12 page number, bits 11:0 the number of
 * additional pages (1 to 4096 pages per element). */
#define HV_GVA_RANGE(page_number, extra_pages) (((uint64_t)(page_number) << 12) | ((extra_pages) & 0xfff))
#define HV_GVA_RANGE_PAGE(e) ((e) >> 12)
#define HV_GVA_RANGE_COUNT(e) (((e) & 0xfff) + 1)

/* ---- partition management (root only) ---- */
struct hv_create_partition_in {
	uint64_t flags;                /* none defined: must be 0 */
	uint64_t compatibility_version;
};
struct hv_create_partition_out {
	uint64_t partition_id;         /* from 1 */
};
struct hv_partition_id_in {        /* InitializePartition, DeletePartition */
	uint64_t partition_id;
};
struct hv_get_partition_id_out {
	uint64_t partition_id;
};
struct hv_deposit_memory_in {      /* rep: one root page number (GPA >> 12) per element */
	uint64_t partition_id;
	/* uint64_t gpa_page_list[] */
};

#define HV_MAP_GPA_READABLE 0x1
#define HV_MAP_GPA_WRITABLE 0x2
#define HV_MAP_GPA_KERNEL_EXECUTABLE 0x4
#define HV_MAP_GPA_USER_EXECUTABLE 0x8
struct hv_map_gpa_pages_in {       /* rep: one source (root) page number per element */
	uint64_t target_partition_id;
	uint64_t target_gpa_base;      /* page number of the first target page */
	uint32_t map_flags;            /* HV_MAP_GPA_* */
	uint32_t reserved;
	/* uint64_t source_gpa_page_list[] */
};
struct hv_unmap_gpa_pages_in {     /* rep count = pages; no elements */
	uint64_t target_partition_id;
	uint64_t target_gpa_base;
	uint32_t unmap_flags;          /* none defined: must be 0 */
	uint32_t reserved;
};

#define HV_INTERCEPT_ACCESS_READ 1
#define HV_INTERCEPT_ACCESS_WRITE 2
#define HV_INTERCEPT_ACCESS_EXECUTE 4
#define HV_INTERCEPT_TYPE_IO_PORT 0
#define HV_INTERCEPT_TYPE_MSR 1
#define HV_INTERCEPT_TYPE_CPUID 2
#define HV_INTERCEPT_TYPE_EXCEPTION 3
struct hv_install_intercept_in {
	uint64_t partition_id;
	uint32_t access_type_mask;     /* HV_INTERCEPT_ACCESS_* */
	uint32_t intercept_type;       /* HV_INTERCEPT_TYPE_* */
	uint64_t parameter;            /* port, MSR, CPUID leaf or vector */
};

struct hv_create_vp_in {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
	uint64_t flags;                /* none defined: must be 0 */
};

struct hv_vp_registers_in {        /* Get/SetVpRegisters header */
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t input_vtl;             /* must be 0 */
	uint8_t reserved[3];
	/* Get: uint32_t names[] (rep elements), output: union hv_register_value[] */
	/* Set: struct hv_register_assoc[] */
};

/* ---- SynIC messages and events ---- */
#define HV_MESSAGE_PAYLOAD_BYTES 240
struct hv_post_message_in {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;         /* non-zero, bit 31 clear */
	uint32_t payload_size;         /* <= 240 */
	uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES];
};
/* SignalEvent is a fast call: RDX = connection_id | (uint64_t)flag_number << 32 */

/* hvsim's connections (a simplification of TLFS ports): a connection id names the
 * destination partition and SINT: id = partition_id * 16 + sint. */
#define HV_CONNECTION_ID(partition_id, sint) ((uint32_t)((partition_id) * 16 + (sint)))
#define HV_CONNECTION_PARTITION(id) ((id) / 16)
#define HV_CONNECTION_SINT(id) ((id) % 16)

/* hv/abi's table as data, for dispatchers and --log hypercalls */
struct hv_call_info {
	uint16_t code;
	const char *name;
	uint8_t kind;
	uint64_t privilege;
};

#endif
