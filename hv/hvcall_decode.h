/* Decoding a hypercall's input value and checking its parameter blocks: the first four
 * stages of the order of checks (shared/specs/hypercall-abi.md "Calling convention"),
 * as pure functions of the register values. No hv state, no memory: the same file builds
 * for the host and is unit-tested there (tests/hv/test_hvcall_decode.c).
 *
 *   1. call code          INVALID_HYPERCALL_CODE
 *   2. control value      INVALID_HYPERCALL_INPUT: reserved bits, rep count against the
 *                         call's kind, rep start < rep count, a variable header on a call
 *                         that has none, the fast bit on a call that has no fast form
 *   3. privilege          ACCESS_DENIED
 *   4. blocks             INVALID_ALIGNMENT: each block 8-byte aligned, within one page
 * Stages 5 (parameter values) and 6 (objects) need the partition's state: hypercall.c
 * and the handlers. */
#ifndef HV_HVCALL_DECODE_H
#define HV_HVCALL_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/hvcall.h"

/* One row of hvcalls.def with the layout of its parameter blocks (TLFS; hvcall.h's
 * structs). Rep calls append one element per rep to the input (in_elem) and the output
 * (out_elem). The Ex flushes take a variable header of 8-byte units after in_fixed. */
struct hvcall_desc {
	uint16_t code;
	const char *name;
	uint8_t kind;          /* HVCALL_SIMPLE or HVCALL_REP */
	uint64_t privilege;    /* HV_PRIV_* the caller needs, or 0 */
	bool fast_ok;          /* may be made with the fast bit (parameters in RDX, R8) */
	bool varhead_ok;       /* takes a variable header */
	uint16_t in_fixed, in_elem;
	uint16_t out_fixed, out_elem;
};

/* The row for code, or 0 (not a call hv implements) */
const struct hvcall_desc *hvcall_find(uint16_t code);
/* Every row, in hvcalls.def's order */
const struct hvcall_desc *hvcall_table(unsigned *count);
/* The row's index in hvcall_table (for per-call counters), or -1 */
int hvcall_index(uint16_t code);

struct hvcall_input {
	uint64_t value;        /* RCX as the caller passed it */
	uint16_t code;
	bool fast;
	unsigned varhead_qwords;
	unsigned rep_count, rep_start;
	const struct hvcall_desc *desc;
};

/* Stages 1-3. Fills *in (desc is 0 when the code is unknown); returns HV_STATUS_SUCCESS
 * or the first failed check's status. */
uint16_t hvcall_decode(uint64_t input_value, uint64_t caller_privileges, struct hvcall_input *in);

/* Bytes of the input and output blocks of a decoded call (0: no block; fast calls
 * have none). The whole rep list is part of its block. */
uint64_t hvcall_input_bytes(const struct hvcall_input *in);
uint64_t hvcall_output_bytes(const struct hvcall_input *in);

/* Stage 4: each block (that the call has) 8-byte aligned and inside one 4 KiB page
 * (INVALID_ALIGNMENT); then, the first check of stage 5, the two blocks must not
 * overlap (INVALID_PARAMETER). */
uint16_t hvcall_check_blocks(const struct hvcall_input *in, uint64_t input_gpa,
			     uint64_t output_gpa);

/* RCX for re-executing the call from element rep_start on (a rep continuation) */
uint64_t hvcall_continuation(uint64_t input_value, unsigned rep_start);

#endif
