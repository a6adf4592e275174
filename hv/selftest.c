/* `selftest` on hv's command line: checks of hv's pure parts as they run on the
 * simulated machine (the same decoder and map code the host unit tests cover in
 * tests/hv), plus the virtual x2APIC's priority rules, then the run ends with the
 * number of failed checks as the exit status. One "ok" or "FAIL" line per check. */
#include "hv.h"
#include "kprintf.h"
#include "kstring.h"
#include "machine.h"

static unsigned failures, checks;

static void check(bool ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	kprintf("%s - hv selftest: %s\n", ok ? "ok" : "FAIL", what);
}

static uint16_t decode(uint64_t v, uint64_t privs)
{
	struct hvcall_input in;
	return hvcall_decode(v, privs, &in);
}

static void decoder_checks(void)
{
	const uint64_t all = HV_PRIVS_EVERY_PARTITION | HV_PRIVS_ROOT_ONLY;
	const uint64_t child = HV_PRIVS_EVERY_PARTITION;
	check(decode(0x0001, all) == HV_STATUS_INVALID_HYPERCALL_CODE, "unknown code");
	check(decode(HvCallGetPartitionId, child) == HV_STATUS_SUCCESS, "GetPartitionId decodes");
	check(decode(HvCallGetPartitionId | (1ull << 27), all) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "reserved bit 27");
	check(decode(0x0001 | (1ull << 63), all) == HV_STATUS_INVALID_HYPERCALL_CODE,
	      "the code is checked before reserved bits");
	check(decode(hv_input_value(HvCallCreatePartition, 1, 0, 0, 0), all) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "a simple call with a rep count");
	check(decode(hv_input_value(HvCallDepositMemory, 0, 0, 0, 0), all) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "a rep call without one");
	check(decode(hv_input_value(HvCallDepositMemory, 3, 3, 0, 0), all) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "rep start = rep count");
	check(decode(hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 1, 0), all) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "a variable header on a call without one");
	check(decode(hv_input_value(HvCallPostMessage, 0, 0, 0, 1), all) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "the fast bit on PostMessage");
	check(decode(hv_input_value(HvCallCreatePartition, 0, 0, 0, 0), child) ==
	      HV_STATUS_ACCESS_DENIED, "CreatePartition from a child");
	check(decode(hv_input_value(HvCallCreatePartition, 2, 0, 0, 0), child) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT, "the control value is checked before privilege");

	struct hvcall_input in;
	hvcall_decode(hv_input_value(HvCallGetVpRegisters, 300, 0, 0, 0), all, &in);
	check(hvcall_check_blocks(&in, 0x1000, 0x3000) == HV_STATUS_INVALID_ALIGNMENT,
	      "300 register values do not fit an output page");
	hvcall_decode(hv_input_value(HvCallGetPartitionId, 0, 0, 0, 0), all, &in);
	check(hvcall_check_blocks(&in, 0x1234567, 0x2004) == HV_STATUS_INVALID_ALIGNMENT,
	      "a misaligned output block");
	check(hvcall_check_blocks(&in, 0x1234567, 0x2ff8) == HV_STATUS_SUCCESS,
	      "no input block: RDX is not looked at");
	hvcall_decode(hv_input_value(HvCallCreatePartition, 0, 0, 0, 0), all, &in);
	check(hvcall_check_blocks(&in, 0x2000, 0x2008) == HV_STATUS_INVALID_PARAMETER,
	      "overlapping blocks");
	check(hvcall_continuation(hv_input_value(HvCallMapGpaPages, 10, 2, 0, 0), 7) ==
	      hv_input_value(HvCallMapGpaPages, 10, 7, 0, 0), "the continuation's rep start");
}

static void map_checks(void)
{
	struct gpamap m;
	uint64_t before = pool_free_pages();
	check(gpamap_init(&m, &pool_gpamap_ops) == GPAMAP_OK, "gpamap_init");
	check(gpamap_map_2m(&m, 0x200000, 0x4000000, GPAMAP_READ | GPAMAP_WRITE) == GPAMAP_OK,
	      "a 2 MiB page");
	uint64_t hpa = 0, e;
	check(gpamap_translate(&m, 0x345678, &hpa, &e) == GPAMAP_OK && hpa == 0x4145678,
	      "translate inside it");
	check(gpamap_map_4k(&m, 0x201000, 0x5000000, GPAMAP_READ) == GPAMAP_EXISTS,
	      "a 4 KiB page inside a 2 MiB one is refused");
	uint64_t old;
	check(gpamap_unmap_4k(&m, 0x201000, &old) == GPAMAP_OK &&
	      (old & NPT_ADDR_MASK) == 0x4001000, "unmapping one page splits the 2 MiB page");
	check(gpamap_translate(&m, 0x201000, &hpa, &e) == GPAMAP_ABSENT &&
	      gpamap_translate(&m, 0x202000, &hpa, &e) == GPAMAP_OK && hpa == 0x4002000,
	      "its neighbours stay");
	gpamap_destroy(&m, 0, 0);
	check(pool_free_pages() == before, "every table went back to the pool");
}

static void vapic_checks(void)
{
	uint64_t vp_pa = pool_alloc(), vmcb_pa = pool_alloc();
	struct vp *vp = hv_ptr(vp_pa);
	vp->vmcb = hv_ptr(vmcb_pa);
	vp->vmcb->rflags = 1ull << 9;
	vapic_reset(vp);
	check(vapic_pending(vp) < 0, "a disabled APIC offers nothing");
	check(vapic_write(vp, 0x1B, 0xFEE00000ull | (3u << 10)) && vapic_write(vp, 0x80F, 0x1FF),
	      "x2APIC mode, software enabled");
	vapic_raise(vp, 0x31, false);
	vapic_raise(vp, 0x52, false);
	check(vapic_pending(vp) == 0x52, "the highest vector first");
	vapic_accept(vp, 0x52);
	check(vapic_pending(vp) < 0, "a lower class waits while 0x52 is in service");
	check(vapic_write(vp, 0x80B, 0) && vapic_pending(vp) == 0x31, "EOI lets 0x31 through");
	check(vapic_write(vp, 0x808, 0x40) && vapic_pending(vp) < 0, "TPR 0x40 masks 0x31");
	check(!vapic_write(vp, 0x80B, 1), "EOI with a non-zero value is #GP");
	pool_free(vp_pa);
	pool_free(vmcb_pa);
}

_Noreturn void selftest_run(void)
{
	decoder_checks();
	map_checks();
	vapic_checks();
	kprintf("hv selftest: %u checks, %u failed\n", checks, failures);
	machine_exit((int)failures);
}
