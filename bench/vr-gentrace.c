/* vr-gentrace.c -- benchmark helper: generate large synthetic traces, read them back, extract their zstd frames */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vr/le.h"
#include "vr/trace.h"

/*
 * usage: vr-gentrace [--events N] [--seed S] OUT.vrb|OUT.vrt   write a synthetic trace
 *        vr-gentrace --read TRACE                              decode every event, print counts and MB/s
 *        vr-gentrace --frames TRACE.vrb OUT.zst                concatenate the chunks' zstd frames
 *
 * The synthetic mix looks like a busy blk/net guest: BAR writes and reads
 * (notifications, ISR reads), guest RAM stores of 16..4096 bytes (descriptor
 * tables, rings, buffers), device DMA writes, MSI-X interrupts and time
 * stamps. It is not a replayable device session; it exercises the formats.
 */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic for a given seed. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int die(const char *what, char *cause)
{
	fprintf(stderr, "vr-gentrace: %s: %s\n", what, cause ? cause : strerror(errno));
	free(cause);
	return 2;
}

static int generate(const char *out, uint64_t n, uint64_t seed)
{
	struct trace_header h;
	struct trace_writer *w;
	struct trace_event ev;
	static uint8_t data[4096];
	char *cause = NULL;
	uint64_t t = 0;
	int fmt = trace_format_from_name(out);

	if (fmt < 0)
		fmt = TRACE_FMT_BINARY;
	rng_state = seed;
	trace_header_init(&h);
	h.device = 2;
	h.features = 0x130000044ull;
	h.recorded = TRACE_REC_DMA | TRACE_REC_IRQ;
	h.nqueues = 1;
	h.queue_max[0] = 256;
	h.nram = 1;
	h.ram[0].size = 64u << 20;
	snprintf(h.title, sizeof h.title, "synthetic benchmark trace, %llu events", (unsigned long long)n);
	if ((w = trace_writer_open(out, (enum trace_fmt)fmt, 0, &h, &cause)) == NULL)
		return die(out, cause);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = rnd();
		memset(&ev, 0, sizeof ev);
		switch (r % 16) {
		case 0: case 1: case 2: case 3:	/* notify / register writes */
			ev.kind = TRACE_BAR_WRITE;
			ev.space = 4;
			ev.size = (r >> 8) & 1 ? 2 : 4;
			ev.addr = 0x3000 + ((r >> 16) & 0xffc);
			ev.value = (r >> 32) & (ev.size == 2 ? 0xffff : 0xffffffff);
			break;
		case 4: case 5: case 6:		/* ISR and config reads */
			ev.kind = TRACE_BAR_READ;
			ev.space = 4;
			ev.size = 1;
			ev.addr = 0x1000;
			ev.has_value = 1;
			ev.value = (r >> 8) & 3;
			break;
		case 7: case 8: case 9: case 10: /* guest stores: descriptors, rings, buffers */
			ev.kind = TRACE_MEM;
			ev.addr = (r >> 20) & 0x3fff000;
			ev.len = (uint32_t)(16 + ((r >> 8) % 4081));
			break;
		case 11: case 12:		/* device writes: used ring, read data */
			ev.kind = TRACE_DMA;
			ev.addr = (r >> 20) & 0x3fff000;
			ev.len = (r >> 8) & 1 ? 8 : (uint32_t)(512 * (1 + ((r >> 9) & 7)));
			break;
		case 13: case 14:
			ev.kind = TRACE_IRQ;
			ev.space = TRACE_IRQ_MSIX;
			ev.value = (r >> 8) & 1;
			break;
		default:
			ev.kind = TRACE_TIME;
			t += 1 + ((r >> 8) & 0xfff);
			ev.value = t;
			break;
		}
		if (ev.len > 0) {
			/* Realistic, partly compressible contents: zero runs and a little noise. */
			uint64_t s = rnd();
			for (uint32_t k = 0; k + 8 <= sizeof data && k < ev.len; k += 8) {
				uint64_t v = (k / 8) % 2 == 0 ? rnd() : (k & 64 ? 0 : (s >> (k & 31)) & 0xffff);
				le64_store(data + k, v);
			}
			ev.data = data;
		}
		if (trace_write(w, &ev, &cause) != 0)
			return die(out, cause);
	}
	if (trace_writer_close(w, &cause) != 0)
		return die(out, cause);
	return 0;
}

static int read_trace(const char *path)
{
	struct trace_reader *r;
	struct trace_event ev;
	struct trace_file_info fi;
	struct timespec a, b;
	char *cause = NULL;
	uint64_t n = 0, payload = 0;
	double s;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((r = trace_open(path, &cause)) == NULL)
		return die(path, cause);
	while ((rc = trace_read(r, &ev, &cause)) > 0) {
		n++;
		payload += ev.len;
	}
	if (rc < 0)
		return die(path, cause);
	trace_get_file_info(r, &fi);
	trace_close(r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("events %llu payload %llu raw %llu file %llu seconds %.3f\n", (unsigned long long)n,
	    (unsigned long long)payload, (unsigned long long)fi.raw, (unsigned long long)fi.file_size, s);
	return 0;
}

/* Walk the chunk headers (see virtio-replay-trace(5)) and copy out the zstd frames. */
static int frames(const char *in, const char *out)
{
	FILE *f = fopen(in, "rb"), *o = fopen(out, "wb");
	uint8_t h[32], *buf = NULL;
	long off;

	if (f == NULL || o == NULL)
		return die(f == NULL ? in : out, NULL);
	if (fread(h, 1, 20, f) != 20)
		return die(in, "short file");
	off = 20 + (long)le32_load(h + 12);
	for (;;) {
		uint32_t c;
		if (fseek(f, off, SEEK_SET) != 0 || fread(h, 1, 32, f) != 32 || memcmp(h, "VRCK", 4) != 0)
			break;
		c = le32_load(h + 4);
		buf = realloc(buf, c);
		if (buf == NULL || fread(buf, 1, c, f) != c || fwrite(buf, 1, c, o) != c)
			return die(in, "short chunk");
		off += 32 + (long)c;
	}
	free(buf);
	fclose(f);
	if (fclose(o) != 0)
		return die(out, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000, seed = 1;
	int i;

	if (argc == 3 && strcmp(argv[1], "--read") == 0)
		return read_trace(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--frames") == 0)
		return frames(argv[2], argv[3]);
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--events") == 0)
			n = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[i + 1], NULL, 0);
		else
			break;
	}
	/* An option where OUT belongs (say --help) must not become a 370 MB file named "--help". */
	if (i != argc - 1 || argv[i][0] == '-') {
		fprintf(stderr, "usage: vr-gentrace [--events N] [--seed S] OUT.vrb|OUT.vrt\n"
		    "       vr-gentrace --read TRACE\n"
		    "       vr-gentrace --frames TRACE.vrb OUT.zst\n");
		return 2;
	}
	return generate(argv[i], n, seed);
}
