/* cmd-info.c -- summarise a trace: header facts, event counts, duration, chunks; checks every chunk */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"

struct feature_name {
	uint8_t device;		/* 0: any device */
	uint8_t bit;
	const char *name;
};

/* The common bits, as the VirtIO 1.0 spec names them (without the VIRTIO_*_F_ prefix). */
static const struct feature_name feature_names[] = {
	{ 1, 0, "CSUM" }, { 1, 1, "GUEST_CSUM" }, { 1, 2, "CTRL_GUEST_OFFLOADS" }, { 1, 3, "MTU" },
	{ 1, 5, "MAC" }, { 1, 7, "GUEST_TSO4" }, { 1, 8, "GUEST_TSO6" }, { 1, 9, "GUEST_ECN" },
	{ 1, 10, "GUEST_UFO" }, { 1, 11, "HOST_TSO4" }, { 1, 12, "HOST_TSO6" }, { 1, 13, "HOST_ECN" },
	{ 1, 14, "HOST_UFO" }, { 1, 15, "MRG_RXBUF" }, { 1, 16, "STATUS" }, { 1, 17, "CTRL_VQ" },
	{ 1, 18, "CTRL_RX" }, { 1, 19, "CTRL_VLAN" }, { 1, 21, "GUEST_ANNOUNCE" }, { 1, 22, "MQ" },
	{ 1, 23, "CTRL_MAC_ADDR" },
	{ 2, 1, "SIZE_MAX" }, { 2, 2, "SEG_MAX" }, { 2, 4, "GEOMETRY" }, { 2, 5, "RO" },
	{ 2, 6, "BLK_SIZE" }, { 2, 9, "FLUSH" }, { 2, 10, "TOPOLOGY" }, { 2, 11, "CONFIG_WCE" },
	{ 2, 12, "MQ" }, { 2, 13, "DISCARD" }, { 2, 14, "WRITE_ZEROES" },
	{ 3, 0, "SIZE" }, { 3, 1, "MULTIPORT" }, { 3, 2, "EMERG_WRITE" },
	{ 8, 0, "INOUT" }, { 8, 1, "HOTPLUG" }, { 8, 2, "CHANGE" }, { 8, 3, "T10_PI" },
	{ 0, 24, "NOTIFY_ON_EMPTY" }, { 0, 27, "ANY_LAYOUT" }, { 0, 28, "RING_INDIRECT_DESC" },
	{ 0, 29, "RING_EVENT_IDX" }, { 0, 32, "VERSION_1" }, { 0, 33, "ACCESS_PLATFORM" },
	{ 0, 34, "RING_PACKED" }, { 0, 35, "IN_ORDER" }, { 0, 36, "ORDER_PLATFORM" },
	{ 0, 37, "SR_IOV" }, { 0, 38, "NOTIFICATION_DATA" },
};

/* Names of the set bits, space separated; unknown bits as "bitN". */
static void feature_list(struct buf *b, uint8_t device, uint64_t features, int json)
{
	int first = 1;

	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = NULL;
		if (!(features >> bit & 1))
			continue;
		for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
			if (feature_names[i].bit == bit &&
			    (feature_names[i].device == 0 || feature_names[i].device == device))
				name = feature_names[i].name;
		if (!first)
			buf_add(b, json ? "," : " ", 1);
		first = 0;
		if (json)
			buf_add_u8(b, '"');
		if (name != NULL)
			buf_printf(b, "%s", name);
		else
			buf_printf(b, "bit%u", bit);
		if (json)
			buf_add_u8(b, '"');
	}
}

struct counts {
	uint64_t events;
	uint64_t kind[TRACE_KIND_COUNT];
	uint64_t last_time;
	uint64_t payload;
};

static void print_text(struct buf *b, const char *path, const struct trace_header *h,
    enum trace_fmt fmt, const struct trace_file_info *fi, const struct counts *n)
{
	buf_printf(b, "file       %s\n", path);
	buf_printf(b, "format     %s, version %u\n", fmt == TRACE_FMT_BINARY ? "binary" : "text", h->version);
	buf_printf(b, "device     %s (virtio id %u)\n", trace_device_name(h->device), h->device);
	buf_printf(b, "layout     %s\n", trace_layout_name(h->layout));
	if (h->transport != TRACE_TRANSPORT_MODERN)
		buf_printf(b, "transport  %s\n", trace_transport_name(h->transport));
	buf_printf(b, "features   0x%" PRIx64 " (", h->features);
	feature_list(b, h->device, h->features, 0);
	buf_printf(b, ")\n");
	buf_printf(b, "recorded  %s%s%s\n", h->recorded & TRACE_REC_DMA ? " dma" : "",
	    h->recorded & TRACE_REC_IRQ ? " irq" : "", h->recorded ? "" : " (no outputs)");
	buf_printf(b, "queues     %u:", h->nqueues);
	for (unsigned i = 0; i < h->nqueues; i++)
		buf_printf(b, " %u", h->queue_max[i]);
	buf_printf(b, "\ndevcfg     %u bytes\n", h->devcfg_len);
	for (unsigned i = 0; i < h->nram; i++)
		buf_printf(b, "ram        0x%" PRIx64 "-0x%" PRIx64 " (0x%" PRIx64 " bytes)\n", h->ram[i].base,
		    h->ram[i].base + h->ram[i].size - 1, h->ram[i].size);
	for (unsigned i = 0; i < h->nunassigned; i++)
		buf_printf(b, "unassigned 0x%" PRIx64 "-0x%" PRIx64 " (0x%" PRIx64 " bytes)\n", h->unassigned[i].base,
		    h->unassigned[i].base + h->unassigned[i].size - 1, h->unassigned[i].size);
	for (unsigned i = 0; i < h->nrom; i++)
		buf_printf(b, "rom        0x%" PRIx64 "-0x%" PRIx64 " (0x%" PRIx64 " bytes)\n", h->rom[i].base,
		    h->rom[i].base + h->rom[i].size - 1, h->rom[i].size);
	for (unsigned i = 0; i < h->nbackends; i++) {
		buf_printf(b, "backend    %s size 0x%" PRIx64, h->backend[i].type, h->backend[i].size);
		if (h->backend[i].has_image)
			buf_printf(b, " image %s", h->backend[i].image);
		buf_printf(b, "\n");
	}
	if (h->title[0] != '\0')
		buf_printf(b, "title      %s\n", h->title);
	if (h->has & TRACE_HAS_CLASS)
		buf_printf(b, "pci class  0x%06x\n", h->pci_class);
	if (h->has & TRACE_HAS_REVISION)
		buf_printf(b, "revision   0x%02x\n", h->pci_revision);
	if (h->has & TRACE_HAS_SUBSYS)
		buf_printf(b, "subsystem  0x%04x:0x%04x\n", h->subsys_vendor, h->subsys_id);
	if (h->has & TRACE_HAS_MSIX)
		buf_printf(b, "msi-x      %u vectors\n", h->msix_vectors);
	if (h->serial[0] != '\0')
		buf_printf(b, "serial     %s\n", h->serial);
	if (h->device == VIRTIO_ID_BLOCK || h->device == VIRTIO_ID_SCSI)
		buf_printf(b, "disk       discard %s, write-cache %s\n", trace_discard_name(h->discard),
		    trace_write_cache_name(h->write_cache));
	buf_printf(b, "events     %" PRIu64 "\n", n->events);
	for (int k = 1; k < TRACE_KIND_COUNT; k++)
		if (n->kind[k] != 0)
			buf_printf(b, "  %-11s %" PRIu64 "\n", trace_kind_name((uint8_t)k), n->kind[k]);
	buf_printf(b, "payload    %" PRIu64 " bytes\n", n->payload);
	buf_printf(b, "duration   %" PRIu64 " ns (virtual)\n", n->last_time);
	if (fmt == TRACE_FMT_BINARY) {
		buf_printf(b, "chunks     %" PRIu64 " (all CRCs good), seek index %s\n", fi->chunks,
		    fi->indexed ? "present" : "missing");
		buf_printf(b, "size       %" PRIu64 " bytes compressed, %" PRIu64 " bytes raw",
		    fi->compressed, fi->raw);
		if (fi->compressed > 0)
			buf_printf(b, " (ratio %.2f)", (double)fi->raw / (double)fi->compressed);
		buf_printf(b, ", file %" PRIu64 " bytes\n", fi->file_size);
	} else {
		buf_printf(b, "size       %" PRIu64 " bytes of event lines, file %" PRIu64 " bytes\n",
		    fi->raw, fi->file_size);
	}
}

/* A header's ranges (RAM, unassigned, rom) as JSON objects, comma-separated. */
static void json_ranges(struct buf *b, const struct trace_ram *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf_printf(b, "%s{\"base\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64 "\"}", i ? "," : "", r[i].base,
		    r[i].size);
}

/* error: why the trace is bad (the facts and counts are those read before it), or NULL. */
static void print_json(struct buf *b, const char *path, const struct trace_header *h,
    enum trace_fmt fmt, const struct trace_file_info *fi, const struct counts *n, const char *error)
{
	int first = 1;

	buf_printf(b, "{\"file\":");
	buf_add_json_string(b, path);
	buf_printf(b, ",\"format\":\"%s\",\"version\":%u", fmt == TRACE_FMT_BINARY ? "binary" : "text",
	    h->version);
	buf_printf(b, ",\"device\":\"%s\",\"layout\":\"%s\"", trace_device_name(h->device),
	    trace_layout_name(h->layout));
	if (h->transport != TRACE_TRANSPORT_MODERN)
		buf_printf(b, ",\"transport\":\"%s\"", trace_transport_name(h->transport));
	buf_printf(b, ",\"features\":\"0x%" PRIx64 "\",\"feature_names\":[", h->features);
	feature_list(b, h->device, h->features, 1);
	buf_printf(b, "],\"recorded\":[%s%s%s]", h->recorded & TRACE_REC_DMA ? "\"dma\"" : "",
	    h->recorded == (TRACE_REC_DMA | TRACE_REC_IRQ) ? "," : "",
	    h->recorded & TRACE_REC_IRQ ? "\"irq\"" : "");
	buf_printf(b, ",\"queues\":[");
	for (unsigned i = 0; i < h->nqueues; i++)
		buf_printf(b, "%s%u", i ? "," : "", h->queue_max[i]);
	buf_printf(b, "],\"devcfg_bytes\":%u,\"ram\":[", h->devcfg_len);
	json_ranges(b, h->ram, h->nram);
	buf_printf(b, "],\"unassigned\":[");
	json_ranges(b, h->unassigned, h->nunassigned);
	buf_printf(b, "],\"rom\":[");
	json_ranges(b, h->rom, h->nrom);
	buf_printf(b, "],\"backends\":[");
	for (unsigned i = 0; i < h->nbackends; i++) {
		buf_printf(b, "%s{\"type\":", i ? "," : "");
		buf_add_json_string(b, h->backend[i].type);
		buf_printf(b, ",\"size\":\"0x%" PRIx64 "\"", h->backend[i].size);
		if (h->backend[i].has_image) {
			buf_printf(b, ",\"image\":");
			buf_add_json_string(b, h->backend[i].image);
		}
		buf_printf(b, "}");
	}
	buf_printf(b, "],\"title\":");
	buf_add_json_string(b, h->title);
	if (h->has & TRACE_HAS_CLASS)
		buf_printf(b, ",\"pci_class\":\"0x%06x\"", h->pci_class);
	if (h->has & TRACE_HAS_REVISION)
		buf_printf(b, ",\"pci_revision\":%u", h->pci_revision);
	if (h->has & TRACE_HAS_SUBSYS)
		buf_printf(b, ",\"subsystem_vendor\":%u,\"subsystem_id\":%u", h->subsys_vendor, h->subsys_id);
	if (h->has & TRACE_HAS_MSIX)
		buf_printf(b, ",\"msix_vectors\":%u", h->msix_vectors);
	if (h->serial[0] != '\0') {
		buf_printf(b, ",\"serial\":");
		buf_add_json_string(b, h->serial);
	}
	if (h->device == VIRTIO_ID_BLOCK || h->device == VIRTIO_ID_SCSI)
		buf_printf(b, ",\"discard\":\"%s\",\"write_cache\":\"%s\"", trace_discard_name(h->discard),
		    trace_write_cache_name(h->write_cache));
	buf_printf(b, ",\"events\":%" PRIu64 ",\"kinds\":{", n->events);
	for (int k = 1; k < TRACE_KIND_COUNT; k++) {
		if (n->kind[k] == 0)
			continue;
		buf_printf(b, "%s\"%s\":%" PRIu64, first ? "" : ",", trace_kind_name((uint8_t)k), n->kind[k]);
		first = 0;
	}
	buf_printf(b, "},\"payload_bytes\":%" PRIu64 ",\"duration_ns\":%" PRIu64, n->payload, n->last_time);
	if (fmt == TRACE_FMT_BINARY)
		buf_printf(b, ",\"chunks\":%" PRIu64 ",\"indexed\":%s,\"compressed_bytes\":%" PRIu64, fi->chunks,
		    fi->indexed ? "true" : "false", fi->compressed);
	buf_printf(b, ",\"raw_bytes\":%" PRIu64 ",\"file_bytes\":%" PRIu64, fi->raw, fi->file_size);
	if (error != NULL) {
		buf_printf(b, ",\"error\":");
		buf_add_json_string(b, error);
	}
	buf_printf(b, "}\n");
}

/* --json on a trace whose header cannot be read: the file and the error, so a script still parses it. */
static int fail_json(const char *path, char *cause)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "{\"file\":");
	buf_add_json_string(&b, path);
	buf_printf(&b, ",\"error\":");
	buf_add_json_string(&b, cause);
	buf_printf(&b, "}\n");
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return cmd_fail_cause(EXIT_BADINPUT, cause);
}

static const struct cmd_option info_options[] = {
	{ .name = "json", .help = "print one JSON object instead of aligned text" },
	{ .name = NULL },
};

static int cmd_info_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct trace_reader *r;
	struct trace_event ev;
	struct trace_file_info fi;
	struct counts n;
	struct buf out;
	char *cause = NULL;
	int json = cmd_args_has(a, "json"), rc;

	if (a->argc != 1)
		return cmd_usage_error(e, "need exactly one trace");
	if ((r = trace_open(a->argv[0], &cause)) == NULL)
		return json ? fail_json(a->argv[0], cause) : cmd_fail_cause(EXIT_BADINPUT, cause);
	memset(&n, 0, sizeof n);
	while ((rc = trace_read(r, &ev, &cause)) > 0) {
		n.events++;
		n.kind[ev.kind]++;
		n.payload += ev.len;
		if (ev.kind == TRACE_TIME)
			n.last_time = ev.value;
	}
	if (rc < 0 && !json) {
		trace_close(r);
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	}
	trace_get_file_info(r, &fi);
	buf_init(&out);
	if (json)
		print_json(&out, a->argv[0], trace_header(r), trace_format(r), &fi, &n, cause);
	else
		print_text(&out, a->argv[0], trace_header(r), trace_format(r), &fi, &n);
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	trace_close(r);
	/* The JSON carries the error; stderr has it too. */
	return rc < 0 ? cmd_fail_cause(EXIT_BADINPUT, cause) : EXIT_OK;
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = info_options,
	.summary = "summarise a trace and check its integrity",
	.help =
	    "Prints the format and version, the header facts (device, layout, offered\n"
	    "features with the names of known bits, queue sizes, RAM, backends), the event\n"
	    "count per kind, the virtual duration (the last time event), and for binary\n"
	    "traces the chunk count, compressed and raw sizes. Every event is decoded and\n"
	    "every chunk CRC checked; a damaged trace gives one error and exit status 2.\n",
	.exec = cmd_info_exec,
};
