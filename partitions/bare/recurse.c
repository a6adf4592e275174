/* Recursion: Ackermann (deep, irregular), Fibonacci (wide call trees), Towers of
   Hanoi, N-queens backtracking, permutations, mutual recursion. Exercises CALL/RET,
   stack frames and the return-address path. Depths stay well inside the loader's
   64 KiB stack even at -O0. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"

static uint64_t calls;

static uint64_t ackermann(uint64_t m, uint64_t n)
{
    calls++;
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint32_t fib(uint32_t n)
{
    calls++;
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* Hanoi moves are summed into a hash rather than printed (2^n - 1 of them). */
static uint32_t hanoi_hash;
static uint32_t hanoi_moves;

static void hanoi(int n, int from, int to, int via, int print)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to, print);
    hanoi_moves++;
    hanoi_hash = hanoi_hash * 7 + (uint32_t)(n * 9 + from * 3 + to);
    if (print)
        kprintf(" %d:%c%c", n, 'A' + from, 'A' + to);
    hanoi(n - 1, via, to, from, print);
}

/* N-queens: columns, and both diagonals, taken as bitmasks. */
static int queens(int n, int row, uint32_t cols, uint32_t diag1, uint32_t diag2)
{
    if (row == n)
        return 1;
    int count = 0;
    uint32_t open = ~(cols | diag1 | diag2) & ((1u << n) - 1);
    while (open) {
        uint32_t bit = open & (0u - open); /* lowest free column */
        open &= open - 1;
        count += queens(n, row + 1, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
    }
    return count;
}

/* All permutations of a[0..n) by recursive swapping; hashes each in visit order. */
static uint32_t perm_hash;
static int perm_count;

static void permute(char *a, int k, int n)
{
    if (k == n) {
        perm_count++;
        for (int i = 0; i < n; i++)
            perm_hash = perm_hash * 31 + (uint32_t)a[i];
        return;
    }
    for (int i = k; i < n; i++) {
        char t = a[k]; a[k] = a[i]; a[i] = t;
        permute(a, k + 1, n);
        t = a[k]; a[k] = a[i]; a[i] = t;
    }
}

static int is_odd(unsigned n);

static int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}

static int is_odd(unsigned n)
{
    return n == 0 ? 0 : is_even(n - 1);
}

/* Sum of a binary tree of depth d whose node values depend on the path. */
static uint64_t tree_sum(int depth, uint64_t path)
{
    if (depth == 0)
        return path;
    return (path % 7) + tree_sum(depth - 1, path * 2) + tree_sum(depth - 1, path * 2 + 1);
}

int main(void)
{
    kprintf("recurse: recursion\n");

    static const uint64_t ack_want[4][5] = {
        { 1, 2, 3, 4, 5 }, { 2, 3, 4, 5, 6 }, { 3, 5, 7, 9, 11 }, { 5, 13, 29, 61, 125 },
    };
    for (uint64_t m = 0; m < 4; m++) {
        for (uint64_t n = 0; n < 5; n++) {
            calls = 0;
            uint64_t a = ackermann(OPAQUE(m), n);
            kprintf("A(%llu,%llu) = %llu in %llu calls\n", (unsigned long long)m,
                    (unsigned long long)n, (unsigned long long)a, (unsigned long long)calls);
            if (a != ack_want[m][n])
                check_u64("  Ackermann value", a, ack_want[m][n]);
        }
    }

    calls = 0;
    check_u64("fib(24)", fib(OPAQUE(24u)), 46368);
    check_u64("  calls made by fib(24)", calls, 150049);

    kprintf("hanoi(3):");
    hanoi(3, 0, 2, 1, 1);
    kprintf("\n");
    hanoi_moves = hanoi_hash = 0;
    hanoi(OPAQUE(16), 0, 2, 1, 0);
    check_u64("hanoi(16) moves", hanoi_moves, 65535);
    kprintf("hanoi(16) move hash = %08x\n", hanoi_hash);

    static const int queens_want[] = { 1, 0, 0, 2, 10, 4, 40, 92, 352 };
    for (int n = 1; n <= 9; n++) {
        char what[24];
        ksnprintf(what, sizeof(what), "queens(%d)", n);
        check_u64(what, (uint64_t)queens(OPAQUE(n), 0, 0, 0, 0), (uint64_t)queens_want[n - 1]);
    }

    char letters[] = "abcdefg";
    permute(letters, 0, OPAQUE(7));
    check_u64("permutations of 7", (uint64_t)perm_count, 5040);
    kprintf("permutation hash = %08x, letters after = %s\n", perm_hash, letters);

    check_true("is_even(1001) is false", !is_even(OPAQUE(1001u)));
    check_true("is_odd(777) is true", is_odd(OPAQUE(777u)));
    kprintf("tree_sum(14) = %llu\n", (unsigned long long)tree_sum(OPAQUE(14), 1));
    return check_failures();
}
