#!/bin/sh
# traces/qemu/regen.sh -- re-record the library of real-device traces from QEMU (record --target qemu)
#
# Usage: VR=path/to/virtio-replay traces/qemu/regen.sh   (run from anywhere; needs qemu-system-x86_64)
# Every trace here is QEMU 7.2's answer to the model guest, recorded through qtest. After
# regenerating, review `git diff traces/qemu/` and run `make check`: tests/cli/traces.sh
# replays each trace against the simulator and its hand-written .expect says where they
# differ today (the first divergence) or that they match.
set -eu
VR=${VR:-./virtio-replay}
QEMU=${QEMU:-qemu-system-x86_64}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
"$QEMU" --version | head -1

rec() {	# rec OUT record-args...
	out=$1
	shift
	"$VR" record --target qemu --qemu "$QEMU" "$@" -o "$out.tmp"
	mv "$out.tmp" "$out"
}

# One per device type, then the transport paths on blk and the other devices' INTx.
for d in blk net scsi rng console; do
	rec "$d-basic.vrt" --device "$d" --scenario basic
done
for s in init indirect event-idx no-event-idx msix msix-shared intx reset; do
	rec "blk-$s.vrt" --device blk --scenario "$s"
done
# QEMU's default transitional device driven by a legacy driver through the I/O BAR 0.
# avail and used idx past 65535: the way there (65532 flushes, a queue's worth per notify) is in the trace.
rec blk-wrap.vrt --device blk --scenario wrap
rec blk-legacy-basic.vrt --device blk --scenario basic --transport transitional --driver legacy
rec blk-legacy-intx.vrt --device blk --scenario intx --transport transitional --driver legacy
# ... and a legacy-only one (disable-modern=on): virtio_blk_get_features without VERSION_1 offers SCSI, not ANY_LAYOUT.
rec blk-legacy-only.vrt --device blk --scenario basic --transport legacy
rec net-legacy-basic.vrt --device net --scenario basic --transport transitional --driver legacy
rec net-intx.vrt --device net --scenario intx
rec scsi-intx.vrt --device scsi --scenario intx
rec console-msix.vrt --device console --scenario msix
rec rng-no-event-idx.vrt --device rng --scenario no-event-idx
# Requests QEMU reads its own way (virtqueue_get_avail_bytes, INDIRECT on the head only): INDIRECT inside a
# table (served), one chain in many avail slots (a loop to QEMU's count), lengths that wrap to 0 (nothing asked).
rec rng-sweep-nested.vrt --device rng --scenario sweep-rng --seed 16
rec rng-sweep-same-head.vrt --device rng --scenario sweep-rng --seed 21
rec rng-sweep-wrap.vrt --device rng --scenario sweep-rng --seed 351
# QEMU's backend requests: one asked before a reset reads its old size into the chains posted after it.
rec rng-sweep-stale-request.vrt --device rng --scenario sweep-rng --seed 300008
# A sweep scenario that found a difference: an 8-byte write across the MAC before any feature.
rec net-sweep-regions.vrt --device net --scenario sweep-regions --seed 1012
# ... and a legacy driver (sweep-net picks one now and then) that acks BAD_FEATURE: QEMU gives it MAC alone
# (virtio_net_bad_features), so without MRG_RXBUF or VERSION_1 its frames carry the 10-byte header.
rec net-sweep-legacy.vrt --device net --scenario sweep-net --seed 2
# ... and on a transitional function a modern driver that acks legacy-only bits (GSO among them) before
# FEATURES_OK: QEMU's host_features keep them, the legacy guest_features register reads what applied.
rec net-sweep-legacy-features.vrt --device net --scenario sweep-legacy --seed 32
# ... and a modern queue_enable after a legacy queue_pfn placed queue 0: QEMU maps the modern registers' rings.
rec blk-sweep-legacy-enable.vrt --device blk --scenario sweep-legacy --seed 4
# ... and a modern driver that enables a running queue again on other rings (hand-made guest actions played
# on QEMU by crosscheck): QEMU's virtio_queue_set_rings keeps the ring indices.
"$VR" crosscheck --qemu "$QEMU" src/rng-enable-again.vrt --keep rng-enable-again.vrt >/dev/null
# ... and a legacy driver that writes another queue_pfn for its running queue: the same (virtio_queue_set_addr).
"$VR" crosscheck --qemu "$QEMU" src/rng-legacy-pfn-again.vrt --keep rng-legacy-pfn-again.vrt >/dev/null
# ... and entropy given while the device is reset with a backend request outstanding: the request reads it,
# chr_read drops it (nothing shows), and the request after the device is set up again gets the new bytes.
"$VR" crosscheck --qemu "$QEMU" src/rng-reset-entropy.vrt --keep rng-reset-entropy.vrt >/dev/null
# ... and a queue_size of 16 written to the running queue (mapped for 8), then bus mastering off and on: QEMU's
# memory commit maps the rings again for 16 and the next request is served (without that map it would not be).
"$VR" crosscheck --qemu "$QEMU" src/rng-size-remap.vrt --keep rng-size-remap.vrt >/dev/null
# ... and the same with BAR4 moved, and with memory decode off and on, instead (a BAR out and in each).
"$VR" crosscheck --qemu "$QEMU" src/rng-size-bar-move.vrt --keep rng-size-bar-move.vrt >/dev/null
"$VR" crosscheck --qemu "$QEMU" src/rng-size-mem-off.vrt --keep rng-size-mem-off.vrt >/dev/null
# ... and a tx chain of the header alone ("virtio-net nothing to send") breaks the device, then frames arrive:
# QEMU still counts the rx buffers posted, enough of them (modern) or too few (legacy, EVENT_IDX).
rec net-sweep-broken.vrt --device net --scenario sweep-net --seed 112
rec net-sweep-broken-legacy.vrt --device net --scenario sweep-net --seed 1
# ... and a mergeable frame whose pops fail half way (a chain with a zero-length buffer after 16 good
# ones): QEMU detaches the buffers it took, no used element, and the guest reads past used idx.
rec net-sweep-mrg-detach.vrt --device net --scenario sweep-net --seed 4
# ... and a bring-up that writes no features after a reset, then features with EVENT_IDX (no reset): the
# started queues take them, used_event decides from then on.
rec net-sweep-features-event-idx.vrt --device net --scenario sweep-net --seed 7042
# ... and kicks on console queues with nothing to use: QEMU still notifies.
rec console-sweep-regions.vrt --device console --scenario sweep-regions --seed 1045
# virtio-serial with 6 ports and MULTIPORT: control messages with and without ctrl-rx buffers, a short one,
# DRIVER_OK written again and taken away.
rec console-sweep-serial.vrt --device console --scenario sweep-serial --seed 1011
# ... and 4 ports, a vector per queue, a reset with control messages before DRIVER_OK.
rec console-sweep-serial-reset.vrt --device console --scenario sweep-serial --seed 1021
# ... and QEMU's default device (-device virtio-serial-pci: 31 ports, 64 queues, 2 vectors): a header
# that states nothing but the device type must replay it the same (tests/cli/qemu-defaults.sh).
rec console-sweep-serial-default.vrt --device console --scenario sweep-serial --seed 1059
# ... and 2 ports without MULTIPORT: port 0 closed with PORT_OPEN 0, then DRIVER_OK written again
# reopens it (QEMU's set_status sees every status write).
rec console-sweep-serial-status.vrt --device console --scenario sweep-serial --seed 1251
# The disk options: discard=unmap, a write then a DISCARD on it and a read back (blk); an UNMAP of
# written blocks read back, MODE SELECT and WRITE SAME (scsi).
rec blk-sweep-discard.vrt --device blk --scenario sweep-blk --seed 210
rec scsi-sweep-unmap.vrt --device scsi --scenario sweep-scsi --seed 251
# ... and MODE SELECT block descriptors switching the disk to 1024-byte blocks, READ CAPACITY after;
# batches in one notify: framing errors first, then the commands run, the block layer's answers last.
rec scsi-sweep-blocksize.vrt --device scsi --scenario sweep-scsi --seed 1018
# ... and batches whose commands depend on each other: a MODE SELECT's block size and the READ(16) set up
# with it, REQUEST SENSE set up before the CHECK CONDITIONs of its batch.
rec scsi-sweep-batch.vrt --device scsi --scenario sweep-scsi --seed 5048
# ... and a batch with a request header too short: the BAD_TARGET before it used and notified, the
# commands set up before it never run, the device broken.
rec scsi-sweep-bad-request.vrt --device scsi --scenario sweep-scsi --seed 5010
# ... and sense_size/cdb_size written in pieces, a refused piece counting again.
rec scsi-sweep-regions.vrt --device scsi --scenario sweep-regions --seed 2023
# Multiqueue: QEMU started with the header's queue count (num-queues=6; num_queues=3), requests
# spread over a seeded subset of the queues, kicks on the others and past the last.
rec blk-sweep-mq.vrt --device blk --scenario sweep-mq --seed 7
rec scsi-sweep-mq.vrt --device scsi --scenario sweep-mq --seed 3
# net with 2 queue pairs on a tap in a private network namespace (root only): frames on
# both pairs, pairs turned off and on again with a frame waiting on one of them.
rec net-sweep-mq.vrt --device net --scenario sweep-mq --seed 468
# net with 3 pairs, a driver that writes MQ and then leaves it out (QEMU takes pairs 1.. away and
# moves the control queue to 2), then after a reset the other way round (they come back).
rec net-sweep-mq-features.vrt --device net --scenario sweep-mq --seed 1007
# net with 3 pairs on, then features without MQ and no reset: QEMU keeps the pairs on and their taps,
# pair 1's frames go through the control queue at 2, pair 2's wait; then the same with MQ given back.
rec net-sweep-mq-away.vrt --device net --scenario sweep-mq --seed 20
rec net-sweep-mq-away-back.vrt --device net --scenario sweep-mq --seed 30
# ... with 4 pairs and a driver without MRG_RXBUF: pair 2's frame meets its queue taken away after its
# ring gave a buffer, and QEMU breaks the device ("Virtqueue size exceeded").
rec net-sweep-mq-gone.vrt --device net --scenario sweep-mq --seed 210238
# ... and (hand-made, cut from it) rx2 looked at without a buffer taken: a frame the receive filter drops, or
# one too big for the buffer; QEMU read avail idx there, so pair 2's frame after the feature write still breaks it.
"$VR" crosscheck --qemu "$QEMU" src/net-mq-gone-seen-filter.vrt --keep net-mq-gone-seen-filter.vrt >/dev/null
"$VR" crosscheck --qemu "$QEMU" src/net-mq-gone-seen-big.vrt --keep net-mq-gone-seen-big.vrt >/dev/null
# Rings and buffers outside RAM (the header's unassigned facts): the used ring in the PCI hole with a
# GET_ID's data in a hole; a read holding the bounce buffer while a GET_ID finishes and the next
# GET_ID's data in a hole breaks the device ("bogus descriptor or out of resources").
rec blk-sweep-mmio-used.vrt --device blk --scenario sweep-mmio --seed 10
rec blk-sweep-mmio.vrt --device blk --scenario sweep-mmio --seed 18
# ... and rings at the addresses sweep-common's register values make, which the header now states as QEMU's
# map: a descriptor table above 2^48 (unassigned up to 2^64), a used ring at 0x1 (QEMU's RAM below the trace's).
rec scsi-sweep-common-ring-high.vrt --device scsi --scenario sweep-common --seed 160029
rec rng-sweep-common-ring-low.vrt --device rng --scenario sweep-common --seed 190043
# ... and a queue_size of 255 written to virtio-rng's running queue (mapped for 8): QEMU runs with it at once, and
# the status write that makes virtio-rng count its buffers finds the descriptor table short ("Cannot map descriptor ring").
rec rng-sweep-common-size-live.vrt --device rng --scenario sweep-common --seed 190187
# One ring or buffer at an edge of the map (sweep-map): rings from unassigned space into a BAR, the firmware
# or the IOAPIC (QEMU reads zeros throughout), from pc.rom into RAM (cannot map), console writes from pc.rom
# (in place) and an rng buffer from the gap below the firmware into it (one bounce buffer over both).
rec blk-sweep-map-used-bar.vrt --device blk --scenario sweep-map --seed 280030
rec rng-sweep-map-desc-firmware.vrt --device rng --scenario sweep-map --seed 280007
rec console-sweep-map-used-ioapic.vrt --device console --scenario sweep-map --seed 280041
rec rng-sweep-map-rom-out.vrt --device rng --scenario sweep-map --seed 280013
rec console-sweep-map-rom-buffer.vrt --device console --scenario sweep-map --seed 280062
rec rng-sweep-map-cross-buffer.vrt --device rng --scenario sweep-map --seed 280019
# Guest misbehaviour, as QEMU reacts to it (its virtio_error() lines are marks).
for v in desc-loop avail-idx-jump too-many-in-flight queue-not-ready features-bad bar-access-bad devcfg-range; do
	rec "blk-$v.vrt" --device blk --scenario "$v"
done
