/* test_sink_pcap.c -- pcap export: frames read back with libpcap, virtual nanosecond timestamps */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "vr/sink-pcap.h"
#include "sink-sample.h"

static char path[] = "/tmp/vr-pcap.XXXXXX";

static void setup(void)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(sink_pcap, .init = setup, .fini = teardown);

static void frame(struct evbus *bus, uint64_t vtime, bool tx, const uint8_t *data, uint32_t len)
{
	struct vr_event ev = { .kind = VR_EV_FRAME };

	bus->vtime = vtime;
	ev.u.frame.tx = tx;
	ev.u.frame.data = data;
	ev.u.frame.len = len;
	evbus_emit(bus, &ev);
}

Test(sink_pcap, frames_read_back_with_libpcap)
{
	char *cause = NULL;
	char err[PCAP_ERRBUF_SIZE];
	struct evbus bus;
	struct sink_pcap *p = sink_pcap_open(path, &cause);
	static uint8_t big[SINK_PCAP_SNAPLEN + 10];
	struct pcap_pkthdr *h;
	const u_char *data;

	cr_assert_not_null(p, "%s", cause);
	evbus_init(&bus);
	cr_assert_eq(sink_pcap_attach(p, &bus, &cause), 0);
	sample_run(&bus, true);		/* one tx frame at 1.500000123 s among other kinds */
	frame(&bus, 2000000000ull, false, sample_frame, 60);
	big[0] = 0xab;
	big[SINK_PCAP_SNAPLEN - 1] = 0xcd;
	frame(&bus, 2000000001ull, true, big, sizeof(big));
	cr_expect_eq(sink_pcap_frames(p), 3);
	cr_assert_eq(sink_pcap_close(p, &cause), 0, "%s", cause);

	pcap_t *r = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	cr_assert_not_null(r, "%s", err);
	cr_expect_eq(pcap_datalink(r), DLT_EN10MB);
	cr_assert_eq(pcap_next_ex(r, &h, &data), 1);
	cr_expect_eq(h->ts.tv_sec, 1);
	cr_expect_eq(h->ts.tv_usec, 500000123);
	cr_expect_eq(h->len, 64);
	cr_expect_eq(h->caplen, 64);
	cr_expect_eq(memcmp(data, sample_frame, 64), 0);
	cr_assert_eq(pcap_next_ex(r, &h, &data), 1);
	cr_expect_eq(h->ts.tv_sec, 2);
	cr_expect_eq(h->ts.tv_usec, 0);
	cr_expect_eq(h->len, 60);
	cr_assert_eq(pcap_next_ex(r, &h, &data), 1);
	cr_expect_eq(h->ts.tv_usec, 1);
	cr_expect_eq(h->len, sizeof(big));
	cr_expect_eq(h->caplen, SINK_PCAP_SNAPLEN);
	cr_expect_eq(data[0], 0xab);
	cr_expect_eq(data[SINK_PCAP_SNAPLEN - 1], 0xcd);
	cr_expect_eq(pcap_next_ex(r, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(r);

	/* microsecond readers (old tools) see the same time, rounded */
	r = pcap_open_offline(path, err);
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(pcap_next_ex(r, &h, &data), 1);
	cr_expect_eq(h->ts.tv_sec, 1);
	cr_expect_eq(h->ts.tv_usec, 500000);
	pcap_close(r);
}

Test(sink_pcap, no_frames_is_a_valid_empty_capture)
{
	char err[PCAP_ERRBUF_SIZE];
	struct sink_pcap *p = sink_pcap_open(path, NULL);
	struct pcap_pkthdr *h;
	const u_char *data;

	cr_assert_not_null(p);
	cr_assert_eq(sink_pcap_close(p, NULL), 0);
	pcap_t *r = pcap_open_offline(path, err);
	cr_assert_not_null(r, "%s", err);
	cr_expect_eq(pcap_next_ex(r, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(r);
	sink_pcap_close(NULL, NULL);
}

Test(sink_pcap, unwritable_path)
{
	char *cause = NULL;

	cr_assert_null(sink_pcap_open("/nonexistent-dir/x.pcap", &cause));
	cr_expect(strstr(cause, "/nonexistent-dir/x.pcap: ") == cause, "%s", cause);
	free(cause);
}

Test(sink_pcap, same_frames_same_bytes)
{
	char *cause = NULL;
	uint8_t a[4096], b[4096];
	size_t na, nb;

	for (int round = 0; round < 2; round++) {
		struct evbus bus;
		struct sink_pcap *p = sink_pcap_open(path, &cause);
		FILE *f;

		cr_assert_not_null(p);
		evbus_init(&bus);
		sink_pcap_attach(p, &bus, NULL);
		sample_run(&bus, true);
		sink_pcap_close(p, NULL);
		f = fopen(path, "rb");
		cr_assert_not_null(f);
		if (round == 0)
			na = fread(a, 1, sizeof(a), f);
		else
			nb = fread(b, 1, sizeof(b), f);
		fclose(f);
	}
	cr_expect_eq(na, 24 + 16 + 64);
	cr_expect_eq(na, nb);
	cr_expect_eq(memcmp(a, b, na), 0);
}
