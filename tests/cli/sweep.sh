# tests/cli/sweep.sh -- sweep: the generated scenarios (deterministic, replayable) and a short run against QEMU
. "$srcdir/tests/cli/lib.sh"
expect 0 "^sweep-common +machine " "" "$VR" sweep --list
expect 0 "^sweep-random +device " "" "$VR" sweep --list
# Every sweep scenario is a record scenario: on the simulator it records and replays clean,
# the same seed gives the same trace, another seed another one.
for s in $("$VR" sweep --list | awk 'NR > 1 {print $1}'); do
	d=blk
	[ "$s" = sweep-scsi ] && d=scsi		# the SCSI command sweep runs on scsi only
	[ "$s" = sweep-blk ] && d=blk		# the blk request sweep on blk only
	case $s in sweep-net) d=net ;; sweep-console|sweep-serial) d=console ;; sweep-rng) d=rng ;; esac	# device sweeps
	expect 0 "" "" "$VR" record --scenario "$s" --device $d --seed 5 -o "$TMP/$s-$d.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/$s-$d.vrt"
	expect 0 "" "" "$VR" record --scenario "$s" --device $d --seed 5 -o "$TMP/$s-again.vrt"
	expect 0 "" "" cmp "$TMP/$s-$d.vrt" "$TMP/$s-again.vrt"
	expect 0 "" "" "$VR" record --scenario "$s" --device $d --seed 6 -o "$TMP/$s-6.vrt"
	expect 1 "" "" cmp -s "$TMP/$s-$d.vrt" "$TMP/$s-6.vrt"
done
# sweep-serial keeps a port with bytes waiting from reading while the guest posts its rx buffers (seed 1103).
expect 0 "" "" "$VR" record --scenario sweep-serial --device console --seed 1103 -o "$TMP/serial-1103.vrt"
grep "^mark sweep: port 0" "$TMP/serial-1103.vrt" | grep -A2 "PORT_OPEN 0\$" | paste -sd' ' >"$TMP/serial-1103.marks"
expect 0 "^mark sweep: port 0: PORT_OPEN 0 mark sweep: port 0 rx buffers posted, 2 now, the port kept from reading its \
waiting bytes mark sweep: port 0: PORT_OPEN 1\$" "" cat "$TMP/serial-1103.marks"
# ... and without MULTIPORT (seed 282147, features without bit 1) by a status write without DRIVER_OK and one
# with it: bytes typed for port 0 before any rx buffer wait in the pipe, and the guest posts its first ones so.
expect 0 "" "" "$VR" record --scenario sweep-serial --device console --seed 282147 -o "$TMP/serial-282147.vrt"
grep "^mark sweep: \(features\|status\|port 0 rx\)" "$TMP/serial-282147.vrt" | head -4 | paste -sd' ' \
	>"$TMP/serial-282147.marks"
expect 0 "^mark sweep: features 0x10120000004, .* mark sweep: status written 0x0b mark sweep: port 0 rx buffers \
posted, 2 now, the port kept from reading its waiting bytes mark sweep: status written 0x0f\$" "" \
	cat "$TMP/serial-282147.marks"
# sweep-mq on its other devices: the header's queue count shapes the device (config fields, queues).
for d in scsi net; do
	expect 0 "" "" "$VR" record --scenario sweep-mq --device $d --seed 4 -o "$TMP/mq-$d.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/mq-$d.vrt"
done
expect 0 "^queues 256 256 256 256 256 256 256 256 256$" "" grep "^queues" "$TMP/mq-scsi.vrt"
expect 2 "" "does not run on rng" "$VR" record --scenario sweep-mq --device rng -o "$TMP/x.vrt"
expect 2 "" "does not run on blk" "$VR" record --scenario sweep-scsi --device blk -o "$TMP/x.vrt"
expect 2 "" "does not run on blk" "$VR" record --scenario sweep-net --device blk -o "$TMP/x.vrt"
# Usage.
expect 2 "^$" "unknown device 'floppy'" "$VR" sweep --device floppy
expect 2 "^$" "unknown sweep scenario 'nosuch'" "$VR" sweep --scenario nosuch
expect 2 "^$" "exclude each other" "$VR" sweep --machine --scenario common
expect 2 "^$" "bad --count" "$VR" sweep --count 0
expect 3 "^$" "qemu missing" "$VR" sweep --qemu /nonexistent/qemu --count 1
# Against QEMU 7.2: every machine-layer scenario on two devices (a few seconds).
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP: qemu-system-x86_64 not found: the sweep against QEMU did not run"
	finish
fi
"$VR" sweep --machine --device blk,scsi --count 23 --seed 100 --quiet --keep "$TMP/keep" >"$TMP/sweep.out" 2>&1
status=$?
cat "$TMP/sweep.out"
# No difference may remain in the machine layer (guest RAM the device models wrote is theirs).
expect 0 "^23 scenarios compared, [0-9]+ differ \([0-9]+ differences; 0 in machine-layer scenarios\)" "" \
	cat "$TMP/sweep.out"
expect 0 "" "" test "$status" -le 1
expect 0 "" "" test -s "$TMP/keep/0000-common-blk.vrt"
# A reset by an 8-byte write over device_status keeps driver_feature's registers but not the device's
# features: at FEATURES_OK without a write since, VERSION_1 is not negotiated, so queue_enable 0 is no NEEDS_RESET.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario common --device scsi --count 1 --seed 148 --quiet
# Legacy guest_features writes at the stage's status (sweep-legacy): QEMU refuses them once FEATURES_OK is
# set and never copies them into driver_feature (seed 100: 11 of 16 differ without that).
expect 0 "^16 scenarios compared, 0 differ" "" "$VR" sweep --scenario legacy --device blk,scsi --count 16 --seed 100 --quiet
# The SCSI commands against QEMU 7.2's scsi-hd: no difference (issue 15).
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 4 --seed 100 --quiet
# blk requests against QEMU 7.2 (sweep-blk): no difference.
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-blk --device blk --count 4 --seed 200 --quiet
# A device broken before DRIVER_OK by a short discard segment after reads and writes in one notify (607 with
# MSI-X; 614, 615, 618 with INTx): their completions after the break set ISR bit 0 without an interrupt
# (QEMU's virtio_irq on a broken device); a model that leaves the ISR alone differs in each.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-blk --device blk --count 1 --seed 607 --quiet
expect 0 "^5 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-blk --device blk --count 5 --seed 614 --quiet
# The status written again after the writeback byte (seed 205): QEMU re-derives the cache mode from FLUSH
# at every DRIVER_OK write, not only the first.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-blk --device blk --count 1 --seed 205 --quiet
# The disk options (discard mode, write cache): seeds where they show. A DISCARD or an UNMAP that leaves
# the data under discard=unmap, a caching page that ignores the write cache or MODE SELECT, differs here.
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-blk --device blk --count 4 --seed 208 --quiet
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 4 --seed 250 --quiet
# MODE SELECT switching the block size (1024 bytes at 1018), READ CAPACITY and transfers after it; batches
# in one notify with framing errors and a SYNCHRONIZE CACHE(10) or READ/WRITE (each of 3030-3033 has some).
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 1 --seed 1018 --quiet
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 4 --seed 3030 --quiet
# Batches whose commands depend on each other (QEMU sets every command of a notify up before the first
# runs): REQUEST SENSE set up before a CHECK CONDITION of its batch, and a SYNCHRONIZE CACHE(10) that ends
# after the notify and takes the sense the batch left (5001-5004); a MODE SELECT's block size that does not
# size the READ(16) set up with it (5048); an unparsable CDB whose end finds no unit attention, since a
# later command of its batch took it when set up (5172). A model that runs each command as it pops it
# differs in each.
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 4 --seed 5001 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 1 --seed 5048 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 1 --seed 5172 --quiet
# ... and a batch with a request whose header is too short, at the end of some scenarios: QEMU breaks the
# device, uses and notifies the framing errors answered before it, and never runs the commands set up
# before it (5010: both; 5050, 5053, 5054, 5056, 5057: commands set up before it).
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 1 --seed 5010 --quiet
expect 0 "^8 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 8 --seed 5050 --quiet
# Batches whose commands lay a buffer (header, data-out, response, data-in) over what the command before
# them writes: the later command keeps the CDB it was set up with and reads the earlier one's data as its
# data-out. A model that reads data-out at setup differs in 7033 and 7034, one that reads the CDB when the
# command runs in 7034 and 7035.
expect 0 "^3 scenarios compared, 0 differ" "" "$VR" sweep --scenario sweep-scsi --device scsi --count 3 --seed 7033 --quiet
# net, console and rng traffic against QEMU 7.2: no difference (issue 15); each kind on its own device.
expect 0 "^6 scenarios compared, 0 differ" "" "$VR" sweep --scenario net,console,rng --count 6 --seed 100 --quiet
# rng under QEMU's backend requests (virtio_rng_process, chr_read): seeds 300000 and 300001 give entropy
# while requests are posted and not kicked (QEMU asked for none: it waits for the kick), 300003 and 300008
# reset with a request outstanding, which reads its old size into the chains posted after it (300008:
# the second chain completes with 19 bytes). A model that serves at once differs in 3 of 4 and in 300008.
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario rng --device rng --count 4 --seed 300000 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario rng --device rng --count 1 --seed 300008 --quiet
# A legacy net driver (sweep-net picks one seed in three): seed 2 acks BAD_FEATURE and gets MAC alone
# (virtio_net_bad_features), seeds 2 and 5 move frames without MRG_RXBUF behind the 10-byte legacy header.
# A model that puts the 12-byte header there differs in 2 of 4, one that answers BAD_FEATURE with no
# features in 1 (seed 2).
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario net --device net --count 4 --seed 2 --quiet
# Seed 48 ends with VLAN_ADD, the features written again with CTRL_VLAN (no reset) and a frame tagged with
# that VLAN: QEMU's virtio_net_set_features emptied the table and drops it; a model that kept the table
# delivered it.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario net --device net --count 1 --seed 48 --quiet
# virtio-serial with several ports, MULTIPORT control messages with and without ctrl-rx buffers: no difference.
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 4 --seed 100 --quiet
# ... and status writes: seed 1251's guest without MULTIPORT closes port 0, then writes DRIVER_OK again,
# which reopens it in QEMU's set_status (a model that reopens it only when DRIVER_OK comes back differs
# here, 6 differences; seed 107 showed this before the sweep typed bytes for port 0 with no rx buffer).
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 1 --seed 1251 --quiet
# ... and bytes waiting for a port the guest posts rx buffers on: QEMU reads them when its loop comes to the
# pipe, maybe before the kick (seed 1103 did, 6 differences), so the guest keeps the port from reading while
# it posts (PORT_OPEN 0, buffers, kick, PORT_OPEN 1) and the bytes arrive at the PORT_OPEN.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 1 --seed 1103 --quiet
# The device may be named as record takes it: "serial" is the console model, as is QEMU's name.
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --device serial --count 1 --seed 282000 --quiet
# ... and without MULTIPORT, where a status write without DRIVER_OK keeps the port from reading and the one with
# it gives it back (seed 282147: 3 differences, 8 runs of 8, if the guest posts without them).
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 1 --seed 282147 --quiet
# ... and PORT_OPEN 1 then PORT_OPEN 0 for a port with bytes waiting, in one notify: QEMU reads them only in its main
# loop, after control_out, so they keep waiting (seeds 283008 and 283182, 1 difference each with a model that hands
# them out at the PORT_OPEN 1).
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 1 --seed 283008 --quiet
expect 0 "^1 scenarios compared, 0 differ" "" "$VR" sweep --scenario serial --count 1 --seed 283182 --quiet
# Multiqueue against QEMU 7.2 (blk num-queues, scsi num_queues): no difference. net's pairs need a tap:
# tests/cli/sweep-mq-net.sh.
expect 0 "^12 scenarios compared, 0 differ" "" "$VR" sweep --scenario mq --device blk,scsi --count 12 --seed 300 --quiet
# Rings and buffers outside RAM (sweep-mmio, blk): seeds 4..27 put each ring in a hole, the descriptor
# table at 0, a ring across the end of RAM, buffers in holes one and two at a time and while the bounce
# buffer is held: no difference. A model that reads other than zeros there, maps a chain that needs the
# bounce buffer twice, or keeps a ring QEMU cannot map, differs here.
expect 0 "^24 scenarios compared, 0 differ" "" "$VR" sweep --scenario mmio --device blk --count 24 --seed 4 --quiet
# ... on rng: seed 8's descriptor table in a hole reads as one zero-length descriptor, which QEMU counts as
# no entropy to ask for (a model that pops it breaks the device); seeds 68 and 71 serve a buffer in a hole,
# then one that needs the bounce buffer twice breaks the device, after which chr_read's one notify is silent.
expect 0 "^10 scenarios compared, 0 differ" "" "$VR" sweep --scenario mmio --device rng --count 10 --seed 1 --quiet
expect 0 "^4 scenarios compared, 0 differ" "" "$VR" sweep --scenario mmio --device rng --count 4 --seed 68 --quiet
# ... on console: seeds 9 and 14 kick tx0 enabled at descriptor address 0 (QEMU calls no handler, so no
# interrupt); seeds 28 and 30 type into rx buffers larger than QEMU's 4 KiB chardev reads.
expect 0 "^6 scenarios compared, 0 differ" "" "$VR" sweep --scenario mmio --device console --count 6 --seed 9 --quiet
expect 0 "^3 scenarios compared, 0 differ" "" "$VR" sweep --scenario mmio --device console --count 3 --seed 28 --quiet
# One ring at an edge of the map (sweep-map), half of the time: seeds 280000..280029 start rings in
# unassigned space and run them into a BAR, the IOAPIC or the firmware (QEMU reads 0 throughout), put
# them inside pc.rom, from pc.rom into RAM or across 2^64 (QEMU cannot map them), and buffers inside
# pc.rom or from the gap below the firmware into it. A model whose unassigned ranges end where they are
# stated differs in 9 of these 30; one that bounces ROM reads or ends a bounce piece there, in 4.
expect 0 "^30 scenarios compared, 0 differ" "" "$VR" sweep --scenario map --device blk,rng,console --count 30 --seed 280000 --quiet
finish
