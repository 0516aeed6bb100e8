# tests/cli/check-parallel.sh -- check -j N and --shard I/N give the reports of one serial run (--merge joins shards)
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces

# The bundled library, plus failures whose reports carry captured output.
mkdir -p "$TMP/fail"
cp "$T/diverge/"*.vrt "$TMP/fail/"
cp "$T/malformed/desc-loop.vrt" "$TMP/fail/"
printf 'exit 1\n' >"$TMP/fail/desc-loop.expect"
run() {	# run NAME OPTIONS...: reports in $TMP/NAME.{tap,xml,json}, stdout in $TMP/NAME.out
	n=$1
	shift
	$VR check --tap "$TMP/$n.tap" --junit "$TMP/$n.xml" --json "$TMP/$n.json" "$@" "$T" "$TMP/fail" >"$TMP/$n.out" 2>"$TMP/$n.err"
	echo $? >"$TMP/$n.rc"
}
run j1 -j 1
run j2 -j 2
expect 0 "^1$" "" cat "$TMP/j1.rc"
for f in tap xml json out rc; do
	expect 0 "" "" cmp "$TMP/j1.$f" "$TMP/j2.$f"
done
expect 0 "^not ok .*used-len.vrt" "" cat "$TMP/j1.tap"
expect 0 "" "" cmp "$TMP/j1.tap" "$TMP/j1.out"

# Four shards, merged, equal the whole run, for each kind of report; every trace is in one shard.
for i in 1 2 3 4; do
	run s$i -j 2 --shard $i/4
done
total=0
for i in 1 2 3 4; do
	total=$((total + $(sed -n 's/^1\.\.//p' "$TMP/s$i.tap")))
done
expect 0 "" "" test "$total" -eq "$(sed -n 's/^1\.\.//p' "$TMP/j1.tap")"
expect 1 "" "" $VR check --merge -o "$TMP/m.tap" "$TMP/s1.tap" "$TMP/s2.tap" "$TMP/s3.tap" "$TMP/s4.tap"
expect 0 "" "" cmp "$TMP/m.tap" "$TMP/j1.tap"
expect 1 "" "" $VR check --merge -o "$TMP/m.xml" "$TMP/s4.xml" "$TMP/s3.xml" "$TMP/s2.xml" "$TMP/s1.xml"
expect 0 "" "" cmp "$TMP/m.xml" "$TMP/j1.xml"
expect 1 "" "" $VR check --merge -o "$TMP/m.json" "$TMP/s2.json" "$TMP/s1.json" "$TMP/s4.json" "$TMP/s3.json"
expect 0 "" "" cmp "$TMP/m.json" "$TMP/j1.json"
# the same shard of the same files is the same slice again
run s1b -j 1 --shard 1/4
expect 0 "" "" cmp "$TMP/s1.tap" "$TMP/s1b.tap"
# a passing set merges to exit 0 (stdout when no -o)
$VR check --shard 1/1 --tap "$TMP/p.tap" "$T" >/dev/null 2>&1
expect 0 "^1\.\.[0-9]+$" "" $VR check --merge "$TMP/p.tap"

# --merge refuses overlapping shards, mixed kinds and foreign files.
expect 2 "" "in more than one report" $VR check --merge "$TMP/s1.tap" "$TMP/s1.tap"
expect 2 "" "different kind of report" $VR check --merge "$TMP/s1.tap" "$TMP/s1.xml"
expect 2 "" "not a TAP, JUnit or JSON report" $VR check --merge "$T/blk-basic.vrt"
expect 2 "" "--merge takes only" $VR check --merge --junit x.xml "$TMP/s1.tap"
expect 2 "" "--shard wants I/N" $VR check --shard 5/4 "$T"
expect 2 "" "-j wants a number" $VR check -j 0 "$T"
finish
