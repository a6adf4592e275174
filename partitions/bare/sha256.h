/* SHA-256 (FIPS 180-4 §6.2), streaming: init, update any number of times, final. */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32

struct sha256 {
    uint32_t h[8];          /* the hash value H(i) */
    uint64_t total_bytes;   /* message length so far */
    uint8_t block[64];      /* the message block being filled */
    size_t fill;            /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_BYTES]);

/* The digest of one buffer. */
void sha256(const void *data, size_t n, uint8_t digest[SHA256_DIGEST_BYTES]);

#endif
