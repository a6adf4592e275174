/* hv: the hypervisor. One header for its state: the configuration, partitions,
 * virtual processors, and the functions each file offers the others (one concern a
 * file; docs/platform.md "The hypervisor (hv/)" is the tour).
 *
 * Memory: hv's image, its page pool and every table it owns lie in host-physical
 * [0, HV_RESERVED_BYTES), which no partition's nested tables map. All host RAM is
 * identity-mapped in hv's own page tables, so a host-physical address is also hv's
 * pointer to it (hv_ptr). A child's structures (nested tables, VMCBs, VP state, message
 * buffers) live in pages its root deposited. */
#ifndef HV_HV_H
#define HV_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/hvboot.h"
#include "abi/hvcall.h"
#include "abi/hvmsr.h"
#include "abi/hvregs.h"
#include "abi/hvsynic.h"
#include "gpamap.h"
#include "hvcall_decode.h"
#include "vmcb.h"
#include "vp_regs_offsets.h"

#define HV_PAGE 4096ull

/* ASIDs 1-63 (CPUID 0x8000000A reports 64, the host's 0 included): one per partition,
 * slot i has ASID i + 1, the root is slot 0. */
#define HV_MAX_PARTITIONS 63
#define HV_MAX_VPS 8            /* per partition (CPUID 0x40000005 EAX) */
#define HV_MAX_ALL_VPS 64       /* in the machine */
#define HV_MAX_INTERCEPTS 16    /* installed per partition */
#define HV_MSGQ_SLOTS 14        /* posted messages waiting per partition (one page) */

/* ---- configuration: hv's command line (main.c) ---- */
enum flush_policy { FLUSH_FULL, FLUSH_ASID, FLUSH_PRECISE };

struct hv_config {
	uint64_t slice_cycles;    /* slice=: a VP's time slice */
	enum flush_policy flush;  /* flush=full|asid|precise */
	unsigned rep_budget;      /* rep_budget=: rep elements handled per exit */
	bool stats;               /* stats: per-partition summary at the end */
	bool verbose;             /* verbose: a line per partition event */
	bool selftest;            /* selftest: built-in checks, then exit */
	const char *root_cmdline; /* root=: the rest of the line */
};
extern struct hv_config hv_config;
extern uint64_t hv_ram_bytes;     /* host RAM */
extern uint64_t hv_timer_ratio;   /* cycles per x2APIC timer tick at divide 1 (calibrated) */

static inline void *hv_ptr(uint64_t hpa) { return (void *)(uintptr_t)hpa; }
static inline uint64_t hv_pa(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ---- messages (synic.c) ---- */
struct pending_msg {
	struct pending_msg *next;
	struct partition *owner;  /* whose memory holds it (for deletion) */
	uint8_t sint;
	bool queued;
	bool posted;              /* from a queue page (PostMessage), else hv's own */
	struct hv_message msg;
};

/* ---- the virtual x2APIC (vapic.c) ---- */
struct vapic {
	uint64_t apic_base;
	uint32_t tpr, svr, esr;
	uint32_t lvt[7];          /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
	uint32_t divide_config, initial_count;
	uint64_t icr;
	uint32_t irr[8], isr[8];
	unsigned irr_bits;        /* how many IRR bits are set: 0 is the common case */
	uint32_t auto_eoi[8];     /* vectors of SINTs with auto-EOI: never in service */
	bool timer_armed;
	uint32_t timer_base_count; /* the count at timer_start */
	uint64_t timer_start;     /* TSC when the count was (re)loaded */
	uint64_t timer_deadline;  /* TSC of the next expiry */
};

/* ---- the SynIC of one VP (synic.c) ---- */
struct synic {
	uint64_t scontrol, siefp, simp;
	uint64_t sint[HV_SINT_COUNT];
};

/* Guest registers VMRUN does not switch (RAX and RSP are in the VMCB): vmrun.S's order */
struct vp_regs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(offsetof(struct vp_regs, rdi) == VP_RDI && offsetof(struct vp_regs, r8) == VP_R8 &&
	       offsetof(struct vp_regs, r15) == VP_R15, "vp_regs_offsets.h");

struct vp {
	struct partition *part;
	uint32_t index;
	struct vmcb *vmcb;
	struct vp_regs regs;
	bool started;             /* StartVirtualProcessor (or ExplicitSuspend cleared) */
	bool halted;              /* in HLT, waiting for an interrupt */
	bool explicit_suspend;    /* HvRegisterExplicitSuspend */
	bool intercept_suspend;   /* HvRegisterInterceptSuspend: the parent has a message */
	int offered_vector;       /* V_IRQ's vector at the last VMRUN, or -1 */
	uint64_t pending_event;   /* EVENTINJ for the next VMRUN (0: none) */
	struct vapic apic;
	struct synic synic;
	struct pending_msg intercept_msg;
};
_Static_assert(sizeof(struct vp) <= HV_PAGE, "a VP's state is one deposited page");

enum partition_state { PART_FREE, PART_CREATED, PART_ACTIVE, PART_HALTED };

struct intercept {
	uint8_t type;             /* HV_INTERCEPT_TYPE_* */
	uint8_t access;           /* HV_INTERCEPT_ACCESS_* */
	uint32_t parameter;
};

/* hv's own counters, per partition (stats.c); the simulator counts the rest */
enum exit_kind { EK_INTR, EK_CPUID, EK_MSR, EK_HLT, EK_IOIO, EK_NPF, EK_VMMCALL, EK_CR3,
		 EK_INVLPG, EK_EXCEPTION, EK_SVM, EK_SHUTDOWN, EK_INVALID, EK_OTHER, EK_COUNT };
struct partition_stats {
	uint64_t exits[EK_COUNT];
	uint64_t hypercalls[32];           /* by hvcall_index */
	uint64_t hypercall_errors;
	uint64_t continuations;            /* rep calls stopped early by the budget */
	uint64_t tlb_control[8];           /* VMRUNs with TLB_CONTROL 1, 3, 7 */
	uint64_t invlpga;                  /* pages flushed one by one (precise) */
	uint64_t address_space_as_asid;    /* AddressSpace flushes done as whole-ASID ones */
	uint64_t messages_sent, messages_delivered;
	uint64_t vmruns;
};

struct partition {
	enum partition_state state;
	uint64_t id;
	uint32_t asid;
	bool is_root;
	uint64_t privileges;      /* HV_PRIV_* */
	struct partition *parent; /* 0 for the root */
	struct gpamap map;
	struct gpamap_ops map_ops;
	uint64_t ram_bytes;       /* the root: its guest-physical RAM */
	/* deposited pages: a free list through their first word */
	uint64_t free_list, free_pages, deposited_pages;
	struct vp *vp[HV_MAX_VPS];
	/* partition-wide synthetic MSRs */
	uint64_t guest_os_id, hypercall_msr;
	uint64_t overlay_gpa;     /* the hypercall page while enabled, else ~0 */
	/* what the parent intercepts */
	struct intercept intercepts[HV_MAX_INTERCEPTS];
	unsigned nr_intercepts;
	uint32_t exception_bitmap;
	uint64_t msrpm_pa;        /* the MSR permission map its VMCBs use */
	uint8_t tlb_control;      /* owed at the next VMRUN of any of its VPs */
	bool warned_apic_off;     /* a SINT was dropped by a disabled x2APIC (said once) */
	/* messages to this partition, by SINT; posted ones live in the queue page */
	struct pending_msg *msg_head[HV_SINT_COUNT], *msg_tail[HV_SINT_COUNT];
	struct pending_msg *msgq;  /* HV_MSGQ_SLOTS buffers */
	unsigned msgs_queued;     /* in msg_head[], all SINTs */
	struct pending_msg halt_msg;
	struct partition_stats stats;
};

extern struct partition partitions[HV_MAX_PARTITIONS];
extern struct vp *all_vps[HV_MAX_ALL_VPS];
extern unsigned nr_all_vps;

/* ---- main.c ---- */
_Noreturn void hv_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The root did something hv cannot go on from: one line, the stats, exit status 3. */
_Noreturn void hv_root_fatal(struct vp *vp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The input hv was given cannot work (no root, too little RAM, a bad image or
 * option): one line, exit status 2, as hvsim's own "bad usage or input". */
_Noreturn void hv_bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define HV_EXIT_ROOT_FAULT 3  /* also: hv's own crash */
#define HV_EXIT_BAD_INPUT 2

/* ---- pool.c: hv's own pages ---- */
void pool_init(uint64_t start, uint64_t end);
uint64_t pool_alloc(void);                 /* a zeroed page, or 0 */
uint64_t pool_alloc_contig(unsigned n);    /* n zeroed contiguous pages (boot only) */
void pool_free(uint64_t hpa);
uint64_t pool_free_pages(void);
extern const struct gpamap_ops pool_gpamap_ops;

/* ---- hostmap.c: hv's page tables ---- */
void hostmap_init(uint64_t ram_bytes);

/* ---- svm.c ---- */
void svm_init(void);
extern uint64_t iopm_children_pa, iopm_root_pa, msrpm_default_pa, msrpm_all_pa;
/* One VMRUN of vp and back: returns with the #VMEXIT's state in vp->vmcb */
void svm_run(struct vp *vp);
void svm_invlpga(uint64_t gva, uint32_t asid);

/* ---- partition.c ---- */
struct partition *partition_alloc(struct partition *parent);
int partition_initialize(struct partition *p);  /* HV_STATUS_* */
void partition_delete(struct partition *p);
/* The partition an id names for caller (HV_PARTITION_ID_SELF: the caller), or 0. */
struct partition *partition_find(struct partition *caller, uint64_t id);
uint64_t part_alloc_page(struct partition *p);  /* a zeroed page, or 0 */
void part_free_page(struct partition *p, uint64_t hpa);
/* hv's pointer to [gpa, gpa + bytes) of p's RAM (within one page), if p's map
 * allows the access (GPAMAP_READ / GPAMAP_WRITE), else 0 */
void *partition_gpa_ptr(struct partition *p, uint64_t gpa, uint64_t bytes, unsigned rights);
/* Halts a child: its VPs stop, its parent gets HVMSG_HVSIM_PARTITION_HALTED. */
void partition_halt(struct partition *p, struct vp *vp, uint32_t reason, uint64_t detail);
/* The root's RAM page at root GPA page number `pfn`: the root's map entry slot
 * (split to 4 KiB), or 0 with *status set */
uint64_t *root_page_entry(uint64_t pfn, uint16_t *status);

/* ---- vp.c ---- */
struct vp *vp_create(struct partition *p, uint32_t index, uint16_t *status);
void vp_destroy(struct vp *vp);
void vp_reset_state(struct vp *vp);       /* the boot protocol's entry state */
bool vp_runnable(const struct vp *vp);
void vp_advance_rip(struct vp *vp);       /* past the intercepted instruction (NRIP) */
void vp_inject_exception(struct vp *vp, unsigned vector, bool has_error, uint32_t error);
static inline void vp_inject_gp(struct vp *vp) { vp_inject_exception(vp, 13, true, 0); }
static inline void vp_inject_ud(struct vp *vp) { vp_inject_exception(vp, 6, false, 0); }
uint64_t *vp_gpr(struct vp *vp, unsigned n);  /* GPR n in encoding order (0 RAX) */
void vp_update_intercepts(struct vp *vp);
uint16_t vp_get_register(struct vp *vp, uint32_t name, union hv_register_value *out);
uint16_t vp_set_register(struct vp *vp, uint32_t name, const union hv_register_value *v);
bool vp_context_valid(const struct hv_initial_vp_context *ctx);
uint16_t vp_start(struct vp *vp, const struct hv_initial_vp_context *ctx);

/* ---- root.c ---- */
void root_create(void);

/* ---- sched.c ---- */
_Noreturn void sched_run(void);
void sched_add(struct vp *vp);
void sched_remove(struct vp *vp);
void sched_timer_changed(void);           /* a virtual timer was (re)armed */
void sched_timer_interrupt(void);         /* hv's own timer vector */

/* ---- exit.c ---- */
void exit_handle(struct vp *vp);

/* ---- cpuid.c ---- */
void cpuid_exit(struct vp *vp);
void cpuid_guest(struct vp *vp, uint32_t leaf, uint32_t subleaf, uint32_t r[4]);

/* ---- msr.c ---- */
void msr_exit(struct vp *vp);
void hypercall_page_refresh(struct partition *p);  /* the overlay after a map change */

/* ---- vapic.c ---- */
void vapic_reset(struct vp *vp);
bool vapic_read(struct vp *vp, uint32_t msr, uint64_t *v);
bool vapic_write(struct vp *vp, uint32_t msr, uint64_t v);
int vapic_pending(const struct vp *vp);   /* the vector to offer, or -1 */
bool vapic_accepts(const struct vp *vp);  /* enabled: fixed interrupts can be raised */
void vapic_accept(struct vp *vp, int vector);
void vapic_raise(struct vp *vp, unsigned vector, bool auto_eoi);
void vapic_timer_expire(struct vp *vp, uint64_t now);
void vapic_sync_tpr(struct vp *vp);       /* V_TPR (CR8) back into the TPR */
bool vp_interruptible(const struct vp *vp);
void vp_wake_if_interrupted(struct vp *vp);

/* ---- synic.c ---- */
bool synic_read(struct vp *vp, uint32_t msr, uint64_t *v);
bool synic_write(struct vp *vp, uint32_t msr, uint64_t v);
void synic_queue(struct partition *dst, struct pending_msg *m);
void synic_deliver(struct partition *dst);
void synic_drop_from(struct partition *dst, struct partition *owner);
void synic_init_queue(struct partition *p, struct pending_msg *slots);
uint16_t synic_post(struct partition *caller, uint32_t connection, uint32_t type,
		    const void *payload, uint32_t size);
uint16_t synic_signal(struct partition *caller, uint32_t connection, uint32_t flag);

/* ---- intercept.c ---- */
/* Builds the header common to intercept messages about vp */
void intercept_header(struct vp *vp, struct hv_x64_intercept_message_header *h,
		      uint8_t access_type);
/* Sends vp's pending intercept message to the parent and suspends vp */
void intercept_send(struct vp *vp, uint32_t type, uint32_t payload_bytes);
const struct intercept *intercept_find(struct partition *p, uint8_t type, uint32_t parameter,
				       uint8_t access);

/* ---- hypercall.c and the handlers ---- */
void hypercall_exit(struct vp *vp);

/* The state of one hypercall while its handler runs */
struct hvcall {
	struct vp *vp;
	struct partition *caller;
	struct hvcall_input in;
	const uint8_t *input;     /* hv's pointer to the input block (0: none or fast) */
	uint8_t *output;          /* ... to the output block */
	uint64_t fast_rdx, fast_r8;
	struct partition *target; /* set by a rep call's prepare for its elements */
	struct vp *target_vp;
	bool flushed;             /* some element changed a map: flush when the call stops */
};
/* A simple call's handler, or a rep call's check of its header and one element */
struct hvcall_handler {
	uint16_t code;
	uint16_t (*simple)(struct hvcall *c);
	uint16_t (*prepare)(struct hvcall *c);
	uint16_t (*element)(struct hvcall *c, unsigned i);
	void (*finish)(struct hvcall *c);   /* after the last element of this exit, if any */
};
extern const struct hvcall_handler hvcall_partition_handlers[];
extern const unsigned hvcall_partition_nr_handlers;
extern const struct hvcall_handler hvcall_flush_handlers[];
extern const unsigned hvcall_flush_nr_handlers;

/* ---- flush.c ---- */
/* Make p's translations (guest-virtual to host-physical, its ASID) go at its next VMRUN,
 * as the flush policy says: full flush or ASID (non_global: only non-global ones). */
void flush_partition(struct partition *p, bool non_global);
void flush_cr3_exit(struct vp *vp);
void flush_invlpg_exit(struct vp *vp);
uint32_t flush_recommendations(void);
bool flush_intercepts_guest(const struct partition *p);

/* ---- stats.c ---- */
void stats_exit(struct partition *p, uint64_t exitcode);
void stats_print_partition(const struct partition *p);
void stats_print_all(void);

/* ---- selftest.c ---- */
_Noreturn void selftest_run(void);

#endif
