# tests/cli/trace-convert.sh -- convert: text <-> binary round trips are byte-exact; no half-written output
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/trace
for t in good-blk good-net; do
	expect 0 "" "" $VR convert $D/$t.vrt "$TMP/$t.vrb"
	expect 0 "" "" $VR convert "$TMP/$t.vrb" "$TMP/$t.vrt"
	$VR dump $D/$t.vrt > "$TMP/$t.canon"
	cmp -s "$TMP/$t.vrt" "$TMP/$t.canon" || { echo "FAIL: $t text->binary->text differs"; fails=$((fails + 1)); }
	# Canonical text -> binary -> text is byte-identical, whatever the chunk size and level.
	expect 0 "" "" $VR convert "$TMP/$t.vrt" "$TMP/$t.2.vrb" --chunk-size 64 --level 19
	expect 0 "" "" $VR convert "$TMP/$t.2.vrb" "$TMP/$t.2.vrt"
	cmp -s "$TMP/$t.2.vrt" "$TMP/$t.vrt" || { echo "FAIL: $t canonical round trip differs"; fails=$((fails + 1)); }
	# Binary -> binary keeps every event.
	expect 0 "" "" $VR convert "$TMP/$t.2.vrb" "$TMP/$t.3.vrb"
	$VR dump "$TMP/$t.3.vrb" | cmp -s - "$TMP/$t.vrt" || { echo "FAIL: $t binary->binary"; fails=$((fails + 1)); }
done
# Every bundled trace survives text -> binary -> text unchanged (as canonical text).
for f in "$srcdir"/traces/*.vrt "$srcdir"/traces/*/*.vrt; do
	[ -f "$f" ] || continue
	$VR dump "$f" > "$TMP/c.vrt" 2>/dev/null || continue
	if ! $VR convert "$f" "$TMP/c.vrb" --chunk-size 4096 || ! $VR convert "$TMP/c.vrb" "$TMP/d.vrt" ||
	    ! cmp -s "$TMP/c.vrt" "$TMP/d.vrt"; then
		echo "FAIL: round trip of $f"; fails=$((fails + 1))
	fi
done
# --to overrides the extension; "-" writes text to stdout.
expect 0 "" "" $VR convert $D/good-blk.vrt "$TMP/x.out" --to binary
expect 0 "^title hand-written blk smoke test$" "" $VR dump "$TMP/x.out"
expect 0 "^vrt 1$" "" $VR convert $D/good-blk.vrb -
# A damaged input leaves neither OUT nor OUT.tmp behind.
expect 2 "" "trunc-chunk.vrb: event 13 \(offset 0x19d\): trace is truncated" $VR convert $D/trunc-chunk.vrb "$TMP/t.vrt"
[ ! -e "$TMP/t.vrt" ] && [ ! -e "$TMP/t.vrt.tmp" ] || { echo "FAIL: half-written output left"; fails=$((fails + 1)); }
expect 2 "" "bad-hex.vrt: event 1 \(offset 0x24\): line 4: bad hex digit at column 17" $VR convert $D/bad-hex.vrt "$TMP/h.vrb"
[ ! -e "$TMP/h.vrb" ] && [ ! -e "$TMP/h.vrb.tmp" ] || { echo "FAIL: half-written output left"; fails=$((fails + 1)); }
# An existing OUT survives a failed conversion untouched.
echo keep > "$TMP/k.vrt"
expect 2 "" "" $VR convert $D/bad-crc.vrb "$TMP/k.vrt"
[ "$(cat "$TMP/k.vrt")" = keep ] || { echo "FAIL: existing output clobbered"; fails=$((fails + 1)); }
# Usage errors.
expect 2 "" "cannot tell the format of" $VR convert $D/good-blk.vrt "$TMP/x.txt"
expect 2 "" "--to must be text or binary" $VR convert $D/good-blk.vrt "$TMP/x.vrb" --to zip
expect 2 "" "--level must be 1..19" $VR convert $D/good-blk.vrt "$TMP/x.vrb" --level 0
expect 2 "" "--level must be 1..19" $VR convert $D/good-blk.vrt "$TMP/x.vrb" --level 20
expect 2 "" "--chunk-size must be" $VR convert $D/good-blk.vrt "$TMP/x.vrb" --chunk-size 10
expect 2 "" "need an input and an output" $VR convert $D/good-blk.vrt
expect 0 "^usage: virtio-replay convert IN OUT" "" $VR convert --help
expect 2 "" "No such file or directory" $VR convert $D/good-blk.vrt "$TMP/nodir/x.vrb"
finish
