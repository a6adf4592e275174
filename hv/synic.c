/* The synthetic interrupt controller (TLFS "SynIC"; specs/hypercall-abi.md "SynIC and
 * messages"): per-VP MSRs, the message page (16 slots of 256 bytes, one per SINT) and
 * the event-flag page, and hv's queues of messages waiting for a free slot.
 *
 * hvsim's simplifications: messages and events go to VP 0 of the destination
 * partition; a connection id names the destination partition and SINT
 * (HV_CONNECTION_ID); a child may post and signal only to its parent and to itself.
 *
 * Delivery: a message waits in its destination's queue for its SINT until VP 0 has the
 * SynIC and the message page enabled and the slot is free (type 0); then it is copied
 * into the slot and the SINT's vector is raised in the VP's virtual x2APIC (unless the
 * SINT is masked). A busy slot gets the "message pending" flag, so the guest writes EOM
 * after freeing it, which makes hv try again. Posted messages live in the destination's
 * queue page (HV_MSGQ_SLOTS of them: INSUFFICIENT_BUFFERS when full); hv's own (intercepts,
 * halts) live in the VP or partition they are about. */
#include "abi/hvmsr.h"
#include "hv.h"
#include "kprintf.h"
#include "kstring.h"

#define SIEF_BYTES_PER_SINT (HV_EVENT_FLAGS_PER_SINT / 8)

_Static_assert(sizeof(struct pending_msg) * HV_MSGQ_SLOTS <= HV_PAGE, "one queue page");
_Static_assert(sizeof(struct hv_message) == 256, "TLFS HV_MESSAGE");

void synic_init_queue(struct partition *p, struct pending_msg *slots)
{
	p->msgq = slots;
	for (unsigned i = 0; i < HV_MSGQ_SLOTS; i++) {
		slots[i].owner = p;
		slots[i].posted = true;
		slots[i].queued = false;
	}
}

static uint64_t page_gpa(uint64_t msr) { return msr & ~(HV_PAGE - 1); }

/* Raises SINT sint's vector in vp's virtual x2APIC, unless the SINT is masked. A SINT
 * is an APIC interrupt: an APIC not enabled (IA32_APIC_BASE EN|EXTD, SVR bit 8) drops
 * it, as it would any other; hv says so once, since the guest then waits forever. */
static void raise_sint(struct vp *vp, unsigned sint)
{
	uint64_t s = vp->synic.sint[sint];
	if (s & HV_SINT_MASKED)
		return;
	if (!vapic_accepts(vp) && !vp->part->warned_apic_off) {
		vp->part->warned_apic_off = true;
		kprintf("hv: partition %llu VP %u: SINT%u's interrupt is dropped: its x2APIC is "
			"not enabled (IA32_APIC_BASE EN|EXTD and SVR bit 8)\n",
			(unsigned long long)vp->part->id, vp->index, sint);
	}
	vapic_raise(vp, HV_SINT_VECTOR(s), (s & HV_SINT_AUTO_EOI) != 0);
}

void synic_deliver(struct partition *dst)
{
	struct vp *vp = dst->vp[0];
	if (dst->msgs_queued == 0 || !vp || !(vp->synic.scontrol & HV_SYNIC_ENABLE) ||
	    !(vp->synic.simp & HV_SYNIC_ENABLE))
		return;
	struct hv_message *page = partition_gpa_ptr(dst, page_gpa(vp->synic.simp), HV_PAGE,
						    GPAMAP_READ | GPAMAP_WRITE);
	if (!page)
		return; /* the page is not the partition's RAM: the messages keep waiting */
	for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++) {
		struct pending_msg *m = dst->msg_head[sint];
		if (!m)
			continue;
		struct hv_message *slot = &page[sint];
		if (slot->header.message_type != HVMSG_NONE) {
			slot->header.message_flags |= HV_MESSAGE_FLAG_PENDING;
			continue;
		}
		dst->msg_head[sint] = m->next;
		if (!m->next)
			dst->msg_tail[sint] = 0;
		m->queued = false;
		dst->msgs_queued--;
		/* the header and the payload it announces (TLFS: the rest is undefined) */
		size_t bytes = sizeof m->msg.header + m->msg.header.payload_size;
		memcpy(slot, &m->msg, bytes <= sizeof *slot ? bytes : sizeof *slot);
		slot->header.message_flags = dst->msg_head[sint] ? HV_MESSAGE_FLAG_PENDING : 0;
		dst->stats.messages_delivered++;
		raise_sint(vp, sint);
	}
}

void synic_queue(struct partition *dst, struct pending_msg *m)
{
	if (m->queued)
		return; /* already waiting: its contents were updated in place */
	m->next = 0;
	m->queued = true;
	dst->msgs_queued++;
	if (dst->msg_tail[m->sint])
		dst->msg_tail[m->sint]->next = m;
	else
		dst->msg_head[m->sint] = m;
	dst->msg_tail[m->sint] = m;
	synic_deliver(dst);
}

void synic_drop_from(struct partition *dst, struct partition *owner)
{
	for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++) {
		struct pending_msg **link = &dst->msg_head[sint], *last = 0;
		while (*link) {
			struct pending_msg *m = *link;
			if (m->owner == owner) {
				*link = m->next;
				m->queued = false;
				dst->msgs_queued--;
			} else {
				last = m;
				link = &m->next;
			}
		}
		dst->msg_tail[sint] = last;
	}
}

/* The partition a connection id names, if caller may reach it */
static struct partition *connection_target(struct partition *caller, uint32_t connection)
{
	struct partition *dst = partition_find(caller, HV_CONNECTION_PARTITION(connection));
	if (!dst || dst->state != PART_ACTIVE)
		return 0;
	if (!caller->is_root && dst != caller && dst != caller->parent)
		return 0;
	return dst;
}

uint16_t synic_post(struct partition *caller, uint32_t connection, uint32_t type,
		    const void *payload, uint32_t size)
{
	struct partition *dst = connection_target(caller, connection);
	if (!dst)
		return HV_STATUS_INVALID_CONNECTION_ID;
	struct pending_msg *m = 0;
	for (unsigned i = 0; i < HV_MSGQ_SLOTS && !m; i++)
		if (!dst->msgq[i].queued)
			m = &dst->msgq[i];
	if (!m)
		return HV_STATUS_INSUFFICIENT_BUFFERS;
	memset(&m->msg, 0, sizeof m->msg);
	m->msg.header.message_type = type;
	m->msg.header.payload_size = (uint8_t)size;
	m->msg.header.sender = caller->id;
	memcpy(m->msg.payload.bytes, payload, size);
	m->sint = (uint8_t)HV_CONNECTION_SINT(connection);
	caller->stats.messages_sent++;
	synic_queue(dst, m);
	return HV_STATUS_SUCCESS;
}

uint16_t synic_signal(struct partition *caller, uint32_t connection, uint32_t flag)
{
	struct partition *dst = connection_target(caller, connection);
	if (!dst)
		return HV_STATUS_INVALID_CONNECTION_ID;
	struct vp *vp = dst->vp[0];
	if (!vp || !(vp->synic.scontrol & HV_SYNIC_ENABLE) || !(vp->synic.siefp & HV_SYNIC_ENABLE))
		return HV_STATUS_INVALID_SYNIC_STATE;
	uint8_t *page = partition_gpa_ptr(dst, page_gpa(vp->synic.siefp), HV_PAGE,
					  GPAMAP_READ | GPAMAP_WRITE);
	if (!page)
		return HV_STATUS_INVALID_SYNIC_STATE;
	unsigned sint = HV_CONNECTION_SINT(connection);
	uint8_t *byte = &page[sint * SIEF_BYTES_PER_SINT + flag / 8];
	uint8_t bit = (uint8_t)(1u << (flag % 8));
	if (!(*byte & bit)) {
		*byte |= bit;
		raise_sint(vp, sint); /* only a flag newly set interrupts (TLFS) */
	}
	return HV_STATUS_SUCCESS;
}

/* ---- the MSRs ---- */

bool synic_read(struct vp *vp, uint32_t msr, uint64_t *v)
{
	struct synic *s = &vp->synic;
	if (msr >= HV_X64_MSR_SINT0 && msr < HV_X64_MSR_SINT0 + HV_SINT_COUNT) {
		*v = s->sint[msr - HV_X64_MSR_SINT0];
		return true;
	}
	switch (msr) {
	case HV_X64_MSR_SCONTROL: *v = s->scontrol; return true;
	case HV_X64_MSR_SVERSION: *v = 1; return true;
	case HV_X64_MSR_SIEFP: *v = s->siefp; return true;
	case HV_X64_MSR_SIMP: *v = s->simp; return true;
	case HV_X64_MSR_EOM: *v = 0; return true;
	default: return false;
	}
}

bool synic_write(struct vp *vp, uint32_t msr, uint64_t v)
{
	struct synic *s = &vp->synic;
	if (msr >= HV_X64_MSR_SINT0 && msr < HV_X64_MSR_SINT0 + HV_SINT_COUNT) {
		if (v & ~(0xFFull | HV_SINT_MASKED | HV_SINT_AUTO_EOI))
			return false;
		if (!(v & HV_SINT_MASKED) && HV_SINT_VECTOR(v) < 16)
			return false; /* vectors 0-15 are the exceptions' */
		s->sint[msr - HV_X64_MSR_SINT0] = v;
	} else {
		switch (msr) {
		case HV_X64_MSR_SCONTROL:
			if (v & ~HV_SYNIC_ENABLE)
				return false;
			s->scontrol = v;
			break;
		case HV_X64_MSR_SIEFP:
		case HV_X64_MSR_SIMP:
			if (v & (HV_PAGE - 1) & ~HV_SYNIC_ENABLE)
				return false;
			*(msr == HV_X64_MSR_SIEFP ? &s->siefp : &s->simp) = v;
			break;
		case HV_X64_MSR_EOM:
			break; /* end of message: try the queues again */
		default:
			return false; /* SVERSION is read-only */
		}
	}
	if (vp->index == 0)
		synic_deliver(vp->part);
	return true;
}
