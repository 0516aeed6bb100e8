# bench-db.sh -- the store and the log at replay speed: every issue-13 target as a ratio measured in this run, with a verdict
# Run by `make bench` with $VR, $srcdir and $builddir set. Traces are recorded here (record --scenario bulk
# / bulk-4k: the model driver's requests, payloads as a guest writes them), never committed.
# Times are CPU seconds (user + system) of the best of BENCH_REPEAT runs (default 3): the machine is shared,
# and CPU time is what a loaded machine does not inflate; wall seconds are printed next to them.
# Environment: BENCH_REQUESTS (default 75000: ~1M events), BENCH_BIG (default 300000: ~4M events; 0 skips
# the query timings), BENCH_REPEAT.
set -eu
: "${VR:?VR must name the built virtio-replay}"
: "${srcdir:?}"
: "${builddir:?}"
req=${BENCH_REQUESTS:-75000}
big=${BENCH_BIG:-300000}
rep=${BENCH_REPEAT:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench-db.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || { echo "bench-db: needs /usr/bin/time (Debian package time)"; exit 0; }
command -v sqlite3 >/dev/null 2>&1 || { echo "bench-db: needs the sqlite3 shell"; exit 0; }

# cpu CMD...: "CPU WALL" seconds of one run (output discarded; exit status ignored: outcome is not timed)
cpu() {
	/usr/bin/time -f "%U %S %e" -o "$tmp/time" "$@" >/dev/null 2>&1 || true
	awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$tmp/time"
}
# best PREP CMD...: the run with the least CPU of $rep; PREP (a shell command) runs before each
best() {
	prep=$1
	shift
	b=
	i=0
	while [ $i -lt "$rep" ]; do
		sh -c "$prep"
		r=$(cpu "$@")
		if [ -z "$b" ] || [ "$(echo "$r $b" | awk '{ print ($1 < $3) }')" = 1 ]; then b=$r; fi
		i=$((i + 1))
	done
	echo "$b"
}
pass=0 miss=0
# verdict NAME VALUE OP TARGET (OP: le or ge)
verdict() {
	if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !((op == "le") ? v <= t : v >= t) }'; then
		r=met; pass=$((pass + 1))
	else
		r="NOT met"; miss=$((miss + 1))
	fi
	printf '  %-58s %10.2f  (target %s %s: %s)\n' "$1" "$2" "$(echo "$3" | sed 's/le/<=/; s/ge/>=/')" "$4" "$r"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
first() { echo "$1" | awk '{ print $1 }'; }
wall() { echo "$1" | awk '{ print $2 }'; }

"$VR" record --scenario bulk --count "$req" -o "$tmp/main.vrb" >/dev/null
events=$("$VR" info "$tmp/main.vrb" | awk '$1 == "events" { print $2; exit }')
echo "trace: record --scenario bulk --count $req: $events events, $(wc -c <"$tmp/main.vrb") bytes binary"

# --- replay --db against the same replay without sinks
t_none=$(best "" "$VR" replay --quiet "$tmp/main.vrb")
t_db=$(best "rm -f '$tmp/b.db'" "$VR" replay --quiet "$tmp/main.vrb" --db "$tmp/b.db")
t_log=$(best "" "$VR" replay --quiet "$tmp/main.vrb" --log "$tmp/b.log")
t_all=$(best "rm -f '$tmp/a.db'" "$VR" replay --quiet "$tmp/main.vrb" --db "$tmp/a.db" --log "$tmp/a.log" \
	--pcap "$tmp/a.pcap")
printf 'CPU s (wall s):  no sinks %s (%s)   --db %s (%s)   --log %s (%s, %s bytes)   --db --log --pcap %s (%s)\n' \
	"$(first "$t_none")" "$(wall "$t_none")" "$(first "$t_db")" "$(wall "$t_db")" "$(first "$t_log")" \
	"$(wall "$t_log")" "$(wc -c <"$tmp/b.log")" "$(first "$t_all")" "$(wall "$t_all")"
rm -f "$tmp/b.log" "$tmp/a.log" "$tmp/a.db" "$tmp/a.pcap"

# --- rows-equivalent rate against sqlite3 .import of the version-1 schema's rows
old_rows=$(sqlite3 "$tmp/b.db" "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM transactions)
	+ (SELECT count(*) FROM descriptors) + (SELECT count(*) FROM buffers) + (SELECT count(*) FROM dma)
	+ (SELECT count(*) FROM interrupts)")
sqlite3 -csv "$tmp/b.db" "SELECT run, event, sub, file_offset, vtime, kind, space, addr, size, value,
	recorded, reg, len, hex(bytes) FROM events" >"$tmp/rows.csv"
csv_rows=$(wc -l <"$tmp/rows.csv")
cat >"$tmp/import.sql" <<SQL
PRAGMA page_size=16384;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE events (run INTEGER NOT NULL, event INTEGER NOT NULL, sub INTEGER NOT NULL,
  file_offset INTEGER, vtime INTEGER, kind INTEGER NOT NULL, space INTEGER, addr INTEGER, size INTEGER,
  value INTEGER, recorded INTEGER, reg INTEGER, len INTEGER, bytes BLOB,
  PRIMARY KEY (run, event, sub)) WITHOUT ROWID;
.import --csv $tmp/rows.csv events
SQL
t_imp=$(best "rm -f '$tmp/import.db'" sh -c "sqlite3 '$tmp/import.db' <'$tmp/import.sql'")
imported=$(sqlite3 "$tmp/import.db" "SELECT count(*) FROM events")
[ "$imported" -eq "$csv_rows" ] || { echo "bench-db: .import loaded $imported of $csv_rows rows"; exit 1; }
rate_ours=$(awk -v n="$old_rows" -v t="$(first "$t_db")" 'BEGIN { printf "%.0f", n / t }')
rate_imp=$(awk -v n="$csv_rows" -v t="$(first "$t_imp")" 'BEGIN { printf "%.0f", n / t }')
echo "replay --db: $old_rows version-1 rows (events, transactions, descriptors, buffers, dma, interrupts)" \
	"= $rate_ours rows per CPU s; sqlite3 .import: $csv_rows event rows = $rate_imp rows per CPU s"
rm -f "$tmp/import.db" "$tmp/rows.csv"

# --- SQLite's floor: the same rows copied by SQLite itself into the same tables (no binding, no replay,
# journal off; WHERE 1 keeps SQLite from copying records whole): what storing them costs at the least
tables="blobs event_rows transactions dma_rows interrupts"
{
	echo "PRAGMA page_size=32768; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	for t in $tables; do sqlite3 "$tmp/b.db" ".schema $t" | grep -v '^CREATE INDEX'; done
	echo "ATTACH '$tmp/b.db' AS o;"
	for t in $tables; do echo "INSERT INTO main.$t SELECT * FROM o.$t WHERE 1;"; done
} >"$tmp/floor.sql"
t_floor=$(best "rm -f '$tmp/floor.db'" sh -c "sqlite3 '$tmp/floor.db' <'$tmp/floor.sql'")
echo "SQLite alone storing the same rows (event, transaction, dma, interrupt rows and blobs): $(first "$t_floor")" \
	"CPU s ($(wall "$t_floor") wall)"
rm -f "$tmp/floor.db" "$tmp/floor.sql"

# --- database size against the binary and the text trace, 512-byte and 4 KiB requests
sizes=
for sc in bulk bulk-4k; do
	"$VR" record --scenario "$sc" --count 20000 -o "$tmp/$sc.vrb" >/dev/null
	"$VR" record --scenario "$sc" --count 20000 -o "$tmp/$sc.vrt" >/dev/null
	"$VR" replay --quiet "$tmp/$sc.vrb" --db "$tmp/$sc.db" >/dev/null 2>&1 || true
	sb=$(wc -c <"$tmp/$sc.vrb") st=$(wc -c <"$tmp/$sc.vrt") sd=$(wc -c <"$tmp/$sc.db")
	echo "$sc --count 20000: binary $sb, text $st, database $sd bytes"
	sizes="$sizes $sc $(ratio "$sd" "$sb") $(ratio "$sd" "$st")"
	rm -f "$tmp/$sc.vrb" "$tmp/$sc.vrt" "$tmp/$sc.db"
done

# --- the man page's example queries on a big database
qlines=
if [ "$big" -gt 0 ]; then
	"$VR" record --scenario bulk --count "$big" -o "$tmp/big.vrb" >/dev/null
	"$VR" replay --quiet "$tmp/big.vrb" --db "$tmp/replay.db" >/dev/null 2>&1 || true
	rm -f "$tmp/big.vrb"
	echo "big database: $(sqlite3 "$tmp/replay.db" "SELECT events FROM runs WHERE id = 1") events," \
		"$(wc -c <"$tmp/replay.db") bytes"
	# every `$ sqlite3 replay.db "..."` example, as tests/cli/runs.sh extracts them
	awk -v dir="$tmp" '
		/^\$ sqlite3 / { n++; f = dir "/example." n; cmd = substr($0, 3); q = gsub(/"/, "\"", cmd)
			print cmd >f; if (q % 2 == 0) { close(f); f = "" }; next }
		f != "" { print >f; q += gsub(/"/, "\"", $0); if (q % 2 == 0) { close(f); f = "" }; next }
	' "$srcdir/man/virtio-replay-db.5"
	for ex in "$tmp"/example.*; do
		# the SQL between the quotes; CPU ms inside the shell (.timer: user + sys), best of $rep
		sql=$(awk 'BEGIN { RS = "\0" } { s = index($0, "\""); e = length($0); while (substr($0, e, 1) != "\"") e--
			print substr($0, s + 1, e - s - 1) }' "$ex")
		rows=$(sqlite3 "$tmp/replay.db" "$sql" | wc -l)
		ms=
		i=0
		while [ $i -lt "$rep" ]; do
			m=$(printf '.timer on\n%s;\n' "$sql" | sqlite3 "$tmp/replay.db" |
				awk '/^Run Time: real/ { printf "%.1f", ($6 + $8) * 1000 }')
			if [ -z "$ms" ] || [ "$(echo "$m $ms" | awk '{ print ($1 < $2) }')" = 1 ]; then ms=$m; fi
			i=$((i + 1))
		done
		qlines="$qlines$(basename "$ex")|$rows|$ms|$(echo "$sql" | tr '\n\t' '  ' | tr -s ' ' | cut -c1-60)
"
	done
	rm -f "$tmp/replay.db"
fi

# --- binary trace reading against zstd -dc on the same frames
t_zstd= t_info=
if command -v zstd >/dev/null 2>&1 && [ -x "$builddir/bench/vr-gentrace" ]; then
	"$builddir/bench/vr-gentrace" --frames "$tmp/main.vrb" "$tmp/main.zst"
	t_zstd=$(best "" zstd -q -dc "$tmp/main.zst")
	t_info=$(best "" "$VR" info "$tmp/main.vrb")
fi

# --- seeking near the end of a trace without checkpoints of its own: a replay's checkpoint file
n_from=$((events - 1000))
t_from0=$(best "" "$VR" replay --quiet "$tmp/main.vrb" --from "$n_from")
t_ckw=$(best "rm -f '$tmp/main.ckpt'" "$VR" replay --quiet "$tmp/main.vrb" --checkpoints "$tmp/main.ckpt")
# these two are short: five runs timed together, so the clock's 10 ms steps do not decide the verdict
t_from1=$(best "" sh -c "for i in 1 2 3 4 5; do '$VR' replay --quiet '$tmp/main.vrb' --from $n_from \
	--checkpoints '$tmp/main.ckpt'; done")
t_int=$(best "" sh -c "for i in 1 2 3 4 5; do '$VR' replay --quiet '$tmp/main.vrb' --to 101000; done")
printf 'CPU s (wall s):  --from %s without checkpoints %s (%s)   writing a checkpoint file %s (%s, %s bytes)\n' \
	"$n_from" "$(first "$t_from0")" "$(wall "$t_from0")" "$(first "$t_ckw")" "$(wall "$t_ckw")" \
	"$(wc -c <"$tmp/main.ckpt")"
printf '                 5 x --from %s --checkpoints %s (%s)   5 x one interval (--to 101000) %s (%s)\n' \
	"$n_from" "$(first "$t_from1")" "$(wall "$t_from1")" "$(first "$t_int")" "$(wall "$t_int")"
rm -f "$tmp/main.ckpt"

echo "verdicts (ratios of CPU time measured above, in this run):"
verdict "replay --db / replay without sinks" "$(ratio "$(first "$t_db")" "$(first "$t_none")")" le 4
verdict "replay --db rows-equivalent rate / sqlite3 .import rate" "$(ratio "$rate_ours" "$rate_imp")" ge 5
# the least replay --db could cost with these rows: the replay plus SQLite storing them and nothing else
floor_ratio=$(awk -v a="$(first "$t_none")" -v b="$(first "$t_floor")" 'BEGIN { printf "%.3f", (a + b) / a }')
printf '  %-58s %10.2f  (%s)\n' "  floor: (replay + SQLite alone storing the rows) / replay" "$floor_ratio" \
	"$(awk -v v="$floor_ratio" 'BEGIN { print (v > 4) ? "above 4: out of reach with a row per event" : "below 4" }')"
set -- $sizes
while [ $# -ge 3 ]; do
	verdict "database / binary trace, $1" "$2" le 10
	verdict "database / text trace, $1" "$3" le 0.5
	shift 3
done
verdict "replay --log / replay without sinks" "$(ratio "$(first "$t_log")" "$(first "$t_none")")" le 3
verdict "replay --db --log --pcap / replay without sinks" "$(ratio "$(first "$t_all")" "$(first "$t_none")")" le 6
if [ -n "$qlines" ]; then
	echo "$qlines" | while IFS='|' read -r name rows ms sql; do
		[ -n "$name" ] || continue
		if [ "$rows" -lt 100 ]; then
			verdict "$name ms ($rows rows): $sql" "$ms" le 20
		else
			printf '  %-58s %10.1f  (%s rows: no target)\n' "$name ms: $sql" "$ms" "$rows"
		fi
	done
fi
if [ -n "$t_info" ]; then
	verdict "info speed / zstd -dc speed (same frames)" "$(ratio "$(first "$t_zstd")" "$(first "$t_info")")" ge 0.8
fi
printf '  %-58s %10.2f  (no target)\n' "replay --from N (1000 before the end) / full replay" \
	"$(ratio "$(first "$t_from0")" "$(first "$t_none")")"
verdict "replay --from N --checkpoints F / replay of one interval" \
	"$(ratio "$(first "$t_from1")" "$(first "$t_int")")" le 1.1
printf '  %-58s %10.2f  (no target)\n' "replay --checkpoints F (writing) / replay without sinks" \
	"$(ratio "$(first "$t_ckw")" "$(first "$t_none")")"
