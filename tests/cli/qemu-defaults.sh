# tests/cli/qemu-defaults.sh -- the qemu profile's defaults are QEMU 7.2's: recordings replay the same with a bare header
# Every trace recorded from QEMU (traces/qemu/) is replayed twice: as recorded, and with its
# header cut down to what a user states (device, layout, RAM, backends: no features, queues,
# devcfg or PCI identity). The device the simulator builds from its defaults must answer
# exactly as from the recorded facts: the same exit status and the same reports, and the
# traces QEMU matches (.expect "exit 0") must still match. A fact the recording's QEMU command
# line set away from QEMU's default (event_idx=off, vectors=N, serial=) stays in the header
# (bare_header in lib.sh).
. "$srcdir/tests/cli/lib.sh"
n=0
for t in "$srcdir"/traces/qemu/*.vrt; do
	[ -f "$t" ] || continue
	n=$((n + 1))
	b=$(basename "$t" .vrt)
	mkdir -p "$TMP/full" "$TMP/bare"
	cp "$t" "$TMP/full/$b.vrt"
	bare_header "$t" "$TMP/bare/$b.vrt"
	if cmp -s "$TMP/full/$b.vrt" "$TMP/bare/$b.vrt"; then
		echo "FAIL: $t: nothing stripped from its header"
		fails=$((fails + 1))
		continue
	fi
	(cd "$TMP/full" && "$VR" replay --lenient "$b.vrt" >"$TMP/full.out" 2>"$TMP/full.err")
	fst=$?
	(cd "$TMP/bare" && "$VR" replay --lenient "$b.vrt" >"$TMP/bare.out" 2>"$TMP/bare.err")
	bst=$?
	# File offsets move with the header; everything else must be the same.
	for f in full bare; do
		sed -E 's/offset 0x[0-9a-f]+/offset X/; s/^( *>? +[0-9]+) \(0x[0-9a-f]+\)/\1 (X)/' "$TMP/$f.out" >"$TMP/$f.norm"
	done
	want=$(awk '$1 == "exit" { print $2 }' "${t%.vrt}.expect")
	if [ "$bst" != "$fst" ] || ! cmp -s "$TMP/full.norm" "$TMP/bare.norm"; then
		echo "FAIL: $t: with a bare header: exit $bst, as recorded: exit $fst; first difference:"
		diff "$TMP/full.norm" "$TMP/bare.norm" | head -20
		fails=$((fails + 1))
	elif [ "$want" = 0 ] && [ "$bst" != 0 ]; then
		echo "FAIL: $t: exit $bst with a bare header, QEMU's recording matches as recorded"
		head -20 "$TMP/bare.out"
		fails=$((fails + 1))
	fi
done
# QEMU's default virtio-serial-pci (no max_ports, no vectors on its command line): the bare header
# states the device type and RAM only, and the device built from it (31 ports, 64 queues of 128 and
# 32 entries, MULTIPORT, 2 vectors) matches the recording.
t=$srcdir/traces/qemu/console-sweep-serial-default.vrt
expect 0 "" "" grep -q "^mark qemu -device virtio-serial-pci,disable-legacy" "$t"
expect 0 "^queues 128 128 32 32( 128){60}$" "" grep "^queues" "$t"
bare_header "$t" "$TMP/default.vrt"
expect 1 "" "" grep -Eq "^(features|queues|devcfg|msix-vectors) " "$TMP/default.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/default.vrt"
[ "$n" -ge 20 ] || { echo "FAIL: only $n QEMU recordings under $srcdir/traces/qemu"; fails=$((fails + 1)); }
finish
