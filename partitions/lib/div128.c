/* 128-bit division: the helpers gcc calls for / and % on (unsigned) __int128
   (__udivti3, __umodti3, __divti3, __modti3, and __udivmodti4 / __divmodti4 when a
   function needs both quotient and remainder). libgcc has them too, but Debian's
   libgcc is built for user space: its versions keep values in SSE registers, which
   fault (#UD) while CR4.OSFXSR is clear as at boot, and store below RSP (the red
   zone), which an interrupt would overwrite. The guest library comes before -lgcc
   on the link line, so these are the ones linked. */
#include <stdint.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

/* DIV r/m64 (Intel SDM Vol. 2A "DIV"): RDX:RAX / d, quotient to RAX, remainder to
   RDX. Callers keep hi < d so the quotient fits in 64 bits; d == 0 raises #DE, as
   the hardware does for any division by zero. */
static inline uint64_t div_128_by_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t q, r;

    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    *rem = r;
    return q;
}

u128 __udivmodti4(u128 n, u128 d, u128 *rem);
u128 __udivti3(u128 n, u128 d);
u128 __umodti3(u128 n, u128 d);
i128 __divmodti4(i128 a, i128 b, i128 *rem);
i128 __divti3(i128 a, i128 b);
i128 __modti3(i128 a, i128 b);

u128 __udivmodti4(u128 n, u128 d, u128 *rem)
{
    uint64_t n_hi = (uint64_t)(n >> 64), n_lo = (uint64_t)n;
    uint64_t d_hi = (uint64_t)(d >> 64), d_lo = (uint64_t)d;
    uint64_t q_hi, q_lo, r;
    u128 q;

    if (d_hi == 0) {
        /* Schoolbook long division by a one-word divisor: the high word first
           (a plain 64-bit division), its remainder then heads the low step. */
        if (n_hi < d_lo) {
            q_hi = 0;
            r = n_hi;
        } else {
            q_hi = div_128_by_64(0, n_hi, d_lo, &r);
        }
        q_lo = div_128_by_64(r, n_lo, d_lo, &r);
        if (rem)
            *rem = r;
        return (u128)q_hi << 64 | q_lo;
    }

    /* A two-word divisor: the quotient fits in one word. Estimate it from the
       divisor's top 64 bits, normalised so their MSB is set, against n / 2 (so that
       the DIV cannot overflow); the estimate is then exact or one too large, and a
       single correction step settles it (Hacker's Delight, 2nd ed., §9-5). */
    int s = __builtin_clzll(d_hi);
    uint64_t d_top = (uint64_t)((d << s) >> 64);
    u128 half = n >> 1;
    uint64_t est = div_128_by_64((uint64_t)(half >> 64), (uint64_t)half, d_top, &r);
    q = ((u128)est << s) >> 63;
    if (q != 0)
        q--;
    if (n - q * d >= d)
        q++;
    if (rem)
        *rem = n - q * d;
    return q;
}

u128 __udivti3(u128 n, u128 d)
{
    return __udivmodti4(n, d, 0);
}

u128 __umodti3(u128 n, u128 d)
{
    u128 r;

    __udivmodti4(n, d, &r);
    return r;
}

/* C rounds toward zero (C11 6.5.5): divide the magnitudes; the quotient is negative
   when the signs differ, the remainder takes the dividend's sign. Magnitudes are
   taken in unsigned arithmetic, where negating the most negative value is defined. */
i128 __divmodti4(i128 a, i128 b, i128 *rem)
{
    u128 ua = a < 0 ? 0 - (u128)a : (u128)a;
    u128 ub = b < 0 ? 0 - (u128)b : (u128)b;
    u128 ur;
    u128 uq = __udivmodti4(ua, ub, &ur);

    if (rem)
        *rem = (i128)(a < 0 ? 0 - ur : ur);
    return (i128)((a < 0) != (b < 0) ? 0 - uq : uq);
}

i128 __divti3(i128 a, i128 b)
{
    return __divmodti4(a, b, 0);
}

i128 __modti3(i128 a, i128 b)
{
    i128 r;

    __divmodti4(a, b, &r);
    return r;
}
