/* qtest-export.h -- a trace's guest side as a qtest command stream, with the QEMU command line that plays it */
#ifndef VR_QTEST_EXPORT_H
#define VR_QTEST_EXPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The output is a shell script (the form bug reports use):
 *
 *   cat << 'EOF' | qemu-system-x86_64 -machine pc ... -device virtio-blk-pci,addr=04.0,... -qtest stdio
 *   outl 0xcf8 0x80002000
 *   inl 0xcfc
 *   ...
 *   EOF
 *
 * or, with stream, the commands alone after a "# qemu-system-x86_64 ..."
 * comment line. The function sits at 00:04.0 with the trace's transport
 * (modern-only, transitional, or legacy-only: disable-modern=on); config
 * accesses go through ports 0xcf8/0xcfc, the legacy I/O BAR 0 through port
 * commands, other BAR accesses to the addresses the trace's
 * guest placed the BARs at (export places a BAR the trace never placed, and
 * enables memory decoding, and says so), RAM stores become write commands
 * and read-backs read commands. The device's recorded answers and the host
 * inputs (disk contents, frames, entropy) are not part of the guest side.
 */

struct qtest_export_stats {
	uint64_t commands;	/* qtest commands written */
	uint64_t guest;		/* guest events exported */
	uint64_t skipped;	/* device outputs, inputs, marks, checkpoints left out */
	uint64_t inputs;	/* of those: host inputs QEMU will not see */
	unsigned placed;	/* BARs export placed itself */
};

/* Export the trace at path to f. 0, or -1 with cause (bad trace, no QEMU equivalent, write error). */
int qtest_export(const char *path, FILE *f, bool stream, struct qtest_export_stats *st, char **cause);

#endif
