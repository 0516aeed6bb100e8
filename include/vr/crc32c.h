/* crc32c.h -- CRC32C (Castagnoli), as used by the binary trace chunks */
#ifndef VR_CRC32C_H
#define VR_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* crc32c(0, p, n) computes a fresh CRC; pass a previous result to continue. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
