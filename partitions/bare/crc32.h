/* CRC-32 as used by zlib, PNG and Ethernet: reflected polynomial 0xEDB88320, initial
   value and final XOR 0xFFFFFFFF. crc32(0, "123456789", 9) == 0xCBF43926. */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over n bytes; chains: crc32(crc32(0, a), b) == crc32(0, ab). */
uint32_t crc32(uint32_t crc, const void *data, size_t n);

/* The same function one bit at a time, no table: the reference for the fast one. */
uint32_t crc32_bitwise(uint32_t crc, const void *data, size_t n);

#endif
