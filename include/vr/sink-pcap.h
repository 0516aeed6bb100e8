/* sink-pcap.h -- network frames (VR_EV_FRAME) as a LINKTYPE_ETHERNET pcap with virtual timestamps */
#ifndef VR_SINK_PCAP_H
#define VR_SINK_PCAP_H
#include "vr/event.h"

/*
 * Both directions go to one file, in emission order. Timestamps are the
 * event's virtual time with nanosecond precision (the nanosecond pcap magic,
 * which tcpdump and Wireshark read). Frames longer than SINK_PCAP_SNAPLEN
 * are truncated in the file, keeping their original length.
 */
#define SINK_PCAP_SNAPLEN	262144

struct sink_pcap;

struct sink_pcap *sink_pcap_open(const char *path, char **cause);
int sink_pcap_attach(struct sink_pcap *p, struct evbus *bus, char **cause);
/* Frames written so far. */
unsigned long sink_pcap_frames(const struct sink_pcap *p);
/* Flush and free (NULL is a no-op); -1 with *cause on a write error. */
int sink_pcap_close(struct sink_pcap *p, char **cause);

#endif
