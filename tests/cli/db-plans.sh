# tests/cli/db-plans.sh -- every example query of virtio-replay-db(5) answers without a full scan of a per-event table
# (EXPLAIN QUERY PLAN; the timings on a 4M-event database are in `make bench`, bench/bench-db.sh)
. "$srcdir/tests/cli/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 shell not installed: skipped"; exit 77; }
db=$TMP/replay.db
for t in traces/blk-basic.vrt traces/net-basic.vrt traces/diverge/dma-bytes.vrt; do
	"$VR" replay "$srcdir/$t" --db "$db" >/dev/null 2>&1
done
"$VR" record --scenario desc-loop -o "$TMP/loop.vrt" >/dev/null 2>&1 && "$VR" replay "$TMP/loop.vrt" --db "$db" >/dev/null 2>&1
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs")" -ge 3 ] || { echo "FAIL: no database to look at"; exit 1; }

awk -v dir="$TMP" '
	/^\$ sqlite3 / { n++; f = dir "/example." n; cmd = substr($0, 3); q = gsub(/"/, "\"", cmd)
		print cmd >f; if (q % 2 == 0) { close(f); f = "" }; next }
	f != "" { print >f; q += gsub(/"/, "\"", $0); if (q % 2 == 0) { close(f); f = "" }; next }
' "$srcdir/man/virtio-replay-db.5"
# Tables whose rows are per run or per anomaly (small by nature) may be scanned; partial indexes hold
# only the rows a question asks for, so walking one is not a full scan; a VIRTUAL TABLE is json_each over one
# transaction's descriptor chain.
small='runs|divergences|violations'
partial=$(sqlite3 "$db" "SELECT group_concat(name, '|') FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'")
n=0
for ex in "$TMP"/example.*; do
	sql=$(awk 'BEGIN { RS = "\0" } { s = index($0, "\""); e = length($0); while (substr($0, e, 1) != "\"") e--
		print substr($0, s + 1, e - s - 1) }' "$ex")
	case $sql in
	*"FROM v_txn_summary WHERE run = 1 ORDER BY id"*) continue ;;	# lists a whole run: as long as its output
	esac
	n=$((n + 1))
	sqlite3 "$db" "EXPLAIN QUERY PLAN $sql" >"$TMP/plan" 2>&1 || { echo "FAIL: cannot plan: $sql"; cat "$TMP/plan"; fails=$((fails + 1)); continue; }
	bad=$(grep -E 'SCAN ' "$TMP/plan" | grep -Ev "SCAN ($small|v_[a-z_]+|\(subquery-[0-9]+\))( |$)" |
		grep -Ev "USING (COVERING )?INDEX ($partial)( |$)| VIRTUAL TABLE " || true)
	if [ -n "$bad" ]; then
		echo "FAIL: full scan for: $sql"
		cat "$TMP/plan"
		fails=$((fails + 1))
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL: checked only $n examples"; fails=$((fails + 1)); }
finish
