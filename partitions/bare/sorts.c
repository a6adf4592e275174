/* Quicksort, merge sort and heap sort. */
#include "kstring.h"
#include "sorts.h"

/* Elements are opaque bytes of the given size. */
static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
    while (size--) {
        unsigned char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

#define ELEM(i) (base + (i) * size)

/* Below this, insertion sort beats partitioning. */
#define INSERTION_CUTOFF 8

static void insertion(unsigned char *base, size_t n, size_t size, sort_cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(ELEM(j - 1), ELEM(j)) > 0; j--)
            swap_bytes(ELEM(j - 1), ELEM(j), size);
}

void sort_quick(void *base_, size_t n, size_t size, sort_cmp_fn cmp)
{
    unsigned char *base = base_;

    while (n > INSERTION_CUTOFF) {
        /* Median of three as pivot, moved to the front: sorted and reversed inputs
           then partition evenly instead of degrading to O(n^2). */
        size_t mid = n / 2, last = n - 1;
        if (cmp(ELEM(mid), ELEM(0)) < 0)
            swap_bytes(ELEM(mid), ELEM(0), size);
        if (cmp(ELEM(last), ELEM(0)) < 0)
            swap_bytes(ELEM(last), ELEM(0), size);
        if (cmp(ELEM(last), ELEM(mid)) < 0)
            swap_bytes(ELEM(last), ELEM(mid), size);
        swap_bytes(ELEM(0), ELEM(mid), size);

        /* Hoare partition around the pivot at index 0. */
        size_t i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && cmp(ELEM(i), ELEM(0)) < 0);
            do
                j--;
            while (cmp(ELEM(j), ELEM(0)) > 0);
            if (i >= j)
                break;
            swap_bytes(ELEM(i), ELEM(j), size);
        }
        swap_bytes(ELEM(0), ELEM(j), size);

        /* Recurse into the smaller side, loop on the larger: the stack stays
           O(log n) deep whatever the input. */
        size_t left = j, right = n - j - 1;
        if (left < right) {
            sort_quick(base, left, size, cmp);
            base = ELEM(j + 1);
            n = right;
        } else {
            sort_quick(ELEM(j + 1), right, size, cmp);
            n = left;
        }
    }
    insertion(base, n, size, cmp);
}

/* Merge the sorted runs [0, mid) and [mid, n) of base through tmp. Taking from the
   left run on ties is what makes the sort stable. */
static void merge(unsigned char *base, unsigned char *tmp, size_t mid, size_t n,
                  size_t size, sort_cmp_fn cmp)
{
    size_t i = 0, j = mid, k = 0;

    while (i < mid && j < n) {
        if (cmp(ELEM(j), ELEM(i)) < 0)
            memcpy(tmp + size * k++, ELEM(j++), size);
        else
            memcpy(tmp + size * k++, ELEM(i++), size);
    }
    while (i < mid)
        memcpy(tmp + size * k++, ELEM(i++), size);
    while (j < n)
        memcpy(tmp + size * k++, ELEM(j++), size);
    memcpy(base, tmp, n * size);
}

void sort_merge(void *base_, void *tmp, size_t n, size_t size, sort_cmp_fn cmp)
{
    unsigned char *base = base_;

    if (n < 2)
        return;
    size_t mid = n / 2;
    sort_merge(base, tmp, mid, size, cmp);
    sort_merge(ELEM(mid), tmp, n - mid, size, cmp);
    if (cmp(ELEM(mid), ELEM(mid - 1)) >= 0)
        return; /* already in order: common for nearly sorted input */
    merge(base, tmp, mid, n, size, cmp);
}

/* Restore the max-heap property below node i of a heap of n keys. */
static void sift_down(uint32_t *a, size_t i, size_t n)
{
    for (;;) {
        size_t big = i, l = 2 * i + 1, r = l + 1;
        if (l < n && a[l] > a[big])
            big = l;
        if (r < n && a[r] > a[big])
            big = r;
        if (big == i)
            return;
        uint32_t t = a[i];
        a[i] = a[big];
        a[big] = t;
        i = big;
    }
}

void sort_heap_u32(uint32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

int sort_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}
