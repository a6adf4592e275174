/* Remapping part of the loader's identity map with 4 KiB pages, for programs that want
   their working set to be measured in 4 KiB TLB entries (bench_mem). A native build
   supplies a version that does nothing: Linux already maps its memory in small pages. */
#ifndef SMALLPAGES_H
#define SMALLPAGES_H

#include <stddef.h>

/* Splits every 2 MiB page of the identity map that [start, start + bytes) touches into
   512 4 KiB pages with the same rights. Returns the number of 2 MiB pages split; it
   stops early when its pool of page tables (64, i.e. 128 MiB) runs out. */
unsigned use_small_pages(void *start, size_t bytes);

#endif
