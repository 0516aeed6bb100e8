/* sha256.h -- SHA-256 (FIPS 180-4) for trace and disk-image identities */
#ifndef VR_SHA256_H
#define VR_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t total;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
void sha256_hex(const uint8_t digest[32], char out[65]);
/* SHA-256 of a whole file; -1 and *cause on error. */
int sha256_file(const char *path, uint8_t out[32], char **cause);
/* SHA-256 of what read(fd) returns from its current position to the end; -1 with errno on a read error. */
int sha256_fd(int fd, uint8_t out[32]);

#endif
