/* The hypercall dispatcher (specs/hypercall-abi.md "Calling convention"): a VMMCALL
 * exit, from the hypercall page's VMMCALL; RET or anywhere else.
 *
 *   RCX input value, RDX input GPA (fast: the first 8 bytes), R8 output GPA (fast: the
 *   second 8 bytes); RAX gets the result value; only RAX, and RCX on a continuation,
 *   change.
 *
 * The order of checks, first failure wins:
 *   0. CPL > 0, or the hypercall page not enabled: #UD (no status at all)
 *   1-3. call code, control value, privilege          hvcall_decode
 *   4. alignment and page crossing (then overlap)     hvcall_check_blocks
 *   5. parameter values: the blocks must be the caller's RAM (input readable, output
 *      writable: INVALID_PARAMETER), then the handler's checks of the values
 *   6. objects (partitions, VPs, connections), then their state, then memory
 * A rep call's handler checks its header once (prepare) and each element as it goes;
 * hv handles at most hv_config.rep_budget elements per exit. When the budget runs out
 * first, it returns without advancing RIP and with RCX's rep start moved on, so the
 * guest executes the VMMCALL again and the call continues where it stopped (the timer
 * can preempt in between). On an error, RAX's reps completed says how many elements
 * succeeded. Block GPAs are the caller's: a child's hypercall reaches only its own RAM. */
#include "hv.h"

static const struct hvcall_handler *find_handler(uint16_t code)
{
	for (unsigned i = 0; i < hvcall_partition_nr_handlers; i++)
		if (hvcall_partition_handlers[i].code == code)
			return &hvcall_partition_handlers[i];
	for (unsigned i = 0; i < hvcall_flush_nr_handlers; i++)
		if (hvcall_flush_handlers[i].code == code)
			return &hvcall_flush_handlers[i];
	return 0;
}

/* Stage 5's first check: hv's pointers to the blocks, through the caller's map */
static uint16_t map_blocks(struct hvcall *c)
{
	uint64_t in_bytes = hvcall_input_bytes(&c->in), out_bytes = hvcall_output_bytes(&c->in);
	if (in_bytes) {
		c->input = partition_gpa_ptr(c->caller, c->vp->regs.rdx, in_bytes, GPAMAP_READ);
		if (!c->input)
			return HV_STATUS_INVALID_PARAMETER;
	}
	if (out_bytes) {
		c->output = partition_gpa_ptr(c->caller, c->vp->regs.r8, out_bytes,
					      GPAMAP_READ | GPAMAP_WRITE);
		if (!c->output)
			return HV_STATUS_INVALID_PARAMETER;
	}
	return HV_STATUS_SUCCESS;
}

void hypercall_exit(struct vp *vp)
{
	struct partition *p = vp->part;
	/* TLFS: from CPL > 0 a hypercall is #UD; so is one before the guest set up the
	 * hypercall page (as KVM does) */
	if (vp->vmcb->cpl != 0 || !(p->hypercall_msr & HV_HYPERCALL_ENABLE)) {
		vp_inject_ud(vp);
		return;
	}
	struct hvcall c = {
		.vp = vp, .caller = p, .fast_rdx = vp->regs.rdx, .fast_r8 = vp->regs.r8,
	};
	uint64_t rcx = vp->regs.rcx;
	uint16_t status = hvcall_decode(rcx, p->privileges, &c.in);
	int index = hvcall_index(c.in.code);
	if (index >= 0)
		p->stats.hypercalls[index]++;
	unsigned done = 0;
	if (status == HV_STATUS_SUCCESS)
		status = hvcall_check_blocks(&c.in, vp->regs.rdx, vp->regs.r8);
	if (status == HV_STATUS_SUCCESS)
		status = map_blocks(&c);
	if (status == HV_STATUS_SUCCESS) {
		const struct hvcall_handler *h = find_handler(c.in.code);
		if (!h)
			hv_fatal("hypercall 0x%04x is in hvcalls.def but has no handler", c.in.code);
		if (c.in.desc->kind == HVCALL_SIMPLE) {
			status = h->simple(&c);
		} else {
			unsigned i = c.in.rep_start, budget = hv_config.rep_budget;
			status = h->prepare ? h->prepare(&c) : HV_STATUS_SUCCESS;
			while (status == HV_STATUS_SUCCESS && i < c.in.rep_count && budget > 0) {
				status = h->element(&c, i);
				if (status == HV_STATUS_SUCCESS)
					i++;
				budget--;
			}
			if (h->finish)
				h->finish(&c);
			done = i;
			if (status == HV_STATUS_SUCCESS && i < c.in.rep_count) {
				/* over budget: the guest runs the VMMCALL again from element i */
				vp->regs.rcx = hvcall_continuation(rcx, i);
				p->stats.continuations++;
				return;
			}
		}
	}
	if (status != HV_STATUS_SUCCESS)
		p->stats.hypercall_errors++;
	vp->vmcb->rax = hv_result_value(status, done);
	vp_advance_rip(vp);
}
