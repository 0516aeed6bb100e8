/* sink-fill.c -- write the synthetic sample run into a database, for CLI tests of runs and the man page examples */
#include <stdio.h>
#include <string.h>

#include "vr/sink-sqlite.h"
#include "sink-sample.h"

int main(int argc, char **argv)
{
	struct evbus bus;
	struct sink_sqlite *s;
	char *cause = NULL;

	if (argc != 3 || (strcmp(argv[2], "complete") != 0 && strcmp(argv[2], "aborted") != 0)) {
		fprintf(stderr, "usage: sink-fill DB complete|aborted\n");
		return 2;
	}
	s = sink_sqlite_open(argv[1], &cause);
	if (s == NULL) {
		fprintf(stderr, "sink-fill: %s\n", cause);
		return 2;
	}
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	sample_run(&bus, strcmp(argv[2], "complete") == 0);
	if (strcmp(argv[2], "aborted") == 0) {
		/* a failed request, then the run stops without RUN_END */
		struct vr_event ev = { .kind = VR_EV_TXN };

		bus.event_no = 7;
		ev.u.txn.queue_name = "requestq";
		ev.u.txn.head = 6;
		ev.u.txn.device = "blk";
		ev.u.txn.type = "IN";
		ev.u.txn.fields = "sector=99999999 len=512";
		ev.u.txn.status = "IOERR";
		ev.u.txn.in_len = 1;
		ev.u.txn.used_len = 1;
		ev.u.txn.first_event = 7;
		evbus_emit(&bus, &ev);
	}
	if (sink_sqlite_close(s, &cause) < 0) {
		fprintf(stderr, "sink-fill: %s\n", cause);
		return 3;
	}
	return 0;
}
