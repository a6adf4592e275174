/* #VMEXIT handling: one handler per exit code (specs/svm.md "Exit codes"). Rules:
 * a child's misbehaviour never stops hv or another partition (its parent gets a message,
 * or the child is halted); the root's is fatal (hv_root_fatal: one line, exit status 3),
 * since nothing above the root could handle it. */
#include "hv.h"
#include "kstring.h"

#define RFLAGS_IF (1ull << 9)

static void hlt_exit(struct vp *vp)
{
	vp_advance_rip(vp);
	if (!(vp->vmcb->rflags & RFLAGS_IF)) {
		/* as on the bare machine: a CPU halted with interrupts off stays halted */
		if (vp->part->is_root)
			hv_root_fatal(vp, "halted with interrupts disabled: nothing can wake it");
		partition_halt(vp->part, vp, HV_HALT_INTERRUPTS_OFF, 0);
		return;
	}
	vp->halted = true;
	vp_wake_if_interrupted(vp); /* an interrupt already waiting ends the HLT at once */
}

/* The root's I/O is intercepted only for `stats` (port 0xF4): print the summary, then
 * let the root's instruction reach the device itself, intercept off. */
static void root_io_exit(struct vp *vp)
{
	if (!(vp->vmcb->exitinfo1 & IOIO_IN))
		stats_print_all();
	hv_config.stats = false;
	vp_update_intercepts(vp); /* IOIO off: the instruction runs again, natively */
}

/* A child's port access: a message to its parent, the VP suspended until the parent
 * answers (HvCallSetVpRegisters: RIP past the instruction, RAX for IN, then
 * HvRegisterInterceptSuspend = 0). */
static void io_exit(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	if (vp->part->is_root) {
		root_io_exit(vp);
		return;
	}
	uint64_t info = v->exitinfo1;
	struct hv_x64_io_port_intercept_message *io = (void *)vp->intercept_msg.msg.payload.bytes;
	memset(io, 0, sizeof *io);
	intercept_header(vp, &io->header, (info & IOIO_IN) ? HV_INTERCEPT_ACCESS_TYPE_READ
							   : HV_INTERCEPT_ACCESS_TYPE_WRITE);
	io->port_number = (uint16_t)(info >> 16);
	unsigned size = (info & IOIO_SIZE8) ? 1 : (info & IOIO_SIZE16) ? 2 : 4;
	io->access_info = (uint8_t)(size | ((info & IOIO_STRING) ? 8 : 0) | ((info & IOIO_REP) ? 16 : 0));
	io->rax = v->rax;
	intercept_send(vp, HVMSG_X64_IO_PORT_INTERCEPT, sizeof *io);
}

/* A nested page fault: the guest touched a GPA its map does not allow */
static void npf_exit(struct vp *vp)
{
	struct vmcb *v = vp->vmcb;
	struct partition *p = vp->part;
	uint64_t gpa = v->exitinfo2, err = v->exitinfo1;

	if (err & NPF_RSVD)
		hv_fatal("partition %llu: a nested page fault with reserved bits at GPA 0x%llx: "
			 "hv built a bad nested table", (unsigned long long)p->id,
			 (unsigned long long)gpa);
	/* a write to the hypercall page (TLFS: writes to it fault) */
	if ((err & NPF_P) && (err & NPF_W) && p->overlay_gpa == (gpa & ~(HV_PAGE - 1))) {
		vp_inject_gp(vp);
		return;
	}
	if (p->is_root)
		hv_root_fatal(vp, "touched guest-physical 0x%llx (%s), which is not its RAM: a page "
			      "it deposited, or beyond its %llu MiB", (unsigned long long)gpa,
			      (err & NPF_W) ? "write" : (err & NPF_I) ? "fetch" : "read",
			      (unsigned long long)(p->ram_bytes >> 20));

	uint64_t hpa, entry;
	bool mapped = gpamap_translate(&p->map, gpa, &hpa, &entry) == GPAMAP_OK;
	struct hv_x64_memory_intercept_message *mem = (void *)vp->intercept_msg.msg.payload.bytes;
	memset(mem, 0, sizeof *mem);
	intercept_header(vp, &mem->header, (err & NPF_W)   ? HV_INTERCEPT_ACCESS_TYPE_WRITE
					   : (err & NPF_I) ? HV_INTERCEPT_ACCESS_TYPE_EXECUTE
							   : HV_INTERCEPT_ACCESS_TYPE_READ);
	mem->guest_physical_address = gpa;
	mem->memory_access_info = 0; /* bit 0 clear: no GVA (an NPF reports only the GPA) */
	intercept_send(vp, mapped ? HVMSG_GPA_INTERCEPT : HVMSG_UNMAPPED_GPA, sizeof *mem);
}

/* An exception the parent installed an intercept for (HvCallInstallIntercept) */
static void exception_exit(struct vp *vp, unsigned vector)
{
	struct vmcb *v = vp->vmcb;
	if (vp->part->is_root)
		hv_root_fatal(vp, "raised intercepted exception %u, which nobody asked for", vector);
	struct hv_x64_exception_intercept_message *x = (void *)vp->intercept_msg.msg.payload.bytes;
	memset(x, 0, sizeof *x);
	intercept_header(vp, &x->header, HV_INTERCEPT_ACCESS_TYPE_EXECUTE);
	x->exception_vector = (uint16_t)vector;
	bool has_error = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
	x->exception_info = has_error ? HV_EXCEPTION_INFO_ERROR_CODE_VALID : 0;
	x->error_code = (uint32_t)v->exitinfo1;
	x->exception_parameter = vector == 14 ? v->exitinfo2 : 0;
	/* the event was not delivered: an exit during its delivery must not redo it */
	vp->pending_event = 0;
	intercept_send(vp, HVMSG_X64_EXCEPTION_INTERCEPT, sizeof *x);
}

static void fatal_exit(struct vp *vp, uint32_t reason, const char *what)
{
	if (vp->part->is_root)
		hv_root_fatal(vp, "%s", what);
	partition_halt(vp->part, vp, reason, 0);
}

void exit_handle(struct vp *vp)
{
	uint64_t code = vp->vmcb->exitcode;
	stats_exit(vp->part, code);
	switch (code) {
	case VMEXIT_INTR:
		return; /* hv's timer: sched.c takes the interrupt and decides */
	case VMEXIT_CPUID:
		cpuid_exit(vp);
		return;
	case VMEXIT_MSR:
		msr_exit(vp);
		return;
	case VMEXIT_HLT:
		hlt_exit(vp);
		return;
	case VMEXIT_IOIO:
		io_exit(vp);
		return;
	case VMEXIT_NPF:
		npf_exit(vp);
		return;
	case VMEXIT_VMMCALL:
		hypercall_exit(vp);
		return;
	case VMEXIT_CR3_WRITE:
		flush_cr3_exit(vp);
		return;
	case VMEXIT_INVLPG:
		flush_invlpg_exit(vp);
		return;
	case VMEXIT_VMRUN:
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
	case VMEXIT_INVLPGA:
		/* a guest sees no SVM (cpuid.c): on such a CPU these are #UD */
		vp_inject_ud(vp);
		return;
	case VMEXIT_SHUTDOWN:
		fatal_exit(vp, HV_HALT_TRIPLE_FAULT, "shut down (triple fault)");
		return;
	case VMEXIT_INVALID:
		fatal_exit(vp, HV_HALT_INVALID_STATE,
			   "state was refused by VMRUN (VMEXIT_INVALID): not a 64-bit state "
			   "hvsim's CPU can run");
		return;
	default:
		if (code >= VMEXIT_EXCP_BASE && code < VMEXIT_EXCP_BASE + 32) {
			exception_exit(vp, (unsigned)(code - VMEXIT_EXCP_BASE));
			return;
		}
		fatal_exit(vp, HV_HALT_UNEXPECTED_EXIT, "made an exit hv has no handler for");
		return;
	}
}
