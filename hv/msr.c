/* RDMSR / WRMSR in a partition: the MSRs svm.c's permission maps send here.
 *   0x40000000-0x400000FF  synthetic: GUEST_OS_ID, HYPERCALL, VP_INDEX, the SynIC
 *   0x1B, 0x800-0x8FF      the VP's virtual x2APIC (vapic.c)
 *   EFER                   SVME is hv's (VMRUN needs it set in the guest's EFER): hidden
 *   0xC0010000-0xC0011FFF  SVM's (VM_CR, VM_HSAVE_PA): #GP, as on a CPU without SVM
 *   anything else          only with msrpm_all (the parent intercepts an MSR the default
 *                          map passes through): emulated on the VMCB's fields
 * A child's parent may intercept any of them (HvCallInstallIntercept, type MSR): it then
 * gets the message instead, and answers with HvCallSetVpRegisters.
 *
 * The hypercall page (TLFS "Establishing the Hypercall Interface"): enabling it writes
 * VMMCALL; RET (0F 01 D9 C3) into the guest page the MSR names and makes that page
 * read-only in the partition's map, so a write to it is a nested page fault that
 * exit.c turns into #GP. Enabling it while GUEST_OS_ID is 0 leaves the enable bit 0;
 * writing 0 to GUEST_OS_ID disables it. Unlike Hyper-V's overlay, the page's old
 * contents are not kept: they are gone once the code is written. */
#include "abi/hvmsr.h"
#include "hv.h"
#include "x86.h"

#define MSR_EFER_ADDR 0xC0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)
#define MSR_TSC 0x10u
#define MSR_PAT 0x277u
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_STAR_ADDR 0xC0000081u
#define MSR_LSTAR_ADDR 0xC0000082u
#define MSR_CSTAR_ADDR 0xC0000083u
#define MSR_SFMASK_ADDR 0xC0000084u
#define MSR_FS_BASE_ADDR 0xC0000100u
#define MSR_GS_BASE_ADDR 0xC0000101u
#define MSR_KERNEL_GS_BASE_ADDR 0xC0000102u
#define MSR_TSC_AUX 0xC0000103u
#define HYPERCALL_RESERVED 0xFFCull   /* bits 11:2 */
#define CR0_PG (1ull << 31)

static bool canonical(uint64_t v)
{
	return (uint64_t)(((int64_t)v << 16) >> 16) == v;
}

/* ---- the hypercall page ---- */

static void overlay_remove(struct partition *p)
{
	if (p->overlay_gpa == ~0ull)
		return;
	int err;
	uint64_t *e = gpamap_entry(&p->map, p->overlay_gpa, 0, 0, &err);
	if (e && (*e & GPAMAP_SW_OVERLAY)) {
		uint64_t v = *e & ~(GPAMAP_SW_OVERLAY | GPAMAP_SW_WAS_RW);
		if (*e & GPAMAP_SW_WAS_RW)
			v |= NPT_RW;
		gpamap_store(&p->map, e, v);
	}
	p->overlay_gpa = ~0ull;
}

static bool overlay_install(struct partition *p, uint64_t gpa)
{
	int err;
	uint64_t *e = gpamap_entry(&p->map, gpa, 0, 1, &err);
	if (!e || !(*e & NPT_P))
		return false; /* not RAM of this partition */
	/* a root page a child shares would let the child rewrite the root's hypercalls */
	if (p->is_root && gpamap_count(*e) > 0)
		return false;
	static const uint8_t code[4] = { 0x0F, 0x01, 0xD9, 0xC3 }; /* VMMCALL; RET */
	uint8_t *page = hv_ptr(*e & NPT_ADDR_MASK);
	for (unsigned i = 0; i < sizeof code; i++)
		page[i] = code[i];
	if (!(*e & GPAMAP_SW_OVERLAY)) {
		uint64_t was = (*e & NPT_RW) ? GPAMAP_SW_WAS_RW : 0;
		gpamap_store(&p->map, e, (*e & ~NPT_RW) | GPAMAP_SW_OVERLAY | was);
	}
	p->overlay_gpa = gpa;
	flush_partition(p, false); /* a cached writable translation must go */
	return true;
}

void hypercall_page_refresh(struct partition *p)
{
	if (p->overlay_gpa != ~0ull && (p->hypercall_msr & HV_HYPERCALL_ENABLE))
		overlay_install(p, p->overlay_gpa);
}

static bool hypercall_write(struct partition *p, uint64_t v)
{
	if (p->hypercall_msr & HV_HYPERCALL_LOCKED)
		return true; /* locked: further writes are ignored */
	if (v & HYPERCALL_RESERVED)
		return false;
	if (p->guest_os_id == 0)
		v &= ~HV_HYPERCALL_ENABLE;
	overlay_remove(p);
	if ((v & HV_HYPERCALL_ENABLE) && !overlay_install(p, v & ~(HV_PAGE - 1))) {
		p->hypercall_msr &= ~HV_HYPERCALL_ENABLE; /* the old page is gone too */
		return false;
	}
	p->hypercall_msr = v;
	return true;
}

static bool guest_os_id_write(struct partition *p, uint64_t v)
{
	p->guest_os_id = v;
	if (v == 0 && (p->hypercall_msr & HV_HYPERCALL_ENABLE)) {
		overlay_remove(p);
		p->hypercall_msr &= ~HV_HYPERCALL_ENABLE;
	}
	return true;
}

/* ---- dispatch ---- */

static bool synthetic_read(struct vp *vp, uint32_t msr, uint64_t *v)
{
	struct partition *p = vp->part;
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
	case HV_X64_MSR_HYPERCALL:
		if (!(p->privileges & HV_PRIV_ACCESS_HYPERCALL_MSRS))
			return false;
		*v = msr == HV_X64_MSR_GUEST_OS_ID ? p->guest_os_id : p->hypercall_msr;
		return true;
	case HV_X64_MSR_VP_INDEX:
		if (!(p->privileges & HV_PRIV_ACCESS_VP_INDEX))
			return false;
		*v = vp->index;
		return true;
	default:
		return (p->privileges & HV_PRIV_ACCESS_SYNIC_REGS) && synic_read(vp, msr, v);
	}
}

static bool synthetic_write(struct vp *vp, uint32_t msr, uint64_t v)
{
	struct partition *p = vp->part;
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
		return (p->privileges & HV_PRIV_ACCESS_HYPERCALL_MSRS) && guest_os_id_write(p, v);
	case HV_X64_MSR_HYPERCALL:
		return (p->privileges & HV_PRIV_ACCESS_HYPERCALL_MSRS) && hypercall_write(p, v);
	case HV_X64_MSR_VP_INDEX:
		return false; /* read-only */
	default:
		return (p->privileges & HV_PRIV_ACCESS_SYNIC_REGS) && synic_write(vp, msr, v);
	}
}

/* EFER as the guest sees it: SVME is hv's */
static bool efer_write(struct vp *vp, uint64_t v)
{
	struct vmcb *vm = vp->vmcb;
	if (v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return false; /* SVME included: this CPU has no SVM for the guest */
	if ((vm->cr0 & CR0_PG) && ((v ^ vm->efer) & EFER_LME))
		return false; /* LME cannot change while paging is on */
	if ((v ^ vm->efer) & EFER_NXE)
		flush_partition(vp->part, false); /* cached translations checked NX the old way */
	vm->efer = (vm->efer & EFER_LMA) | (v & (EFER_SCE | EFER_LME | EFER_NXE)) | EFER_SVME;
	return true;
}

/* The MSRs VMLOAD/VMSAVE and the VMCB keep, for a VP whose MSR map intercepts all */
static uint64_t *vmcb_msr(struct vmcb *v, uint32_t msr)
{
	switch (msr) {
	case MSR_STAR_ADDR: return &v->star;
	case MSR_LSTAR_ADDR: return &v->lstar;
	case MSR_CSTAR_ADDR: return &v->cstar;
	case MSR_SFMASK_ADDR: return &v->sfmask;
	case MSR_FS_BASE_ADDR: return &v->fs.base;
	case MSR_GS_BASE_ADDR: return &v->gs.base;
	case MSR_KERNEL_GS_BASE_ADDR: return &v->kernel_gs_base;
	case MSR_SYSENTER_CS: return &v->sysenter_cs;
	case MSR_SYSENTER_ESP: return &v->sysenter_esp;
	case MSR_SYSENTER_EIP: return &v->sysenter_eip;
	case MSR_PAT: return &v->g_pat;
	default: return 0;
	}
}

static bool guest_msr_read(struct vp *vp, uint32_t msr, uint64_t *v)
{
	if (msr >= 0x40000000u && msr <= 0x400000FFu)
		return synthetic_read(vp, msr, v);
	if (msr == 0x1B || (msr >= 0x800 && msr <= 0x8FF))
		return vapic_read(vp, msr, v);
	if (msr == MSR_EFER_ADDR) {
		*v = vp->vmcb->efer & ~EFER_SVME;
		return true;
	}
	if (msr >= 0xC0010000u && msr <= 0xC0011FFFu)
		return false;
	if (msr == MSR_TSC) {
		*v = rdtsc() + vp->vmcb->tsc_offset;
		return true;
	}
	if (msr == MSR_TSC_AUX) {
		*v = rdmsr(MSR_TSC_AUX);
		return true;
	}
	uint64_t *field = vmcb_msr(vp->vmcb, msr);
	if (!field)
		return false;
	*v = *field;
	return true;
}

static bool guest_msr_write(struct vp *vp, uint32_t msr, uint64_t v)
{
	if (msr >= 0x40000000u && msr <= 0x400000FFu)
		return synthetic_write(vp, msr, v);
	if (msr == 0x1B || (msr >= 0x800 && msr <= 0x8FF))
		return vapic_write(vp, msr, v);
	if (msr == MSR_EFER_ADDR)
		return efer_write(vp, v);
	if (msr == MSR_TSC_AUX) {
		if (v >> 32)
			return false;
		wrmsr(MSR_TSC_AUX, v);
		return true;
	}
	uint64_t *field = vmcb_msr(vp->vmcb, msr);
	if (!field || msr == MSR_TSC)
		return false;
	if ((msr == MSR_LSTAR_ADDR || msr == MSR_CSTAR_ADDR || msr == MSR_FS_BASE_ADDR ||
	     msr == MSR_GS_BASE_ADDR || msr == MSR_KERNEL_GS_BASE_ADDR) && !canonical(v))
		return false;
	*field = msr == MSR_SFMASK_ADDR ? v & 0xFFFFFFFFu : v;
	return true;
}

void msr_exit(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	uint32_t msr = (uint32_t)vp->regs.rcx;
	bool write = v->exitinfo1 != 0;
	uint64_t value = (vp->regs.rdx << 32) | (uint32_t)v->rax;

	if (!vp->part->is_root &&
	    intercept_find(vp->part, HV_INTERCEPT_TYPE_MSR, msr,
			   write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ)) {
		struct hv_x64_msr_intercept_message *m = (void *)vp->intercept_msg.msg.payload.bytes;
		for (unsigned i = 0; i < sizeof *m; i++)
			((uint8_t *)m)[i] = 0;
		intercept_header(vp, &m->header, write ? HV_INTERCEPT_ACCESS_TYPE_WRITE
						       : HV_INTERCEPT_ACCESS_TYPE_READ);
		m->msr_number = msr;
		m->rdx = vp->regs.rdx;
		m->rax = v->rax;
		intercept_send(vp, HVMSG_X64_MSR_INTERCEPT, sizeof *m);
		return;
	}
	bool ok;
	if (write) {
		ok = guest_msr_write(vp, msr, value);
	} else {
		ok = guest_msr_read(vp, msr, &value);
		if (ok) {
			v->rax = (uint32_t)value;
			vp->regs.rdx = value >> 32;
		}
	}
	if (ok)
		vp_advance_rip(vp);
	else
		vp_inject_gp(vp);
}
