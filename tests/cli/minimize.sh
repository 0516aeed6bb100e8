# tests/cli/minimize.sh -- minimize shrinks padded traces back to their core, keeps the outcome, is deterministic
. "$srcdir/tests/cli/lib.sh"

# pad TRACE N: before every 5th guest event, insert N unrelated stores, config reads and marks.
pad() {
	set -- $(awk '$1 == "ram" { print $2, $3; exit }' "$1") "$1" "$2"
	awk -v N="$4" -v BASE=$(($1 + $2 - 0x1000)) '
	($1 == "cfg" || $1 == "bar" || $1 == "mem" || $1 == "input") {
		if (n++ % 5 == 0) for (i = 0; i < N; i++) {
			printf "mem 0x%x %032x\n", BASE + (i % 64) * 16, i
			print "cfg r 0x0 2 = 0x1af4"
			print "mark padding " i
		}
	}
	{ print }' "$3"
}
# events FILE: event lines of a text trace
events() { grep -cE '^(cfg|bar|mem|dma|irq|input|checkpoint|mark|time) ' "$1"; }

n=0
for t in "$srcdir"/traces/diverge/*.vrt "$srcdir"/traces/malformed/*.vrt; do
	name=$(basename "$t" .vrt)
	dir=$(dirname "$t")
	pad "$t" 30 >"$TMP/pad.vrt"
	padded=$(events "$TMP/pad.vrt")
	[ "$padded" -gt 1000 ] || { echo "FAIL: $name: padding made only $padded events"; fails=$((fails + 1)); }
	expect 0 "" "" "$VR" minimize "$t" -o "$TMP/small.vrt"
	expect 0 "" "kept " "$VR" minimize "$TMP/pad.vrt" -o "$TMP/min.vrt"
	kept=$(sed -n 's/^  kept *//p' "$TMP/err")
	a=$(events "$TMP/small.vrt")
	b=$(events "$TMP/min.vrt")
	# Back to at most a few times what the unpadded trace minimizes to.
	[ "$b" -le $((3 * a + 3)) ] || { echo "FAIL: $name: $padded padded events -> $b (unpadded -> $a)"; fails=$((fails + 1)); }
	# The outcome is the one that was kept.
	"$VR" replay "$TMP/min.vrt" >"$TMP/rout" 2>"$TMP/rerr"
	case "$kept" in
	"violation "*)
		grep -q "^violation ${kept#violation } " "$TMP/rout" ||
			{ echo "FAIL: $name: minimized trace lost '$kept'"; head -5 "$TMP/rout"; fails=$((fails + 1)); } ;;
	"divergence "*)
		field=${kept#* at }
		grep -qF "divergence in $field" "$TMP/rout" ||
			{ echo "FAIL: $name: minimized trace lost '$kept'"; head -5 "$TMP/rout"; fails=$((fails + 1)); } ;;
	*) echo "FAIL: $name: unexpected kept '$kept'"; fails=$((fails + 1)) ;;
	esac
	n=$((n + 1))
done
[ "$n" -ge 20 ] || { echo "FAIL: only $n traces minimized"; fails=$((fails + 1)); }

# Deterministic: the same input gives the same bytes.
t="$srcdir/traces/diverge/used-len.vrt"
pad "$t" 20 >"$TMP/pad.vrt"
expect 0 "" "" "$VR" minimize "$TMP/pad.vrt" -o "$TMP/m1.vrt" --quiet
expect 0 "" "" "$VR" minimize "$TMP/pad.vrt" -o "$TMP/m2.vrb" --quiet
expect 0 "" "" "$VR" convert "$TMP/m2.vrb" "$TMP/m2.vrt"
cmp -s "$TMP/m1.vrt" "$TMP/m2.vrt" || { echo "FAIL: minimize is not deterministic"; fails=$((fails + 1)); }

# Other things to keep: an exit status; a violation by name; refusals.
expect 0 "" "kept +exit status 0" "$VR" minimize "$srcdir/traces/rng-basic.vrt" -o "$TMP/e.vrt" --keep exit:0
expect 0 "" "kept +violation desc-loop" "$VR" minimize "$srcdir/traces/malformed/desc-loop.vrt" -o "$TMP/v.vrt" \
	--keep violation:desc-loop
expect 2 "" "no violation desc-loop occurs" "$VR" minimize "$srcdir/traces/rng-basic.vrt" -o "$TMP/x.vrt" \
	--keep violation:desc-loop
expect 2 "" "does not diverge" "$VR" minimize "$srcdir/traces/rng-basic.vrt" -o "$TMP/x.vrt" --keep diverge
expect 2 "" "bad --keep" "$VR" minimize "$srcdir/traces/rng-basic.vrt" -o "$TMP/x.vrt" --keep sideways
expect 2 "" "-o OUT is required" "$VR" minimize "$srcdir/traces/rng-basic.vrt"
expect 2 "" "nosuch" "$VR" minimize "$TMP/nosuch.vrt" -o "$TMP/x.vrt"
# A long trace whose divergence comes late: the result starts from a checkpoint near the end.
"$VR" record --scenario bulk --count 800 -o "$TMP/long.vrt" >/dev/null
line=$(grep -n '^dma 0x[0-9a-f]* [0-9a-f]\{16\}$' "$TMP/long.vrt" | tail -1 | cut -d: -f1)
sed "${line}s/[0-9a-f]\{8\}$/01020304/" "$TMP/long.vrt" >"$TMP/late.vrt"
expect 0 "" "starts +from a checkpoint" "$VR" minimize "$TMP/late.vrt" -o "$TMP/late-min.vrt"
field=$(sed -n 's/^  kept *divergence dma at //p' "$TMP/err")
[ -n "$field" ] || { echo "FAIL: no divergence kept for the late trace"; fails=$((fails + 1)); }
[ "$(events "$TMP/late-min.vrt")" -le 20 ] || { echo "FAIL: late trace minimized to $(events "$TMP/late-min.vrt") events"; fails=$((fails + 1)); }
expect 1 "^" "" "$VR" replay "$TMP/late-min.vrt"
grep -qF "divergence in $field" "$TMP/out" || { echo "FAIL: the minimized late trace lost divergence in $field"; fails=$((fails + 1)); }
# A budget stops early and says so.
expect 0 "" "max-replays reached" "$VR" minimize "$TMP/pad.vrt" -o "$TMP/b.vrt" --max-replays 5
finish
