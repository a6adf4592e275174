/* Sorting: a generic quicksort (like C's qsort) and a generic stable merge sort,
   both calling the comparison through a function pointer, plus a heap sort of
   u32 keys. */
#ifndef SORTS_H
#define SORTS_H

#include <stddef.h>
#include <stdint.h>

/* <0, 0, >0 as a sorts before, with, after b. */
typedef int (*sort_cmp_fn)(const void *a, const void *b);

/* In place, not stable; O(log n) stack. */
void sort_quick(void *base, size_t n, size_t size, sort_cmp_fn cmp);

/* Stable; tmp must hold n elements. */
void sort_merge(void *base, void *tmp, size_t n, size_t size, sort_cmp_fn cmp);

/* In place, not stable. */
void sort_heap_u32(uint32_t *a, size_t n);

int sort_cmp_u32(const void *a, const void *b);

#endif
