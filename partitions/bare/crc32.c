/* CRC-32, bit by bit and with a 256-entry table (one lookup per byte). */
#include "crc32.h"

#define CRC32_POLY 0xEDB88320u /* 0x04C11DB7 bit-reversed, for LSB-first processing */

static uint32_t table[256];
static int table_ready;

/* Entry i is the CRC remainder of the byte i: eight bitwise steps done once. */
static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32_POLY : c >> 1;
        table[i] = c;
    }
    table_ready = 1;
}

uint32_t crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;

    if (!table_ready)
        make_table();
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t crc32_bitwise(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;

    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (CRC32_POLY & (0u - (crc & 1))); /* branch-free step */
    }
    return ~crc;
}
