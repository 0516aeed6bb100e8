# tests/cli/trace-dump.sh -- dump: canonical text of both forms, --from/--count/--kind, usage errors
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/trace
# The hand-written text and its binary form dump to the same canonical text.
expect 0 "^vrt 1$" "" $VR dump $D/good-blk.vrt
cmp -s "$TMP/out" $D/good-blk.canon.vrt || { echo "FAIL: dump good-blk.vrt is not canonical"; fails=$((fails + 1)); }
expect 0 "^vrt 1$" "" $VR dump $D/good-blk.vrb
cmp -s "$TMP/out" $D/good-blk.canon.vrt || { echo "FAIL: dump good-blk.vrb differs"; fails=$((fails + 1)); }
# Text from standard input.
$VR dump - < $D/good-blk.vrt > "$TMP/stdin.vrt" 2>&1 && cmp -s "$TMP/stdin.vrt" $D/good-blk.canon.vrt ||
	{ echo "FAIL: dump - (stdin)"; fails=$((fails + 1)); }
# --from uses the index (good-blk.vrb has 5 chunks); events 5..7.
for f in $D/good-blk.vrb $D/good-blk.vrt; do
	expect 0 "" "" $VR dump $f --from 5 --count 3
	tail -n 3 "$TMP/out" > "$TMP/slice"
	printf 'bar w 4 0x8 8 0xffffffffffffffff\nmem 0x7f000 001122334455\nmem 0x7f010\n' > "$TMP/want"
	cmp -s "$TMP/slice" "$TMP/want" || { echo "FAIL: --from 5 --count 3 on $f"; cat "$TMP/slice"; fails=$((fails + 1)); }
	expect 0 "^time 0x1000$" "" $VR dump $f --from 19
	expect 0 "^title " "" $VR dump $f --from 20
	expect 2 "" "event 21 is beyond the end \(the trace has 20 events\)" $VR dump $f --from 21
done
# --kind: repeatable and comma lists; "cfg" means both directions.
expect 0 "" "" $VR dump $D/good-blk.vrb --kind cfg,irq --kind time
[ "$(grep -cE '^(cfg|irq|time) ' "$TMP/out")" -eq 8 ] && [ "$(grep -cE '^(bar|mem|dma|input|mark|checkpoint) ' "$TMP/out")" -eq 0 ] ||
	{ echo "FAIL: --kind filter"; fails=$((fails + 1)); }
expect 0 "^bar r 4 0x14 1 = 0x1$" "" $VR dump $D/good-blk.vrt --kind=bar-read
expect 2 "" "bad --kind 'bogus'" $VR dump $D/good-blk.vrt --kind bogus
expect 2 "" "bad --from" $VR dump $D/good-blk.vrt --from x
expect 2 "" "usage: virtio-replay dump" $VR dump
expect 2 "" "usage: virtio-replay dump" $VR dump a b
expect 2 "" "unknown option '--frob'" $VR dump --frob $D/good-blk.vrt
expect 0 "^usage: virtio-replay dump TRACE" "" $VR dump --help
expect 2 "" "nosuch.vrt: No such file or directory" $VR dump $D/nosuch.vrt
# A file built by an independent writer (mkbad.py: raw zstd block) reads.
expect 0 "^mark ok$" "" $VR dump $D/good-raw.vrb
finish
