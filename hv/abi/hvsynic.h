/* The SynIC message page and the intercept messages a parent receives
 * (specs/hypercall-abi.md "SynIC and messages"; TLFS HV_MESSAGE). */
#ifndef HV_ABI_HVSYNIC_H
#define HV_ABI_HVSYNIC_H

#include <stdint.h>

#include "hvcall.h"

/* message types (bit 31 set: the hypervisor's own) */
#define HVMSG_NONE 0x00000000u
#define HVMSG_UNMAPPED_GPA 0x80000000u
/* added: a GPA the child's map has, touched in a way its map flags do not allow (TLFS
 * HvMessageTypeGpaIntercept); payload struct hv_x64_memory_intercept_message */
#define HVMSG_GPA_INTERCEPT 0x80000001u
#define HVMSG_X64_IO_PORT_INTERCEPT 0x80010000u
#define HVMSG_X64_MSR_INTERCEPT 0x80010001u
#define HVMSG_X64_CPUID_INTERCEPT 0x80010002u
/* added: an exception the parent intercepted with HvCallInstallIntercept (type 3);
 * payload struct hv_x64_exception_intercept_message */
#define HVMSG_X64_EXCEPTION_INTERCEPT 0x80010003u
/* hvsim's own: a child partition stopped (triple fault, garbage, a fatal NPF); the
 * payload is struct hv_partition_halt_message */
#define HVMSG_HVSIM_PARTITION_HALTED 0x80020000u

#define HV_MESSAGE_FLAG_PENDING 0x01

struct hv_message_header {
	uint32_t message_type;     /* HVMSG_*; 0 = the slot is free */
	uint8_t payload_size;
	uint8_t message_flags;     /* HV_MESSAGE_FLAG_PENDING: more are queued, write EOM */
	uint8_t reserved[2];
	uint64_t sender;           /* hvsim: the partition id the message is about */
};

struct hv_message {              /* one 256-byte slot of the message page, per SINT */
	struct hv_message_header header;
	union {
		uint64_t qwords[HV_MESSAGE_PAYLOAD_BYTES / 8];
		uint8_t bytes[HV_MESSAGE_PAYLOAD_BYTES];
	} payload;
};

/* The SIEF page: per SINT, 2048 event flags (256 bytes). */
#define HV_EVENT_FLAGS_PER_SINT 2048

/* Intercept messages start with this header (TLFS HV_X64_INTERCEPT_MESSAGE_HEADER). */
#define HV_INTERCEPT_ACCESS_TYPE_READ 0
#define HV_INTERCEPT_ACCESS_TYPE_WRITE 1
#define HV_INTERCEPT_ACCESS_TYPE_EXECUTE 2
struct hv_x64_intercept_message_header {
	uint32_t vp_index;
	uint8_t instruction_length;
	uint8_t intercept_access_type;   /* HV_INTERCEPT_ACCESS_TYPE_* */
	uint16_t execution_state;        /* bits 1:0 CPL */
	uint16_t cs_selector;
	uint16_t reserved;
	uint32_t reserved2;
	uint64_t rip;
	uint64_t rflags;
};

/* I/O port intercept: access_info bits 2:0 access size in bytes (1, 2, 4),
 * bit 3 string op, bit 4 REP prefix. */
struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t port_number;
	uint8_t access_info;
	uint8_t instruction_byte_count;
	uint32_t reserved;
	uint64_t rax;
	uint8_t instruction_bytes[16];
};

struct hv_x64_msr_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t msr_number;
	uint32_t reserved;
	uint64_t rdx;
	uint64_t rax;
};

struct hv_x64_cpuid_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint64_t rax, rcx, rdx, rbx;
	uint64_t default_result_rax, default_result_rcx, default_result_rdx, default_result_rbx;
};

struct hv_x64_memory_intercept_message {   /* HVMSG_UNMAPPED_GPA */
	struct hv_x64_intercept_message_header header;
	uint32_t cache_type;
	uint8_t instruction_byte_count;
	uint8_t memory_access_info;
	uint16_t reserved;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t instruction_bytes[16];
};

/* added: an exception the parent intercepted (TLFS HV_X64_EXCEPTION_INTERCEPT_MESSAGE,
 * trimmed). The exception is not delivered to the child: the parent decides what
 * happens (fix the state and clear HvRegisterInterceptSuspend, or delete the child). */
#define HV_EXCEPTION_INFO_ERROR_CODE_VALID 0x01
struct hv_x64_exception_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t exception_vector;
	uint8_t exception_info;          /* HV_EXCEPTION_INFO_* */
	uint8_t instruction_byte_count;
	uint32_t error_code;
	uint64_t exception_parameter;    /* #PF: the faulting address (CR2), else 0 */
	uint64_t reserved;
	uint8_t instruction_bytes[16];
};

/* Why hv stopped a child partition (HVMSG_HVSIM_PARTITION_HALTED) */
#define HV_HALT_TRIPLE_FAULT 1
#define HV_HALT_UNHANDLED_NPF 2  /* a GPA outside the partition's map, no intercept */
#define HV_HALT_INVALID_STATE 3  /* VMRUN refused the VP's state (EXITCODE -1) */
#define HV_HALT_INTERRUPTS_OFF 4 /* added: HLT with RFLAGS.IF clear: nothing can wake it */
#define HV_HALT_UNEXPECTED_EXIT 5 /* added: an exit hv has no handler for */
struct hv_partition_halt_message {
	uint32_t vp_index;
	uint32_t reason;          /* HV_HALT_* */
	uint64_t rip;
	uint64_t detail;          /* the faulting GPA for an NPF, else 0 */
	uint64_t exit_code;       /* the #VMEXIT code that stopped it */
};

#endif
