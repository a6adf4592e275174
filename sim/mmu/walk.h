/* Long-mode 4-level page walks (AMD APM vol. 2 §5.3, Intel SDM vol. 3 §4.5).
 * The walker knows physical memory and the paging rules, nothing of the CPU: the caller
 * passes the paging state it needs. Every page-table reference is reported. */
#ifndef HVSIM_MMU_WALK_H
#define HVSIM_MMU_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "phys.h"

/* Page-table entry bits */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)

/* #PF error code bits */
#define PFEC_P (1u << 0)    /* protection violation (else: not present) */
#define PFEC_W (1u << 1)    /* the access was a write */
#define PFEC_U (1u << 2)    /* the access was a user-mode access */
#define PFEC_RSVD (1u << 3) /* a reserved bit was set in an entry */
#define PFEC_I (1u << 4)    /* the access was an instruction fetch */

/* The physical-address width hvsim reports in CPUID 0x80000008. */
#define MMU_PHYS_ADDR_BITS 40
#define MMU_MAX_REFS 4

enum mmu_access { MMU_READ = 0, MMU_WRITE = 1, MMU_EXEC = 2 };

struct walk_req {
	uint64_t cr3;
	bool user;      /* CPL 3 access (or an access checked as a user access) */
	bool wp;        /* CR0.WP */
	bool nxe;       /* EFER.NXE */
	bool no_ad;     /* do not set accessed/dirty bits (a checking walk that must not
			 * change memory) */
	enum mmu_access access;
	/* Nested paging (specs/svm.md "Nested walk"): when non-NULL, CR3, every guest
	 * page-table entry's address and the final address are guest-physical and are
	 * translated by a walk of the nested tables under these settings (cr3 = nCR3, the
	 * host's paging mode; nested accesses are user accesses). */
	const struct walk_req *nested;
};

/* NPF EXITINFO1 bits beyond the #PF-style ones (specs/svm.md exit codes) */
#define NPF_FINAL_GPA (1ull << 32)  /* the fault was on the final guest-physical address */
#define NPF_GUEST_TABLE (1ull << 33) /* ... on an access to a guest page table */

struct walk_result {
	uint64_t pa;         /* (host-)physical address of the byte asked for */
	uint64_t page_size;  /* 4 KiB, 2 MiB or 1 GiB: the smaller of guest and nested page */
	uint64_t guest_page_size; /* the page the guest's own tables map (INVLPG's unit) */
	bool writable, user, nx, global, dirty;
	uint32_t pf_error;   /* on a guest (#PF) failure: the #PF error code */
	unsigned nrefs;      /* page-table reads made in the guest dimension */
	uint64_t refs[MMU_MAX_REFS];
	/* nested paging only */
	unsigned nested_refs;  /* page-table reads made in the nested dimension */
	bool npf;              /* the failure is a nested page fault, not a #PF */
	uint64_t npf_info1;    /* #PF-style bits | NPF_FINAL_GPA or NPF_GUEST_TABLE */
	uint64_t npf_gpa;      /* the guest-physical address that faulted */
};

/* Translates linear address la. On success fills *r and sets A (and D for writes)
 * bits; on failure fills r->pf_error (or, under nested paging, r->npf and its fields)
 * and returns false. Beyond-RAM table addresses read as all-ones (a reserved-bit fault
 * follows), never a host fault. The worst case under nested paging, 4 + 4 levels with
 * nothing cached, makes 4 guest and 20 nested references (n*m + n + m = 24). */
bool mmu_walk(struct physmem *pm, const struct walk_req *req, uint64_t la,
	      struct walk_result *r);

static inline bool mmu_canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

#endif
