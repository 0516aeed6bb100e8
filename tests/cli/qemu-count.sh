# tests/cli/qemu-count.sh -- QEMU's avail-bytes count and chain walk (INDIRECT on the head only), crosschecked on QEMU
. "$srcdir/tests/cli/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not found (run bootstrap.sh)"; exit 1; }
# Each case is the init of a QEMU recording (traces/qemu/DEVICE-basic.vrt up to its I/O) and a
# hand-made tail (tests/data/count/*.tail, its first line says what it does) that posts chains
# QEMU's virtqueue_get_avail_bytes and virtqueue_split_pop take otherwise than the spec reads:
# rng and virtio-serial count before they ask their backend (virtio-serial at every turn of
# QEMU's main loop, typed bytes or not), virtio-net before it places a frame.
# The tails hold QEMU's answers, so crosscheck waits for QEMU's interrupts before reading back.
n=0
for t in "$srcdir"/tests/data/count/*.tail; do
	name=$(basename "$t" .tail)
	sed '/^mark mixed i\/o/,$d' "$srcdir/traces/qemu/${name%%-*}-basic.vrt" >"$TMP/$name.vrt"
	cat "$t" >>"$TMP/$name.vrt"
	expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 500 "$TMP/$name.vrt"
	n=$((n + 1))
done
[ "$n" -ge 28 ] || { echo "FAIL: only $n cases under $srcdir/tests/data/count"; fails=$((fails + 1)); }
# virtio-serial counts at every turn of QEMU's main loop, not only when bytes are typed (the
# console-poll tails): here a chain posted before DRIVER_OK is counted at the status write.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 500 "$srcdir/traces/qemu/src/console-poll-driver-ok.vrt"
# ... and with MULTIPORT a port's rx is counted only once the guest opened it: the loop on port 2's rx
# breaks the device at the PORT_OPEN 2 on ctrl-tx, not at the store nor at a kick on rx2 before it.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 500 "$srcdir/traces/qemu/src/console-poll-port-open.vrt"
finish
