/* Partitions: the table of them, their ASIDs and ids, the pages their root deposited,
 * and every way hv reaches a partition's memory (through its own map only, so a child's
 * GPAs can never name the root's, another child's or hv's memory).
 *
 * The root's map is linear: root GPA g is host-physical HV_RESERVED_BYTES + g. A page
 * the root deposits leaves that map (its entry keeps the address, marked
 * GPAMAP_SW_DEPOSITED, not present) and joins the child's free list; a root page that a
 * child maps counts its child mappings in the root's entry (gpamap.h), and can be
 * deposited only when that count is 0. Deleting a child gives every deposited page
 * back. */
#include "hv.h"
#include "kprintf.h"
#include "kstring.h"

struct partition partitions[HV_MAX_PARTITIONS];
static uint64_t next_partition_id = HV_ROOT_PARTITION_ID + 1;

/* ---- deposited pages ---- */

uint64_t part_alloc_page(struct partition *p)
{
	if (p->is_root)
		return pool_alloc();
	if (!p->free_list)
		return 0;
	uint64_t pa = p->free_list;
	p->free_list = *(uint64_t *)hv_ptr(pa);
	p->free_pages--;
	memset(hv_ptr(pa), 0, HV_PAGE);
	return pa;
}

void part_free_page(struct partition *p, uint64_t pa)
{
	if (p->is_root) {
		pool_free(pa);
		return;
	}
	*(uint64_t *)hv_ptr(pa) = p->free_list;
	p->free_list = pa;
	p->free_pages++;
}

/* A child's nested tables come from its deposited pages (gpamap.h ops) */
static uint64_t part_table_alloc(void *ctx) { return part_alloc_page(ctx); }
static void part_table_free(void *ctx, uint64_t hpa) { part_free_page(ctx, hpa); }

/* ---- the root's pages ---- */

uint64_t *root_page_entry(uint64_t pfn, uint16_t *status)
{
	struct partition *root = &partitions[0];
	int err;
	if (pfn >= root->ram_bytes / HV_PAGE) {
		*status = HV_STATUS_INVALID_PARAMETER;
		return 0;
	}
	uint64_t *e = gpamap_entry(&root->map, pfn * HV_PAGE, 0, 1, &err);
	if (!e) {
		*status = err == GPAMAP_ENOMEM ? HV_STATUS_INSUFFICIENT_MEMORY
					       : HV_STATUS_INVALID_PARAMETER;
		return 0;
	}
	*status = HV_STATUS_SUCCESS;
	return e;
}

/* A deposited page back to the root's map, as it was (all of root RAM is RWX) */
static void root_undeposit(uint64_t hpa)
{
	uint16_t status;
	uint64_t *e = root_page_entry((hpa - HV_RESERVED_BYTES) / HV_PAGE, &status);
	if (!e || !(*e & GPAMAP_SW_DEPOSITED) || (*e & NPT_ADDR_MASK) != hpa)
		hv_fatal("page 0x%llx came back from a child but was never deposited",
			 (unsigned long long)hpa);
	gpamap_store(&partitions[0].map, e,
		     gpamap_make_entry(hpa, GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC));
}

/* ---- lookups ---- */

struct partition *partition_find(struct partition *caller, uint64_t id)
{
	if (id == HV_PARTITION_ID_SELF)
		return caller;
	if (id == HV_PARTITION_ID_INVALID)
		return 0;
	for (unsigned i = 0; i < HV_MAX_PARTITIONS; i++)
		if (partitions[i].state != PART_FREE && partitions[i].id == id)
			return &partitions[i];
	return 0;
}

void *partition_gpa_ptr(struct partition *p, uint64_t gpa, uint64_t bytes, unsigned rights)
{
	uint64_t hpa, entry;
	if (bytes > HV_PAGE - (gpa & (HV_PAGE - 1)))
		return 0;
	if (p->state == PART_FREE || !p->map.top_hpa)
		return 0;
	if (gpamap_translate(&p->map, gpa, &hpa, &entry) != GPAMAP_OK)
		return 0;
	if ((gpamap_rights(entry) & rights) != rights)
		return 0;
	/* every map hv builds points above the reservation and inside RAM */
	if (hpa < HV_RESERVED_BYTES || hpa + bytes > hv_ram_bytes)
		hv_fatal("partition %llu's map holds 0x%llx, outside partition RAM",
			 (unsigned long long)p->id, (unsigned long long)hpa);
	return hv_ptr(hpa);
}

/* ---- life cycle ---- */

struct partition *partition_alloc(struct partition *parent)
{
	for (unsigned i = 1; i < HV_MAX_PARTITIONS; i++) {
		struct partition *p = &partitions[i];
		if (p->state != PART_FREE)
			continue;
		memset(p, 0, sizeof *p);
		p->state = PART_CREATED;
		p->id = next_partition_id++;
		p->asid = i + 1;
		p->privileges = HV_PRIVS_EVERY_PARTITION;
		p->parent = parent;
		p->overlay_gpa = ~0ull;
		p->msrpm_pa = msrpm_default_pa;
		p->map_ops = (struct gpamap_ops){ p, 0, part_table_alloc, part_table_free };
		p->halt_msg.owner = p;
		/* a deleted partition's entries may still carry this ASID: flush at first run */
		p->tlb_control = VMCB_TLB_FLUSH_ASID;
		if (hv_config.verbose)
			kprintf("hv: partition %llu created (ASID %u)\n", (unsigned long long)p->id,
				p->asid);
		return p;
	}
	return 0;
}

int partition_initialize(struct partition *p)
{
	if (gpamap_init(&p->map, &p->map_ops) != GPAMAP_OK)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	uint64_t q = part_alloc_page(p);
	if (!q) {
		gpamap_destroy(&p->map, 0, 0);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	synic_init_queue(p, hv_ptr(q));
	p->state = PART_ACTIVE;
	return HV_STATUS_SUCCESS;
}

/* A child's page goes away: the root page it showed loses one sharer */
static void unshare_visit(void *arg, uint64_t gpa, uint64_t entry)
{
	if (!(entry & NPT_P))
		return;
	uint16_t status;
	uint64_t *e = root_page_entry(((entry & NPT_ADDR_MASK) - HV_RESERVED_BYTES) / HV_PAGE,
				      &status);
	if (e && gpamap_count(*e) > 0)
		*e = gpamap_with_count(*e, gpamap_count(*e) - 1);
}

void partition_delete(struct partition *p)
{
	/* its messages waiting in the parent's queues live in its VP pages: first */
	if (p->parent)
		synic_drop_from(p->parent, p);
	for (unsigned i = 0; i < HV_MAX_VPS; i++)
		if (p->vp[i])
			vp_destroy(p->vp[i]);
	if (p->map.top_hpa)
		gpamap_destroy(&p->map, unshare_visit, 0);
	if (p->msgq)
		part_free_page(p, hv_pa(p->msgq));
	if (hv_config.stats || hv_config.verbose)
		stats_print_partition(p);
	/* every page it had goes back to the root */
	uint64_t returned = 0;
	while (p->free_list) {
		uint64_t pa = p->free_list;
		p->free_list = *(uint64_t *)hv_ptr(pa);
		root_undeposit(pa);
		returned++;
	}
	if (returned != p->deposited_pages)
		hv_fatal("partition %llu: %llu of %llu deposited pages came back",
			 (unsigned long long)p->id, (unsigned long long)returned,
			 (unsigned long long)p->deposited_pages);
	if (hv_config.verbose)
		kprintf("hv: partition %llu deleted, %llu pages back to the root\n",
			(unsigned long long)p->id, (unsigned long long)returned);
	p->state = PART_FREE;
}

void partition_halt(struct partition *p, struct vp *vp, uint32_t reason, uint64_t detail)
{
	static const char *const why[] = { "?", "triple fault", "unhandled nested page fault",
					   "invalid VMCB state", "HLT with interrupts off",
					   "unexpected exit" };
	p->state = PART_HALTED;
	if (hv_config.verbose)
		kprintf("hv: partition %llu halted: %s (VP %u, RIP 0x%llx)\n",
			(unsigned long long)p->id, reason < 6 ? why[reason] : "?", vp->index,
			(unsigned long long)vp->vmcb->rip);
	if (p->halt_msg.queued || !p->parent)
		return;
	struct hv_message *m = &p->halt_msg.msg;
	memset(m, 0, sizeof *m);
	struct hv_partition_halt_message *h = (void *)m->payload.bytes;
	h->vp_index = vp->index;
	h->reason = reason;
	h->rip = vp->vmcb->rip;
	h->detail = detail;
	h->exit_code = vp->vmcb->exitcode;
	m->header.message_type = HVMSG_HVSIM_PARTITION_HALTED;
	m->header.payload_size = sizeof *h;
	m->header.sender = p->id;
	p->halt_msg.sint = 0;
	synic_queue(p->parent, &p->halt_msg);
}
