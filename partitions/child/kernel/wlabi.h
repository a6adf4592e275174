/* What the child kernel and its ring-3 workload programs (user/) agree on: the slots
   of the info page (uabi.h, struct user_info) each program reads and writes. */
#ifndef WLABI_H
#define WLABI_H

#include "mmu.h"

/* arg[] slots, set by the kernel before the process starts */
#define WL_ARG_PAGES 0      /* switch, bystander: pages in the working set */
#define WL_ARG_QUOTA 1      /* work units to do; 0: until the kernel sets stop */
#define WL_ARG_SEED 2       /* unmap: the range-size sequence's seed */
#define WL_ARG_MAXRANGE 3   /* unmap: the largest range, in pages */

/* progress[] slots, read by the kernel at any time and after the exit */
#define WL_PROGRESS_UNITS 0 /* work units completed */
#define WL_PROGRESS_BAD 1   /* pages found wrong (a stale translation, a lost write) */
#define WL_PROGRESS_PAGES 2 /* unmap: pages mapped, touched and unmapped */

/* Where every workload maps its pages (SYS_map's region). Every process uses the same
   addresses, backed by its own frames: a translation of another process, or of a page
   already unmapped, used by mistake shows up as a wrong tag or a non-zero fresh page. */
#define WL_REGION USER_MAP_BASE

#endif
