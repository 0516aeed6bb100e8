# tests/cli/cut-basic.sh -- cut N..M gives a self-contained trace that replays like the original from N to M
. "$srcdir/tests/cli/lib.sh"
# norm LOG: the log body without event numbers and file offsets (they differ between the two traces).
norm() {
	sed -n '/^#/,$p' "$1" | grep -v '^== run end' |
		sed -e 's/#[0-9][0-9]*/#N/g' -e 's/event [0-9][0-9]*/event N/g' -e 's/offset 0x[0-9a-f]*/offset X/g'
}
"$VR" record --scenario bulk --count 200 --checkpoint-every 400 --seed 5 -o "$TMP/src.vrt"
for range in "1000 1400" "1500 2900" "0 300"; do
	set -- $range
	expect 0 "" "" "$VR" cut "$TMP/src.vrt" --from $1 --to $2 -o "$TMP/cut.vrt"
	start=$1
	grep -q "the cut starts at event" "$TMP/err" && start=$(sed -n 's/.*the cut starts at event \([0-9]*\).*/\1/p' "$TMP/err")
	# The cut starts with a mark, (time), and a checkpoint; then event `start` of the original.
	expect 0 "^checkpoint " "" head -20 "$TMP/cut.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/cut.vrt" --log "$TMP/cut.log"
	expect 0 "" ": matched$" "$VR" replay "$TMP/src.vrt" --from $start --to $2 --log "$TMP/src.log"
	# The cut's own first events (mark, time, checkpoint) have no counterpart in the original range.
	norm "$TMP/cut.log" | sed '1,/checkpoint/d' >"$TMP/a"
	norm "$TMP/src.log" | sed "1,/^#N/{/^#N/!d}" >"$TMP/b"
	if [ ! -s "$TMP/a" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
		echo "FAIL: cut $1..$2 replays differently from the original from $start to $2"
		diff "$TMP/a" "$TMP/b" | head -10
		fails=$((fails + 1))
	fi
done
# A cut to binary, and a cut of a cut.
expect 0 "" "" "$VR" cut "$TMP/src.vrt" --from 1000 --to 2000 -o "$TMP/cut.vrb"
expect 0 "" ": matched$" "$VR" replay "$TMP/cut.vrb"
expect 0 "" "" "$VR" cut "$TMP/cut.vrb" --from 200 --to 600 -o "$TMP/cut2.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/cut2.vrt"
# Starting on a device output moves back to the guest event that caused it.
n=$(awk '/^(cfg|bar|mem|dma|irq|input|checkpoint|mark|time) / { if ($1 == "dma" && c > 1000) { print c; exit } c++ }' "$TMP/src.vrt")
expect 0 "" "is a device output; the cut starts at event" "$VR" cut "$TMP/src.vrt" --from "$n" --to 2000 -o "$TMP/cut3.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/cut3.vrt"
# Usage.
expect 2 "" "-o OUT is required" "$VR" cut "$TMP/src.vrt" --from 1 --to 2
expect 2 "" "missing TRACE" "$VR" cut -o x.vrt
expect 2 "" "nosuch" "$VR" cut "$TMP/nosuch.vrt" --from 1 --to 2 -o "$TMP/x.vrt"
finish
