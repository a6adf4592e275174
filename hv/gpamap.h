/* A partition's GPA map: its nested page tables (AMD APM vol. 2 §15.25; specs/svm.md
 * "Nested walk"), which are ordinary long-mode 4-level tables walked with the host's
 * paging mode, every access checked as a user access. hv builds one per partition;
 * nCR3 in each of the partition's VMCBs points at its top table.
 *
 * This file knows nothing of hv: table pages come from, and go back to, the owner
 * (struct gpamap_ops) and are reached at ops->host_base + their address, so the same
 * code builds for the host and is unit-tested there (tests/hv/test_gpamap.c).
 *
 * Entry bits hv uses (the hardware's, APM vol. 2 §5.3, plus software bits the walker
 * ignores):
 *   P, RW, U (always: nested accesses are user accesses), PS (2 MiB leaves), NX;
 *   bits 11:9  GPAMAP_SW_*: what hv knows about the page;
 *   bits 62:52 a count (the root's pages: how many child mappings share the page).
 * A not-present entry may still hold an address and software bits (a page the root
 * deposited: gone from its map, remembered for when it comes back). */
#ifndef HV_GPAMAP_H
#define HV_GPAMAP_H

#include <stdint.h>

#define GPAMAP_PAGE_SIZE 4096ull
#define GPAMAP_LARGE_PAGE_SIZE (2ull << 20)
/* Guest-physical addresses hv maps: the 40-bit physical width CPUID 0x80000008
 * reports; the four levels reach 48 bits, the rest is refused. */
#define GPAMAP_GPA_LIMIT (1ull << 40)

/* hardware bits */
#define NPT_P (1ull << 0)
#define NPT_RW (1ull << 1)
#define NPT_U (1ull << 2)
#define NPT_A (1ull << 5)
#define NPT_D (1ull << 6)
#define NPT_PS (1ull << 7)
#define NPT_NX (1ull << 63)
#define NPT_ADDR_MASK 0x000FFFFFFFFFF000ull
/* software bits (ignored by the walker) */
#define GPAMAP_SW_DEPOSITED (1ull << 9)  /* not present: handed to hv by HvCallDepositMemory */
#define GPAMAP_SW_OVERLAY (1ull << 10)   /* the hypercall page: write-protected by hv */
#define GPAMAP_SW_WAS_RW (1ull << 11)    /* ... and writable before hv protected it */
#define GPAMAP_COUNT_SHIFT 52
#define GPAMAP_COUNT_MAX 0x7FFull
#define GPAMAP_COUNT_MASK (GPAMAP_COUNT_MAX << GPAMAP_COUNT_SHIFT)

/* Access rights, the abstract form (HV_MAP_GPA_* folds onto these) */
#define GPAMAP_READ 1u
#define GPAMAP_WRITE 2u
#define GPAMAP_EXEC 4u

/* Results */
#define GPAMAP_OK 0
#define GPAMAP_ENOMEM (-1)  /* the owner had no page for a table */
#define GPAMAP_EXISTS (-2)  /* something is mapped there already */
#define GPAMAP_ABSENT (-3)  /* nothing is mapped there */
#define GPAMAP_RANGE (-4)   /* beyond GPAMAP_GPA_LIMIT, or misaligned */

struct gpamap_ops {
	void *ctx;
	uintptr_t host_base;                    /* the owner's address of host-physical 0:
						 * a table at hpa is at host_base + hpa (hv: 0,
						 * its identity map; a test: its arena) */
	uint64_t (*alloc)(void *ctx);           /* a zeroed page for a table, or 0 */
	void (*free)(void *ctx, uint64_t hpa);
};

struct gpamap {
	const struct gpamap_ops *ops;
	uint64_t top_hpa;         /* the PML4: what nCR3 holds */
	uint64_t table_pages;     /* tables in use, the top one included */
	uint64_t pages_4k;        /* present 4 KiB leaves */
	uint64_t pages_2m;        /* present 2 MiB leaves */
	/* the last table of 4 KiB leaves gpamap_entry reached, and which 2 MiB of GPA it
	 * covers: map, unmap and deposit go page by page through consecutive GPAs */
	uint64_t *last_pt;
	uint64_t last_pt_gpa;
};

/* An empty map: one zeroed top table. GPAMAP_OK or GPAMAP_ENOMEM. */
int gpamap_init(struct gpamap *m, const struct gpamap_ops *ops);

/* Frees every table; before each table is freed, visit (if not 0) sees every leaf entry
 * in it that is present or holds an address (4 KiB and 2 MiB), with its GPA. */
void gpamap_destroy(struct gpamap *m, void (*visit)(void *arg, uint64_t gpa, uint64_t entry),
		    void *arg);

/* The leaf entry a 4 KiB page is built from: hpa, rights, U always. */
uint64_t gpamap_make_entry(uint64_t hpa, unsigned rights);
/* The rights of a present leaf entry (0 if not present) */
unsigned gpamap_rights(uint64_t entry);

/* Maps [gpa, gpa + 2 MiB) to hpa with one 2 MiB leaf. Both 2 MiB aligned. */
int gpamap_map_2m(struct gpamap *m, uint64_t gpa, uint64_t hpa, unsigned rights);
/* Maps the 4 KiB page at gpa (absent before: else GPAMAP_EXISTS, nothing changed). */
int gpamap_map_4k(struct gpamap *m, uint64_t gpa, uint64_t hpa, unsigned rights);

/* The 4 KiB leaf entry for gpa, to read or change in place. create: build the tables
 * down to it; split: turn a 2 MiB leaf covering gpa into 512 4 KiB leaves with the same
 * rights (the caller flushes: the translation does not change, but an entry does).
 * Returns 0 with *err set (ENOMEM, ABSENT: no table and !create, or a 2 MiB leaf and
 * !split; RANGE). A new leaf is 0 (not present). */
uint64_t *gpamap_entry(struct gpamap *m, uint64_t gpa, int create, int split, int *err);

/* Writes a 4 KiB leaf entry gpamap_entry returned, keeping pages_4k right. */
void gpamap_store(struct gpamap *m, uint64_t *slot, uint64_t value);

/* Read-only lookup of any page size: the host-physical address of the byte at gpa and
 * the leaf entry that maps it (not present: GPAMAP_ABSENT, *entry still the leaf's value
 * when there is one, else 0). */
int gpamap_translate(const struct gpamap *m, uint64_t gpa, uint64_t *hpa, uint64_t *entry);

/* Clears the 4 KiB leaf for gpa (splitting a 2 MiB one first); *old gets what it held.
 * GPAMAP_ABSENT when it was not present (nothing changed). Tables are kept. */
int gpamap_unmap_4k(struct gpamap *m, uint64_t gpa, uint64_t *old);

static inline uint64_t gpamap_count(uint64_t entry)
{
	return (entry & GPAMAP_COUNT_MASK) >> GPAMAP_COUNT_SHIFT;
}

static inline uint64_t gpamap_with_count(uint64_t entry, uint64_t count)
{
	return (entry & ~GPAMAP_COUNT_MASK) | (count << GPAMAP_COUNT_SHIFT);
}

#endif
