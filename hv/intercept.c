/* Intercept messages (TLFS "Intercepts"): what a child did that its parent must
 * answer. The message lives in the child's VP state (a deposited page), goes to the
 * parent's SINT0, and the VP stays suspended (HvRegisterInterceptSuspend = 1) until the
 * parent clears that register with HvCallSetVpRegisters, after emulating the access
 * (advancing RIP past it, setting RAX for an IN, ...). */
#include "hv.h"

void intercept_header(struct vp *vp, struct hv_x64_intercept_message_header *h,
		      uint8_t access_type)
{
	struct vmcb *v = vp->vmcb;
	h->vp_index = vp->index;
	/* NRIP (instruction intercepts) gives the length; 0 when the exit has none (NPF) */
	uint64_t len = v->nrip > v->rip ? v->nrip - v->rip : 0;
	h->instruction_length = (uint8_t)(len <= 15 ? len : 0);
	h->intercept_access_type = access_type;
	h->execution_state = v->cpl & 3;
	h->cs_selector = v->cs.selector;
	h->rip = v->rip;
	h->rflags = v->rflags;
}

void intercept_send(struct vp *vp, uint32_t type, uint32_t payload_bytes)
{
	struct partition *p = vp->part;
	struct hv_message_header *h = &vp->intercept_msg.msg.header;
	h->message_type = type;
	h->payload_size = (uint8_t)payload_bytes;
	h->message_flags = 0;
	h->sender = p->id;
	vp->intercept_msg.sint = 0;
	vp->intercept_suspend = true;
	p->stats.messages_sent++;
	synic_queue(p->parent, &vp->intercept_msg);
}

const struct intercept *intercept_find(struct partition *p, uint8_t type, uint32_t parameter,
				       uint8_t access)
{
	for (unsigned i = 0; i < p->nr_intercepts; i++) {
		const struct intercept *x = &p->intercepts[i];
		if (x->type == type && x->parameter == parameter && (x->access & access))
			return x;
	}
	return 0;
}
