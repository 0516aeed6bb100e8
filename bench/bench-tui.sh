#!/bin/sh
# bench/bench-tui.sh -- the browser on small and big runs: time of each first step, max RSS flat in run length
# Run by `make bench` with $VR and $builddir set. Runs are recorded here (bulk blk scenario), never committed.
# Target: every step but the full scans (search-absent, filter-kind) under 50 ms; max RSS of the big run
# within 2 MiB of the small one (the lists are read a screen at a time).
set -eu
: "${VR:?VR must name the built virtio-replay}"
: "${builddir:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench-tui.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
small=${BENCH_TUI_SMALL:-10000}
big=${BENCH_TUI_BIG:-160000}

for n in "$small" "$big"; do
	"$VR" record --scenario bulk --count "$n" -o "$TMP/t$n.vrb" >/dev/null
	"$VR" replay "$TMP/t$n.vrb" --db "$TMP/t$n.db" --quiet 2>/dev/null
	"$builddir/bench-tui" "$TMP/t$n.db" >"$TMP/r$n"
	events=$(sqlite3 "$TMP/t$n.db" "SELECT events FROM runs" 2>/dev/null || echo "?")
	echo "== $events events ($n bulk requests)"
	awk '$1 != "maxrss" { printf "  %-20s %10.3f ms\n", $1, $2 } $1 == "maxrss" { printf "  %-20s %10d KiB\n", $1, $2 }' "$TMP/r$n"
	rm -f "$TMP/t$n.vrb" "$TMP/t$n.db"
done
rs=$(awk '$1 == "maxrss" { print $2 }' "$TMP/r$small")
rb=$(awk '$1 == "maxrss" { print $2 }' "$TMP/r$big")
echo "max RSS: $rs KiB small, $rb KiB big"
[ "$rb" -le $((rs + 2048)) ] || { echo "bench-tui: memory grows with the run: $rs -> $rb KiB"; exit 1; }
