/* Partition management hypercalls (specs/hypercall-abi.md "Partition management"): the
 * root's, every one checked in the spec's order, parameter values before objects
 * (hypercall.c). Each targets a child of the caller; the root itself is never a target
 * (INVALID_PARTITION_ID), nor is any partition the caller did not create. The calls
 * that need memory take it from the target's deposited pages: INSUFFICIENT_MEMORY
 * until the root deposits more. Plus the calls open to every partition: GetPartitionId,
 * PostMessage, SignalEvent. */
#include "hv.h"
#include "kprintf.h"

#define PAGE_NUMBER_LIMIT (GPAMAP_GPA_LIMIT / HV_PAGE)
#define RIGHTS_ALL (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE | \
		    HV_MAP_GPA_USER_EXECUTABLE)

/* A child the caller created, or 0 */
static struct partition *child_of(struct hvcall *c, uint64_t id)
{
	struct partition *p = partition_find(c->caller, id);
	if (!p || p->is_root || p->parent != c->caller)
		return 0;
	return p;
}

static const uint64_t *rep_list(struct hvcall *c, size_t header_bytes)
{
	return (const uint64_t *)(c->input + header_bytes);
}

/* ---- create, initialize, delete ---- */

static uint16_t create_partition(struct hvcall *c)
{
	const struct hv_create_partition_in *in = (const void *)c->input;
	if (in->flags != 0)
		return HV_STATUS_INVALID_PARAMETER;
	struct partition *p = partition_alloc(c->caller);
	if (!p)
		return HV_STATUS_INSUFFICIENT_MEMORY; /* every ASID is taken */
	((struct hv_create_partition_out *)c->output)->partition_id = p->id;
	return HV_STATUS_SUCCESS;
}

static uint16_t initialize_partition(struct hvcall *c)
{
	const struct hv_partition_id_in *in = (const void *)c->input;
	struct partition *p = child_of(c, in->partition_id);
	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (p->state != PART_CREATED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	return (uint16_t)partition_initialize(p);
}

static uint16_t delete_partition(struct hvcall *c)
{
	const struct hv_partition_id_in *in = (const void *)c->input;
	struct partition *p = child_of(c, in->partition_id);
	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	partition_delete(p);
	return HV_STATUS_SUCCESS;
}

static uint16_t get_partition_id(struct hvcall *c)
{
	((struct hv_get_partition_id_out *)c->output)->partition_id = c->caller->id;
	return HV_STATUS_SUCCESS;
}

/* ---- memory: deposit, map, unmap ---- */

static uint16_t deposit_prepare(struct hvcall *c)
{
	const struct hv_deposit_memory_in *in = (const void *)c->input;
	c->target = child_of(c, in->partition_id);
	return c->target ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_ID;
}

/* One root page leaves the root's map for the child's free list */
static uint16_t deposit_element(struct hvcall *c, unsigned i)
{
	uint64_t pfn = rep_list(c, sizeof(struct hv_deposit_memory_in))[i];
	uint16_t status;
	uint64_t *e = root_page_entry(pfn, &status);
	if (!e)
		return status;
	/* RAM the root has, not its hypercall page, not shown to any child */
	if (!(*e & NPT_P) || (*e & GPAMAP_SW_OVERLAY) || gpamap_count(*e) > 0)
		return HV_STATUS_INVALID_PARAMETER;
	uint64_t hpa = *e & NPT_ADDR_MASK;
	gpamap_store(&partitions[0].map, e, hpa | GPAMAP_SW_DEPOSITED);
	c->target->deposited_pages++;
	part_free_page(c->target, hpa);
	c->flushed = true;
	return HV_STATUS_SUCCESS;
}

static void deposit_finish(struct hvcall *c)
{
	if (c->flushed)
		flush_partition(c->caller, false); /* the root's cached translations of them */
}

static unsigned map_rights(uint32_t flags)
{
	return GPAMAP_READ | ((flags & HV_MAP_GPA_WRITABLE) ? GPAMAP_WRITE : 0) |
	       ((flags & (HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)) ? GPAMAP_EXEC : 0);
}

/* The target's GPA range of this call, [base, base + rep count) pages, must be one hv
 * maps (the 40-bit physical width). */
static bool range_ok(uint64_t base, unsigned count)
{
	return base < PAGE_NUMBER_LIMIT && count <= PAGE_NUMBER_LIMIT - base;
}

static uint16_t map_prepare(struct hvcall *c)
{
	const struct hv_map_gpa_pages_in *in = (const void *)c->input;
	if ((in->map_flags & ~RIGHTS_ALL) || !(in->map_flags & HV_MAP_GPA_READABLE) ||
	    in->reserved != 0 || !range_ok(in->target_gpa_base, c->in.rep_count))
		return HV_STATUS_INVALID_PARAMETER;
	c->target = child_of(c, in->target_partition_id);
	if (!c->target)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (c->target->state != PART_ACTIVE)
		return HV_STATUS_INVALID_PARTITION_STATE;
	return HV_STATUS_SUCCESS;
}

/* Root page list[i] appears at target page base + i */
static uint16_t map_element(struct hvcall *c, unsigned i)
{
	const struct hv_map_gpa_pages_in *in = (const void *)c->input;
	uint64_t pfn = rep_list(c, sizeof *in)[i];
	uint16_t status;
	uint64_t *e = root_page_entry(pfn, &status);
	if (!e)
		return status;
	if (!(*e & NPT_P) || (*e & GPAMAP_SW_OVERLAY) || gpamap_count(*e) == GPAMAP_COUNT_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	uint64_t gpa = (in->target_gpa_base + i) * HV_PAGE;
	int r = gpamap_map_4k(&c->target->map, gpa, *e & NPT_ADDR_MASK, map_rights(in->map_flags));
	if (r == GPAMAP_EXISTS)
		return HV_STATUS_INVALID_PARAMETER; /* unmap first */
	if (r != GPAMAP_OK)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	*e = gpamap_with_count(*e, gpamap_count(*e) + 1);
	if (gpa == c->target->overlay_gpa)
		hypercall_page_refresh(c->target);
	return HV_STATUS_SUCCESS;
}

static uint16_t unmap_prepare(struct hvcall *c)
{
	const struct hv_unmap_gpa_pages_in *in = (const void *)c->input;
	if (in->unmap_flags != 0 || in->reserved != 0 ||
	    !range_ok(in->target_gpa_base, c->in.rep_count))
		return HV_STATUS_INVALID_PARAMETER;
	c->target = child_of(c, in->target_partition_id);
	if (!c->target)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (c->target->state != PART_ACTIVE)
		return HV_STATUS_INVALID_PARTITION_STATE;
	return HV_STATUS_SUCCESS;
}

/* Target page base + i goes; a page not mapped is no error */
static uint16_t unmap_element(struct hvcall *c, unsigned i)
{
	const struct hv_unmap_gpa_pages_in *in = (const void *)c->input;
	uint64_t old;
	int r = gpamap_unmap_4k(&c->target->map, (in->target_gpa_base + i) * HV_PAGE, &old);
	if (r == GPAMAP_ENOMEM)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	if (r != GPAMAP_OK)
		return HV_STATUS_SUCCESS;
	uint16_t status;
	uint64_t *e = root_page_entry(((old & NPT_ADDR_MASK) - HV_RESERVED_BYTES) / HV_PAGE, &status);
	if (e && gpamap_count(*e) > 0)
		*e = gpamap_with_count(*e, gpamap_count(*e) - 1);
	c->flushed = true;
	return HV_STATUS_SUCCESS;
}

static void unmap_finish(struct hvcall *c)
{
	/* a GPA names no GVA: INVLPGA cannot target the child's stale entries, its ASID
	 * can, before the child runs again (flush.c applies the policy) */
	if (c->flushed)
		flush_partition(c->target, false);
}

/* ---- intercepts ---- */

/* Is msr one the default MSR map already sends to hv (svm.c)? */
static bool msr_in_default_map(uint32_t msr)
{
	bool in_map = msr <= 0x1FFF || (msr >= 0xC0000000u && msr <= 0xC0001FFFu) ||
		      (msr >= 0xC0010000u && msr <= 0xC0011FFFu);
	return !in_map || msr == 0x1B || (msr >= 0x800 && msr <= 0x8FF) || msr == 0xC0000080u ||
	       msr >= 0xC0010000u;
}

static uint16_t install_intercept(struct hvcall *c)
{
	const struct hv_install_intercept_in *in = (const void *)c->input;
	uint64_t limit;
	switch (in->intercept_type) {
	case HV_INTERCEPT_TYPE_IO_PORT: limit = 0xFFFF; break;
	case HV_INTERCEPT_TYPE_EXCEPTION: limit = 31; break;
	case HV_INTERCEPT_TYPE_MSR:
	case HV_INTERCEPT_TYPE_CPUID: limit = 0xFFFFFFFFu; break;
	default: return HV_STATUS_INVALID_PARAMETER;
	}
	if (in->access_type_mask == 0 || (in->access_type_mask & ~7u) || in->parameter > limit)
		return HV_STATUS_INVALID_PARAMETER;
	struct partition *p = child_of(c, in->partition_id);
	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	struct intercept *x = 0;
	for (unsigned i = 0; i < p->nr_intercepts && !x; i++)
		if (p->intercepts[i].type == in->intercept_type &&
		    p->intercepts[i].parameter == in->parameter)
			x = &p->intercepts[i];
	if (!x) {
		if (p->nr_intercepts == HV_MAX_INTERCEPTS)
			return HV_STATUS_INSUFFICIENT_MEMORY;
		x = &p->intercepts[p->nr_intercepts++];
		*x = (struct intercept){ (uint8_t)in->intercept_type, 0, (uint32_t)in->parameter };
	}
	x->access |= (uint8_t)in->access_type_mask;
	/* every port of a child exits already (its I/O map is all ones); an exception and
	 * an MSR the default map lets through need the VMCBs changed */
	if (in->intercept_type == HV_INTERCEPT_TYPE_EXCEPTION)
		p->exception_bitmap |= 1u << in->parameter;
	if (in->intercept_type == HV_INTERCEPT_TYPE_MSR && !msr_in_default_map((uint32_t)in->parameter))
		p->msrpm_pa = msrpm_all_pa;
	for (unsigned i = 0; i < HV_MAX_VPS; i++)
		if (p->vp[i])
			vp_update_intercepts(p->vp[i]);
	return HV_STATUS_SUCCESS;
}

/* ---- virtual processors ---- */

static uint16_t create_vp(struct hvcall *c)
{
	const struct hv_create_vp_in *in = (const void *)c->input;
	if (in->reserved != 0 || in->flags != 0)
		return HV_STATUS_INVALID_PARAMETER;
	struct partition *p = child_of(c, in->partition_id);
	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (in->vp_index >= HV_MAX_VPS || p->vp[in->vp_index])
		return HV_STATUS_INVALID_VP_INDEX;
	if (p->state != PART_ACTIVE)
		return HV_STATUS_INVALID_PARTITION_STATE;
	uint16_t status;
	vp_create(p, in->vp_index, &status);
	return status;
}

static uint16_t vp_registers_prepare(struct hvcall *c)
{
	const struct hv_vp_registers_in *in = (const void *)c->input;
	if (in->input_vtl != 0 || in->reserved[0] || in->reserved[1] || in->reserved[2])
		return HV_STATUS_INVALID_PARAMETER;
	c->target = child_of(c, in->partition_id);
	if (!c->target)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (in->vp_index >= HV_MAX_VPS || !c->target->vp[in->vp_index])
		return HV_STATUS_INVALID_VP_INDEX;
	c->target_vp = c->target->vp[in->vp_index];
	return HV_STATUS_SUCCESS;
}

static uint16_t get_register(struct hvcall *c, unsigned i)
{
	const uint32_t *names = (const uint32_t *)(c->input + sizeof(struct hv_vp_registers_in));
	union hv_register_value *out = (union hv_register_value *)c->output;
	return vp_get_register(c->target_vp, names[i], &out[i]);
}

static uint16_t set_register(struct hvcall *c, unsigned i)
{
	const struct hv_register_assoc *a =
		(const struct hv_register_assoc *)(c->input + sizeof(struct hv_vp_registers_in));
	if (a[i].reserved1 || a[i].reserved2)
		return HV_STATUS_INVALID_PARAMETER;
	return vp_set_register(c->target_vp, a[i].name, &a[i].value);
}

static uint16_t start_vp(struct hvcall *c)
{
	const struct hv_start_vp_in *in = (const void *)c->input;
	struct hv_initial_vp_context ctx = in->context;
	if (in->target_vtl != 0 || in->reserved[0] || in->reserved[1] || in->reserved[2] ||
	    !vp_context_valid(&ctx))
		return HV_STATUS_INVALID_PARAMETER;
	struct partition *p = child_of(c, in->partition_id);
	if (!p)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (in->vp_index >= HV_MAX_VPS || !p->vp[in->vp_index])
		return HV_STATUS_INVALID_VP_INDEX;
	if (p->state != PART_ACTIVE || p->vp[in->vp_index]->started)
		return HV_STATUS_INVALID_PARTITION_STATE;
	return vp_start(p->vp[in->vp_index], &ctx);
}

/* ---- messages and events (every partition) ---- */

static uint16_t post_message(struct hvcall *c)
{
	const struct hv_post_message_in *in = (const void *)c->input;
	if (in->reserved != 0 || in->message_type == 0 || (in->message_type & 0x80000000u) ||
	    in->payload_size > HV_MESSAGE_PAYLOAD_BYTES)
		return HV_STATUS_INVALID_PARAMETER;
	return synic_post(c->caller, in->connection_id, in->message_type, in->payload,
			  in->payload_size);
}

/* ConnectionId 31:0, FlagNumber 47:32, RsvdZ 63:48: fast in RDX, or an 8-byte block */
static uint16_t signal_event(struct hvcall *c)
{
	uint64_t v = c->in.fast ? c->fast_rdx : *(const uint64_t *)c->input;
	uint32_t flag = (uint32_t)(v >> 32) & 0xFFFF;
	if ((v >> 48) != 0 || flag >= HV_EVENT_FLAGS_PER_SINT)
		return HV_STATUS_INVALID_PARAMETER;
	return synic_signal(c->caller, (uint32_t)v, flag);
}

const struct hvcall_handler hvcall_partition_handlers[] = {
	{ .code = HvCallCreatePartition, .simple = create_partition },
	{ .code = HvCallInitializePartition, .simple = initialize_partition },
	{ .code = HvCallDeletePartition, .simple = delete_partition },
	{ .code = HvCallGetPartitionId, .simple = get_partition_id },
	{ .code = HvCallDepositMemory, .prepare = deposit_prepare, .element = deposit_element,
	  .finish = deposit_finish },
	{ .code = HvCallMapGpaPages, .prepare = map_prepare, .element = map_element },
	{ .code = HvCallUnmapGpaPages, .prepare = unmap_prepare, .element = unmap_element,
	  .finish = unmap_finish },
	{ .code = HvCallInstallIntercept, .simple = install_intercept },
	{ .code = HvCallCreateVp, .simple = create_vp },
	{ .code = HvCallGetVpRegisters, .prepare = vp_registers_prepare, .element = get_register },
	{ .code = HvCallSetVpRegisters, .prepare = vp_registers_prepare, .element = set_register },
	{ .code = HvCallPostMessage, .simple = post_message },
	{ .code = HvCallSignalEvent, .simple = signal_event },
	{ .code = HvCallStartVirtualProcessor, .simple = start_vp },
};
const unsigned hvcall_partition_nr_handlers =
	sizeof hvcall_partition_handlers / sizeof hvcall_partition_handlers[0];
