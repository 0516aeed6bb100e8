/* trace-int.h -- what the format-agnostic trace code shares with the text and binary codecs */
#ifndef VR_TRACE_INT_H
#define VR_TRACE_INT_H
#include <stdint.h>
#include <stdio.h>

#include "vr/buf.h"
#include "vr/trace.h"

/* Binary file magics (see virtio-replay-trace(5)). */
#define TRACE_BIN_MAGIC		"\x89VRB\r\n\x1a\n"
#define TRACE_BIN_MAGIC_LEN	8

struct trace_reader_ops {
	int (*read)(struct trace_reader *r, struct trace_event *ev, char **cause);
	int (*seek)(struct trace_reader *r, uint64_t n, char **cause);
	void (*close)(struct trace_reader *r);
};

struct trace_reader {
	char *path;
	enum trace_fmt fmt;
	struct trace_header hdr;
	const struct trace_reader_ops *ops;
	void *priv;
	uint64_t next_no;	/* number the next event will have */
	uint64_t ev_no;		/* number of the event last returned */
	uint64_t ev_off;	/* its offset */
	uint64_t last_time;	/* for the monotonic time check */
	int failed;		/* a read failed: further reads fail again */
	struct trace_file_info info;
};

struct trace_writer_ops {
	int (*write)(struct trace_writer *w, const struct trace_event *ev, char **cause);
	int (*close)(struct trace_writer *w, char **cause);
};

struct trace_writer {
	char *path;
	enum trace_fmt fmt;
	struct trace_header hdr;
	const struct trace_writer_ops *ops;
	void *priv;
	uint64_t next_no;
	uint64_t last_time;
};

/* Codec entry points. */
int trace_text_open(struct trace_reader *r, int fd, const uint8_t *pre, size_t prelen, char **cause);
int trace_bin_open(struct trace_reader *r, int fd, char **cause);
int trace_text_writer_open(struct trace_writer *w, FILE *f, char **cause);
int trace_bin_writer_open(struct trace_writer *w, FILE *f, int level, char **cause);
void trace_bin_writer_chunk_size(struct trace_writer *w, uint32_t bytes);

/*
 * Event rules common to both formats: fields of each kind, bounds.
 * Returns NULL if ev is valid, else a static message. Normalises nothing.
 */
const char *trace_event_invalid(const struct trace_event *ev);
/* Zero the fields ev's kind does not carry and set has_value as readers return it. */
void trace_event_normalise(struct trace_event *ev);

/* Which fields each kind carries. */
#define TF_SPACE	0x01u
#define TF_SIZE		0x02u
#define TF_ADDR		0x04u
#define TF_VALUE	0x08u	/* always present */
#define TF_OPTVALUE	0x10u	/* present if has_value */
#define TF_DATA		0x20u
extern const uint8_t trace_kind_fields[TRACE_KIND_COUNT];

/* Binary serialization of the header facts. */
void trace_header_encode(struct buf *b, const struct trace_header *h);
int trace_header_decode(struct trace_header *h, const uint8_t *p, size_t n, const char **why);

/* 1 if p holds only free-text characters (marks, titles): no controls but tab. */
int trace_text_chars_ok(const uint8_t *p, size_t n);

#endif
