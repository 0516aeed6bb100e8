/* fuzz-common.h -- hand fuzz input to the trace readers through a memfd (they open by path) */
#ifndef VR_FUZZ_COMMON_H
#define VR_FUZZ_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_fd = -1;
static char fuzz_path[64];

/* The path of a file holding exactly data. */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
	if (fuzz_fd < 0) {
		fuzz_fd = memfd_create("vr-fuzz", 0);
		if (fuzz_fd < 0)
			abort();
		snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
	}
	if (ftruncate(fuzz_fd, 0) != 0 || (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		abort();
	return fuzz_path;
}

#endif
