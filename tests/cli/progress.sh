# tests/cli/progress.sh -- progress counted in events (text and compressed binary alike), with rate and time left; off in logs
. "$srcdir/tests/cli/lib.sh"
"$VR" record --scenario bulk --count 1500 -o "$TMP/big.vrt" || { echo "FAIL: record"; exit 1; }
"$VR" convert "$TMP/big.vrt" "$TMP/big.vrb" || { echo "FAIL: convert"; exit 1; }
n=$("$VR" info --json "$TMP/big.vrb" | sed 's/.*"events":\([0-9]*\).*/\1/')
[ "$n" -gt 8192 ] || { echo "FAIL: the trace is too short for progress ($n events)"; exit 1; }
# shape LINE-REGEX FILE WHAT: every stderr line that starts with the label matches
shape() {
	grep -q "^$1" "$3" || { echo "FAIL: $4: no progress line"; cat "$3"; fails=$((fails + 1)); return; }
	if grep "^$1" "$3" | grep -Evq "$2"; then
		echo "FAIL: $4: a progress line is not of the form /$2/"; grep "^$1" "$3"; fails=$((fails + 1))
	fi
}
for t in big.vrt big.vrb; do
	"$VR" replay "$TMP/$t" --progress --quiet 2>"$TMP/err"
	# the total is the trace's event count, whatever the file's size or compression
	shape "replay: " "^replay: ([0-9]+/$n events \([0-9]+%\), [0-9]+ events/s, [0-9]+:[0-9]{2} left|$n events in [0-9.]+ s, [0-9]+ events/s)$" "$TMP/err" "replay $t"
	grep -Eq "^replay: 4096/$n events" "$TMP/err" || { echo "FAIL: replay $t: no update at event 4096"; fails=$((fails + 1)); }
	grep -Eq "^replay: $n events in " "$TMP/err" || { echo "FAIL: replay $t: no closing line"; fails=$((fails + 1)); }
done
# Without --progress and without a terminal (a CI log): nothing.
"$VR" replay "$TMP/big.vrb" --quiet 2>"$TMP/err"
[ ! -s "$TMP/err" ] || { echo "FAIL: progress in a log without --progress"; cat "$TMP/err"; fails=$((fails + 1)); }
"$VR" replay "$TMP/big.vrb" 2>"$TMP/err"
! grep -q "events/s," "$TMP/err" || { echo "FAIL: progress in a log without --progress"; fails=$((fails + 1)); }
# check: events of the traces done over the suite's, and how many traces.
mkdir -p "$TMP/suite" && cp "$TMP/big.vrb" "$TMP/suite/a.vrb" && cp "$TMP/big.vrt" "$TMP/suite/b.vrt"
"$VR" check -j 1 --progress "$TMP/suite" >/dev/null 2>"$TMP/err"
shape "check: " "^check: ([0-9]+/$((2 * n)) events \([0-9]+%\), [0-9]+ events/s, [0-9]+:[0-9]{2} left, [12] traces done|$((2 * n)) events in [0-9.]+ s, [0-9]+ events/s|2 traces, 2 passed, 0 failed)$" "$TMP/err" "check"
grep -q "^check: $n/$((2 * n)) events (50%)" "$TMP/err" || { echo "FAIL: check: no line after the first trace"; cat "$TMP/err"; fails=$((fails + 1)); }
# minimize: replays, their rate, and the events left of the original's.
m=$("$VR" info --json "$srcdir/traces/diverge/used-len.vrt" | sed 's/.*"events":\([0-9]*\).*/\1/')
"$VR" minimize "$srcdir/traces/diverge/used-len.vrt" -o "$TMP/min.vrt" -q --progress 2>"$TMP/err"
shape "minimize: " "^minimize: ([0-9]+ replays, [0-9]+ replays/s, [0-9]+ of $m events left|[0-9]+ replays in [0-9.]+ s, [0-9]+ replays/s)$" "$TMP/err" "minimize"
# import: events written of those the input holds.
"$VR" export "$TMP/big.vrt" --to qtest -q -o "$TMP/big.sh" || { echo "FAIL: export"; exit 1; }
"$VR" import "$TMP/big.sh" -o "$TMP/back.vrt" -q --progress 2>"$TMP/err"
k=$("$VR" info --json "$TMP/back.vrt" | sed 's/.*"events":\([0-9]*\).*/\1/')
shape "import: " "^import: ([0-9]+/$k events \([0-9]+%\), [0-9]+ events/s, [0-9]+:[0-9]{2} left|$k events in [0-9.]+ s, [0-9]+ events/s)$" "$TMP/err" "import"
finish
