# tests/cli/sweep-mq-net.sh -- virtio-net with several queue pairs against QEMU 7.2 through a tap (issue 15)
. "$srcdir/tests/cli/lib.sh"
# On the simulator: 2 to 4 pairs (seed 28: 4, MQ taken, frames on every pair), recorded and replayed.
expect 0 "" "" "$VR" record --scenario sweep-mq --device net --seed 28 -o "$TMP/sim.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/sim.vrt"
expect 0 "^queues 256 256 256 256 256 256 256 256 64$" "" grep "^queues" "$TMP/sim.vrt"
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP: qemu-system-x86_64 not found: net with several queue pairs was not compared"
	[ "$fails" -eq 0 ] || finish
	exit 77
fi
# Without /dev/net/tun, namespaces or BPF (not root) there is no tap: one clear message, no comparison.
"$VR" record --target qemu --scenario sweep-mq --device net --seed 28 -o "$TMP/q4.vrt" >"$TMP/rec.out" 2>&1
status=$?
if [ $status -ne 0 ] && grep -q "tap unavailable" "$TMP/rec.out"; then
	echo "SKIP: $(grep -m1 'tap unavailable' "$TMP/rec.out")"
	[ "$fails" -eq 0 ] || finish
	exit 77
fi
expect 0 "" "" test "$status" -eq 0
# QEMU's device with 4 pairs (tap,fds= with 4 queues, mq=on): all queues in the header, ctrl last.
expect 0 "^queues 256 256 256 256 256 256 256 256 64$" "" grep "^queues" "$TMP/q4.vrt"
expect 0 "^mark qemu -netdev tap,queues=4 -device virtio-net-pci" "" grep "^mark qemu " "$TMP/q4.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/q4.vrt"
# Frames reach the pair the trace names every time: QEMU's recording repeats byte for byte.
expect 0 "" "" "$VR" record --target qemu --scenario sweep-mq --device net --seed 28 -o "$TMP/q4-again.vrt"
expect 0 "" "" cmp "$TMP/q4.vrt" "$TMP/q4-again.vrt"
expect 0 "" "" grep -q "^input frame 0x[1-3] " "$TMP/q4.vrt"
# No tap or namespace outlives the recording.
expect 0 "" "" sh -c '! ip link show vr0 2>/dev/null'
# Without the privileges a tap needs (a user namespace of its own): the one message, exit 3, no hang.
if unshare -U true 2>/dev/null; then
	expect 3 "" "net with 4 queue pairs: tap unavailable: " unshare -U "$VR" record --target qemu \
	    --scenario sweep-mq --device net --seed 28 -o "$TMP/x.vrt"
fi
# The sweep: 1 to 4 pairs, VQ_PAIRS_SET in and out of range, frames on every pair on, pairs off and on
# again, resets with frames waiting. Seed 468 drops a frame waiting on a pair VQ_PAIRS_SET turns off,
# which the model delivered before; 1006 and 1007 below reset with frames waiting.
expect 0 "^8 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 8 --seed 468 --quiet
# Seeds 39 and 155 reset with two frames waiting on pair 0: QEMU drops the one it parked at the DRIVER_OK
# write and delivers the second once buffers come; the model dropped one more at the reset itself.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 1 --seed 39 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 1 --seed 155 --quiet
# Drivers that leave MQ out, or write features twice with MQ one way and then the other: QEMU 7.2
# takes pairs 1.. away (num_queues 3, the control queue at 2) and gives them back on each write,
# a reset leaves them. Seeds 1000..1007: 7 of 8 differed while the model kept every pair.
expect 0 "^8 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 8 --seed 1000 --quiet
# The end now and then: a status write that drops FEATURES_OK, features without MQ with the rings
# set up and every pair on, writes to a queue taken away, MQ back or not, traffic on pair 0, a kick on
# every queue. Seeds 20..27: 20 and 24 differed while a queue that moved started with an empty ring
# (QEMU's control queue at 2 serves rx1's posted buffers: "ctrl missing headers"). With queue_enable
# written again now and then, 20 and 24 differed while it left the size alone (QEMU's proxy gives the
# control queue at 2 rx1's 256 entries). That end also gives frames on every pair past the first after
# the feature write, two waiting on each pair past the second before it: QEMU keeps curr_queue_pairs and
# the taps, so pair 1's frame goes through the control queue at 2 on rx1's ring (20, 24), a pair whose
# queues went takes nothing, and with MQ back the second frame waiting is delivered (27). 20, 24 and 27
# differed while the model dropped the frames at the feature write and refused pairs whose queues went.
expect 0 "^8 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 8 --seed 20 --quiet
# A driver without MRG_RXBUF (now and then) and that end with no frames waiting past pair 1, after a
# frame taken on each: pair 2's frame meets its queue taken away, whose ring QEMU took a buffer from,
# and QEMU breaks the device ("Virtqueue size exceeded"). Seeds 210238, 210324 and 210382 differed
# while the model let the frame wait.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 1 --seed 210238 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device net --count 1 --seed 210324 --quiet
# The same end after a frame that looked at rx2 and took no buffer (hand-made, cut from seed 210238): one the
# receive filter drops, one too big for the buffer. QEMU read avail idx for it: pair 2's next frame breaks the
# device, pair 3's (its ring never looked at) waits. A model that does not count the case as seen differs.
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$srcdir/traces/qemu/src/net-mq-gone-seen-filter.vrt"
expect 0 "^$" "answers as QEMU does" "$VR" crosscheck --wait 1000 "$srcdir/traces/qemu/src/net-mq-gone-seen-big.vrt"
finish
