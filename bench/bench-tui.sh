#!/bin/sh
# bench/bench-tui.sh -- the browser on small and big runs: time of each first step, max RSS flat in run length
# Run by `make bench` with $VR and $builddir set. Runs are recorded here (bulk blk scenario), never committed.
# Target: every step but the full scans (search-absent, filter-kind) under 50 ms; max RSS of the big run
# within 2 MiB of the small one (the lists are read a screen at a time); the first screen of the big run
# (about 4M events by default) well under a second: under FIRST_SCREEN_MS (500), measured in-process
# (first-screen: open, first rows, every line formatted) and, with tmux, end to end (browse started in a
# terminal until its status line shows). Prints each figure and a verdict; exits 1 if one is missed.
set -eu
: "${VR:?VR must name the built virtio-replay}"
: "${builddir:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench-tui.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
small=${BENCH_TUI_SMALL:-10000}
big=${BENCH_TUI_BIG:-286000}	# bulk requests: 14 events each, about 4M events
limit=${FIRST_SCREEN_MS:-500}
verdict=0

for n in "$small" "$big"; do
	"$VR" record --scenario bulk --count "$n" -o "$TMP/t$n.vrb" >/dev/null
	"$VR" replay "$TMP/t$n.vrb" --db "$TMP/t$n.db" --quiet 2>/dev/null
	"$builddir/bench-tui" "$TMP/t$n.db" >"$TMP/r$n"
	events=$(sqlite3 "$TMP/t$n.db" "SELECT events FROM runs" 2>/dev/null || echo "?")
	echo "== $events events ($n bulk requests)"
	awk '$1 != "maxrss" { printf "  %-24s %10.3f ms\n", $1, $2 } $1 == "maxrss" { printf "  %-24s %10d KiB\n", $1, $2 }' "$TMP/r$n"
	fs=$(awk '$1 == "first-screen" { printf "%d", $2 }' "$TMP/r$n")
	if [ "$fs" -lt "$limit" ]; then
		echo "first screen of $events events: $fs ms in-process (target < $limit ms): ok"
	else
		echo "first screen of $events events: $fs ms in-process (target < $limit ms): TOO SLOW"
		verdict=1
	fi
	if command -v tmux >/dev/null 2>&1; then
		# end to end: a terminal running browse until the status line of the first screen shows
		# (the tmux server starts first: its start-up is not the browser's)
		T="tmux -L vrbench$$ -f /dev/null"
		$T new-session -d -s idle -x 160 -y 48 "sleep 60"
		t0=$(date +%s%N)
		$T new-window -t idle "env TERM=screen '$VR' browse '$TMP/t$n.db'; sleep 30"
		i=0
		until $T capture-pane -p -t idle 2>/dev/null | grep -q '^event 0  \['; do
			i=$((i + 1))
			[ $i -gt 5000 ] && break
		done
		ms=$((($(date +%s%N) - t0) / 1000000))
		$T kill-server >/dev/null 2>&1
		if [ "$ms" -lt "$limit" ]; then
			echo "first screen of $events events: $ms ms in a terminal (tmux; target < $limit ms): ok"
		else
			echo "first screen of $events events: $ms ms in a terminal (tmux; target < $limit ms): TOO SLOW"
			echo "  (this figure includes starting the process and tmux's capture polling)"
			verdict=1
		fi
	fi
	rm -f "$TMP/t$n.vrb" "$TMP/t$n.db"
done
rs=$(awk '$1 == "maxrss" { print $2 }' "$TMP/r$small")
rb=$(awk '$1 == "maxrss" { print $2 }' "$TMP/r$big")
echo "max RSS: $rs KiB small, $rb KiB big"
[ "$rb" -le $((rs + 2048)) ] || { echo "bench-tui: memory grows with the run: $rs -> $rb KiB"; exit 1; }
exit $verdict
