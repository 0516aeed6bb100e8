/* vdev-input.h -- host input types as the device models see them (private to src/dev) */
#ifndef VR_DEV_VDEV_INPUT_H
#define VR_DEV_VDEV_INPUT_H

/*
 * struct vdev_input.type carries an enum trace_input_type value, but the
 * device layer may not include the trace layer's header. These mirror it;
 * tests/test_rng.c checks that they agree.
 */
#define VDEV_IN_FRAME		0	/* net: ethernet frame, addr = queue pair */
#define VDEV_IN_ENTROPY		1	/* rng: entropy bytes */
#define VDEV_IN_DISK		2	/* blk/scsi: disk contents at byte offset addr */
#define VDEV_IN_CONSOLE		3	/* console: bytes for port addr */
#define VDEV_IN_EVENT		4	/* device-specific host event, addr = code */

#endif
