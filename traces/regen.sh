#!/bin/sh
# traces/regen.sh -- regenerate the recorded traces of the bundled library from `virtio-replay record`
#
# Usage: VR=path/to/virtio-replay traces/regen.sh   (run from anywhere)
# Refresh the library when the device models change, then review `git diff traces/`
# and run `make check` (tests/cli/traces.sh replays each trace against its .expect).
# The .expect files and README.md are written by hand and are not touched here.
set -eu
VR=${VR:-./virtio-replay}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

rec() {	# rec OUT record-args...
	out=$1
	shift
	"$VR" record "$@" -o "$out.tmp"
	mv "$out.tmp" "$out"
}

# Normal traces: one per device type, then the interesting transport paths on blk.
for d in blk net scsi rng console; do
	rec "$d-basic.vrt" --device "$d" --scenario basic
done
rec blk-init.vrt --device blk --scenario init
rec blk-vbox.vrt --device blk --scenario basic --layout vbox
rec blk-indirect.vrt --device blk --scenario indirect
rec blk-event-idx.vrt --device blk --scenario event-idx
rec blk-no-event-idx.vrt --device blk --scenario no-event-idx
rec blk-msix.vrt --device blk --scenario msix
rec blk-msix-shared.vrt --device blk --scenario msix-shared
rec blk-intx.vrt --device blk --scenario intx
rec blk-reset.vrt --device blk --scenario reset
rec blk-wrap.vrt --device blk --scenario wrap
rec blk-checkpoints.vrt --device blk --scenario basic --count 12 --checkpoint-every 40 --seed 7
rec net-indirect.vrt --device net --scenario indirect
rec scsi-intx.vrt --device scsi --scenario intx
# The legacy (virtio 0.9.5) I/O BAR0 block: legacy-only devices, and QEMU's default transitional
# device driven by a legacy driver.
rec blk-legacy.vrt --device blk --scenario basic --transport legacy
rec net-legacy.vrt --device net --scenario basic --transport legacy
rec blk-legacy-intx.vrt --device blk --scenario intx --transport legacy
rec blk-transitional.vrt --device blk --scenario basic --transport transitional --driver legacy
rec blk-transitional-modern.vrt --device blk --scenario basic --transport transitional
rec blk-legacy-vbox.vrt --device blk --scenario intx --transport legacy --layout vbox
# Types without a model: the transport-only device (generic-requests complete, then hold).
rec balloon-basic.vrt --device virtio-balloon-pci --scenario basic
rec input-events.vrt --device virtio-keyboard-pci --scenario input-events

# One trace per guest-misbehaviour case (qemu profile): the scenario is named after the violation.
for v in desc-loop desc-next-range avail-head-range avail-idx-jump indirect-bad-len \
	indirect-nested indirect-with-next indirect-outside-ram desc-order desc-zero-len \
	sg-too-many chain-len-overflow buffer-outside-ram ring-addr-bad queue-size-bad \
	queue-select-range queue-not-ready queue-enable-bad too-many-in-flight features-bad \
	devcfg-range bar-access-bad checkpoint-bad; do
	rec "malformed/$v.vrt" --device blk --scenario "$v"
done
# Case 17 needs a device that keeps buffers: the transport-only device holding every request.
rec malformed/too-many-in-flight-held.vrt --device input --scenario too-many-in-flight-held
# The vbox profile reacts differently to some (the queue stops instead of the whole device).
for v in desc-loop avail-idx-jump indirect-with-next queue-not-ready; do
	rec "malformed/$v-vbox.vrt" --device blk --scenario "$v" --layout vbox
done

# Ring misbehaviour through the legacy block (the rings are the same code, the layout is legacy's).
for v in desc-loop ring-addr-bad queue-not-ready; do
	rec "malformed/$v-legacy.vrt" --device blk --scenario "$v" --transport legacy
done

# Traces that must diverge: a recorded blk-basic with one thing changed (said in a comment).
# edit OUT AWK-PROGRAM COMMENT: the program sees every line and prints it (changed or not).
edit() {
	out=$1 prog=$2 note=$3
	{
		echo "# DIVERGES ON PURPOSE: $note"
		awk "$prog" blk-basic.vrt
	} >"diverge/$out.tmp"
	mv "diverge/$out.tmp" "diverge/$out"
}
# The last device_status read (common config at BAR4 + 0x14 in the qemu layout) claims NEEDS_RESET.
edit read-value.vrt '
	{ lines[NR] = $0 }
	/^bar r 4 0x14 1 = / { last = NR }
	END { for (i = 1; i <= NR; i++) {
		if (i == last) { n = split(lines[i], f, " "); v = f[n]; sub(/0x/, "", v);
			printf "bar r 4 0x14 1 = 0x%02x\n", (("0x" v) + 0) + 64 }
		else print lines[i] } }' \
	'the last read of common.device_status was changed to claim DEVICE_NEEDS_RESET (0x40 added)'
# The data of the first 512-byte DMA (a sector read) has its first byte changed.
edit dma-bytes.vrt '
	!done && /^dma / && length($3) == 1024 { $3 = (substr($3, 1, 2) == "00" ? "ff" : "00") substr($3, 3); done = 1 }
	{ print }' \
	'the first byte of the first sector-read DMA was changed'
# The first 8-byte DMA (a used ring element) gets a different len.
edit used-len.vrt '
	!done && /^dma / && length($3) == 16 { $3 = substr($3, 1, 8) "ff000000"; done = 1 }
	{ print }' \
	'the len of the first used ring element written was changed to 255'
# The first MSI-X interrupt names another vector.
edit irq-vector.vrt '
	!done && /^irq msix / { $3 = $3 + 5; done = 1 }
	{ print }' \
	'the first MSI-X interrupt vector was changed (vector + 5)'
# The first interrupt is missing from the recording: the device raises one the recording lacks.
edit missing-irq.vrt '
	!done && /^irq / { done = 1; next }
	{ print }' \
	'the first interrupt line was deleted'
# A DMA the device will not produce: the first used-ring write appears twice.
edit extra-dma.vrt '
	{ print }
	!done && /^dma / && length($3) == 16 { print; done = 1 }' \
	'the first used ring element DMA was duplicated'
echo "regenerated traces in $here"
