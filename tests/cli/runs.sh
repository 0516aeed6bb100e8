# tests/cli/runs.sh -- the runs command, refusals with exit 2, and every example query of virtio-replay-db(5)
. "$srcdir/tests/cli/lib.sh"
fill=$builddir/sink-fill
db=$TMP/replay.db
# (an empty output file never matches a grep pattern, so emptiness is checked here)
no_stdout() { [ ! -s "$TMP/out" ] || { echo "FAIL: unexpected stdout"; cat "$TMP/out"; fails=$((fails + 1)); }; }
no_stderr() { [ ! -s "$TMP/err" ] || { echo "FAIL: unexpected stderr"; cat "$TMP/err"; fails=$((fails + 1)); }; }

"$fill" "$db" complete || { echo "FAIL: sink-fill"; exit 1; }
"$fill" "$db" aborted || { echo "FAIL: sink-fill"; exit 1; }

expect 0 "^ +ID +SHA256 +DEVICE +LAYOUT +OUTCOME +COMPLETE +EVENTS +DIV +VIOL +STARTED +TRACE$" "" $VR runs "$db"
no_stderr
expect 0 "^ +1 +0123456789ab +blk +qemu +diverged +yes +6 +1 +1 +20[0-9-]+T[0-9:]+Z +traces/blk-basic.vrt$" "" $VR runs "$db"
expect 0 "^ +2 +0123456789ab +blk +qemu +aborted +no +4 +1 +1 " "" $VR runs "$db"
[ "$(wc -l <"$TMP/out")" -eq 3 ] || { echo "FAIL: runs: want 3 lines"; cat "$TMP/out"; fails=$((fails + 1)); }
expect 0 '^\[$' "" $VR runs --json "$db"
expect 0 '"id": 1, "trace": "traces/blk-basic.vrt", "trace_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"' "" $VR runs "$db" --json
expect 0 '"outcome": "aborted", "complete": false, "events": 4' "" $VR runs "$db" --json
expect 0 '"features_negotiated": "0x0000000100000006"' "" $VR runs "$db" --json
if command -v python3 >/dev/null 2>&1; then
	$VR runs "$db" --json | python3 -c 'import json, sys; r = json.load(sys.stdin); assert len(r) == 2 and r[0]["complete"] is True' ||
		{ echo "FAIL: runs --json is not the expected JSON"; fails=$((fails + 1)); }
fi
[ ! -e "$db-wal" ] && [ ! -e "$db-shm" ] || { echo "FAIL: runs left -wal/-shm files"; fails=$((fails + 1)); }

# an empty database lists nothing
"$fill" "$TMP/empty.db" complete >/dev/null
expect 0 "^ +1 " "" $VR runs "$TMP/empty.db"

# refusals
expect 2 "" "^virtio-replay: $TMP/nosuch.db: No such file or directory$" $VR runs "$TMP/nosuch.db"
no_stdout
printf 'plain text, not a database at all; long enough to fill a header.........\n' >"$TMP/text.db"
expect 2 "" "text.db: not a virtio-replay database" $VR runs "$TMP/text.db"
expect 2 "" "runs: missing database" $VR runs
expect 2 "" "runs: unknown option '--frob'" $VR runs --frob "$db"
expect 2 "" "one database at a time" $VR runs "$db" "$db"
expect 2 "" "not a directory|not a regular file" $VR runs "$TMP"

# A real replay into a database with a run already in it, then its rows through the views.
if [ -f "$srcdir/traces/blk-basic.vrt" ]; then
	cp "$db" "$TMP/real.db"
	"$VR" replay "$srcdir/traces/blk-basic.vrt" --db "$TMP/real.db" >/dev/null 2>&1
	expect 0 "^ +3 +[0-9a-f]{12} +blk +qemu +matched +yes +[0-9]+ +0 +0 .*traces/blk-basic.vrt$" "" $VR runs "$TMP/real.db"
fi

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "sqlite3 shell not installed: skipping the man page examples and schema refusals"
	finish
fi
sqlite3 "$TMP/other.db" "CREATE TABLE t (x)"
expect 2 "" "other.db: not a virtio-replay database" $VR runs "$TMP/other.db"
cp "$db" "$TMP/newer.db"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 4"
expect 2 "" "newer.db: schema version 4 is newer than this program's 3" $VR runs "$TMP/newer.db"
no_stdout

# A version-1 database: listed with a note, refused by replay --db, converted by runs --upgrade
# into rows that read back exactly as the same replays stored by this program.
sqlite3 "$TMP/v1.db" <"$srcdir/tests/data/db/v1-runs.sql"
expect 0 "^ +3 +[0-9a-f]{12} +blk +qemu +diverged +yes " "runs --upgrade $TMP/v1.db" $VR runs "$TMP/v1.db"
expect 2 "" "v1.db: schema version 1 is older than this program's 3; convert it with 'virtio-replay runs --upgrade" \
	$VR replay "$srcdir/traces/blk-basic.vrt" --db "$TMP/v1.db"
expect 2 "" "no --json with it" $VR runs --upgrade --json "$TMP/v1.db"
expect 0 "v1.db: converted from schema version 1 to 3" "" $VR runs --upgrade "$TMP/v1.db"
no_stderr
expect 0 "v1.db: already schema version 3" "" $VR runs --upgrade "$TMP/v1.db"
expect 0 "^ +3 +[0-9a-f]{12} +blk +qemu +diverged +yes " "" $VR runs "$TMP/v1.db"
no_stderr
# (The net run is a vbox recording, which the program of version 1 replays the same as this one.)
(cd "$srcdir" && for t in traces/blk-basic.vrt tests/data/db/net-vbox.vrt traces/diverge/dma-bytes.vrt; do
	"$VR" replay "$t" --db "$TMP/v2.db" >/dev/null 2>&1; done)
for q in "SELECT * FROM events ORDER BY run, event, sub" "SELECT * FROM descriptors ORDER BY run, txn, seq" \
	"SELECT * FROM buffers ORDER BY run, txn, dir" "SELECT * FROM dma ORDER BY run, id" \
	"SELECT * FROM interrupts ORDER BY run, id" "SELECT * FROM frames" "SELECT * FROM divergences" \
	"SELECT * FROM v_queue_stats" "SELECT * FROM v_txn_summary" "SELECT * FROM v_events" \
	"SELECT * FROM irq_stats ORDER BY run, msix, vector"; do
	sqlite3 "$TMP/v1.db" "$q" >"$TMP/q.up"
	sqlite3 "$TMP/v2.db" "$q" >"$TMP/q.v2"
	[ -s "$TMP/q.v2" ] && cmp -s "$TMP/q.up" "$TMP/q.v2" ||
		{ echo "FAIL: upgraded database differs from a fresh one: $q"; fails=$((fails + 1)); }
done
# A version-2 database (no irq_stats): converted to version 3 with the counts a fresh run stores.
cp "$TMP/v2.db" "$TMP/old2.db"
sqlite3 "$TMP/old2.db" "DROP TABLE irq_stats; UPDATE schema_version SET version = 2; PRAGMA user_version = 2"
expect 2 "" "old2.db: schema version 2 is older than this program's 3; convert it with 'virtio-replay runs --upgrade" \
	$VR replay "$srcdir/traces/blk-basic.vrt" --db "$TMP/old2.db"
expect 0 "old2.db: converted from schema version 2 to 3" "" $VR runs --upgrade "$TMP/old2.db"
q="SELECT * FROM irq_stats ORDER BY run, msix, vector"
[ -n "$(sqlite3 "$TMP/v2.db" "$q")" ] && [ "$(sqlite3 "$TMP/old2.db" "$q")" = "$(sqlite3 "$TMP/v2.db" "$q")" ] ||
	{ echo "FAIL: irq_stats after runs --upgrade from version 2 differs from a fresh one"; fails=$((fails + 1)); }
[ "$(sqlite3 "$TMP/v2.db" "SELECT group_concat(vector || ':' || interrupts) FROM irq_stats WHERE run = 1 AND msix = 1")" = \
	"$(sqlite3 "$TMP/v2.db" "SELECT group_concat(vector || ':' || n) FROM (SELECT vector, count(*) AS n FROM interrupts
		WHERE run = 1 AND msix = 1 GROUP BY vector ORDER BY vector)")" ] ||
	{ echo "FAIL: irq_stats does not count the interrupts rows"; fails=$((fails + 1)); }
echo "-- not a database" >"$TMP/bad.sql.db"
expect 2 "" "bad.sql.db: not a virtio-replay database" $VR runs --upgrade "$TMP/bad.sql.db"

if [ -f "$TMP/real.db" ]; then
	expect 0 "^blk OUT sector=[0-9]+ len=[0-9]+ status=OK$" "" sqlite3 "$TMP/real.db" \
		"SELECT summary FROM v_txn_summary WHERE run = 3 ORDER BY id LIMIT 1"
	expect 0 "^1$" "" sqlite3 "$TMP/real.db" \
		"SELECT (SELECT events FROM runs WHERE id = 3) = (SELECT count(*) FROM events WHERE run = 3)"
	expect 0 "^1$" "" sqlite3 "$TMP/real.db" \
		"SELECT count(*) > 0 FROM v_events WHERE run = 3 AND reg LIKE 'common.%' AND recorded = value"
	expect 0 "^0$" "" sqlite3 "$TMP/real.db" \
		"SELECT count(*) FROM transactions t WHERE run = 3 AND ndesc <> (SELECT count(*) FROM descriptors d
		 WHERE d.run = 3 AND d.txn = t.id)"
fi

# Every `$ sqlite3 replay.db "..."` example of the man page, as printed, one file each.
awk -v dir="$TMP" '
	/^\$ sqlite3 / { n++; f = dir "/example." n; cmd = substr($0, 3); q = gsub(/"/, "\"", cmd)
		print cmd >f; if (q % 2 == 0) { close(f); f = "" }; next }
	f != "" { print >f; q += gsub(/"/, "\"", $0); if (q % 2 == 0) { close(f); f = "" }; next }
' "$srcdir/man/virtio-replay-db.5"
n=0
for ex in "$TMP"/example.*; do
	[ -f "$ex" ] || continue
	n=$((n + 1))
	(cd "$TMP" && sh "$ex") >"$TMP/ex.out" 2>"$TMP/ex.err"
	st=$?
	if [ $st -ne 0 ] || [ -s "$TMP/ex.err" ] || [ ! -s "$TMP/ex.out" ]; then
		echo "FAIL: man example (exit $st, or no output):"; cat "$ex" "$TMP/ex.err"
		fails=$((fails + 1))
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL: found only $n man page examples"; fails=$((fails + 1)); }
finish
