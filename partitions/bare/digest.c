/* Digests over fixed data: CRC-32 (table-driven against bit-by-bit) and SHA-256
   (the FIPS 180-4 examples, the padding boundaries at 55/56/63/64 bytes, and 16 KiB
   of generated data fed in uneven pieces). Rotates, shifts, big-endian byte
   assembly and table lookups. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "crc32.h"
#include "kprintf.h"
#include "kstring.h"
#include "rng.h"
#include "sha256.h"

#define DATA_BYTES 16384

static uint8_t data[DATA_BYTES];

static void to_hex(char out[2 * SHA256_DIGEST_BYTES + 1], const uint8_t *d)
{
    for (int i = 0; i < SHA256_DIGEST_BYTES; i++)
        ksnprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha256(const char *what, const void *msg, size_t n, const char *want)
{
    uint8_t d[SHA256_DIGEST_BYTES];
    char hex[2 * SHA256_DIGEST_BYTES + 1];

    sha256(msg, n, d);
    to_hex(hex, d);
    check_str(what, hex, want);
}

static void sha256_vectors(void)
{
    static uint8_t counting[120];
    static const struct {
        size_t n;
        const char *want;
    } boundary[] = {
        /* 55 bytes: padding fits in the block; 56: it spills into a second one. */
        { 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
        { 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
        { 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
        { 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
        { 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
        { 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
        { 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
    };
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

    check_sha256("sha256(\"\")", "", 0,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha256("sha256(\"abc\")", "abc", 3,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha256("sha256(448-bit example)", m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_sha256("sha256(896-bit example)", m896, strlen(m896),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    for (unsigned i = 0; i < sizeof(counting); i++)
        counting[i] = (uint8_t)i;
    for (unsigned i = 0; i < ARRAY_SIZE(boundary); i++) {
        char what[40];
        ksnprintf(what, sizeof(what), "sha256(bytes 0..%zu)", boundary[i].n - 1);
        check_sha256(what, counting, boundary[i].n, boundary[i].want);
    }

    static char a1000[1000];
    memset(a1000, 'a', sizeof(a1000));
    check_sha256("sha256(1000 x 'a')", a1000, sizeof(a1000),
                 "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void sha256_generated(void)
{
    uint8_t one[SHA256_DIGEST_BYTES], pieces[SHA256_DIGEST_BYTES];
    char hex[2 * SHA256_DIGEST_BYTES + 1];
    struct sha256 s;

    check_sha256("sha256(16 KiB generated)", data, DATA_BYTES,
                 "bbbcb5f1bd533c1e1b04f95e16dbd54c874b53884fb7f34da3eeaf6f023cb53e");

    /* Uneven pieces cross the 64-byte block boundary at every offset. */
    sha256(data, DATA_BYTES, one);
    sha256_init(&s);
    size_t off = 0;
    for (size_t piece = 1; off < DATA_BYTES; piece = piece % 131 + 1) {
        size_t n = DATA_BYTES - off < piece ? DATA_BYTES - off : piece;
        sha256_update(&s, data + off, n);
        off += n;
    }
    sha256_final(&s, pieces);
    to_hex(hex, pieces);
    kprintf("sha256 in pieces = %s\n", hex);
    check_true("pieces give the one-shot digest", memcmp(one, pieces, sizeof(one)) == 0);
}

static void crc32_vectors(void)
{
    const char *fox = "The quick brown fox jumps over the lazy dog";

    check_u64("crc32(\"\")", crc32(0, "", 0), 0);
    check_u64("crc32(\"123456789\")", crc32(0, "123456789", 9), 0xcbf43926);
    check_u64("crc32 bitwise(\"123456789\")", crc32_bitwise(0, "123456789", 9), 0xcbf43926);
    check_u64("crc32(fox)", crc32(0, fox, strlen(fox)), 0x414fa339);
    check_u64("crc32(16 KiB generated)", crc32(0, data, DATA_BYTES), 0x1705f5fc);
    check_u64("crc32 bitwise(16 KiB generated)", crc32_bitwise(0, data, DATA_BYTES),
              0x1705f5fc);
    check_u64("crc32 chained over two halves",
              crc32(crc32(0, data, 1000), data + 1000, DATA_BYTES - 1000), 0x1705f5fc);

    /* The CRC of every prefix length 0..63, eight to a line. */
    for (unsigned n = 0; n < 64; n++)
        kprintf("%08x%c", crc32(0, data, n), n % 8 == 7 ? '\n' : ' ');
}

int main(void)
{
    struct rng r = rng_seed(42);

    kprintf("digest: CRC-32 and SHA-256\n");
    for (unsigned i = 0; i < DATA_BYTES; i++)
        data[i] = (uint8_t)rng_u32(&r);
    crc32_vectors();
    sha256_vectors();
    sha256_generated();
    return check_failures();
}
