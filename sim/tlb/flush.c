/* The flush operations (specs/svm.md "TLB tagging"; docs/tlb.md "Flushes") and their
 * attribution: every removed entry counts as the requester's own or as collateral. */
#include "tlb.h"

#include "array.h"

const char *const tlb_flush_kind_name[TLB_NR_FLUSH_KINDS] = {
	[TLB_FLUSH_FULL] = "full",
	[TLB_FLUSH_ASID] = "asid",
	[TLB_FLUSH_ASID_NONGLOBAL] = "asid_nonglobal",
	[TLB_FLUSH_PCID] = "pcid",
	[TLB_FLUSH_PAGE] = "page",
	[TLB_FLUSH_PAGE_PCID] = "page_pcid",
	[TLB_FLUSH_VM_TRANSITION] = "vm_transition",
};

/* Which entries a flush removes */
struct flush_scope {
	bool all;             /* every entry: a full flush, or any flush when untagged */
	uint32_t asid;
	bool nonglobal_only;  /* global entries survive */
	bool one_pcid;
	uint16_t pcid;
	bool one_page;        /* only entries that map va, whatever their size */
	uint64_t va;
};

static bool in_scope(const struct flush_scope *f, const struct tlb_entry *e)
{
	if (f->all)
		return true;
	if (e->asid != f->asid)
		return false;
	if (f->nonglobal_only && (e->flags & TLB_G))
		return false;
	if (f->one_pcid && e->pcid != f->pcid)
		return false;
	return !f->one_page ||
	       tlb_page_vpn(f->va, e->span) == tlb_page_vpn(tlb_entry_va(e), e->span);
}

struct flush_tally {
	struct tlb *t;
	uint32_t requester;
	enum tlb_flush_kind kind;
	unsigned own, collateral;
};

static void remove_entry(struct flush_tally *y, struct tlb_array *a, struct tlb_entry *e)
{
	struct tlb_asid_stats *as = tlb_asid_stats(y->t, e->asid);
	if (e->asid == y->requester) {
		y->own++;
	} else {
		y->collateral++;
		as->invalidated_collateral++;
	}
	as->invalidated++;
	as->invalidated_by_kind[y->kind]++;
	tlb_array_remove(a, e);
}

/* A page flush looks only in the sets that can hold va (one per page size), unless some
 * entry is a piece of a larger page (its pieces live in other sets); every other flush
 * walks every slot. */
static void flush_array(struct flush_tally *y, struct tlb_array *a, const struct flush_scope *f)
{
	if (!a->sets)
		return;
	if (f->one_page && !f->all && !a->nr_spanning) {
		for (int s = 0; s < TLB_NR_SIZES; s++) {
			if (!a->nr_valid[s])
				continue;
			struct tlb_entry *set = tlb_array_set(a, f->va, s);
			for (uint32_t w = 0; w < a->ways; w++)
				if ((set[w].flags & TLB_VALID) && set[w].size == s &&
				    in_scope(f, &set[w]))
					remove_entry(y, a, &set[w]);
		}
		return;
	}
	size_t n = (size_t)a->sets * a->ways;
	for (size_t i = 0; i < n; i++)
		if ((a->slot[i].flags & TLB_VALID) && in_scope(f, &a->slot[i]))
			remove_entry(y, a, &a->slot[i]);
}

static unsigned flush(struct tlb *t, enum tlb_flush_kind kind, struct flush_scope f,
		      uint32_t requester)
{
	/* Untagged hardware cannot tell one context's entries from another's: whatever was
	 * asked for, everything goes (specs/svm.md, the untagged option). */
	if (!t->cfg.tagged && !f.all) {
		f.all = true;
		t->widened++;
	}
	struct flush_tally y = { t, requester, kind, 0, 0 };
	for (int i = 0; i < TLB_NR_ARRAYS; i++)
		flush_array(&y, &t->array[i], &f);
	t->flush[kind].issued++;
	t->flush[kind].invalidated_own += y.own;
	t->flush[kind].invalidated_collateral += y.collateral;
	return y.own + y.collateral;
}

unsigned tlb_flush_all(struct tlb *t, uint32_t requester)
{
	return flush(t, TLB_FLUSH_FULL, (struct flush_scope){ .all = true }, requester);
}

unsigned tlb_flush_asid(struct tlb *t, uint32_t asid, uint32_t requester)
{
	return flush(t, TLB_FLUSH_ASID, (struct flush_scope){ .asid = asid }, requester);
}

unsigned tlb_flush_asid_nonglobal(struct tlb *t, uint32_t asid, uint32_t requester)
{
	struct flush_scope f = { .asid = asid, .nonglobal_only = true };
	return flush(t, TLB_FLUSH_ASID_NONGLOBAL, f, requester);
}

unsigned tlb_flush_pcid(struct tlb *t, uint32_t asid, uint16_t pcid, uint32_t requester)
{
	struct flush_scope f = { .asid = asid, .nonglobal_only = true, .one_pcid = true,
				 .pcid = pcid & TLB_PCID_MASK };
	return flush(t, TLB_FLUSH_PCID, f, requester);
}

/* INVLPG / INVLPGA: the page's entries of every PCID, global ones included (a superset
 * of the SDM's "current PCID and globals", which the architecture permits). */
unsigned tlb_flush_page(struct tlb *t, uint32_t asid, uint64_t va, uint32_t requester)
{
	struct flush_scope f = { .asid = asid, .one_page = true, .va = va };
	return flush(t, TLB_FLUSH_PAGE, f, requester);
}

/* INVPCID type 0: the page's entries of one PCID, except global ones (SDM vol. 2 INVPCID) */
unsigned tlb_flush_page_pcid(struct tlb *t, uint32_t asid, uint16_t pcid, uint64_t va,
			     uint32_t requester)
{
	struct flush_scope f = { .asid = asid, .nonglobal_only = true, .one_pcid = true,
				 .pcid = pcid & TLB_PCID_MASK, .one_page = true, .va = va };
	return flush(t, TLB_FLUSH_PAGE_PCID, f, requester);
}

unsigned tlb_flush_vm_transition(struct tlb *t, uint32_t requester)
{
	if (t->cfg.tagged)
		return 0;
	return flush(t, TLB_FLUSH_VM_TRANSITION, (struct flush_scope){ .all = true }, requester);
}
