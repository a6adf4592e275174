/* Long-mode 4-level paging: entry bits and index arithmetic (Intel SDM vol. 3 §4.5,
   tables 4-14 to 4-20; AMD APM vol. 2 §5.3), and how this kernel lays out an address
   space. */
#ifndef MMU_H
#define MMU_H

#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define LARGE_PAGE_SIZE (2ull << 20) /* a PDE with PS: 2 MiB */

#define PTE_P (1ull << 0)     /* present */
#define PTE_W (1ull << 1)     /* writable */
#define PTE_U (1ull << 2)     /* user (CPL 3) accessible */
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)     /* accessed: set by the CPU on any use */
#define PTE_D (1ull << 6)     /* dirty: set by the CPU on a write (leaf only) */
#define PTE_PS (1ull << 7)    /* in a PDE or PDPTE: maps a 2 MiB or 1 GiB page */
#define PTE_G (1ull << 8)     /* global: survives MOV CR3 when CR4.PGE = 1 (leaf only) */
#define PTE_OWNED (1ull << 9) /* software (bits 11:9 are ignored by the CPU): the frame
                                 belongs to this mapping and is freed with it */
#define PTE_NX (1ull << 63)   /* no instruction fetch (with EFER.NXE) */
/* Bits 51:12 hold the address; those at and above MAXPHYADDR are reserved and fault
   (#PF with RSVD) when set. */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* The index of va in the table at level 4 (PML4), 3 (PDPT), 2 (PD) or 1 (PT). */
#define PT_INDEX(va, level) (((uint64_t)(va) >> (PAGE_SHIFT + 9 * ((level) - 1))) & 511)

#define PAGE_ROUND_UP(x) (((uint64_t)(x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_DOWN(x) ((uint64_t)(x) & ~(PAGE_SIZE - 1))

/* Address-space layout. The kernel half is PML4 slot 0: all of RAM identity-mapped
   (so a physical address is also the kernel's pointer to it), supervisor-only. It is
   the same PDPT in every address space, so a kernel mapping made once is seen by all.
   Everything above is the user half, private to each address space. */
#define KERNEL_HALF_END  0x0000008000000000ull /* 512 GiB: RAM must fit below */
#define USER_IMAGE_BASE  0x0000008000000000ull /* user programs are linked here */
#define USER_MAP_BASE    0x0000010000000000ull /* 1 TiB: pages mapped by SYS_map */
#define USER_STACK_TOP   0x00007FFFFFFF0000ull /* below it, the user stack */
#define USER_STACK_PAGES 4
#define USER_INFO_VA     0x00007FFFFFFF8000ull /* one page: struct user_info */
#define USER_END         0x0000800000000000ull /* end of the lower canonical half */

#endif
