#!/bin/sh
# bench/bench-minimize.sh -- how long minimize takes on a 100k-event trace with a divergence planted near its end
# Run by `make bench` with $VR set. Reference measured in the same run: one plain replay of the same trace.
# Target: seconds, not hours (under 60 s, and the report says how many replays it cost).
set -eu
: "${VR:?VR must name the built virtio-replay}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }

# ~14 events per request: 7,200 requests are about 100k events.
"$VR" record --scenario bulk --count 7200 -o "$TMP/big.vrt" >/dev/null
# Plant a divergence: the device's last recorded used-ring write claims another length.
line=$(grep -n '^dma 0x[0-9a-f]* [0-9a-f]\{16\}$' "$TMP/big.vrt" | tail -1 | cut -d: -f1)
sed "${line}s/[0-9a-f]\{8\}$/01020304/" "$TMP/big.vrt" >"$TMP/bug.vrt"
events=$("$VR" info "$TMP/bug.vrt" | awk '$1 == "events" { print $2; exit }')

t0=$(now); "$VR" replay "$TMP/bug.vrt" --quiet >/dev/null 2>&1 || true; t1=$(now)
replay=$(echo "$t1 - $t0" | bc -l)
t0=$(now); "$VR" minimize "$TMP/bug.vrt" -o "$TMP/min.vrt" 2>"$TMP/report"; t1=$(now)
min=$(echo "$t1 - $t0" | bc -l)
after=$(sed -n 's/.*: \([0-9]*\) events -> \([0-9]*\),.*/\2/p' "$TMP/report")
replays=$(sed -n 's/^  replays *\([0-9]*\).*/\1/p' "$TMP/report")
printf 'minimize: %s events -> %s events, %s replays\n' "$events" "$after" "$replays"
printf '  one replay of the trace   %8.3f s (reference)\n' "$replay"
printf '  minimize                  %8.3f s = %.1fx one replay\n' "$min" "$(echo "$min / $replay" | bc -l)"
if [ "$(echo "$min < 60" | bc -l)" = 1 ]; then echo "  verdict: PASS (under 60 s)"; else echo "  verdict: FAIL (60 s or more)"; fi
