/* Turning SVM on and running one VP (AMD APM vol. 2 ch. 15; specs/svm.md).
 *
 * The permission maps are shared, hv-owned and read-only to every guest:
 *   iopm_children  every port intercepted: a child's I/O goes to its parent as a message
 *   iopm_root      only port 0xF4, and only with the `stats` option (hv prints its
 *                  summary before the root's exit reaches the device)
 *   msrpm_default  what every partition's MSR accesses need from hv: IA32_APIC_BASE and
 *                  the x2APIC range (each VP has a virtual x2APIC), EFER (SVME is hv's),
 *                  0xC0010000-0xC0011FFF (VM_CR, VM_HSAVE_PA: SVM is hv's). The
 *                  synthetic MSRs at 0x40000000 lie outside the map: they always exit.
 *   msrpm_all      every MSR: a child whose parent intercepts an MSR the default map
 *                  lets through (msr.c emulates those). */
#include "hv.h"
#include "kstring.h"
#include "x86.h"

#define MSR_EFER_ADDR 0xC0000080u
#define EFER_SVME (1ull << 12)
#define MSR_VM_HSAVE_PA 0xC0010117u
#define IOPM_PAGES 3
#define MSRPM_PAGES 2

uint64_t iopm_children_pa, iopm_root_pa, msrpm_default_pa, msrpm_all_pa;
static uint64_t host_save_pa, host_vmsave_pa;

void svm_vmrun(struct vp_regs *regs, uint64_t vmcb_pa, uint64_t host_state_pa);
void svm_vmsave(uint64_t pa);

/* The MSRPM's two bits (read, write) for msr, in its three 2 KiB ranges (APM §15.11) */
static void msrpm_intercept(uint8_t *map, uint32_t msr)
{
	uint32_t base;
	if (msr <= 0x1FFF)
		base = 0;
	else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu)
		base = 0x800, msr -= 0xC0000000u;
	else if (msr >= 0xC0010000u && msr <= 0xC0011FFFu)
		base = 0x1000, msr -= 0xC0010000u;
	else
		return; /* outside the map: always intercepted */
	uint32_t bit = msr * 2;
	map[base + bit / 8] |= (uint8_t)(3u << (bit % 8));
}

static uint64_t contig(unsigned pages, const char *what)
{
	uint64_t pa = pool_alloc_contig(pages);
	if (!pa)
		hv_fatal("out of pool pages for the %s", what);
	return pa;
}

void svm_init(void)
{
	/* EFER.SVME makes VMRUN and its kin legal (APM §15.4) */
	wrmsr(MSR_EFER_ADDR, rdmsr(MSR_EFER_ADDR) | EFER_SVME);
	/* VMRUN saves hv's state here and #VMEXIT reloads it (APM §15.30.4) */
	host_save_pa = contig(1, "host save area");
	wrmsr(MSR_VM_HSAVE_PA, host_save_pa);
	/* hv's own FS, GS, TR, LDTR and syscall MSRs, for vmrun.S to VMLOAD after each exit */
	host_vmsave_pa = contig(1, "host VMSAVE area");
	svm_vmsave(host_vmsave_pa);

	iopm_children_pa = contig(IOPM_PAGES, "children's I/O permission map");
	memset(hv_ptr(iopm_children_pa), 0xFF, IOPM_PAGES * HV_PAGE);
	iopm_root_pa = contig(IOPM_PAGES, "root's I/O permission map");
	((uint8_t *)hv_ptr(iopm_root_pa))[0xF4 / 8] |= 1u << (0xF4 % 8);

	msrpm_default_pa = contig(MSRPM_PAGES, "MSR permission map");
	uint8_t *map = hv_ptr(msrpm_default_pa);
	msrpm_intercept(map, 0x1B);
	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++)
		msrpm_intercept(map, msr);
	msrpm_intercept(map, MSR_EFER_ADDR);
	for (uint32_t msr = 0xC0010000u; msr <= 0xC0011FFFu; msr++)
		msrpm_intercept(map, msr);
	msrpm_all_pa = contig(MSRPM_PAGES, "all-MSR permission map");
	memset(hv_ptr(msrpm_all_pa), 0xFF, MSRPM_PAGES * HV_PAGE);
}

void svm_invlpga(uint64_t gva, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" : : "a"(gva), "c"(asid) : "memory");
}

/* The interrupt a VP gets at this entry: an event owed (an exception hv injects, or one
 * whose delivery an exit cut short) through EVENTINJ, else the virtual x2APIC's best
 * vector through V_IRQ, which the guest takes when its RFLAGS.IF allows (APM §15.21.4). */
static void offer_interrupt(struct vp *vp, struct vmcb *v)
{
	vp->offered_vector = -1;
	v->vintr &= ~VMCB_V_IRQ;
	if (vp->pending_event) {
		v->eventinj = vp->pending_event;
		vp->pending_event = 0;
		return;
	}
	int vector = vapic_pending(vp);
	if (vector >= 0) {
		v->vintr |= VMCB_V_IRQ;
		v->vintr_vector = (uint8_t)vector;
		vp->offered_vector = vector;
	}
}

void svm_run(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	struct partition *p = vp->part;

	/* the flush this partition is owed (flush.c decided which) */
	v->tlb_control = p->tlb_control;
	p->tlb_control = VMCB_TLB_NOTHING;
	p->stats.tlb_control[v->tlb_control & 7]++;
	p->stats.vmruns++;
	/* CR8 is V_TPR under V_INTR_MASKING: the guest sees its TPR's priority class */
	v->vintr = (v->vintr & ~VMCB_V_TPR_MASK) | ((vp->apic.tpr >> 4) & VMCB_V_TPR_MASK);
	offer_interrupt(vp, v);

	svm_vmrun(&vp->regs, hv_pa(v), host_vmsave_pa);

	v->tlb_control = VMCB_TLB_NOTHING;
	vapic_sync_tpr(vp);
	/* V_IRQ cleared by the hardware: the guest took the vector */
	if (vp->offered_vector >= 0 && !(v->vintr & VMCB_V_IRQ))
		vapic_accept(vp, vp->offered_vector);
	vp->offered_vector = -1;
	v->vintr &= ~VMCB_V_IRQ;
	/* an event whose delivery this exit interrupted is delivered again next time */
	if (v->exitintinfo & VMCB_EVENT_VALID)
		vp->pending_event = v->exitintinfo;
}
