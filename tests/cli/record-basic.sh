# tests/cli/record-basic.sh -- record: the scenario table, every device, seeds, formats, usage
. "$srcdir/tests/cli/lib.sh"
expect 0 "^SCENARIO +DEVICES +WHAT IT DOES" "" "$VR" record --list
# Every violation name has a scenario of that name.
for v in desc-loop desc-next-range avail-head-range avail-idx-jump indirect-bad-len indirect-nested \
	indirect-with-next indirect-outside-ram desc-order desc-zero-len sg-too-many chain-len-overflow \
	buffer-outside-ram ring-addr-bad queue-size-bad queue-select-range queue-not-ready queue-enable-bad \
	too-many-in-flight features-bad devcfg-range bar-access-bad checkpoint-bad; do
	expect 0 "^$v +blk +misbehaviour: " "" "$VR" record --list
done
for s in init basic indirect event-idx no-event-idx msix msix-shared intx reset wrap bulk; do
	expect 0 "^$s " "" "$VR" record --list
done
# Every device type, every generic scenario: recorded, then replayed clean.
for d in blk net scsi rng console; do
	for s in init basic indirect event-idx no-event-idx msix msix-shared intx; do
		expect 0 "" "" "$VR" record --device $d --scenario $s -o "$TMP/$d-$s.vrt"
		expect 0 "" ": matched$" "$VR" replay "$TMP/$d-$s.vrt"
	done
	expect 0 "^device $d$" "" head -3 "$TMP/$d-basic.vrt"
	expect 0 "^recorded dma irq$" "" head -6 "$TMP/$d-basic.vrt"
done
# The vbox layout.
expect 0 "" "" "$VR" record --scenario basic --layout vbox -o "$TMP/vbox.vrt"
expect 0 "^layout vbox$" "" head -4 "$TMP/vbox.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/vbox.vrt"
# Default output: text on stdout; the same seed gives the same trace, another seed another one.
"$VR" record --scenario basic --seed 1 >"$TMP/s1a.vrt"
"$VR" record --scenario basic --seed 1 -o "$TMP/s1b.vrt"
"$VR" record --scenario basic --seed 2 -o "$TMP/s2.vrt"
cmp -s "$TMP/s1a.vrt" "$TMP/s1b.vrt" || { echo "FAIL: same seed, different traces"; fails=$((fails + 1)); }
# (the title line names the seed; the payloads must differ too)
grep -v '^title' "$TMP/s1a.vrt" >"$TMP/a"; grep -v '^title' "$TMP/s2.vrt" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && { echo "FAIL: seeds 1 and 2 gave the same events"; fails=$((fails + 1)); }
# Binary by extension, and --format; checkpoints every K events.
expect 0 "" "" "$VR" record --scenario basic -o "$TMP/b.vrb"
expect 0 "binary" "" "$VR" info "$TMP/b.vrb"
expect 0 "" ": matched$" "$VR" replay "$TMP/b.vrb"
expect 0 "" "" "$VR" record --scenario basic --checkpoint-every 50 -o "$TMP/ck.vrt"
n=$(grep -c '^checkpoint ' "$TMP/ck.vrt")
[ "$n" -ge 3 ] || { echo "FAIL: --checkpoint-every 50 wrote $n checkpoints"; fails=$((fails + 1)); }
expect 0 "" "checkpoint [1-9]" "$VR" replay "$TMP/ck.vrt"
# bulk --count N: N requests.
expect 0 "" "" "$VR" record --scenario bulk --count 500 -o "$TMP/bulk.vrb"
expect 0 "" "requests +500$" "$VR" replay "$TMP/bulk.vrb"
# The wrap scenario starts from a checkpoint and crosses 65535.
expect 0 "" "" "$VR" record --scenario wrap -o "$TMP/wrap.vrt"
expect 0 "^mem 0x[0-9a-f]+ ffff$" "" grep '^mem' "$TMP/wrap.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/wrap.vrt"
# Usage.
expect 2 "" "--scenario is required" "$VR" record --device blk
expect 2 "" "unknown scenario 'nope'" "$VR" record --scenario nope
expect 2 "" "unknown device 'floppy'" "$VR" record --device floppy --scenario basic
expect 2 "" "does not run on net" "$VR" record --device net --scenario wrap
expect 2 "" "unknown layout" "$VR" record --scenario basic --layout sparc
expect 2 "" "bad --count" "$VR" record --scenario bulk --count 0
expect 2 "" "" "$VR" record --scenario basic -o /nonexistent/dir/x.vrt
finish
