# bench/bench-trace.sh -- trace reader throughput: binary reader vs `zstd -dc` on the same frames, and the text parser
# Run by `make bench` with $VR, $srcdir and $builddir set. Prints figures; never fails on speed alone.
set -eu
G=$builddir/bench/vr-gentrace
EVENTS=${BENCH_EVENTS:-1000000}
TEXT_EVENTS=${BENCH_TEXT_EVENTS:-200000}
W=$(mktemp -d "${TMPDIR:-/tmp}/vr-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# best_of N CMD... : the shortest wall time of N runs, in seconds
best_of() {
	n=$1; shift
	best=
	i=0
	while [ $i -lt "$n" ]; do
		a=$(date +%s%N)
		"$@" > /dev/null
		b=$(date +%s%N)
		t=$((b - a))
		if [ -z "$best" ] || [ $t -lt "$best" ]; then best=$t; fi
		i=$((i + 1))
	done
	awk -v t="$best" 'BEGIN { printf "%.4f", t / 1e9 }'
}

echo "generating $EVENTS events (binary) and $TEXT_EVENTS events (text)..."
"$G" --events "$EVENTS" "$W/bench.vrb"
"$G" --frames "$W/bench.vrb" "$W/bench.zst"
"$G" --events "$TEXT_EVENTS" "$W/bench.vrt"
raw=$("$G" --read "$W/bench.vrb" | awk '{ print $6 }')
comp=$(wc -c < "$W/bench.zst")
txt=$(wc -c < "$W/bench.vrt")
printf 'binary trace: %s events, %s bytes raw, %s bytes of zstd frames (ratio %s)\n' "$EVENTS" "$raw" "$comp" \
	"$(awk -v r="$raw" -v c="$comp" 'BEGIN { printf "%.2f", r / c }')"

if command -v zstd > /dev/null 2>&1; then
	t_zstd=$(best_of 3 zstd -q -dc "$W/bench.zst")
else
	echo "zstd(1) not installed (Debian package zstd): the ratio below is against 1 s"
	t_zstd=1
fi
t_read=$(best_of 3 "$G" --read "$W/bench.vrb")
t_info=$(best_of 3 "$VR" info "$W/bench.vrb")
t_text=$(best_of 3 "$G" --read "$W/bench.vrt")
t_dump=$(best_of 1 "$VR" dump "$W/bench.vrb")

awk -v raw="$raw" -v txt="$txt" -v tz="$t_zstd" -v tr="$t_read" -v ti="$t_info" -v tt="$t_text" -v td="$t_dump" 'BEGIN {
	mb = 1e6
	printf "zstd -dc (same frames)     %8.1f MB/s  (%.3f s)\n", raw / mb / tz, tz
	printf "binary reader (decode all) %8.1f MB/s  (%.3f s)  ratio to zstd %.2f  (target >= 0.5: %s)\n", \
	    raw / mb / tr, tr, tz / tr, ((tz / tr >= 0.5) ? "met" : "NOT met")
	printf "virtio-replay info         %8.1f MB/s  (%.3f s, decodes and counts every event)\n", raw / mb / ti, ti
	printf "virtio-replay dump >null   %8.1f MB/s of raw input (%.3f s, canonical text out)\n", raw / mb / td, td
	printf "text parser                %8.1f MB/s  (%.3f s, %d bytes)  (target >= 100: %s)\n", \
	    txt / mb / tt, tt, txt, ((txt / mb / tt >= 100) ? "met" : "NOT met")
}'
