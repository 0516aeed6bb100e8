# tests/cli/hostile-budget.sh -- a small trace cannot make the device work without end: a budget proportional to the trace
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/replay
one_error() {
	n=$(wc -l < "$TMP/err")
	if [ "$n" -ne 1 ] || ! grep -Eq -- "^virtio-replay: $2" "$TMP/err"; then
		echo "FAIL: $1: want one line /virtio-replay: $2/, got:"; cat "$TMP/err"; fails=$((fails + 1))
	fi
}
EVAT='event [0-9]+ \(offset 0x[0-9a-f]+\): '

# 2 KB that move the avail index back and notify, ten times over: 655,361 requests and
# gigabytes of --db and --log output before. The requests are reads, which QEMU finishes
# after the notify: the second notify fills the queue (256 in flight), the next pop meets
# QEMU's in-flight limit ("Virtqueue size exceeded") and the device stays broken.
T=$D/avail-back-notify10.vrt
"$VR" replay --json --budget 0 --budget-bytes 0 "$T" > "$TMP/r.json"
expect 0 '"requests":261,' "" cat "$TMP/r.json"
expect 0 '"name":"too-many-in-flight","event":50,' "" cat "$TMP/r.json"
# The same trace with GET_ID requests, which QEMU answers at once: they never fill the
# queue, and the work bound per notify (a queue's worth, 256, per guest action) keeps the
# whole trace, without any budget, to 19 notifies' worth.
T=$D/avail-back-notify10-getid.vrt
"$VR" replay --json --budget 0 --budget-bytes 0 "$T" > "$TMP/w.json"
n=$(sed -n 's/.*"requests":\([0-9]*\),.*/\1/p' "$TMP/w.json")
[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -le $((20 * 256)) ] || { echo "FAIL: '$n' requests served without a budget"; fails=$((fails + 1)); }
expect 0 "" "" "$VR" replay --quiet --budget 0 --budget-bytes 0 --to 51 --log "$TMP/w.log" "$T"
expect 0 "work bound: 256 chains taken on one guest action" "" grep -m1 "work bound" "$TMP/w.log"
# The budget still stops it, with the event named.
expect 2 "" "" "$VR" replay --quiet --budget 1000 --db "$TMP/b.db" --log "$TMP/b.log" "$T"
one_error "budget" "$T: ${EVAT}work budget exceeded: more than 1000 requests served"
ev=$(sed -n 's/.*: event \([0-9]*\) (offset.*/\1/p' "$TMP/err")
n=$(grep -c ' txn ' "$TMP/b.log")
[ "$n" -gt 0 ] && [ "$n" -le 131072 ] || { echo "FAIL: $n requests in the log"; fails=$((fails + 1)); }
[ "$(wc -c < "$TMP/b.log")" -lt 300000000 ] || { echo "FAIL: the log is $(wc -c < "$TMP/b.log") bytes"; fails=$((fails + 1)); }
# Nothing already written is lost: the run is stored, marked bad input and incomplete.
expect 0 "^bad-input\|0\|" "" sqlite3 "$TMP/b.db" "select outcome, complete, events from runs"
# The event named is where the last stored request came from.
last=$(grep ' txn ' "$TMP/b.log" | tail -1 | sed 's/^#\([0-9]*\) .*/\1/')
[ "$ev" = "$last" ] || { echo "FAIL: budget names event $ev, last request at $last"; fails=$((fails + 1)); }

# --budget sets it: lower, and 0 for none (the whole trace then runs).
expect 2 "" "" "$VR" replay --quiet --budget 100 "$T"
one_error "--budget 100" "$T: ${EVAT}work budget exceeded: more than 100 requests served"
expect 2 "" "" "$VR" replay --quiet --budget-bytes 4K "$T"
one_error "--budget-bytes 4K" "$T: ${EVAT}work budget exceeded: more than 4096 bytes written into guest RAM"
# 5 requests, then one notify after the jump serves 256, not 65,532.
expect 0 "\"requests\":261," "" "$VR" replay --json --budget 0 --budget-bytes 0 --to 51 "$T"
expect 2 "" "bad --budget" "$VR" replay --budget x "$T"
# --json says it too.
expect 2 '"outcome":"bad-input".*"error":".*work budget exceeded' "work budget exceeded" \
	"$VR" replay --json --budget 1000 "$T"

# The bundled library fits the default budget with room to spare.
for t in "$srcdir"/traces/*.vrt; do
	"$VR" replay --quiet --budget 1000 --budget-bytes 1M "$t" > /dev/null 2> "$TMP/err"
	grep -q "budget" "$TMP/err" && { echo "FAIL: $t needs more than a small budget"; fails=$((fails + 1)); }
done

# A few bytes naming an indirect table of 512208 entries whose first entry loops on itself with
# zero length: QEMU's count walks the whole table before it says "Looped descriptor"; the model
# finds the cycle past 65536 descriptors and works out where QEMU ends (crosschecked in
# qemu-count.sh), so a table of 2^28 entries costs no more.
sed '/^mark mixed i\/o/,$d' "$srcdir/traces/qemu/rng-basic.vrt" >"$TMP/long-loop.vrt"
cat "$srcdir/tests/data/count/rng-long-loop.tail" >>"$TMP/long-loop.vrt"
expect 0 "^violation desc-loop at event [0-9]+ .*more descriptors than 512208 in its table" \
	": matched$" "$VR" replay "$TMP/long-loop.vrt"

# QEMU's console counts its posted rx buffers at every turn of its main loop, which in a replay is
# every guest store: 128 avail slots naming one indirect table of 65536 chained zero-length buffers
# (1 MB written once) make each later 12-byte store read 8 million descriptors. The budget on
# descriptors read to count stops the run after a few, with one message (before: 9 events a second).
sed '/^mark mixed i\/o/,$d' "$srcdir/traces/qemu/console-basic.vrt" >"$TMP/count.vrt"
awk 'BEGIN {
	for (o = 0; o < 65536 * 16; o += 4096) {
		line = sprintf("mem 0x%x ", 1075838976 + o)	# 0x40200000
		for (i = o / 16; i < (o + 4096) / 16; i++)
			line = line sprintf("0000304000000000%08x%s%02x%02x", 0, i < 65535 ? "0300" : "0200",
			    (i + 1) % 256, int((i + 1) / 256) % 256)
		print line
	}
	print "mem 0x40010000 00002040000000000000100004000000"
	line = "mem 0x40010800 00008000"
	for (i = 0; i < 128; i++)
		line = line "0000"
	print line
	for (i = 0; i < 600; i++)
		printf "mem 0x40400000 %08x\n", i
}' >>"$TMP/count.vrt"
expect 2 "" "" timeout 60 "$VR" replay --quiet "$TMP/count.vrt"
one_error "count walk" "$TMP/count.vrt: ${EVAT}work budget exceeded: more than [0-9]+ descriptors read to count posted buffers"
finish
