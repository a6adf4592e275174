/* Virtual processors: a VMCB and a page of state each, the control fields every VP
 * gets (each with the reason it is set), the state a VP starts in, and the registers
 * the parent reads and writes with HvCallGet/SetVpRegisters (TLFS HV_REGISTER_NAME). */
#include "hv.h"
#include "kstring.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_PCIDE (1ull << 17)
#define CR4_ALLOWED (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE) /* what hvsim's CPU has */
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)
#define EFER_GUEST (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RFLAGS_FIXED (1ull << 1)
#define RFLAGS_DEFINED 0x3F7FD5ull  /* the bits x86-64 defines (SDM vol. 1 §3.4.3) */
#define PHYS_LIMIT (1ull << 40)

/* The boot protocol's entry state (shared/DESIGN.md; sim/machine/boot.c): a VP starts
 * like a bare image, so a parent that lays out a child's first MiB as the loader does
 * only has to set RIP. */
#define BOOT_GDT 0x1000ull
#define BOOT_INFO 0x2000ull
#define BOOT_PML4 0x4000ull
#define BOOT_STACK_TOP 0x80000ull
#define PAT_POWER_UP 0x0007040600070406ull /* WB, WT, UC-, UC twice (SDM §13.12.4) */

void vp_update_intercepts(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	struct partition *p = vp->part;

	/* MOV CR3 and INVLPG exit only where the flush policy rewrites them (flush.c) */
	v->intercept_cr = flush_intercepts_guest(p) ? VMCB_CR_WRITE(3) : 0;
	/* exceptions the parent asked to see (HvCallInstallIntercept) */
	v->intercept_exceptions = p->exception_bitmap;
	v->intercept_misc1 =
		VMCB_I1_INTR |      /* hv's timer: preemption and virtual timers */
		VMCB_I1_CPUID |     /* the hypervisor leaves, leaf 1 ECX bit 31, no SVM shown */
		VMCB_I1_HLT |       /* an idle VP gives the CPU back */
		VMCB_I1_MSR |       /* synthetic MSRs, the virtual x2APIC, EFER.SVME hidden */
		VMCB_I1_SHUTDOWN |  /* a triple fault must not end the machine */
		VMCB_I1_INVLPGA |   /* SVM is hv's: its instructions are #UD in a guest */
		/* a child's ports are its parent's to emulate; the root's only for `stats` */
		(!p->is_root || hv_config.stats ? VMCB_I1_IOIO : 0) |
		(flush_intercepts_guest(p) ? VMCB_I1_INVLPG : 0);
	/* VMRUN must be intercepted (APM §15.5.1); VMLOAD, VMSAVE take host-physical
	 * operands, STGI, CLGI would hold hv's interrupts: none is a guest's to run */
	v->intercept_misc2 = VMCB_I2_VMRUN | VMCB_I2_VMMCALL | VMCB_I2_VMLOAD | VMCB_I2_VMSAVE |
			     VMCB_I2_STGI | VMCB_I2_CLGI;
	v->msrpm_base_pa = p->msrpm_pa;
}

static void vmcb_init_controls(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	struct partition *p = vp->part;

	vp_update_intercepts(vp);
	/* the shared, hv-owned permission maps (svm.c) */
	v->iopm_base_pa = p->is_root ? iopm_root_pa : iopm_children_pa;
	/* no offset: RDTSC is the machine's cycle count, as the boot protocol promises */
	v->tsc_offset = 0;
	/* the partition's TLB tag: its entries survive other partitions' runs */
	v->guest_asid = p->asid;
	/* physical interrupts stay hv's (the guest's IF masks only virtual ones), and the
	 * guest's CR8 is V_TPR */
	v->vintr = VMCB_V_INTR_MASKING;
	/* nested paging through the partition's map: all it can reach */
	v->np_enable = 1;
	v->ncr3 = p->map.top_hpa;
	/* hvsim reloads every field at each VMRUN; clean bits 0 say so honestly */
	v->clean_bits = 0;
}

void vp_reset_state(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	v->cs = (struct vmcb_seg){ 0x08, VMCB_ATTR_CODE64, 0xFFFFFFFF, 0 };
	v->ds = v->es = v->ss = (struct vmcb_seg){ 0x10, VMCB_ATTR_DATA, 0xFFFFFFFF, 0 };
	v->fs = v->gs = (struct vmcb_seg){ 0, 0, 0, 0 };
	v->ldtr = (struct vmcb_seg){ 0, VMCB_ATTR_LDT, 0xFFFF, 0 };
	v->tr = (struct vmcb_seg){ 0, VMCB_ATTR_TSS, 0xFFFF, 0 };
	v->gdtr = (struct vmcb_seg){ 0, 0, 3 * 8 - 1, BOOT_GDT };
	v->idtr = (struct vmcb_seg){ 0, 0, 0, 0 };
	v->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	v->cr2 = 0;
	v->cr3 = BOOT_PML4;
	v->cr4 = CR4_PAE;
	/* VMRUN wants EFER.SVME in the guest's EFER (APM §15.5.1); msr.c hides it */
	v->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME;
	v->rflags = RFLAGS_FIXED;
	v->rip = 0;
	v->rsp = BOOT_STACK_TOP;
	v->rax = 0;
	v->cpl = 0;
	v->dr6 = 0xFFFF0FF0;
	v->dr7 = 0x400;
	v->g_pat = PAT_POWER_UP;
	v->interrupt_shadow = 0;
	memset(&vp->regs, 0, sizeof vp->regs);
	vp->regs.rdi = BOOT_INFO;
}

struct vp *vp_create(struct partition *p, uint32_t index, uint16_t *status)
{
	uint64_t vmcb_pa = part_alloc_page(p);
	uint64_t state_pa = vmcb_pa ? part_alloc_page(p) : 0;
	if (!state_pa) {
		if (vmcb_pa)
			part_free_page(p, vmcb_pa);
		*status = HV_STATUS_INSUFFICIENT_MEMORY;
		return 0;
	}
	struct vp *vp = hv_ptr(state_pa);
	vp->part = p;
	vp->index = index;
	vp->vmcb = hv_ptr(vmcb_pa);
	vp->offered_vector = -1;
	vp->explicit_suspend = !p->is_root; /* a child's VP waits for its start */
	vp->intercept_msg.owner = p;
	vmcb_init_controls(vp);
	vp_reset_state(vp);
	vapic_reset(vp);
	for (unsigned i = 0; i < HV_SINT_COUNT; i++)
		vp->synic.sint[i] = HV_SINT_MASKED;
	if (nr_all_vps == HV_MAX_ALL_VPS) {
		part_free_page(p, state_pa);
		part_free_page(p, vmcb_pa);
		*status = HV_STATUS_INSUFFICIENT_MEMORY;
		return 0;
	}
	p->vp[index] = vp;
	sched_add(vp);
	*status = HV_STATUS_SUCCESS;
	return vp;
}

void vp_destroy(struct vp *vp)
{
	struct partition *p = vp->part;
	uint64_t vmcb_pa = hv_pa(vp->vmcb), state_pa = hv_pa(vp);
	sched_remove(vp);
	p->vp[vp->index] = 0;
	part_free_page(p, vmcb_pa);
	part_free_page(p, state_pa);
}

bool vp_runnable(const struct vp *vp)
{
	return vp->started && !vp->halted && !vp->explicit_suspend && !vp->intercept_suspend &&
	       vp->part->state == PART_ACTIVE;
}

void vp_advance_rip(struct vp *vp)
{
	/* NRIP save (CPUID 0x8000000A EDX bit 3): the instruction after the intercepted one */
	vp->vmcb->rip = vp->vmcb->nrip;
	/* an STI or MOV SS shadow covered the instruction just completed */
	vp->vmcb->interrupt_shadow = 0;
}

void vp_inject_exception(struct vp *vp, unsigned vector, bool has_error, uint32_t error)
{
	vp->pending_event = vector | VMCB_EVENT_TYPE_EXCEPTION | VMCB_EVENT_VALID |
			    (has_error ? VMCB_EVENT_ERROR_VALID | (uint64_t)error << 32 : 0);
}

uint64_t *vp_gpr(struct vp *vp, unsigned n)
{
	struct vp_regs *r = &vp->regs;
	uint64_t *const order[16] = { &vp->vmcb->rax, &r->rcx, &r->rdx, &r->rbx, &vp->vmcb->rsp,
				      &r->rbp, &r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
				      &r->r12, &r->r13, &r->r14, &r->r15 };
	return order[n & 15];
}

/* ---- registers for the parent (HvCallGet/SetVpRegisters) ---- */

static struct vmcb_seg *segment_of(struct vmcb *v, uint32_t name)
{
	switch (name) {
	case HvX64RegisterEs: return &v->es;
	case HvX64RegisterCs: return &v->cs;
	case HvX64RegisterSs: return &v->ss;
	case HvX64RegisterDs: return &v->ds;
	case HvX64RegisterFs: return &v->fs;
	case HvX64RegisterGs: return &v->gs;
	case HvX64RegisterLdtr: return &v->ldtr;
	case HvX64RegisterTr: return &v->tr;
	default: return 0;
	}
}

static void seg_to_hv(const struct vmcb_seg *s, struct hv_x64_segment_register *h)
{
	h->base = s->base;
	h->limit = s->limit;
	h->selector = s->selector;
	h->attributes = s->attrib;
}

static struct vmcb_seg seg_from_hv(const struct hv_x64_segment_register *h)
{
	return (struct vmcb_seg){ h->selector, h->attributes, h->limit, h->base };
}

uint16_t vp_get_register(struct vp *vp, uint32_t name, union hv_register_value *out)
{
	struct vmcb *v = vp->vmcb;
	memset(out, 0, sizeof *out);
	if (name >= HvX64RegisterRax && name <= HvX64RegisterR15) {
		out->reg64 = *vp_gpr(vp, name - HvX64RegisterRax);
		return HV_STATUS_SUCCESS;
	}
	struct vmcb_seg *s = segment_of(v, name);
	if (s) {
		seg_to_hv(s, &out->segment);
		return HV_STATUS_SUCCESS;
	}
	switch (name) {
	case HvRegisterExplicitSuspend: out->reg64 = vp->explicit_suspend; break;
	case HvRegisterInterceptSuspend: out->reg64 = vp->intercept_suspend; break;
	case HvX64RegisterRip: out->reg64 = v->rip; break;
	case HvX64RegisterRflags: out->reg64 = v->rflags; break;
	case HvX64RegisterCr0: out->reg64 = v->cr0; break;
	case HvX64RegisterCr2: out->reg64 = v->cr2; break;
	case HvX64RegisterCr3: out->reg64 = v->cr3; break;
	case HvX64RegisterCr4: out->reg64 = v->cr4; break;
	case HvX64RegisterCr8: out->reg64 = vp->apic.tpr >> 4; break;
	case HvX64RegisterEfer: out->reg64 = v->efer & ~EFER_SVME; break;
	case HvX64RegisterIdtr:
		out->table.limit = (uint16_t)v->idtr.limit;
		out->table.base = v->idtr.base;
		break;
	case HvX64RegisterGdtr:
		out->table.limit = (uint16_t)v->gdtr.limit;
		out->table.base = v->gdtr.base;
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
	return HV_STATUS_SUCCESS;
}

/* hvsim's CPU runs 64-bit code only (specs/svm.md consistency checks): a state it
 * would refuse at VMRUN is refused here, with INVALID_PARAMETER. */
static bool cr0_ok(uint64_t v) { return !(v >> 32) && (v & CR0_PG) && (v & CR0_PE); }
static bool cr4_ok(uint64_t v) { return !(v & ~CR4_ALLOWED) && (v & CR4_PAE); }
static bool efer_ok(uint64_t v) { return !(v & ~EFER_GUEST) && (v & EFER_LME) && (v & EFER_LMA); }
static bool cr3_ok(uint64_t v) { return v < PHYS_LIMIT; }

static uint16_t set_suspend(struct vp *vp, bool *flag, uint64_t v)
{
	if (v > 1)
		return HV_STATUS_INVALID_PARAMETER;
	*flag = v != 0;
	/* clearing ExplicitSuspend of a VP never started starts it in its current state */
	if (flag == &vp->explicit_suspend && !v)
		vp->started = true;
	return HV_STATUS_SUCCESS;
}

uint16_t vp_set_register(struct vp *vp, uint32_t name, const union hv_register_value *in)
{
	struct vmcb *v = vp->vmcb;
	uint64_t x = in->reg64;
	if (name >= HvX64RegisterRax && name <= HvX64RegisterR15) {
		*vp_gpr(vp, name - HvX64RegisterRax) = x;
		return HV_STATUS_SUCCESS;
	}
	struct vmcb_seg *s = segment_of(v, name);
	if (s) {
		*s = seg_from_hv(&in->segment);
		if (name == HvX64RegisterCs)
			v->cpl = (uint8_t)(s->selector & 3); /* the CPL is CS's RPL */
		return HV_STATUS_SUCCESS;
	}
	switch (name) {
	case HvRegisterExplicitSuspend: return set_suspend(vp, &vp->explicit_suspend, x);
	case HvRegisterInterceptSuspend: return set_suspend(vp, &vp->intercept_suspend, x);
	case HvX64RegisterRip:
		v->rip = x;
		v->interrupt_shadow = 0; /* the shadow was the old instruction's */
		break;
	case HvX64RegisterRflags: v->rflags = (x & RFLAGS_DEFINED) | RFLAGS_FIXED; break;
	case HvX64RegisterCr0:
		if (!cr0_ok(x))
			return HV_STATUS_INVALID_PARAMETER;
		v->cr0 = x | CR0_ET;
		flush_partition(vp->part, false);
		break;
	case HvX64RegisterCr2: v->cr2 = x; break;
	case HvX64RegisterCr3:
		if (!cr3_ok(x))
			return HV_STATUS_INVALID_PARAMETER;
		v->cr3 = x;
		flush_partition(vp->part, true); /* what MOV CR3 would have dropped */
		break;
	case HvX64RegisterCr4:
		if (!cr4_ok(x))
			return HV_STATUS_INVALID_PARAMETER;
		v->cr4 = x;
		flush_partition(vp->part, false);
		break;
	case HvX64RegisterCr8:
		if (x > 15)
			return HV_STATUS_INVALID_PARAMETER;
		vp->apic.tpr = (uint32_t)x << 4;
		break;
	case HvX64RegisterEfer:
		if (!efer_ok(x))
			return HV_STATUS_INVALID_PARAMETER;
		v->efer = x | EFER_SVME;
		break;
	case HvX64RegisterIdtr:
		v->idtr.limit = in->table.limit;
		v->idtr.base = in->table.base;
		break;
	case HvX64RegisterGdtr:
		v->gdtr.limit = in->table.limit;
		v->gdtr.base = in->table.base;
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
	return HV_STATUS_SUCCESS;
}

bool vp_context_valid(const struct hv_initial_vp_context *c)
{
	return efer_ok(c->efer) && cr0_ok(c->cr0) && cr4_ok(c->cr4) && cr3_ok(c->cr3) &&
	       (c->cs.attributes & VMCB_ATTR_L) && !(c->cs.attributes & (1u << 10));
}

uint16_t vp_start(struct vp *vp, const struct hv_initial_vp_context *c)
{
	if (!vp_context_valid(c))
		return HV_STATUS_INVALID_PARAMETER;
	struct vmcb *v = vp->vmcb;
	v->rip = c->rip;
	v->rsp = c->rsp;
	v->rflags = (c->rflags & RFLAGS_DEFINED) | RFLAGS_FIXED;
	v->cs = seg_from_hv(&c->cs);
	v->ds = seg_from_hv(&c->ds);
	v->es = seg_from_hv(&c->es);
	v->fs = seg_from_hv(&c->fs);
	v->gs = seg_from_hv(&c->gs);
	v->ss = seg_from_hv(&c->ss);
	v->tr = seg_from_hv(&c->tr);
	v->ldtr = seg_from_hv(&c->ldtr);
	v->idtr = (struct vmcb_seg){ 0, 0, c->idtr.limit, c->idtr.base };
	v->gdtr = (struct vmcb_seg){ 0, 0, c->gdtr.limit, c->gdtr.base };
	v->efer = c->efer | EFER_SVME;
	v->cr0 = c->cr0 | CR0_ET;
	v->cr3 = c->cr3;
	v->cr4 = c->cr4;
	v->g_pat = c->msr_cr_pat;
	v->cpl = (uint8_t)(c->cs.selector & 3);
	v->interrupt_shadow = 0;
	/* the general registers are not in the context: they keep what the VP had (the
	 * entry state's RDI = 0x2000, or what the parent set with SetVpRegisters) */
	vp->started = true;
	vp->explicit_suspend = false;
	vp->halted = false;
	flush_partition(vp->part, false);
	return HV_STATUS_SUCCESS;
}
