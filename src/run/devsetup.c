/* devsetup.c -- a device from a trace header: its profile, queues and disk images, opened without leaving one directory */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/replay.h"
#include "vr/sha256.h"
#include "vr/trace.h"
#include "vr/vdev.h"

/*
 * Open the image a trace names inside dir, without leaving dir: the name must
 * be relative without a ".." component; each directory on the way is opened
 * from the one before it with O_NOFOLLOW, so no symbolic link is followed and
 * nothing renamed in between a check and an open can lead outside. The file
 * must be a regular file before it is opened (a FIFO or a device is never
 * opened) and after (fstat of the open descriptor). Returns the descriptor,
 * or -1 with *cause "TRACE: header: backend N: image 'NAME': why".
 */
static int image_open_beneath(const char *trace_path, unsigned i, const char *dir, const char *name, char **cause)
{
	char comp[TRACE_MAX_PATH];
	const char *p = name;
	struct stat st;
	int dfd, fd;

#define IMAGE_FAIL(...)	cause_set(cause, "%s: header: backend %u: image '%s': " __VA_ARGS__)
	if (name[0] == '/')
		return IMAGE_FAIL("an absolute path is refused (images are looked up in %s)", trace_path, i, name, dir);
	/* Any ".." is refused before anything is opened, whatever precedes it. */
	for (const char *c = name; c != NULL; c = strchr(c, '/') != NULL ? strchr(c, '/') + 1 : NULL)
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return IMAGE_FAIL("a '..' component is refused (images stay inside %s)", trace_path, i, name, dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return IMAGE_FAIL("image directory %s: %s", trace_path, i, name, dir, strerror(errno));
	for (;;) {
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0';

		if (n >= sizeof(comp)) {
			close(dfd);
			return IMAGE_FAIL("name too long", trace_path, i, name);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (strcmp(comp, "..") == 0) {
			close(dfd);
			return IMAGE_FAIL("a '..' component is refused (images stay inside %s)", trace_path, i, name, dir);
		}
		if (n == 0 || strcmp(comp, ".") == 0) {
			if (last) {
				close(dfd);
				return IMAGE_FAIL("names a directory", trace_path, i, name);
			}
			p += n + 1;
			continue;
		}
		if (last)
			break;
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			close(dfd);
			if (e == ELOOP || e == ENOTDIR)
				return IMAGE_FAIL("'%s' is a symbolic link or not a directory (links are not followed)",
				    trace_path, i, name, comp);
			return IMAGE_FAIL("%s", trace_path, i, name, strerror(e));
		}
		close(dfd);
		dfd = fd;
		p += n + 1;
	}
	if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		int e = errno;

		close(dfd);
		return IMAGE_FAIL("%s", trace_path, i, name, strerror(e));
	}
	if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
		close(dfd);
		return IMAGE_FAIL("%s", trace_path, i, name,
		    S_ISLNK(st.st_mode) ? "is a symbolic link (links are not followed)" : "not a regular file");
	}
	fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return IMAGE_FAIL("%s", trace_path, i, name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return IMAGE_FAIL("not a regular file", trace_path, i, name);
	}
	return fd;
#undef IMAGE_FAIL
}

/* Check an open image against the header's SHA-256, never saying what the file's own hash is. */
static int image_check(const char *trace_path, unsigned i, const struct trace_backend *b, int fd, char **cause)
{
	uint8_t digest[32];
	char want[65];

	if (sha256_fd(fd, digest) != 0)
		return cause_set(cause, "%s: header: backend %u: image '%s': %s", trace_path, i, b->image,
		    strerror(errno));
	if (memcmp(digest, b->sha256, 32) == 0)
		return 0;
	sha256_hex(b->sha256, want);
	return cause_set(cause, "%s: header: backend %u: image '%s': contents do not match the header's sha256 %s",
	    trace_path, i, b->image, want);
}

void replay_devsetup_release(struct replay_devsetup *s)
{
	for (unsigned i = 0; i < TRACE_MAX_BACKENDS; i++)
		if (s->backend[i].has_fd) {
			close(s->backend[i].fd);
			s->backend[i].has_fd = false;
		}
}

int replay_devsetup(const struct trace_header *h, const char *trace_path, int layout,
    struct replay_devsetup *s, char **cause)
{
	return replay_devsetup_in(h, trace_path, NULL, layout, s, cause);
}

/* A header's ranges (RAM, unassigned, rom) as the device takes them, at most max; dst. */
static const struct vpci_ram *copy_ranges(struct vpci_ram *dst, const struct trace_ram *src, unsigned n, unsigned max)
{
	for (unsigned i = 0; i < n && i < max; i++) {
		dst[i].base = src[i].base;
		dst[i].size = src[i].size;
	}
	return dst;
}

int replay_devsetup_in(const struct trace_header *h, const char *trace_path, const char *image_dir, int layout,
    struct replay_devsetup *s, char **cause)
{
	const struct vdev_ops *ops;
	const char *slash, *where = trace_path != NULL ? trace_path : "trace";
	char dir[PATH_MAX];

	memset(s, 0, sizeof(*s));
	ops = vdev_pick(h->device, trace_device_name(h->device), h->devcfg_len, h->requests, &s->generic);
	if (ops == NULL)
		return cause_set(cause, "%s: device type %u is not supported", where, h->device);
	if (h->requests != TRACE_REQ_COMPLETE && !vdev_is_generic(ops))
		return cause_set(cause, "%s: 'generic-requests %s' is for device types without a model, and %s has one",
		    where, trace_requests_name(h->requests), ops->name);
	s->setup.ops = ops;
	s->setup.layout = layout >= 0 ? layout : h->layout;
	s->setup.transport = h->transport;
	s->setup.offered = h->features;
	s->setup.nqueues = h->nqueues;
	for (unsigned i = 0; i < h->nqueues && i < TRACE_MAX_QUEUES && i < VIRTQ_MAX_QUEUES; i++)
		s->setup.queue_max[i] = h->queue_max[i];
	/* The generic device without a queues fact gets its type's usual queues (a model knows its own). */
	if (h->nqueues == 0 && vdev_is_generic(ops)) {
		s->setup.nqueues = ops->default_queues;
		memcpy(s->setup.queue_max, s->generic.queue_size, sizeof s->generic.queue_size);
	}
	if (h->devcfg_len > 0) {
		memcpy(s->devcfg, h->devcfg, h->devcfg_len);
		s->setup.devcfg = s->devcfg;
		s->setup.devcfg_len = h->devcfg_len;
	}
	/* The recorded function's identity; what the header does not state is the profile's default. */
	if (h->has & TRACE_HAS_CLASS) {
		s->setup.pci_class = (uint8_t)(h->pci_class >> 16);
		s->setup.pci_subclass = (uint8_t)(h->pci_class >> 8);
		s->setup.pci_progif = (uint8_t)h->pci_class;
	}
	if (h->has & TRACE_HAS_REVISION)
		s->setup.pci_revision = h->pci_revision;
	if (h->has & TRACE_HAS_SUBSYS) {
		s->setup.subsys_vendor = h->subsys_vendor;
		s->setup.subsys_id = h->subsys_id;
	}
	if (h->has & TRACE_HAS_MSIX) {
		if (h->msix_vectors == 0)
			return cause_set(cause, "%s: header: msix-vectors 0 (a function without MSI-X) is not modelled",
			    where);
		s->setup.msix_vectors = h->msix_vectors;
	}
	if (h->serial[0] != '\0') {
		snprintf(s->serial, sizeof s->serial, "%s", h->serial);
		s->setup.serial = s->serial;
	}
	if (h->discard == TRACE_DISCARD_UNMAP)
		s->setup.disk |= VDEV_DISK_UNMAP;
	if (h->write_cache == TRACE_WCACHE_OFF)
		s->setup.disk |= VDEV_DISK_NO_WCACHE;
	s->setup.ram = copy_ranges(s->ram, h->ram, h->nram, TRACE_MAX_RAM);
	s->setup.nram = h->nram;
	s->setup.unassigned = copy_ranges(s->unassigned, h->unassigned, h->nunassigned, TRACE_MAX_UNASSIGNED);
	s->setup.nunassigned = h->nunassigned;
	s->setup.rom = copy_ranges(s->rom, h->rom, h->nrom, TRACE_MAX_ROM);
	s->setup.nrom = h->nrom;
	/* Images live in the directory the user names, else in the trace's own ("." for "-"). */
	slash = trace_path != NULL ? strrchr(trace_path, '/') : NULL;
	if (image_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", image_dir);
	else if (slash == trace_path && slash != NULL)
		snprintf(dir, sizeof(dir), "/");
	else if (slash != NULL)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - trace_path), trace_path);
	else
		snprintf(dir, sizeof(dir), ".");
	for (unsigned i = 0; i < h->nbackends && i < TRACE_MAX_BACKENDS; i++) {
		const struct trace_backend *b = &h->backend[i];
		int n, fd;

		s->backend[i].type = b->type;
		s->backend[i].size = b->size;
		if (!b->has_image)
			continue;
		n = snprintf(s->image[i], sizeof(s->image[i]), "%s/%s", dir, b->image);
		if (n < 0 || (size_t)n >= sizeof(s->image[i])) {
			replay_devsetup_release(s);
			return cause_set(cause, "%s: header: backend %u: image path too long", where, i);
		}
		if ((fd = image_open_beneath(where, i, dir, b->image, cause)) < 0) {
			replay_devsetup_release(s);
			return -1;
		}
		s->backend[i].image = s->image[i];
		s->backend[i].has_fd = true;
		s->backend[i].fd = fd;
		if (image_check(where, i, b, fd, cause) < 0) {
			replay_devsetup_release(s);
			return -1;
		}
		/* Checked here, through the descriptor the disk reads from: the backend need not hash it again. */
		s->backend[i].sha256 = NULL;
	}
	s->setup.backends = s->backend;
	s->setup.nbackends = h->nbackends;
	return 0;
}
