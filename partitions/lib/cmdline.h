/* Reading options from a command line of space-separated words, e.g. "iters=1000 v". */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdint.h>

/* The value of "key=N" (decimal, or hex with 0x), or fallback when the key is
   absent or its value is not a number. The last occurrence wins. */
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t fallback);

/* Nonzero if the word appears on its own or as "word=...". */
int cmdline_has(const char *cmdline, const char *word);

/* "key=on", "key=1", "key=yes", "key=true" or the bare word "key": 1;
   "key=off", "=0", "=no", "=false": 0; absent or anything else: fallback. */
int cmdline_bool(const char *cmdline, const char *key, int fallback);

#endif
