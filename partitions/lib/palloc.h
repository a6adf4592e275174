/* The physical page allocator: 4 KiB pages of the RAM the boot info reports, above
   the image and the boot modules. Pages are reached through the kernel's identity map,
   so a page's physical address is also a pointer to it. */
#ifndef PALLOC_H
#define PALLOC_H

#include <stdint.h>

/* Takes every page from the end of the image and modules to the end of RAM. */
void palloc_init(void);

/* A zeroed page's physical address; panics when RAM runs out. */
uint64_t page_alloc(void);
void page_free(uint64_t pa);

/* Pages not allocated now. */
uint64_t palloc_free_pages(void);

#endif
