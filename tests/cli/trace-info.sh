# tests/cli/trace-info.sh -- info: header facts, counts per kind, duration, chunks, JSON
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/trace
expect 0 "^format     binary, version 1$" "" $VR info $D/good-blk.vrb
for pat in "^device     blk \(virtio id 2\)$" \
    "^features   0x130000044 \(SEG_MAX BLK_SIZE RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1\)$" \
    "^recorded   dma irq$" "^queues     1: 256$" "^ram        0x200000-0x20ffff \(0x10000 bytes\)$" \
    "^events     20$" "^  cfg-read    2$" "^  time        3$" "^duration   4096 ns \(virtual\)$" \
    "^chunks     5 \(all CRCs good\), seek index present$" "^backend    disk size 0x100000$" \
    "^title      hand-written blk smoke test$"; do
	grep -Eq -- "$pat" "$TMP/out" || { echo "FAIL: info good-blk.vrb lacks /$pat/"; fails=$((fails + 1)); }
done
expect 0 "^format     text, version 1$" "" $VR info $D/good-blk.vrt
grep -q "^events     20$" "$TMP/out" || { echo "FAIL: text event count"; fails=$((fails + 1)); }
expect 0 '"kinds":\{"cfg-read":2,"cfg-write":1,"bar-read":1,"bar-write":2,"mem":2,"dma":1,"irq":2,"input":3,"checkpoint":1,"mark":2,"time":3\}' \
    "" $VR info --json $D/good-blk.vrb
expect 0 '"chunks":5,"indexed":true' "" $VR info $D/good-blk.vrb --json
expect 0 '^\{"file":".*good-net.vrt","format":"text","version":1,"device":"net","layout":"vbox","features":"0x100010020","feature_names":\["MAC","STATUS","VERSION_1"\]' "" $VR info --json $D/good-net.vrt
expect 0 '"duration_ns":32' "" $VR info --json $D/good-net.vrt
if command -v python3 >/dev/null 2>&1; then
	$VR info --json $D/good-blk.vrb | python3 -c 'import json,sys; json.load(sys.stdin)' ||
		{ echo "FAIL: info --json is not JSON"; fails=$((fails + 1)); }
fi
# The disk options: stated or not, info says them for a disk; binary keeps them.
expect 0 "^disk       discard ignore, write-cache on$" "" $VR info $D/good-blk.vrt
printf 'vrt 1\ndevice scsi\ndiscard unmap\nwrite-cache off\nram 0x0 0x10000\n---\n' > "$TMP/opts.vrt"
expect 0 "^disk       discard unmap, write-cache off$" "" $VR info "$TMP/opts.vrt"
expect 0 '"discard":"unmap","write_cache":"off"' "" $VR info --json "$TMP/opts.vrt"
expect 0 "" "" $VR convert "$TMP/opts.vrt" "$TMP/opts.vrb"
expect 0 "^disk       discard unmap, write-cache off$" "" $VR info "$TMP/opts.vrb"
expect 0 "^discard unmap$" "" $VR dump "$TMP/opts.vrb"
printf 'vrt 1\ndevice net\nwrite-cache off\n---\n' > "$TMP/net-opts.vrt"
expect 2 "" "discard and write-cache are facts of a disk \(blk or scsi\), not of net" $VR info "$TMP/net-opts.vrt"
expect 2 "" "usage: virtio-replay info" $VR info
expect 2 "" "unknown option" $VR info --xml $D/good-blk.vrb
expect 0 "^usage: virtio-replay info TRACE" "" $VR info --help
finish
