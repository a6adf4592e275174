/* Self-checks for bare programs: each check prints one line with the value it saw,
   and main returns check_failures(), so the exit status is the number that failed.
   The value is printed even when it is right, so a native run and a simulated run
   compare line by line. */
#ifndef CHECK_H
#define CHECK_H

#include <stdint.h>

void check_u64(const char *what, uint64_t got, uint64_t want);
void check_i64(const char *what, int64_t got, int64_t want);
void check_str(const char *what, const char *got, const char *want);
void check_true(const char *what, int ok);
int check_failures(void);

#endif
