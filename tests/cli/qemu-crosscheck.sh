# tests/cli/qemu-crosscheck.sh -- crosscheck: a trace's guest side on real QEMU, differences named at the source event
. "$srcdir/tests/cli/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not found (run bootstrap.sh)"; exit 1; }
q="$srcdir/traces/qemu"
# A QEMU recording played again on QEMU: the same answers as the simulator gives.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck "$q/blk-basic.vrt" --keep "$TMP/q.vrt"
expect 0 "^title crosscheck on qemu of " "" grep "^title" "$TMP/q.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/q.vrt"
# Planted: the header offers SIZE_MAX (bit 1), which QEMU's device does not. The first
# device_feature read is where they part; its number in the source trace is reported.
sed 's/^features 0x\([0-9a-f]*\)4$/features 0x\16/' "$q/blk-basic.vrt" >"$TMP/planted.vrt"
n=$(grep -v '^#' "$TMP/planted.vrt" | awk '/^title/ {s=NR; next} s && /^bar r 4 0x4 4 /{print NR-s-1; exit}')
expect 1 "^$TMP/planted.vrt: event $n \(offset 0x[0-9a-f]+\): divergence in common.device_feature" \
	"differ \(first at event $n; 1 difference\)" "$VR" crosscheck "$TMP/planted.vrt"
expect 1 "expected: 0x30006e54" "" "$VR" crosscheck "$TMP/planted.vrt"
# A simulator recording: the qemu profile's default blk is QEMU's, so QEMU answers the same.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --lenient "$srcdir/traces/blk-basic.vrt"
# Read-backs are QEMU's: a source whose mem-read says something else gets QEMU's bytes in
# QEMU's trace (--wait bounds the time given to QEMU: 1 s, as a loaded machine may leave QEMU
# unscheduled for tens of milliseconds), which the simulator then matches.
n=$(grep -n '^mem-read 0x40011242 0100$' "$q/blk-basic.vrt" | head -1 | cut -d: -f1)
sed "${n}s/ 0100\$/ 0500/" "$q/blk-basic.vrt" >"$TMP/planted-ram.vrt"
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$TMP/planted-ram.vrt" --keep "$TMP/qr.vrt"
expect 0 "^mem-read 0x40011242 0100$" "" grep -m1 "^mem-read 0x40011242 " "$TMP/qr.vrt"
sed 's/^mem-read 0x40011242 0100$/mem-read 0x10 0100/' "$q/blk-basic.vrt" >"$TMP/outside.vrt"
expect 2 "^$" "event [0-9]+ \(offset 0x[0-9a-f]+\): guest read of 2 bytes at 0x10 lies outside the declared RAM" \
	"$VR" crosscheck "$TMP/outside.vrt"
# A running queue enabled again on other rings: QEMU keeps its indices (virtio_queue_set_rings), the
# request in avail slot 2 of the new ring is served into used slot 2. A model that starts the queue over
# reads used idx 1 where QEMU has 3.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$q/src/rng-enable-again.vrt"
# ... and a legacy queue_pfn rewritten for a running queue (transitional rng): the same, its vector kept too.
# A model that starts the queue over sends no interrupt and reads used idx 1 where QEMU has 4.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$q/src/rng-legacy-pfn-again.vrt"
# ... and entropy given while the device is reset with a backend request outstanding: QEMU's request reads it
# and drops it; the request after the set-up again gets the entropy given after it. A model that kept the
# dropped bytes fills that request with them.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$q/src/rng-reset-entropy.vrt"
# ... and queue_size 16 written to a queue running on rings mapped for 8, then BAR4 moved, or memory decode
# off and on: each a memory commit after which QEMU maps the rings again for 16 and serves the request. A
# model that leaves BAR changes out of its commits counts on rings mapped for 8 (no interrupt).
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$q/src/rng-size-bar-move.vrt"
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$q/src/rng-size-mem-off.vrt"
# What QEMU cannot play is bad input; QEMU missing is exit 3.
expect 2 "^$" "starts from a checkpoint" "$VR" crosscheck "$srcdir/traces/blk-wrap.vrt"
# Legacy-only traces run on QEMU's disable-modern=on function (not a transitional one, whose BAR 4 differs).
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck "$srcdir/traces/blk-legacy.vrt"
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck "$srcdir/traces/net-legacy.vrt"
expect 2 "^$" "layout vbox" "$VR" crosscheck "$srcdir/traces/blk-vbox.vrt"
expect 2 "^$" "missing TRACE" "$VR" crosscheck
expect 3 "^$" "qemu missing" "$VR" crosscheck --qemu /nonexistent/qemu "$q/blk-basic.vrt"
finish
