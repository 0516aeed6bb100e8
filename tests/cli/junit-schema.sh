# tests/cli/junit-schema.sh -- check --junit (whole, with timings, merged from shards) validates against tests/junit.xsd
. "$srcdir/tests/cli/lib.sh"
command -v xmllint >/dev/null 2>&1 || { echo "xmllint not installed (libxml2-utils): skipped"; exit 77; }
XSD="$srcdir/tests/junit.xsd"
T=$srcdir/traces
valid() { # FILE WHAT
	if ! xmllint --noout --schema "$XSD" "$1" >"$TMP/xmllint" 2>&1; then
		echo "FAIL: $2: not valid JUnit XML"; head -5 "$TMP/xmllint"; fails=$((fails + 1))
	fi
}
# A suite with passes, a divergence, a violation expected, a bad trace and a name full of XML's specials.
mkdir -p "$TMP/s/sub"
cp "$T/blk-basic.vrt" "$T/diverge/used-len.vrt" "$T/malformed/desc-loop.vrt" "$TMP/s/"
cp "$T/rng-basic.vrt" "$TMP/s/sub/a<b>&\"c'.vrt"
printf 'vrt 1\ndevice blk\nbogus\n' >"$TMP/s/bad.vrt"
printf 'exit 1\n' >"$TMP/s/desc-loop.expect"
expect 1 "" "" "$VR" check -j 2 --junit "$TMP/r.xml" "$TMP/s"
valid "$TMP/r.xml" "a failing suite"
expect 0 "<failure message=\"divergence in requestq.used.ring" "" cat "$TMP/r.xml"
expect 1 "" "" "$VR" check -j 1 --timings --junit "$TMP/t.xml" "$TMP/s"
valid "$TMP/t.xml" "a suite with --timings"
expect 0 "time=\"[0-9]" "" cat "$TMP/t.xml"
for i in 1 2 3; do
	"$VR" check --shard $i/3 --junit "$TMP/p$i.xml" "$TMP/s" >/dev/null 2>&1
done
expect 1 "" "" "$VR" check --merge -o "$TMP/m.xml" "$TMP/p1.xml" "$TMP/p2.xml" "$TMP/p3.xml"
valid "$TMP/m.xml" "shards merged"
expect 0 "" "" "$VR" check --junit "$TMP/ok.xml" "$T/blk-basic.vrt"
valid "$TMP/ok.xml" "a passing suite"
# The schema must be able to fail: a report with a count that is not a number is refused.
sed 's/tests="[0-9]*"/tests="many"/' "$TMP/ok.xml" >"$TMP/badcount.xml"
if xmllint --noout --schema "$XSD" "$TMP/badcount.xml" >/dev/null 2>&1; then
	echo "FAIL: the schema accepts tests=\"many\""; fails=$((fails + 1))
fi
finish
