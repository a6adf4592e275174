/* Sorting: quicksort, merge sort and heap sort over inputs that stress them
   differently (random, few distinct keys, sorted, reversed, all equal, sawtooth),
   and a stability check with records. Indirect calls through the comparison
   pointer, byte-wise swaps, deep but bounded recursion. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"
#include "kstring.h"
#include "rng.h"
#include "sorts.h"

#define N 600

static uint32_t input[N], work[N], tmp[N];

enum shape { RANDOM, FEW_KEYS, SORTED, REVERSED, ALL_EQUAL, SAWTOOTH, NR_SHAPES };
static const char *const shape_name[NR_SHAPES] = {
    "random", "few-keys", "sorted", "reversed", "all-equal", "sawtooth",
};

static void make_input(enum shape shape, struct rng *r)
{
    for (uint32_t i = 0; i < N; i++) {
        switch (shape) {
        case RANDOM:    input[i] = rng_u32(r); break;
        case FEW_KEYS:  input[i] = rng_below(r, 5); break;
        case SORTED:    input[i] = i * 3; break;
        case REVERSED:  input[i] = (N - i) * 7; break;
        case ALL_EQUAL: input[i] = 42; break;
        default:        input[i] = i % 37; break;
        }
    }
}

/* Order-insensitive summary: equal for any permutation of the same keys. */
static uint64_t multiset(const uint32_t *a)
{
    uint64_t sum = 0, sq = 0;

    for (int i = 0; i < N; i++) {
        sum += a[i];
        sq += (uint64_t)a[i] * a[i];
    }
    return sum ^ (sq << 1);
}

/* Order-sensitive summary (FNV-1a over the keys). */
static uint32_t fingerprint(const uint32_t *a)
{
    uint32_t h = 2166136261u;

    for (int i = 0; i < N; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

static int is_sorted(const uint32_t *a)
{
    for (int i = 1; i < N; i++)
        if (a[i - 1] > a[i])
            return 0;
    return 1;
}

static unsigned long compares;

static int counting_cmp(const void *a, const void *b)
{
    compares++;
    return sort_cmp_u32(a, b);
}

static void sort_shapes(void)
{
    struct rng r = rng_seed(7);

    for (int shape = 0; shape < NR_SHAPES; shape++) {
        make_input(shape, &r);
        uint64_t want = multiset(input);
        uint32_t result[3];

        for (int alg = 0; alg < 3; alg++) {
            static const char *const alg_name[3] = { "quick", "merge", "heap" };
            memcpy(work, input, sizeof(work));
            compares = 0;
            if (alg == 0)
                sort_quick(work, N, sizeof(work[0]), counting_cmp);
            else if (alg == 1)
                sort_merge(work, tmp, N, sizeof(work[0]), counting_cmp);
            else
                sort_heap_u32(work, N);
            result[alg] = fingerprint(work);
            kprintf("%-9s %-5s fingerprint=%08x", shape_name[shape], alg_name[alg],
                    result[alg]);
            if (alg != 2) /* heap sort compares keys directly, not through cmp */
                kprintf(" compares=%lu", compares);
            kprintf("\n");
            check_true("  sorted, same keys", is_sorted(work) && multiset(work) == want);
        }
        check_true("  all three agree", result[0] == result[1] && result[1] == result[2]);
    }
}

struct record {
    uint32_t key;
    uint32_t seq; /* position before sorting */
};

static int cmp_key(const void *a, const void *b)
{
    const struct record *x = a, *y = b;

    return (x->key > y->key) - (x->key < y->key);
}

static int cmp_key_seq(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    int c = cmp_key(a, b);

    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static struct record recs[N], recs2[N], rtmp[N];

static void sort_records(void)
{
    struct rng r = rng_seed(99);

    for (uint32_t i = 0; i < N; i++) {
        recs[i].key = rng_below(&r, 20);
        recs[i].seq = i;
    }
    memcpy(recs2, recs, sizeof(recs));

    /* A stable sort by key alone equals an unstable sort by (key, seq). */
    sort_merge(recs, rtmp, N, sizeof(recs[0]), cmp_key);
    sort_quick(recs2, N, sizeof(recs2[0]), cmp_key_seq);
    check_true("merge sort is stable", memcmp(recs, recs2, sizeof(recs)) == 0);

    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        h = h * 31 + recs[i].key * 1000 + recs[i].seq;
    kprintf("records fingerprint = %08x, first = (%u,%u), last = (%u,%u)\n", h,
            recs[0].key, recs[0].seq, recs[N - 1].key, recs[N - 1].seq);
}

/* Small arrays: every length 0..20, the edge cases of the cutoffs. */
static void sort_small(void)
{
    struct rng r = rng_seed(3);
    uint32_t a[20], b[20], t[20];
    int ok = 1;

    for (size_t n = 0; n <= ARRAY_SIZE(a); n++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = rng_below(&r, 10);
        sort_quick(a, n, sizeof(a[0]), sort_cmp_u32);
        sort_merge(b, t, n, sizeof(b[0]), sort_cmp_u32);
        for (size_t i = 1; i < n; i++)
            ok &= a[i - 1] <= a[i];
        ok &= memcmp(a, b, n * sizeof(a[0])) == 0;
        if (n == ARRAY_SIZE(a)) {
            kprintf("sorted 20:");
            for (size_t i = 0; i < n; i++)
                kprintf(" %u", a[i]);
            kprintf("\n");
        }
    }
    check_true("lengths 0..20 sort alike", ok);
}

int main(void)
{
    kprintf("sort: quicksort, merge sort, heap sort\n");
    sort_shapes();
    sort_records();
    sort_small();
    return check_failures();
}
