/* ckpt-file.h -- device checkpoints of a trace kept in a file of their own (replay --checkpoints) */
#ifndef VR_CKPT_FILE_H
#define VR_CKPT_FILE_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"

/*
 * A checkpoint file belongs to one trace (its SHA-256), one register layout
 * and one program version; it holds device checkpoints (vpci_save blobs),
 * each with the event a replay resumes at and the virtual time there:
 *
 *   "VRCF" u32 magic, u16 version (1), u16 layout, 32 bytes trace SHA-256,
 *   the trace's u64 size, u64 modification time (ns) and u64 inode (while
 *   they are unchanged the SHA-256 is not computed again),
 *   u16 length + program version text
 *   then per checkpoint: u64 next event, u64 vtime, u32 length, the blob,
 *   u32 CRC32C of the entry's 20 header bytes and its blob
 *
 * Written in event order while a replay runs, entry after entry: a replay
 * killed midway leaves every whole entry readable (a torn last one ends
 * the file for readers, a damaged one fails its CRC and is passed over).
 */
struct ckpt_file;

/* Open for writing (created or truncated) checkpoints of the trace file trace; NULL with *cause. */
struct ckpt_file *ckpt_file_create(const char *path, const char *trace, int layout, const char *version,
    char **cause);
/* Append one checkpoint; -1 with *cause on a write error. */
int ckpt_file_add(struct ckpt_file *f, uint64_t next, uint64_t vtime, const uint8_t *blob, size_t len, char **cause);

/*
 * Open for reading: 1 if path holds checkpoints of this trace, layout and
 * version, 0 if it does not exist or belongs to something else (then a
 * replay writes it anew), -1 with *cause if it cannot be read.
 */
int ckpt_file_open(const char *path, const char *trace, int layout, const char *version, struct ckpt_file **out,
    char **cause);
/*
 * The last checkpoint whose next event is at most n and whose CRC holds:
 * 1 with *next, *vtime and the blob in *blob; 0 if there is none.
 */
int ckpt_file_find(struct ckpt_file *f, uint64_t n, uint64_t *next, uint64_t *vtime, struct buf *blob);

/* Close; for a file being written, -1 with *cause if the last writes failed. NULL is a no-op. */
int ckpt_file_close(struct ckpt_file *f, char **cause);

#endif
