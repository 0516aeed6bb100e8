/* sink-pcap.c -- network frames as a LINKTYPE_ETHERNET pcap file stamped with virtual time */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "vr/cause.h"
#include "vr/sink-pcap.h"
#include "vr/xmalloc.h"

struct sink_pcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
	char *path;
	unsigned long frames;
};

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct sink_pcap *p = opaque;
	const struct vr_ev_frame *f = &ev->u.frame;
	struct pcap_pkthdr h;

	if (ev->kind != VR_EV_FRAME || (f->data == NULL && f->len))
		return;
	memset(&h, 0, sizeof(h));
	/* nanosecond file: tv_usec carries nanoseconds */
	h.ts.tv_sec = (time_t)(ev->vtime / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ev->vtime % 1000000000u);
	h.len = f->len;
	h.caplen = f->len > SINK_PCAP_SNAPLEN ? SINK_PCAP_SNAPLEN : f->len;
	pcap_dump((u_char *)p->dump, &h, f->data ? f->data : (const u_char *)"");
	p->frames++;
}

struct sink_pcap *sink_pcap_open(const char *path, char **cause)
{
	struct sink_pcap *p = xcalloc(1, sizeof(*p));

	p->path = xstrdup(path);
	p->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SINK_PCAP_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (p->dead == NULL) {
		cause_set(cause, "%s: cannot set up pcap writer", path);
		goto fail;
	}
	p->dump = pcap_dump_open(p->dead, path);
	if (p->dump == NULL) {
		/* libpcap's message already starts with "PATH: "; do not name the file twice. */
		const char *why = pcap_geterr(p->dead);
		size_t n = strlen(path);
		if (strncmp(why, path, n) == 0 && strncmp(why + n, ": ", 2) == 0)
			why += n + 2;
		cause_set(cause, "%s: %s", path, why);
		goto fail;
	}
	return p;
fail:
	if (p->dead)
		pcap_close(p->dead);
	free(p->path);
	free(p);
	return NULL;
}

int sink_pcap_attach(struct sink_pcap *p, struct evbus *bus, char **cause)
{
	if (evbus_add(bus, 1u << VR_EV_FRAME, on_event, p) < 0)
		return cause_set(cause, "%s: too many event sinks", p->path);
	return 0;
}

unsigned long sink_pcap_frames(const struct sink_pcap *p)
{
	return p->frames;
}

int sink_pcap_close(struct sink_pcap *p, char **cause)
{
	int rc = 0;
	FILE *f;

	if (p == NULL)
		return 0;
	f = pcap_dump_file(p->dump);
	errno = 0;		/* not another sink's: name this file's error, or none known (EIO) */
	if (pcap_dump_flush(p->dump) != 0 || ferror(f))
		rc = cause_set(cause, "%s: write error: %s", p->path, strerror(errno ? errno : EIO));
	pcap_dump_close(p->dump);
	pcap_close(p->dead);
	free(p->path);
	free(p);
	return rc;
}
