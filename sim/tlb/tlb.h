/* The tagged TLB model (DESIGN.md "Layers": sim/tlb; specs/svm.md "TLB tagging";
 * docs/tlb.md). An L1 instruction TLB and an L1 data TLB, each with an optional separate
 * array for 2 MiB / 1 GiB pages, in front of a unified L2. Entries are tagged with the
 * ASID (0 = host) and the PCID. The model knows nothing of the CPU or the page walker:
 * tags, addresses and permissions come in as arguments. Nothing here allocates after
 * tlb_init, and nothing depends on host time, randomness or pointer values. */
#ifndef HVSIM_TLB_TLB_H
#define HVSIM_TLB_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/counters.h"

/* ---- entries ---- */

#define TLB_PAGE_SHIFT 12
#define TLB_PCID_MASK 0xFFFu   /* CR3[11:0] when CR4.PCIDE = 1 (12 bits) */

enum tlb_page_size { TLB_4K, TLB_2M, TLB_1G, TLB_NR_SIZES };

static inline unsigned tlb_page_shift(enum tlb_page_size s)
{
	return TLB_PAGE_SHIFT + 9 * (unsigned)s;
}

static inline uint64_t tlb_page_bytes(enum tlb_page_size s)
{
	return (uint64_t)1 << tlb_page_shift(s);
}

/* Entry flags: permissions as the walk found them (the combined permissions of every
 * level), the global bit, and TLB_VALID, which the model owns. */
#define TLB_W (1u << 0)      /* writable */
#define TLB_U (1u << 1)      /* user accessible */
#define TLB_NX (1u << 2)     /* no execute */
#define TLB_D (1u << 3)      /* dirty known: the PTE's D bit was set, a write may hit */
#define TLB_G (1u << 4)      /* global: survives non-global flushes, matches every PCID */
#define TLB_VALID (1u << 7)  /* slot in use (set by the model; ignored in tlb_fill input) */
#define TLB_PERM_FLAGS (TLB_W | TLB_U | TLB_NX | TLB_D | TLB_G)

struct tlb_entry {
	uint64_t vpn;        /* virtual page number: va >> 12 (low bits clear for large pages) */
	uint64_t pa;         /* physical address of the page, aligned to its size */
	uint8_t *host;       /* host pointer to the page's first byte; opaque to the model */
	uint32_t gen;        /* the model's: bumped whenever the slot is refilled or emptied,
			      * so a cached pointer to it can tell that it went stale */
	uint32_t asid;       /* 0 = host */
	uint16_t pcid;       /* 12 bits */
	uint8_t size;        /* enum tlb_page_size */
	uint8_t span;        /* the page a page flush treats it as part of (>= size): under
			      * nested paging, a guest 2 MiB page backed by 4 KiB host pages is
			      * cached in 4 KiB pieces that INVLPG must remove together */
	uint8_t flags;       /* TLB_* above */
};

/* Whether a cached translation allows an access without a walk; on false the caller
 * walks (AMD re-walks before raising #PF, APM vol. 2 §5.5.2). A write needs the dirty bit
 * known set, so that the walk sets it (SDM vol. 3 §4.8), and W unless a supervisor
 * access with CR0.WP clear. sim/cpu/mem.c and tools/hvtrace's tlb-replay share it. */
static inline bool tlb_entry_allows(const struct tlb_entry *e, bool write, bool exec,
				    bool user, bool wp)
{
	if (user && !(e->flags & TLB_U))
		return false;
	if (write && (!(e->flags & TLB_D) || (!(e->flags & TLB_W) && (user || wp))))
		return false;
	return !(exec && (e->flags & TLB_NX));
}

/* The virtual address an entry maps */
static inline uint64_t tlb_entry_va(const struct tlb_entry *e)
{
	return e->vpn << TLB_PAGE_SHIFT;
}

/* ---- configuration (the --tlb option; docs/tlb.md lists every key and default) ---- */

enum tlb_replacement { TLB_REPLACE_LRU, TLB_REPLACE_RANDOM };

/* One array: entries = sets × ways; ways = 0 means fully associative (one set). */
struct tlb_geometry {
	uint32_t entries;
	uint32_t ways;
};

#define TLB_MAX_ENTRIES 65536u   /* per array */
#define TLB_MAX_ASIDS 1024u      /* per-ASID counter blocks */
#define TLB_INDEX_MIN_WAYS 16u   /* a fully associative array this wide gets a hash index */

struct tlb_config {
	struct tlb_geometry l1i, l1i_large;   /* l1i_large.entries = 0: 4K array holds all */
	struct tlb_geometry l1d, l1d_large;
	struct tlb_geometry l2;               /* entries = 0: no L2 */
	enum tlb_replacement replacement;
	uint64_t seed;                        /* for random replacement */
	bool tagged;                          /* off: every flush empties the whole TLB */
	uint32_t max_asids;                   /* ASIDs 0..max_asids-1 get counter blocks */
};

/* AMD Zen 2-like defaults: L1I 64 and L1D 64 entries fully associative for all page
 * sizes, L2 2048 entries 8-way, LRU, tagged, 16 per-ASID counter blocks. */
void tlb_config_defaults(struct tlb_config *c);
/* Applies a --tlb string "key=value,key=value" on top of *c. On error returns false,
 * leaves *c unchanged and writes one line naming the bad key or value to err. */
bool tlb_config_parse(struct tlb_config *c, const char *opt, char *err, size_t errlen);
/* Checks the geometry (ways divide entries, power-of-two sets, limits). */
bool tlb_config_check(const struct tlb_config *c, char *err, size_t errlen);
/* Calls emit for every key with its resolved value (ways of a fully associative array
 * as its entry count), in the order docs/tlb.md lists them. */
typedef void (*tlb_config_emit_fn)(void *ctx, const char *key, const char *value);
void tlb_config_each(const struct tlb_config *c, tlb_config_emit_fn emit, void *ctx);
/* Writes the resolved configuration as one --tlb string ("l1i.entries=64,..."), which
 * tlb_config_parse accepts back. Returns the length it needed, as snprintf does. */
size_t tlb_config_format(const struct tlb_config *c, char *buf, size_t len);

/* ---- the model ---- */

enum tlb_kind { TLB_FETCH, TLB_DATA };          /* which L1 a lookup or fill uses */
enum tlb_level { TLB_L1I, TLB_L1D, TLB_L2, TLB_NR_LEVELS };

/* The arrays: each L1 has a 4K array (which holds every size when its large array has
 * no entries) and a large-page array. */
enum tlb_array_id { TLB_A_L1I, TLB_A_L1I_LARGE, TLB_A_L1D, TLB_A_L1D_LARGE, TLB_A_L2,
		    TLB_NR_ARRAYS };

struct tlb_array {
	struct tlb_entry *slot;            /* sets × ways, set-major */
	uint64_t *key;                     /* per slot: its tag packed in 64 bits (array.h),
					    * 0 when free: lookups scan these, not the slots */
	uint32_t *index;                   /* fully associative arrays of more than
					    * TLB_INDEX_MIN_WAYS: a hash of the keys (way + 1,
					    * 0 = empty), so a lookup does not scan every way */
	uint32_t index_mask;
	uint32_t nr_used;                  /* valid slots (all sizes) */
	uint32_t nr_spanning;              /* valid slots whose span exceeds their size */
	uint64_t *stamp;                   /* per slot: its last use (tlb.clock), for LRU */
	uint32_t sets, ways;               /* sets = 0: the array is absent */
	uint32_t nr_valid[TLB_NR_SIZES];   /* lookups skip page sizes with no entry */
};

/* Flush kinds (docs/tlb.md maps each to its x86 / SVM events) */
enum tlb_flush_kind {
	TLB_FLUSH_FULL,            /* everything, every ASID: TLB_CONTROL = 1 */
	TLB_FLUSH_ASID,            /* one ASID: TLB_CONTROL = 3, INVPCID 2 */
	TLB_FLUSH_ASID_NONGLOBAL,  /* one ASID's non-global entries: TLB_CONTROL = 7, INVPCID 3 */
	TLB_FLUSH_PCID,            /* one (ASID, PCID), non-global: MOV CR3, INVPCID 1 */
	TLB_FLUSH_PAGE,            /* one page of one ASID, every PCID, globals too: INVLPG(A) */
	TLB_FLUSH_PAGE_PCID,       /* one page of one (ASID, PCID), non-global: INVPCID 0 */
	TLB_FLUSH_VM_TRANSITION,   /* untagged mode only: VMRUN / #VMEXIT empty the TLB */
	TLB_NR_FLUSH_KINDS
};

extern const char *const tlb_flush_kind_name[TLB_NR_FLUSH_KINDS];


struct tlb_level_stats {
	uint64_t lookups, hits, misses, fills, evictions;
};

struct tlb_asid_stats {
	uint64_t lookups, hits, misses;   /* whole-TLB lookups (a hit at any level) */
	uint64_t l2_lookups, l2_hits;     /* the lookups that reached the L2 (L1 misses) */
	uint64_t invalidated;             /* this ASID's entries removed by any flush */
	uint64_t invalidated_collateral;  /* ... by flushes another ASID requested */
	uint64_t invalidated_by_kind[TLB_NR_FLUSH_KINDS];
};

struct tlb_flush_stats {
	uint64_t issued;
	uint64_t invalidated_own;         /* entries of the requesting ASID */
	uint64_t invalidated_collateral;  /* entries of every other ASID */
};

struct tlb {
	struct tlb_config cfg;
	struct tlb_array array[TLB_NR_ARRAYS];
	uint64_t prng;                                  /* xorshift64* state (prng.h) */
	struct tlb_level_stats level[TLB_NR_LEVELS];
	struct tlb_asid_stats *asid;                    /* max_asids + 1; the last: "other" */
	struct tlb_flush_stats flush[TLB_NR_FLUSH_KINDS];
	uint64_t widened;                               /* untagged: flushes made full */
	uint64_t clock;                                 /* LRU time: every touch ticks it */
};

/* Allocates the arrays for *c (checked as tlb_config_check does); returns false with one
 * line in err on a bad configuration or when out of host memory. */
bool tlb_init(struct tlb *t, const struct tlb_config *c, char *err, size_t errlen);
void tlb_free(struct tlb *t);
/* Registers every counter (docs/tlb.md "Counters"), the per-ASID table for every
 * configured ASID up front. The counters live in *t: it must not move afterwards. */
void tlb_register_counters(struct tlb *t, struct counter_registry *r);

/* The per-ASID counter block of asid: its own below cfg.max_asids, else "other". */
static inline struct tlb_asid_stats *tlb_asid_stats(struct tlb *t, uint32_t asid)
{
	return &t->asid[asid < t->cfg.max_asids ? asid : t->cfg.max_asids];
}

/* Looks va up for (asid, pcid): the L1 of `kind` first, then the L2; an L2 hit refills
 * the L1 and returns the L1 copy. An entry matches only if its ASID is asid and its
 * PCID is pcid or it is global (DESIGN.md isolation invariant). Returns NULL on a miss.
 * *hit_level (may be NULL) tells where it hit. The pointer is valid until the next fill
 * or flush. */
const struct tlb_entry *tlb_lookup(struct tlb *t, uint32_t asid, uint16_t pcid, uint64_t va,
				   enum tlb_kind kind, enum tlb_level *hit_level);
/* Where the model keeps the last-use stamp of entry e (an entry tlb_lookup or tlb_fill
 * returned), for a caller that caches L1 entries (the CPU's host-pointer fast path). */
uint64_t *tlb_entry_stamp(struct tlb *t, const struct tlb_entry *e);

/* An L1 hit that the caller served from its own cache of L1 entries: marks the entry
 * whose stamp this is most recently used, as tlb_lookup would. The hit itself is
 * counted in bulk by tlb_count_l1_hits. */
static inline void tlb_touch(struct tlb *t, uint64_t *stamp)
{
	*stamp = ++t->clock;
}

/* Adds n L1 hits of `kind` for asid that the caller served itself (see tlb_touch). */
void tlb_count_l1_hits(struct tlb *t, uint32_t asid, enum tlb_kind kind, uint64_t n);

/* Inserts a translation into the L2 and then the L1 of `kind` (evicting by the
 * replacement policy). e->vpn and e->pa are aligned down to e->size; an entry with the
 * same tag, page and size is replaced in place. Returns the L1 copy. */
const struct tlb_entry *tlb_fill(struct tlb *t, const struct tlb_entry *e, enum tlb_kind kind);

/* Flushes. `requester` is the ASID on whose behalf the flush is done (the guest entered
 * by VMRUN, the ASID INVLPGA names, the current ASID for MOV CR3...): removed entries
 * of that ASID count as own, every other ASID's as collateral. In untagged mode every
 * kind empties the whole TLB (counted under the kind asked for, and in `widened`).
 * Each returns the number of entries removed, summed over every array. */
unsigned tlb_flush_all(struct tlb *t, uint32_t requester);
unsigned tlb_flush_asid(struct tlb *t, uint32_t asid, uint32_t requester);
unsigned tlb_flush_asid_nonglobal(struct tlb *t, uint32_t asid, uint32_t requester);
unsigned tlb_flush_pcid(struct tlb *t, uint32_t asid, uint16_t pcid, uint32_t requester);
unsigned tlb_flush_page(struct tlb *t, uint32_t asid, uint64_t va, uint32_t requester);
unsigned tlb_flush_page_pcid(struct tlb *t, uint32_t asid, uint16_t pcid, uint64_t va,
			     uint32_t requester);
/* A VMRUN or #VMEXIT: empties the TLB in untagged mode; does nothing (and counts
 * nothing) when tagged. */
unsigned tlb_flush_vm_transition(struct tlb *t, uint32_t requester);

#endif
