# tests/cli/traces.sh -- replay every bundled trace and check it against its .expect sidecar
# A .expect file holds "exit N" and any number of "stdout REGEX" / "stderr REGEX" lines
# (extended regular expressions, each must match some line); '#' lines are comments.
. "$srcdir/tests/cli/lib.sh"
n=0
for t in "$srcdir"/traces/*.vrt "$srcdir"/traces/*/*.vrt; do
	[ -f "$t" ] || continue
	n=$((n + 1))
	e=${t%.vrt}.expect
	if [ ! -f "$e" ]; then
		echo "FAIL: $t has no .expect file"
		fails=$((fails + 1))
		continue
	fi
	want=$(awk '$1 == "exit" { print $2 }' "$e")
	"$VR" replay "$t" >"$TMP/out" 2>"$TMP/err"
	got=$?
	ok=1
	[ "$got" = "$want" ] || { echo "FAIL: $t: exit $got, want $want"; ok=0; }
	while read -r stream pat; do
		case $stream in
		stdout) f=$TMP/out ;;
		stderr) f=$TMP/err ;;
		*) continue ;;
		esac
		grep -Eq -- "$pat" "$f" || { echo "FAIL: $t: $stream does not match /$pat/"; ok=0; }
	done <"$e"
	if [ $ok -eq 0 ]; then
		echo "--- stdout"; head -30 "$TMP/out"; echo "--- stderr"; head -20 "$TMP/err"
		fails=$((fails + 1))
	fi
done
# The library must not silently shrink: five device types, 23 misbehaviours, the divergences.
[ "$n" -ge 50 ] || { echo "FAIL: only $n traces found under $srcdir/traces"; fails=$((fails + 1)); }
# The README's main command.
expect 0 "" ": matched$" "$VR" replay "$srcdir/traces/blk-basic.vrt" --db "$TMP/replay.db"
expect 0 "^1\|" "" sqlite3 "$TMP/replay.db" "select count(*), min(complete) from runs"
finish
