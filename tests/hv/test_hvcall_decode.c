/* Check unit tests of hv's hypercall decoder (hv/hvcall_decode.c), built for the host:
 * the control-value checks and the order of checks of shared/specs/hypercall-abi.md,
 * stage by stage, and every pair of stages where the earlier one must win. */
#include "unit.h"

#include <stdint.h>

#include "hvcall_decode.h"

#define ROOT (HV_PRIVS_EVERY_PARTITION | HV_PRIVS_ROOT_ONLY)
#define CHILD HV_PRIVS_EVERY_PARTITION

static uint16_t dec(uint64_t v, uint64_t privs)
{
	struct hvcall_input in;
	return hvcall_decode(v, privs, &in);
}

static uint64_t simple(uint16_t code) { return hv_input_value(code, 0, 0, 0, 0); }
static uint64_t rep(uint16_t code, unsigned count, unsigned start)
{
	return hv_input_value(code, count, start, 0, 0);
}

START_TEST(table_matches_the_def)
{
	unsigned n;
	const struct hvcall_desc *t = hvcall_table(&n);
	ck_assert_uint_eq(n, 18);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_ptr_eq(hvcall_find(t[i].code), &t[i]);
		ck_assert_int_eq(hvcall_index(t[i].code), (int)i);
		/* every rep call has elements, except Unmap (its rep count is the pages) */
		if (t[i].kind == HVCALL_REP && t[i].code != HvCallUnmapGpaPages)
			ck_assert_uint_gt(t[i].in_elem, 0);
		if (t[i].kind == HVCALL_SIMPLE)
			ck_assert_uint_eq(t[i].in_elem + t[i].out_elem, 0);
	}
	ck_assert_ptr_null(hvcall_find(0x0001));
	ck_assert_int_eq(hvcall_index(0xFFFF), -1);
	ck_assert_uint_eq(hvcall_find(HvCallStartVirtualProcessor)->in_fixed, 240);
	ck_assert_uint_eq(hvcall_find(HvCallPostMessage)->in_fixed, 256);
	ck_assert_uint_eq(hvcall_find(HvCallGetVpRegisters)->out_elem, 16);
	ck_assert_uint_eq(hvcall_find(HvCallSetVpRegisters)->in_elem, 32);
}
END_TEST

START_TEST(fields_are_decoded)
{
	struct hvcall_input in;
	uint64_t v = hv_input_value(HvCallFlushVirtualAddressListEx, 100, 7, 2, 0);
	ck_assert_uint_eq(hvcall_decode(v, CHILD, &in), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(in.code, HvCallFlushVirtualAddressListEx);
	ck_assert_uint_eq(in.rep_count, 100);
	ck_assert_uint_eq(in.rep_start, 7);
	ck_assert_uint_eq(in.varhead_qwords, 2);
	ck_assert(!in.fast);
	ck_assert_uint_eq(in.value, v);
	ck_assert_uint_eq(hvcall_input_bytes(&in), 32 + 16 + 800);
	ck_assert_uint_eq(hvcall_output_bytes(&in), 0);
}
END_TEST

START_TEST(call_codes)
{
	static const uint16_t unknown[] = { 0x0000, 0x0001, 0x0004, 0x0042, 0x0047, 0x005E,
					    0x0098, 0x009A, 0x8002, 0xFFFF };
	for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		ck_assert_uint_eq(dec(unknown[i], ROOT), HV_STATUS_INVALID_HYPERCALL_CODE);
	ck_assert_uint_eq(dec(simple(HvCallGetPartitionId), CHILD), HV_STATUS_SUCCESS);
}
END_TEST

START_TEST(reserved_bits)
{
	/* 31:27, 47:44, 63:60, each bit alone */
	for (unsigned b = 0; b < 64; b++) {
		bool reserved = (b >= 27 && b <= 31) || (b >= 44 && b <= 47) || b >= 60;
		if (!reserved)
			continue;
		ck_assert_msg(dec(simple(HvCallGetPartitionId) | (1ull << b), ROOT) ==
			      HV_STATUS_INVALID_HYPERCALL_INPUT, "bit %u", b);
	}
}
END_TEST

START_TEST(rep_count_against_kind)
{
	ck_assert_uint_eq(dec(rep(HvCallCreatePartition, 1, 0), ROOT), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallCreatePartition, 0, 1), ROOT), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallDepositMemory, 0, 0), ROOT), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallDepositMemory, 1, 0), ROOT), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(dec(rep(HvCallDepositMemory, 4095, 4094), ROOT), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(dec(rep(HvCallDepositMemory, 5, 5), ROOT), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallDepositMemory, 5, 4095), ROOT), HV_STATUS_INVALID_HYPERCALL_INPUT);
}
END_TEST

START_TEST(variable_header)
{
	ck_assert_uint_eq(dec(hv_input_value(HvCallFlushVirtualAddressSpaceEx, 0, 0, 3, 0), CHILD),
			  HV_STATUS_SUCCESS);
	ck_assert_uint_eq(dec(hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 1, 0), CHILD),
			  HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(hv_input_value(HvCallDepositMemory, 1, 0, 1, 0), ROOT),
			  HV_STATUS_INVALID_HYPERCALL_INPUT);
}
END_TEST

START_TEST(fast_form)
{
	ck_assert_uint_eq(dec(hv_input_value(HvCallSignalEvent, 0, 0, 0, 1), CHILD), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(dec(hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 0, 1), CHILD),
			  HV_STATUS_SUCCESS);
	/* every other code: INVALID_HYPERCALL_INPUT */
	unsigned n;
	const struct hvcall_desc *t = hvcall_table(&n);
	for (unsigned i = 0; i < n; i++) {
		if (t[i].code == HvCallSignalEvent || t[i].code == HvCallFlushVirtualAddressSpace)
			continue;
		unsigned reps = t[i].kind == HVCALL_REP ? 1 : 0;
		ck_assert_msg(dec(hv_input_value(t[i].code, reps, 0, 0, 1), ROOT) ==
			      HV_STATUS_INVALID_HYPERCALL_INPUT, "%s fast", t[i].name);
	}
	struct hvcall_input in;
	hvcall_decode(hv_input_value(HvCallSignalEvent, 0, 0, 0, 1), CHILD, &in);
	ck_assert(in.fast);
	ck_assert_uint_eq(hvcall_input_bytes(&in), 0);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 3, 5), HV_STATUS_SUCCESS); /* no blocks */
}
END_TEST

START_TEST(privileges)
{
	unsigned n;
	const struct hvcall_desc *t = hvcall_table(&n);
	for (unsigned i = 0; i < n; i++) {
		unsigned reps = t[i].kind == HVCALL_REP ? 1 : 0;
		uint64_t v = hv_input_value(t[i].code, reps, 0, 0, 0);
		ck_assert_uint_eq(dec(v, ROOT), HV_STATUS_SUCCESS);
		bool root_only = (t[i].privilege & HV_PRIVS_ROOT_ONLY) != 0;
		ck_assert_msg(dec(v, CHILD) == (root_only ? HV_STATUS_ACCESS_DENIED : HV_STATUS_SUCCESS),
			      "%s from a child", t[i].name);
		ck_assert_uint_eq(dec(v, 0), t[i].privilege ? HV_STATUS_ACCESS_DENIED : HV_STATUS_SUCCESS);
	}
}
END_TEST

START_TEST(blocks)
{
	struct hvcall_input in;
	hvcall_decode(simple(HvCallCreatePartition), ROOT, &in); /* in 16, out 8 */
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x2000), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1004, 0x2000), HV_STATUS_INVALID_ALIGNMENT);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x2001), HV_STATUS_INVALID_ALIGNMENT);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1FF0, 0x2FF8), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1FF8, 0x2000), HV_STATUS_INVALID_ALIGNMENT);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0xFFFFFFFFFFFFFFF8ull, 0), HV_STATUS_INVALID_ALIGNMENT);
	/* overlap: stage 5's first check, after alignment */
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x1008), HV_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1008, 0x1010), HV_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1010, 0x1008), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1010, 0x1004), HV_STATUS_INVALID_ALIGNMENT);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x1010), HV_STATUS_SUCCESS);

	/* a whole rep list must lie in the page */
	hvcall_decode(rep(HvCallDepositMemory, 511, 0), ROOT, &in);   /* 8 + 511 * 8 = 4096 */
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x5000, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x5008, 0), HV_STATUS_INVALID_ALIGNMENT);
	hvcall_decode(rep(HvCallDepositMemory, 512, 500), ROOT, &in);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x5000, 0), HV_STATUS_INVALID_ALIGNMENT);
	hvcall_decode(rep(HvCallUnmapGpaPages, 4095, 0), ROOT, &in);  /* no elements */
	ck_assert_uint_eq(hvcall_input_bytes(&in), 24);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x5FE8, 0), HV_STATUS_SUCCESS);
	hvcall_decode(rep(HvCallGetVpRegisters, 256, 0), ROOT, &in); /* 16 * 256 out */
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x2000), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1000, 0x2010), HV_STATUS_INVALID_ALIGNMENT);
	/* no input block: RDX is not looked at; no output block: R8 neither */
	hvcall_decode(simple(HvCallGetPartitionId), CHILD, &in);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1233, 0x2000), HV_STATUS_SUCCESS);
	hvcall_decode(simple(HvCallDeletePartition), ROOT, &in);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x2000, 0x1233), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x2000, 0x2000), HV_STATUS_SUCCESS);
}
END_TEST

/* The order of checks: for each pair of stages, an input that fails both gets the
 * earlier stage's status. */
START_TEST(order_of_checks)
{
	const uint64_t reserved = 1ull << 30;
	/* code before control value */
	ck_assert_uint_eq(dec(0x0001 | reserved, ROOT), HV_STATUS_INVALID_HYPERCALL_CODE);
	ck_assert_uint_eq(dec(rep(0x0001, 5, 9), ROOT), HV_STATUS_INVALID_HYPERCALL_CODE);
	/* code before privilege */
	ck_assert_uint_eq(dec(0x0001, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
	/* control value before privilege, each control check */
	ck_assert_uint_eq(dec(simple(HvCallCreatePartition) | reserved, CHILD),
			  HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallCreatePartition, 2, 0), CHILD), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallMapGpaPages, 0, 0), CHILD), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(rep(HvCallMapGpaPages, 3, 3), CHILD), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(hv_input_value(HvCallCreateVp, 0, 0, 1, 0), CHILD),
			  HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(dec(hv_input_value(HvCallCreateVp, 0, 0, 0, 1), CHILD),
			  HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* privilege before alignment: decode stops, the blocks are never looked at */
	struct hvcall_input in;
	ck_assert_uint_eq(hvcall_decode(simple(HvCallCreatePartition), CHILD, &in),
			  HV_STATUS_ACCESS_DENIED);
	/* alignment before overlap (a parameter check) */
	hvcall_decode(simple(HvCallCreatePartition), ROOT, &in);
	ck_assert_uint_eq(hvcall_check_blocks(&in, 0x1001, 0x1001), HV_STATUS_INVALID_ALIGNMENT);
}
END_TEST

START_TEST(continuation)
{
	uint64_t v = hv_input_value(HvCallMapGpaPages, 300, 0, 0, 0);
	uint64_t c = hvcall_continuation(v, 128);
	struct hvcall_input in;
	ck_assert_uint_eq(hvcall_decode(c, ROOT, &in), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(in.rep_start, 128);
	ck_assert_uint_eq(in.rep_count, 300);
	ck_assert_uint_eq(c & ~HV_INPUT_REP_START_MASK, v);
	ck_assert_uint_eq(HV_RESULT_REPS_DONE(hv_result_value(HV_STATUS_INVALID_PARAMETER, 17)), 17);
}
END_TEST

/* Every input value is decoded without trouble and the status is one of the four
 * stage statuses; a pseudo-random sweep over the 64-bit space. */
START_TEST(random_values)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (unsigned i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x;
		if (i & 1) /* half with a known code, to get past stage 1 */
			v = (v & ~0xFFFFull) | HvCallMapGpaPages;
		struct hvcall_input in;
		uint16_t s = hvcall_decode(v, i & 2 ? ROOT : CHILD, &in);
		ck_assert(s == HV_STATUS_SUCCESS || s == HV_STATUS_INVALID_HYPERCALL_CODE ||
			  s == HV_STATUS_INVALID_HYPERCALL_INPUT || s == HV_STATUS_ACCESS_DENIED);
		if (s == HV_STATUS_SUCCESS) {
			ck_assert_uint_eq(v & HV_INPUT_RESERVED_MASK, 0);
			uint16_t b = hvcall_check_blocks(&in, x, x >> 3);
			ck_assert(b == HV_STATUS_SUCCESS || b == HV_STATUS_INVALID_ALIGNMENT ||
				  b == HV_STATUS_INVALID_PARAMETER);
		}
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hvcall_decode");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, table_matches_the_def);
	tcase_add_test(tc, fields_are_decoded);
	tcase_add_test(tc, call_codes);
	tcase_add_test(tc, reserved_bits);
	tcase_add_test(tc, rep_count_against_kind);
	tcase_add_test(tc, variable_header);
	tcase_add_test(tc, fast_form);
	tcase_add_test(tc, privileges);
	tcase_add_test(tc, blocks);
	tcase_add_test(tc, order_of_checks);
	tcase_add_test(tc, continuation);
	tcase_add_test(tc, random_values);
	suite_add_tcase(s, tc);
	return s;
}
