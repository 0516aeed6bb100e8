# bench-db.sh -- SQLite store ingest in event rows/s, against the sqlite3 shell's .import of the same rows as CSV
# Environment: builddir (bench-db lives there), BENCH_DB_ROWS (default 1000000), BENCH_BIGTRACE + VR (optional).
set -eu
: "${builddir:?}"
rows=${BENCH_DB_ROWS:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench-db.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ns() { date +%s%N; }

set -- $("$builddir/bench-db" "$rows" "$tmp/sink.db")
n=$1 secs=$2 cpu=$3
ours=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
echo "store ingest: $n event rows in ${secs}s = $ours rows/s (target >= 500000)"
awk -v n="$n" -v c="$cpu" 'BEGIN { printf "store ingest CPU: %.3fs = %.0f rows per CPU second\n", c, n / c }'

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "sqlite3 shell not found: no .import comparison"
	exit 0
fi
# The same rows, as CSV (blobs as hex text, the nearest CSV can carry).
sqlite3 -csv "$tmp/sink.db" "SELECT run, event, sub, file_offset, vtime, kind, space, addr, size, value,
	recorded, reg, len, hex(bytes) FROM events" >"$tmp/rows.csv"
csvrows=$(wc -l <"$tmp/rows.csv")
# The same table shape and the same pragmas as the store.
timer=
if [ -x /usr/bin/time ]; then timer="/usr/bin/time -f %U+%S -o $tmp/import.cpu"; fi
schema=$(sqlite3 "$tmp/sink.db" "SELECT sql FROM sqlite_master WHERE name = 'events'")
t0=$(ns)
$timer sqlite3 "$tmp/import.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
$schema;
.import --csv $tmp/rows.csv events
SQL
t1=$(ns)
imported=$(sqlite3 "$tmp/import.db" "SELECT count(*) FROM events")
[ "$imported" -eq "$csvrows" ] || { echo "import loaded $imported of $csvrows rows"; exit 1; }
awk -v n="$csvrows" -v t="$((t1 - t0))" -v ours="$ours" 'BEGIN {
	imp = n / (t / 1e9)
	printf "sqlite3 .import: %d rows in %.6fs = %.0f rows/s\n", n, t / 1e9, imp
	printf "ratio store/.import: %.2f (target >= 1.0)\n", ours / imp
}'
if [ -s "$tmp/import.cpu" ]; then
	awk -v n="$csvrows" -v cpu="$cpu" '{ split($0, a, "+"); c = a[1] + a[2]
		printf "sqlite3 .import CPU: %.3fs = %.0f rows per CPU second; CPU ratio %.2f\n", c, n / c, c / cpu }' "$tmp/import.cpu"
fi

# A whole replay into the store: the given trace, or a recorded bulk blk trace.
big=${BENCH_BIGTRACE:-}
if [ -z "$big" ] && [ -x "${VR:-}" ] && "$VR" record --scenario bulk --count 50000 -o "$tmp/bulk.vrb" >/dev/null 2>&1; then
	big=$tmp/bulk.vrb
	export BENCH_BIGTRACE="bulk.vrb (record --scenario bulk --count 50000)"
fi
if [ -n "$big" ] && [ -f "$big" ] && [ -x "${VR:-}" ]; then
	t0=$(ns)
	"$VR" replay "$big" >/dev/null 2>&1 || true
	t1=$(ns)
	awk -v t="$((t1 - t0))" 'BEGIN { printf "replay without sinks: %.3fs\n", t / 1e9 }'

	t0=$(ns)
	"$VR" replay "$big" --db "$tmp/replay.db" >/dev/null 2>&1 || true   # outcome does not matter here
	t1=$(ns)
	ev=$(sqlite3 "$tmp/replay.db" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
	all=$(sqlite3 "$tmp/replay.db" "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM transactions)
		+ (SELECT count(*) FROM descriptors) + (SELECT count(*) FROM buffers) + (SELECT count(*) FROM dma)
		+ (SELECT count(*) FROM interrupts)" 2>/dev/null || echo 0)
	awk -v n="$ev" -v a="$all" -v t="$((t1 - t0))" 'BEGIN { s = t / 1e9
		printf "replay --db %s: %d event rows (%d rows in all) in %.3fs = %.0f event rows/s, %.0f rows/s\n",
		    ENVIRON["BENCH_BIGTRACE"], n, a, s, n / s, a / s }'
fi
