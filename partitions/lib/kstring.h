/* Memory and string functions. gcc emits calls to memcpy, memset, memmove and memcmp
   even in freestanding code (struct copies, zeroed arrays), so every guest needs them.
   The prototypes are the standard ones: a native build links the C library's instead. */
#ifndef KSTRING_H
#define KSTRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
