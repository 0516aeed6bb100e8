# tests/cli/dump-annotate.sh -- dump --annotate names what the device made of each event; --queue/--region/--grep filter
. "$srcdir/tests/cli/lib.sh"
T="$srcdir/traces"

expect 0 "" "^$" "$VR" dump "$T/blk-basic.vrt" --annotate
# Every event line is numbered, with its offset.
grep -v '^#[0-9]' "$TMP/out" | grep -Eq '^(cfg|bar|mem|dma|irq|input|mark|time) ' &&
	{ echo "FAIL: an event line without #N"; fails=$((fails + 1)); }
grep -Eq '^#0 0x[0-9a-f]+  ' "$TMP/out" || { echo "FAIL: event 0 not numbered"; fails=$((fails + 1)); }
# The header stays canonical, event numbers are those of the trace.
head -1 "$TMP/out" | grep -q '^vrt 1$' || { echo "FAIL: header missing"; fails=$((fails + 1)); }
n=$("$VR" info "$T/blk-basic.vrt" | awk '$1 == "events" { print $2; exit }')
[ "$(grep -c '^#[0-9]' "$TMP/out")" -eq "$n" ] || { echo "FAIL: not one annotated line per event ($n)"; fails=$((fails + 1)); }
# Register names with their queue, values read, transactions, interrupts, ring fields of recorded dma.
grep -Eq '^#[0-9]+ 0x[0-9a-f]+  bar r 4 0x18 2 = 0x100  ; common.queue_size \(queue0\); -> 0x100$' "$TMP/out" ||
	{ echo "FAIL: queue_size read not annotated"; fails=$((fails + 1)); }
grep -Eq 'notify\[0\] \(queue0\); txn requestq.head\[0\] OUT sector=[0-9]+ len=512 OK; irq msix 1' "$TMP/out" ||
	{ echo "FAIL: notify not annotated with its transaction and interrupt"; fails=$((fails + 1)); }
grep -Eq '  dma 0x[0-9a-f]+ [0-9a-f]{16}  ; requestq.used.ring\[0\]$' "$TMP/out" ||
	{ echo "FAIL: recorded used-ring dma not named"; fails=$((fails + 1)); }

grep -Eq '  mem 0x[0-9a-f]+ [0-9a-f]{4}  ; requestq.avail.idx$' "$TMP/out" ||
	{ echo "FAIL: guest store of avail.idx not named"; fails=$((fails + 1)); }
grep -Eq '  mem 0x[0-9a-f]+ [0-9a-f]{32}  ; requestq.desc\[0\].addr$' "$TMP/out" ||
	{ echo "FAIL: guest store of a descriptor not named"; fails=$((fails + 1)); }
# --queue: only lines touching requestq (after the first transaction names it).
expect 0 "requestq" "" "$VR" dump "$T/blk-basic.vrt" --annotate --queue requestq
sed 1,/^backend/d "$TMP/out" | grep -v '^title\|^#.*requestq' | grep -q . &&
	{ echo "FAIL: --queue requestq let other lines through"; sed 1,/^backend/d "$TMP/out" | grep -v 'requestq' | head -3; fails=$((fails + 1)); }
# --region: only common-config accesses; without --annotate the lines are canonical text.
expect 0 "^bar w 4 0x16 2 0x0$" "" "$VR" dump "$T/blk-basic.vrt" --region common
grep -E '^(cfg|mem|dma|irq|input) ' "$TMP/out" && { echo "FAIL: --region common printed non-common events"; fails=$((fails + 1)); }
grep -q '^bar .* 0x3000 ' "$TMP/out" && { echo "FAIL: --region common printed a notify"; fails=$((fails + 1)); }
# --grep: the violation of a malformed trace.
expect 0 "violation desc-loop" "" "$VR" dump "$T/malformed/desc-loop.vrt" --annotate --grep "violation desc-loop"
[ "$(grep -c '^#' "$TMP/out")" -ge 1 ] || { echo "FAIL: --grep found nothing"; fails=$((fails + 1)); }
# --from/--count still select the slice.
expect 0 "^#116 " "" "$VR" dump "$T/blk-basic.vrt" --annotate --from 116 --count 2
[ "$(grep -c '^#' "$TMP/out")" -eq 2 ] || { echo "FAIL: --from 116 --count 2 did not print 2 events"; fails=$((fails + 1)); }

expect 0 "^bar r 4 0x203c 4 = 0xffffffff$" "" "$VR" dump "$T/malformed/devcfg-range.vrt" --region device
grep -Eqv '^(bar [rw] 4 0x2[0-9a-f]{3} |vrt|device|layout|features|recorded|queues|devcfg|ram|backend|title)' "$TMP/out" &&
	{ echo "FAIL: --region device printed other events"; grep -Ev '^(bar [rw] 4 0x2|vrt|device|layout|features|recorded|queues|devcfg|ram|backend|title)' "$TMP/out" | head -3; fails=$((fails + 1)); }
expect 2 "" "bad --region" "$VR" dump "$T/blk-basic.vrt" --region nowhere
expect 2 "" "must be a file" "$VR" dump - --annotate
finish
