/* CPUID in a partition (specs/hypercall-abi.md "Discovery"; TLFS "Feature Discovery").
 * Leaves 0x40000000-0x400000FF are the hypervisor's; every other leaf is the CPU's own
 * answer, with three changes: leaf 1 ECX bit 31 says a hypervisor is present and EBX
 * 31:24 gives the VP's APIC ID; SVM (0x80000001 ECX bit 2, leaf 0x8000000A) is hv's and
 * is not shown. A parent may intercept a leaf of its child: it gets the message with
 * the values hv would return, and answers with HvCallSetVpRegisters. */
#include "abi/hvcpuid.h"
#include "hv.h"
#include "kstring.h"
#include "x86.h"

#define HV_BUILD 1
#define HV_VERSION_MAJOR 1
#define HV_VERSION_MINOR 0

static void hypervisor_leaf(struct vp *vp, uint32_t leaf, uint32_t r[4])
{
	uint64_t privs = vp->part->privileges;
	switch (leaf) {
	case HV_CPUID_VENDOR_AND_MAX:
		r[0] = HV_CPUID_MAX_LEAF;
		r[1] = HV_CPUID_VENDOR_EBX;
		r[2] = HV_CPUID_VENDOR_ECX;
		r[3] = HV_CPUID_VENDOR_EDX;
		break;
	case HV_CPUID_INTERFACE:
		r[0] = HV_CPUID_SIGNATURE_HV1;
		break;
	case HV_CPUID_VERSION:
		r[0] = HV_BUILD;
		r[1] = HV_VERSION_MAJOR << 16 | HV_VERSION_MINOR;
		break;
	case HV_CPUID_FEATURES:
		r[0] = (uint32_t)privs;          /* privilege mask 31:0 */
		r[1] = (uint32_t)(privs >> 32);  /* ... 63:32 */
		r[3] = 0;                        /* no XMM fast calls (EDX bit 4 clear) */
		break;
	case HV_CPUID_ENLIGHTENMENTS:
		r[0] = flush_recommendations();
		r[1] = 0xFFFFFFFFu;              /* never notify a long spin */
		break;
	case HV_CPUID_IMPLEMENTATION_LIMITS:
		r[0] = HV_MAX_VPS;               /* virtual processors per partition */
		r[1] = 1;                        /* logical processors: the board has one */
		break;
	case HV_CPUID_HARDWARE_FEATURES:
		r[0] = HV_HW_FEATURE_SLAT;       /* nested paging */
		break;
	default:
		break;                           /* unused hypervisor leaves read 0 */
	}
}

void cpuid_guest(struct vp *vp, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	memset(r, 0, 4 * sizeof r[0]);
	if (leaf >= 0x40000000u && leaf <= 0x400000FFu) {
		hypervisor_leaf(vp, leaf, r);
		return;
	}
	cpuid(leaf, subleaf, r);
	if (leaf == 1) {
		r[2] |= HV_CPUID_FEATURES_ECX_HYPERVISOR;
		r[1] = (r[1] & 0x00FFFFFFu) | vp->index << 24; /* initial APIC ID */
	} else if (leaf == 0x80000001u) {
		r[2] &= ~(1u << 2);              /* SVM */
	} else if (leaf == 0x8000000Au) {
		r[0] = r[1] = r[2] = r[3] = 0;
	}
}

void cpuid_exit(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	uint32_t leaf = (uint32_t)v->rax, subleaf = (uint32_t)vp->regs.rcx;
	uint32_t r[4];
	cpuid_guest(vp, leaf, subleaf, r);
	if (!vp->part->is_root &&
	    intercept_find(vp->part, HV_INTERCEPT_TYPE_CPUID, leaf, HV_INTERCEPT_ACCESS_READ |
			   HV_INTERCEPT_ACCESS_WRITE | HV_INTERCEPT_ACCESS_EXECUTE)) {
		struct hv_x64_cpuid_intercept_message *m = (void *)vp->intercept_msg.msg.payload.bytes;
		memset(m, 0, sizeof *m);
		intercept_header(vp, &m->header, HV_INTERCEPT_ACCESS_TYPE_EXECUTE);
		m->rax = v->rax;
		m->rcx = vp->regs.rcx;
		m->rdx = vp->regs.rdx;
		m->rbx = vp->regs.rbx;
		m->default_result_rax = r[0];
		m->default_result_rbx = r[1];
		m->default_result_rcx = r[2];
		m->default_result_rdx = r[3];
		intercept_send(vp, HVMSG_X64_CPUID_INTERCEPT, sizeof *m);
		return;
	}
	v->rax = r[0];
	vp->regs.rbx = r[1];
	vp->regs.rcx = r[2];
	vp->regs.rdx = r[3];
	vp_advance_rip(vp);
}
