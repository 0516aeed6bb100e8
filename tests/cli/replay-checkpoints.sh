# tests/cli/replay-checkpoints.sh -- replay --checkpoints FILE: a replay leaves device checkpoints, --from starts at them
. "$srcdir/tests/cli/lib.sh"
# section LOG N: the log from event N's first line up to (not including) the run-end line.
section() {
	sed -n "/^#$2 /,/^== run end/p" "$1" | grep -v '^== run end'
}
for fmt in vrt vrb; do
	tr=$TMP/t.$fmt
	ck=$TMP/t.$fmt.ckpt
	# No checkpoint in the trace itself (as in an imported one): --from replays from the start.
	"$VR" record --scenario bulk --count 300 --seed 5 -o "$tr" || { echo "FAIL: record"; fails=$((fails + 1)); continue; }
	"$VR" replay "$tr" --quiet --log "$TMP/full.log" || { echo "FAIL: full replay of $tr"; fails=$((fails + 1)); }
	expect 0 "" "" "$VR" replay "$tr" --quiet --checkpoints "$ck" --checkpoint-every 700
	[ -s "$ck" ] || { echo "FAIL: $tr: no checkpoint file written"; fails=$((fails + 1)); }
	for n in 1 500 1401 2900 4100; do
		expect 0 "" ": matched$" "$VR" replay "$tr" --from $n --checkpoints "$ck" --log "$TMP/from.log"
		if [ $n -ge 1000 ] && ! grep -q "started from checkpoint at event" "$TMP/err"; then
			echo "FAIL: $tr: --from $n did not start from a checkpoint of the file"; fails=$((fails + 1))
		fi
		section "$TMP/full.log" $n >"$TMP/a"
		section "$TMP/from.log" $n >"$TMP/b"
		if [ ! -s "$TMP/a" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
			echo "FAIL: $tr: --from $n with checkpoints differs from the full replay from event $n on"
			diff "$TMP/a" "$TMP/b" | head -10
			fails=$((fails + 1))
		fi
	done
	# The start is the last checkpoint at or before N, so at most one interval is replayed unreported.
	expect 0 "" "" "$VR" replay "$tr" --from 4100 --checkpoints "$ck"
	at=$(sed -n 's/.*started from checkpoint at event \([0-9]*\).*/\1/p' "$TMP/err")
	if [ -z "$at" ] || [ "$at" -gt 4100 ] || [ $((4100 - at)) -gt 700 ]; then
		echo "FAIL: $tr: --from 4100 started at '$at', not within the last 700 events"; fails=$((fails + 1))
	fi
	# cut starts at them too, and writes the same trace.
	expect 0 "" "" "$VR" cut "$tr" --from 3900 --to 4000 -o "$TMP/cut0.vrt"
	expect 0 "" "" "$VR" cut "$tr" --from 3900 --to 4000 --checkpoints "$ck" -o "$TMP/cut1.vrt"
	cmp -s "$TMP/cut0.vrt" "$TMP/cut1.vrt" || { echo "FAIL: $tr: cut with checkpoints differs"; fails=$((fails + 1)); }
	# A torn end (a replay killed while writing) loses only the last checkpoint.
	size=$(wc -c <"$ck")
	head -c $((size - 10)) "$ck" >"$TMP/torn.ckpt"
	cp "$TMP/torn.ckpt" "$TMP/torn.keep"
	expect 0 "" "started from checkpoint" "$VR" replay "$tr" --from 4100 --checkpoints "$TMP/torn.ckpt"
	cmp -s "$TMP/torn.ckpt" "$TMP/torn.keep" || { echo "FAIL: $tr: a file read for --from was changed"; fails=$((fails + 1)); }
done
# Another trace's file is not used: it is written anew for this one.
expect 0 "" "" "$VR" replay "$TMP/t.vrb" --from 4100 --checkpoints "$TMP/t.vrt.ckpt" --checkpoint-every 700
grep -q "started from checkpoint" "$TMP/err" && { echo "FAIL: another trace's checkpoints were used"; fails=$((fails + 1)); }
cmp -s "$TMP/t.vrt.ckpt" "$TMP/t.vrb.ckpt" || { echo "FAIL: the rewritten file differs from the one a full replay wrote"; fails=$((fails + 1)); }
expect 0 "" "started from checkpoint" "$VR" replay "$TMP/t.vrb" --from 4100 --checkpoints "$TMP/t.vrt.ckpt"
# A trace touched (same bytes, new time) still has its checkpoints, by its SHA-256.
touch "$TMP/t.vrb"
expect 0 "" "started from checkpoint" "$VR" replay "$TMP/t.vrb" --from 4100 --checkpoints "$TMP/t.vrt.ckpt"
# Usage.
expect 2 "" "needs --checkpoints" "$VR" replay "$TMP/t.vrb" --checkpoint-every 10
expect 2 "" "" "$VR" replay "$TMP/t.vrb" --checkpoints "$TMP/no/such/dir/f"
finish
