/* le.h -- little-endian loads and stores on byte buffers (never cast guest bytes to structs) */
#ifndef VR_LE_H
#define VR_LE_H
#include <stdint.h>

static inline uint16_t le16_load(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | (b[1] << 8));
}
static inline uint32_t le32_load(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
static inline uint64_t le64_load(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)le32_load(b) | ((uint64_t)le32_load(b + 4) << 32);
}
static inline void le16_store(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void le32_store(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
static inline void le64_store(void *p, uint64_t v)
{
	le32_store(p, (uint32_t)v);
	le32_store((uint8_t *)p + 4, (uint32_t)(v >> 32));
}
/* Load/store n (1, 2, 4 or 8) bytes. */
static inline uint64_t leN_load(const void *p, unsigned n)
{
	switch (n) {
	case 1: return *(const uint8_t *)p;
	case 2: return le16_load(p);
	case 4: return le32_load(p);
	default: return le64_load(p);
	}
}
static inline void leN_store(void *p, unsigned n, uint64_t v)
{
	switch (n) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: le16_store(p, (uint16_t)v); break;
	case 4: le32_store(p, (uint32_t)v); break;
	default: le64_store(p, v); break;
	}
}
static inline uint16_t be16_load(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)((b[0] << 8) | b[1]);
}
static inline uint32_t be32_load(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}
static inline uint64_t be64_load(const void *p)
{
	return ((uint64_t)be32_load(p) << 32) | be32_load((const uint8_t *)p + 4);
}
static inline void be16_store(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}
static inline void be32_store(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}
static inline void be64_store(void *p, uint64_t v)
{
	be32_store(p, (uint32_t)(v >> 32));
	be32_store((uint8_t *)p + 4, (uint32_t)v);
}

#endif
