/* TLB flush policies (hv_config.flush, the `flush=` option): what hv does for every
 * flush a guest asks for and every one hv itself owes, each something a real
 * hypervisor could do on this hardware (specs/svm.md "TLB tagging"):
 *
 *              guest MOV CR3 / INVLPG         flush hypercalls             CPUID 0x40000004
 *   full       children: intercepted, each    TLB_CONTROL = 1: every       EAX bits 1, 2 clear
 *              becomes TLB_CONTROL = 1        ASID loses its entries
 *   asid       not intercepted: the hardware  TLB_CONTROL = 3: the          bits 1, 2 set
 *              flushes within the ASID        caller's ASID only
 *   precise    not intercepted                List: INVLPGA per page;      bits 1, 2 set
 *                                             Space: TLB_CONTROL 3, or 7
 *                                             with NON_GLOBAL_MAPPINGS_ONLY
 *
 * The root's MOV CR3 and INVLPG are never intercepted. hvsim's TLB tags entries with
 * the guest's PCID, but INVLPGA has no PCID operand and TLB_CONTROL knows only the
 * ASID: a flush of one AddressSpace (no HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES) is done
 * under `precise` as a whole-ASID flush and counted as such (address_space_as_asid).
 * INVLPGA of a page drops that page in every PCID of the ASID.
 *
 * All VPs of a partition share its ASID, and there is one CPU: a flush owed as a
 * TLB_CONTROL value is applied at the next VMRUN of any of the partition's VPs, which
 * comes before any of them runs a guest instruction again, so every targeted flush is
 * complete when the call returns. The flushes hv owes for its own map changes (unmap,
 * deposit, the hypercall page) follow the same policy: a GPA names no GVA, so they are
 * whole-ASID (or, under `full`, whole-TLB) flushes. */
#include "abi/hvcpuid.h"
#include "hv.h"

#define CR4_PCIDE (1ull << 17)
#define CR3_NOFLUSH (1ull << 63)
#define FLUSH_FLAGS (HV_FLUSH_ALL_PROCESSORS | HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES | \
		     HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY)

/* 1 (everything) covers 3 (the ASID), which covers 7 (its non-global entries) */
static void owe(struct partition *p, uint8_t control)
{
	uint8_t now = p->tlb_control;
	if (now == VMCB_TLB_FLUSH_ALL || now == control)
		return;
	if (control == VMCB_TLB_FLUSH_ALL || now == VMCB_TLB_NOTHING ||
	    (control == VMCB_TLB_FLUSH_ASID && now == VMCB_TLB_FLUSH_ASID_LOCAL))
		p->tlb_control = control;
}

void flush_partition(struct partition *p, bool non_global)
{
	switch (hv_config.flush) {
	case FLUSH_FULL: owe(p, VMCB_TLB_FLUSH_ALL); break;
	case FLUSH_ASID: owe(p, VMCB_TLB_FLUSH_ASID); break;
	case FLUSH_PRECISE: owe(p, non_global ? VMCB_TLB_FLUSH_ASID_LOCAL : VMCB_TLB_FLUSH_ASID); break;
	}
}

uint32_t flush_recommendations(void)
{
	if (hv_config.flush == FLUSH_FULL)
		return 0; /* a hypercall would flush everything: INVLPG / MOV CR3 are no worse */
	return HV_RECOMMEND_HYPERCALL_FOR_LOCAL_FLUSH | HV_RECOMMEND_HYPERCALL_FOR_REMOTE_FLUSH;
}

bool flush_intercepts_guest(const struct partition *p)
{
	return hv_config.flush == FLUSH_FULL && !p->is_root;
}

/* ---- the intercepted guest flushes (policy `full`, children) ---- */

void flush_cr3_exit(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	uint64_t value = *vp_gpr(vp, (unsigned)(v->exitinfo1 & 15)); /* decode assist */
	bool pcide = (v->cr4 & CR4_PCIDE) != 0;
	bool no_flush = pcide && (value & CR3_NOFLUSH);
	if (pcide)
		value &= ~CR3_NOFLUSH;
	if (value >> 40) {
		vp_inject_gp(vp); /* reserved bits, as the CPU would refuse them */
		return;
	}
	v->cr3 = value;
	if (!no_flush)
		owe(vp->part, VMCB_TLB_FLUSH_ALL);
	vp_advance_rip(vp);
}

void flush_invlpg_exit(struct vp *vp)
{
	owe(vp->part, VMCB_TLB_FLUSH_ALL);
	vp_advance_rip(vp);
}

/* ---- the flush hypercalls (0x0002, 0x0003, 0x0013, 0x0014) ---- */

/* Does the request name any VP the caller has? */
static bool names_a_vp(struct partition *p, uint64_t flags, uint64_t mask)
{
	if (flags & HV_FLUSH_ALL_PROCESSORS)
		return true;
	for (unsigned i = 0; i < HV_MAX_VPS; i++)
		if (p->vp[i] && ((mask >> i) & 1))
			return true;
	return false;
}

/* A whole address space (or all of them), as the policy says */
static void flush_space(struct partition *p, uint64_t flags)
{
	if (hv_config.flush == FLUSH_PRECISE && !(flags & HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES))
		p->stats.address_space_as_asid++;
	flush_partition(p, (flags & HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY) != 0);
}

/* The pages of one GVA range element (List forms), one INVLPGA each */
static void flush_range(struct partition *p, uint64_t range)
{
	uint64_t base = range & ~(HV_PAGE - 1);
	uint64_t pages = HV_GVA_RANGE_COUNT(range);
	for (uint64_t k = 0; k < pages; k++) {
		uint64_t gva = base + k * HV_PAGE;
		if (gva < base)
			break; /* wrapped past the top of the address space */
		if ((uint64_t)(((int64_t)gva << 16) >> 16) != gva)
			continue; /* not canonical: nothing can be cached there */
		svm_invlpga(gva, p->asid);
		p->stats.invlpga++;
	}
}

static uint16_t flush_space_call(struct hvcall *c)
{
	uint64_t flags, mask = 0;
	if (c->in.fast) {
		flags = c->fast_r8; /* RDX = AddressSpace, R8 = Flags; no mask is read */
	} else {
		const struct hv_flush_va_space *in = (const void *)c->input;
		flags = in->flags;
		mask = in->processor_mask;
	}
	if ((flags & ~FLUSH_FLAGS) || (c->in.fast && !(flags & HV_FLUSH_ALL_PROCESSORS)))
		return HV_STATUS_INVALID_PARAMETER;
	if (names_a_vp(c->caller, flags, mask))
		flush_space(c->caller, flags);
	return HV_STATUS_SUCCESS;
}

/* List: the header once, then the ranges; under `full` and `asid` the first does all */
static uint16_t flush_list_prepare(struct hvcall *c)
{
	const struct hv_flush_va_space *in = (const void *)c->input;
	if (in->flags & ~(HV_FLUSH_ALL_PROCESSORS | HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES))
		return HV_STATUS_INVALID_PARAMETER; /* NON_GLOBAL_MAPPINGS_ONLY included */
	c->target = names_a_vp(c->caller, in->flags, in->processor_mask) ? c->caller : 0;
	if (c->target && hv_config.flush != FLUSH_PRECISE)
		flush_partition(c->target, false);
	return HV_STATUS_SUCCESS;
}

static uint16_t flush_list_element(struct hvcall *c, unsigned i)
{
	if (c->target && hv_config.flush == FLUSH_PRECISE)
		flush_range(c->target, ((const uint64_t *)(c->input + sizeof(struct hv_flush_va_space)))[i]);
	return HV_STATUS_SUCCESS;
}

/* The Ex forms' VP set (HV_VP_SET): is any of the caller's VPs in it? The variable
 * header must be the banks: as many as valid_banks has bits (format 0), none
 * (format 1) — INVALID_HYPERCALL_INPUT otherwise, checked first since the control
 * value's size is wrong. */
static uint16_t vp_set_check(struct hvcall *c, const struct hv_flush_va_space_ex *h, bool list,
			     bool *any)
{
	if (h->vp_set_format == HV_VP_SET_ALL && c->in.varhead_qwords != 0)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->vp_set_format == HV_VP_SET_SPARSE_4K &&
	    c->in.varhead_qwords != (unsigned)__builtin_popcountll(h->vp_set_valid_banks))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	uint64_t allowed = list ? HV_FLUSH_ALL_PROCESSORS | HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES
				: FLUSH_FLAGS;
	if (h->vp_set_format > HV_VP_SET_ALL || (h->flags & ~allowed))
		return HV_STATUS_INVALID_PARAMETER;
	uint64_t bank0 = 0;
	if (h->vp_set_format == HV_VP_SET_SPARSE_4K && (h->vp_set_valid_banks & 1))
		bank0 = *(const uint64_t *)(h + 1); /* the first bank: VPs 0-63 */
	*any = h->vp_set_format == HV_VP_SET_ALL || names_a_vp(c->caller, h->flags, bank0);
	return HV_STATUS_SUCCESS;
}

static uint16_t flush_space_ex_call(struct hvcall *c)
{
	const struct hv_flush_va_space_ex *h = (const void *)c->input;
	bool any;
	uint16_t status = vp_set_check(c, h, false, &any);
	if (status == HV_STATUS_SUCCESS && any)
		flush_space(c->caller, h->flags);
	return status;
}

static uint16_t flush_list_ex_prepare(struct hvcall *c)
{
	const struct hv_flush_va_space_ex *h = (const void *)c->input;
	bool any;
	uint16_t status = vp_set_check(c, h, true, &any);
	c->target = status == HV_STATUS_SUCCESS && any ? c->caller : 0;
	if (c->target && hv_config.flush != FLUSH_PRECISE)
		flush_partition(c->target, false);
	return status;
}

static uint16_t flush_list_ex_element(struct hvcall *c, unsigned i)
{
	const uint64_t *ranges = (const uint64_t *)(c->input + sizeof(struct hv_flush_va_space_ex) +
						    8ull * c->in.varhead_qwords);
	if (c->target && hv_config.flush == FLUSH_PRECISE)
		flush_range(c->target, ranges[i]);
	return HV_STATUS_SUCCESS;
}

const struct hvcall_handler hvcall_flush_handlers[] = {
	{ .code = HvCallFlushVirtualAddressSpace, .simple = flush_space_call },
	{ .code = HvCallFlushVirtualAddressList, .prepare = flush_list_prepare,
	  .element = flush_list_element },
	{ .code = HvCallFlushVirtualAddressSpaceEx, .simple = flush_space_ex_call },
	{ .code = HvCallFlushVirtualAddressListEx, .prepare = flush_list_ex_prepare,
	  .element = flush_list_ex_element },
};
const unsigned hvcall_flush_nr_handlers = sizeof hvcall_flush_handlers / sizeof hvcall_flush_handlers[0];
