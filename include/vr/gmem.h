/* gmem.h -- sparse guest RAM, bounded by the declared regions; every access range-checked */
#ifndef VR_GMEM_H
#define VR_GMEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/buf.h"

/*
 * Guest physical memory as declared by the trace: up to 16 regions. Pages are
 * allocated on first store (reads of never-written memory return zeros), so
 * a 1 TiB declaration costs nothing until used. No device code ever holds a
 * pointer into guest memory: it reads and writes through these calls, which
 * fail (return -1) when any byte of the range lies outside every region (a
 * range may run from one region into an adjacent one). Storing zeros into a
 * page never written allocates nothing. A write also fails when it needs a
 * new page beyond the limit (gmem_set_limit; none by default) or the
 * allocator refuses one; gmem_over_limit() then stays true.
 */
struct gmem;

struct gmem *gmem_new(void);
void gmem_free(struct gmem *m);
int gmem_add_region(struct gmem *m, uint64_t base, uint64_t size, char **cause);
bool gmem_valid(const struct gmem *m, uint64_t addr, uint64_t len);	/* every byte inside declared RAM */
int gmem_read(const struct gmem *m, uint64_t addr, void *dst, size_t len);
int gmem_write(struct gmem *m, uint64_t addr, const void *src, size_t len);
int gmem_read_u16(const struct gmem *m, uint64_t addr, uint16_t *v);	/* little-endian */
int gmem_read_u32(const struct gmem *m, uint64_t addr, uint32_t *v);
int gmem_read_u64(const struct gmem *m, uint64_t addr, uint64_t *v);
int gmem_write_u16(struct gmem *m, uint64_t addr, uint16_t v);
int gmem_write_u32(struct gmem *m, uint64_t addr, uint32_t v);
int gmem_write_u64(struct gmem *m, uint64_t addr, uint64_t v);
unsigned gmem_nregions(const struct gmem *m);
/* Region i in address order; -1 if i is out of range. */
int gmem_region(const struct gmem *m, unsigned i, uint64_t *base, uint64_t *size);
uint64_t gmem_total(const struct gmem *m);		/* declared bytes */
uint64_t gmem_resident(const struct gmem *m);	/* allocated bytes */
void gmem_set_limit(struct gmem *m, uint64_t bytes);	/* at most this many bytes of pages (rounded down) */
bool gmem_over_limit(const struct gmem *m);		/* a write failed for want of a page */
/*
 * The rest of the recording machine's map, as a device (bus master) sees it:
 * holes, where device reads give 0 and writes go nowhere: unassigned ranges
 * and zero ROM (a trace's "unassigned" and "rom" facts, stated only under a
 * profile that follows QEMU there), and windows (the device's own BARs while
 * mapped) that cut into them. gmem_span says what the access at addr
 * reaches and how many of its len bytes (n) the same thing covers
 * (GMEM_HOLE unassigned space, GMEM_ROM zero ROM); GMEM_NONE: nothing the
 * model knows (not RAM, not stated).
 */
enum gmem_kind { GMEM_NONE, GMEM_RAM, GMEM_HOLE, GMEM_ROM, GMEM_WINDOW };
#define GMEM_WINDOWS	6
/* rom: zero ROM (may not end at 2^64; a map may not run out of it), else unassigned space */
int gmem_add_unassigned(struct gmem *m, uint64_t base, uint64_t size, bool rom, char **cause);
bool gmem_has_unassigned(const struct gmem *m);
void gmem_set_window(struct gmem *m, unsigned i, uint64_t base, uint64_t size);	/* size 0: none */
enum gmem_kind gmem_span(const struct gmem *m, uint64_t addr, uint64_t len, uint64_t *n);
/*
 * What a device's map of [addr, addr + len) (a ring, an indirect table:
 * QEMU's address_space_cache_init) reaches: RAM in one piece, 0 throughout
 * (it starts in unassigned space, and runs on through whatever follows, or
 * lies in one piece of zero ROM: reads give 0, writes go nowhere), or
 * nothing it may map.
 */
enum gmem_map { GMEM_MAP_NONE, GMEM_MAP_RAM, GMEM_MAP_ZERO };
enum gmem_map gmem_map(const struct gmem *m, uint64_t addr, uint64_t len);
/* Device accesses: RAM as gmem_read/write, zeros from (nothing into) holes; -1 if any byte is neither. */
int gmem_dev_read(const struct gmem *m, uint64_t addr, void *dst, size_t len);
int gmem_dev_write(struct gmem *m, uint64_t addr, const void *src, size_t len);
/*
 * The machine's one bounce buffer (QEMU's address_space_map for memory that
 * is not RAM): who holds it, 0 when free. Kept across checkpoints.
 */
uint32_t gmem_bounce(const struct gmem *m);
void gmem_set_bounce(struct gmem *m, uint32_t owner);
/* Checkpoint support: regions and non-zero pages in address order; load checks the regions match and replaces all contents. */
void gmem_save(const struct gmem *m, struct buf *out);
int gmem_load(struct gmem *m, const uint8_t *p, size_t len, char **cause);

#endif
