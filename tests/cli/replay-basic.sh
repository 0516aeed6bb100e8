# tests/cli/replay-basic.sh -- replay: outcomes, exit statuses, summary, --json, --quiet, bad traces, usage
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# empty out|err: the last expect's stream was empty (grep cannot match an empty file).
empty() {
	if [ -s "$TMP/$1" ]; then
		echo "FAIL: std$1 of the last command is not empty:"; head -5 "$TMP/$1"; fails=$((fails + 1))
	fi
}
# Matched: summary on stderr, nothing on stdout.
expect 0 "" ": matched$" "$VR" replay "$T/blk-basic.vrt"
empty out
expect 0 "" "^  requests +[1-9]" "$VR" replay "$T/blk-basic.vrt"
expect 0 "" "queue 0 requestq +OUT +[1-9]" "$VR" replay "$T/blk-basic.vrt"
expect 0 "" "events/s" "$VR" replay "$T/blk-basic.vrt"
# Options after the trace work too; --quiet drops the summary.
expect 0 "" "" "$VR" replay --quiet "$T/blk-basic.vrt"
empty out
empty err
expect 0 "^\{\"trace\":.*\"outcome\":\"matched\"" "" "$VR" replay "$T/blk-basic.vrt" --json
empty err
expect 0 "\"transactions\":\[\{\"queue\":0,\"name\":\"requestq\"" "" "$VR" replay "$T/blk-basic.vrt" --json
# Violations are reported, not failures.
expect 0 "^violation desc-loop at event [0-9]+ \(offset 0x[0-9a-f]+\) queue 0" ": matched$" \
	"$VR" replay "$T/malformed/desc-loop.vrt"
expect 0 "" "" "$VR" replay --quiet "$T/malformed/desc-loop.vrt"
empty out
expect 0 "\"violations\":\[\{\"name\":\"desc-loop\",\"event\":[0-9]+" "" "$VR" replay "$T/malformed/desc-loop.vrt" --json
# Divergence: exit 1 and the report on stdout.
expect 1 "^.*read-value.vrt: event [0-9]+ \(offset 0x[0-9a-f]+\): divergence in common.device_status$" ": diverged$" \
	"$VR" replay "$T/diverge/read-value.vrt"
expect 1 "register: common.device_status \(bar 4 \+ 0x14, 1 bytes\)" "" "$VR" replay "$T/diverge/read-value.vrt"
expect 1 "^  > +[0-9]+ \(0x[0-9a-f]+\)  bar r 4 0x14 1 = 0x4f$" "" "$VR" replay "$T/diverge/read-value.vrt"
expect 1 "\"outcome\":\"diverged\".*\"first_divergence\":[0-9]+" "" "$VR" replay "$T/diverge/read-value.vrt" --json
# --lenient goes on after the first divergence: two edits, two divergences.
awk '/^irq msix/ { $3 = $3 + 5 } { print }' "$T/blk-basic.vrt" >"$TMP/irqs.vrt"
expect 1 "" "divergences  [2-9]" "$VR" replay "$TMP/irqs.vrt" --lenient
expect 1 "" "divergences  1 " "$VR" replay "$TMP/irqs.vrt"
# A guest-side-only recording (no outputs declared or present) replays clean.
grep -v '^dma \|^irq \|^recorded ' "$T/blk-basic.vrt" >"$TMP/guest-only.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/guest-only.vrt"
expect 0 "" "dma writes +[1-9]" "$VR" replay "$TMP/guest-only.vrt"
# Outputs declared as recorded but missing from the trace: divergence.
grep -v '^irq ' "$T/blk-basic.vrt" >"$TMP/no-irq.vrt"
expect 1 "divergence in msix vector" "" "$VR" replay "$TMP/no-irq.vrt"
# --layout overrides the trace's profile: a qemu recording cannot match the vbox register map.
expect 1 "divergence in" "" "$VR" replay "$T/blk-basic.vrt" --layout vbox
# Bad traces: one message naming file, event and offset; exit 2.
expect 2 "" "nosuch.vrt" "$VR" replay "$TMP/nosuch.vrt"
awk '{ print } /^mark mixed/ { print "mem 0x1000 00" }' "$T/blk-basic.vrt" >"$TMP/outside.vrt"
expect 2 "" "outside.vrt: event [0-9]+ \(offset 0x[0-9a-f]+\): guest store of 1 bytes at 0x1000 lies outside the declared RAM" \
	"$VR" replay "$TMP/outside.vrt"
head -c 3000 "$T/blk-basic.vrt" >"$TMP/trunc.vrt"
expect 2 "" "trunc.vrt: .*event [0-9]+ \(offset 0x[0-9a-f]+\)" "$VR" replay "$TMP/trunc.vrt"
# ... and what was stored before the error is kept, marked incomplete.
expect 2 "" "" "$VR" replay "$TMP/outside.vrt" --db "$TMP/bad.db"
expect 0 "^0\|[1-9]" "" sqlite3 "$TMP/bad.db" "select complete, events from runs"
# Usage errors.
expect 2 "" "missing TRACE" "$VR" replay
expect 2 "" "too many arguments" "$VR" replay a.vrt b.vrt
expect 2 "" "unknown layout 'pdp11'" "$VR" replay "$T/blk-basic.vrt" --layout pdp11
expect 2 "" "bad --from" "$VR" replay "$T/blk-basic.vrt" --from x
expect 2 "" "--to 3 is before --from 5" "$VR" replay "$T/blk-basic.vrt" --from 5 --to 3
expect 2 "" "unknown option" "$VR" replay "$T/blk-basic.vrt" --frobnicate
# --to stops early: fewer events, still matched.
expect 0 "" "events +10[0-9] " "$VR" replay "$T/blk-basic.vrt" --to 99
# SIGTERM: stops at an event boundary, keeps the run (incomplete), exits 143.
"$VR" record --scenario bulk --count 200000 -o "$TMP/big.vrb"
"$VR" replay "$TMP/big.vrb" --db "$TMP/sig.db" >/dev/null 2>"$TMP/sig.err" &
pid=$!
# Wait until the database exists (the handler is in place by then), then let it run a little.
i=0
while [ ! -s "$TMP/sig.db" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -TERM $pid
wait $pid
st=$?
if [ "$st" -ne 143 ] && [ "$st" -ne 0 ]; then
	echo "FAIL: replay killed by SIGTERM exited $st, want 143"; cat "$TMP/sig.err"; fails=$((fails + 1))
fi
if [ "$st" -eq 143 ]; then
	grep -q "interrupted by signal 15" "$TMP/sig.err" || { echo "FAIL: no interruption message"; fails=$((fails + 1)); }
	expect 0 "^0\|stopped" "" sqlite3 "$TMP/sig.db" "select complete, outcome from runs"
fi
finish
