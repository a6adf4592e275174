/* An obviously-correct reference for the TLB model (sim/tlb), for the property test.
 * The same geometry and policy, written the slow, plain way: one flat array of slots
 * per TLB array, every lookup and every flush a scan of all of them, explicit LRU
 * stamps. It shares only the public types and the PRNG definition (the random stream is
 * part of the policy) with the model. */
#ifndef HVSIM_TESTS_TLB_REF_H
#define HVSIM_TESTS_TLB_REF_H

#include "sim/tlb/tlb.h"

struct ref_slot {
	bool valid;
	uint32_t asid;
	uint16_t pcid;
	bool global;
	int size;           /* enum tlb_page_size */
	int span;           /* the page a page flush treats it as part of (>= size) */
	uint64_t va;        /* first byte of the page */
	uint64_t pa;
	uint8_t *host;
	uint8_t perms;      /* TLB_W | TLB_U | TLB_NX | TLB_D */
	uint64_t stamp;
};

struct ref_array {
	struct ref_slot *slot;
	unsigned sets, ways;   /* sets = 0: absent */
	uint64_t clock;
};

struct ref_tlb {
	struct tlb_config cfg;
	struct ref_array a[TLB_NR_ARRAYS];
	uint64_t prng;
	struct tlb_level_stats level[TLB_NR_LEVELS];
	struct tlb_asid_stats *asid;   /* max_asids + 1 */
	struct tlb_flush_stats flush[TLB_NR_FLUSH_KINDS];
	uint64_t widened;
};

/* What a reference lookup found */
struct ref_hit {
	bool hit;
	enum tlb_level level;
	struct ref_slot e;
};

void ref_init(struct ref_tlb *r, const struct tlb_config *c);
void ref_free(struct ref_tlb *r);
struct ref_hit ref_lookup(struct ref_tlb *r, uint32_t asid, uint16_t pcid, uint64_t va,
			  enum tlb_kind kind);
void ref_fill(struct ref_tlb *r, const struct tlb_entry *e, enum tlb_kind kind);
/* kind selects the flush; the arguments a kind does not use are ignored */
unsigned ref_flush(struct ref_tlb *r, enum tlb_flush_kind kind, uint32_t asid, uint16_t pcid,
		   uint64_t va, uint32_t requester);

#endif
