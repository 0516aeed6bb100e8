# tests/cli/cross-compiler.sh -- the same answers from builds by two compilers: every record scenario
# (sweep scenarios included) on every device at two seeds gives byte-identical traces, and every
# bundled trace gives a byte-identical inspection log and exit status.
# A seed must name one scenario whatever compiled the program (an expression with two random
# draws in it is drawn in the compiler's order), and the device path is deterministic.
# Usage: VR=one-build VR_OTHER=other-build srcdir=... sh tests/cli/cross-compiler.sh
# .ci/run runs it with the gcc build of step 1 and the clang build of step 3.
. "$srcdir/tests/cli/lib.sh"
: "${VR_OTHER:?VR_OTHER must name a virtio-replay built by another compiler}"
scen=$("$VR" record --list | awk 'NR > 1 { print $1 }')
[ -n "$scen" ] || { echo "FAIL: record --list lists nothing"; exit 1; }
n=0 same=0
for s in $scen; do
	for d in blk net scsi rng console; do
		for seed in 1 2; do
			"$VR" record --scenario "$s" --device "$d" --seed "$seed" -o "$TMP/a.vrt" >/dev/null 2>"$TMP/a.err"
			ra=$?
			"$VR_OTHER" record --scenario "$s" --device "$d" --seed "$seed" -o "$TMP/b.vrt" >/dev/null 2>"$TMP/b.err"
			rb=$?
			[ "$ra" -eq 2 ] && [ "$rb" -eq 2 ] && break	# the scenario does not run on this device
			n=$((n + 1))
			if [ "$ra" -ne "$rb" ] || ! cmp -s "$TMP/a.vrt" "$TMP/b.vrt"; then
				echo "FAIL: record --scenario $s --device $d --seed $seed: exit $ra and $rb, or the traces differ"
				fails=$((fails + 1))
			else
				same=$((same + 1))
			fi
			rm -f "$TMP/a.vrt" "$TMP/b.vrt"
		done
	done
done
t=0
for f in "$srcdir"/traces/*.vrt "$srcdir"/traces/*/*.vrt; do
	[ -f "$f" ] || continue
	t=$((t + 1))
	"$VR" replay "$f" --quiet --log "$TMP/a.log" >/dev/null 2>&1; ra=$?
	"$VR_OTHER" replay "$f" --quiet --log "$TMP/b.log" >/dev/null 2>&1; rb=$?
	if [ "$ra" -ne "$rb" ] || ! cmp -s "$TMP/a.log" "$TMP/b.log"; then
		echo "FAIL: replay $f: exit $ra and $rb, or the logs differ"
		fails=$((fails + 1))
	fi
done
echo "cross-compiler: $same of $n recordings identical; $t bundled traces replayed by both"
[ "$n" -ge 100 ] && [ "$t" -ge 10 ] || { echo "FAIL: too little compared ($n recordings, $t traces)"; fails=$((fails + 1)); }
finish
