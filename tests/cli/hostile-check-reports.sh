# tests/cli/hostile-check-reports.sh -- reports stay valid and bounded whatever a suite holds (issue 12)
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces

# File names that try to forge TAP lines or break XML and JSON: a newline followed by an `ok`
# line, a '#' directive, invalid UTF-8, a control character, markup.
mkdir -p "$TMP/names"
nl='
'
cp "$T/diverge/used-len.vrt" "$TMP/names/a${nl}ok 1 - forged.vrt"
cp "$T/diverge/used-len.vrt" "$TMP/names/b # SKIP.vrt"
cp "$T/diverge/used-len.vrt" "$TMP/names/c$(printf '\377\376\001')<&\"]]>.vrt"
{ sed -n 1,118p "$T/diverge/used-len.vrt"; printf 'mark bad \377\376 bytes \300\257 <&"> ]]>\n'; sed -n '119,$p' "$T/diverge/used-len.vrt"; } >"$TMP/names/d-mark.vrt"
expect 1 "^not ok 4 " "" $VR check --tap "$TMP/n.tap" --junit "$TMP/n.xml" "$TMP/names"
expect 1 "" "" $VR check --json "$TMP/n.json" "$TMP/names"
expect 1 "" "" grep -Eq "^ok " "$TMP/n.tap"
expect 1 "" "" grep -Eq "^(not )?ok [0-9]+ - .*[^\\\\]# SKIP" "$TMP/n.tap"
expect 0 "" "" grep -Fq "b \\# SKIP.vrt" "$TMP/n.tap"
expect 0 "^4$" "" grep -Ec "^(not )?ok [0-9]+ - " "$TMP/n.tap"
if command -v python3 >/dev/null 2>&1; then
	expect 0 "^4 4$" "" python3 -c '
import json, sys, xml.etree.ElementTree as ET
x = ET.parse(sys.argv[1]).getroot()
j = json.load(open(sys.argv[2], encoding="utf-8"))
open(sys.argv[1], encoding="utf-8").read()  # valid UTF-8 too
print(len(x.findall(".//failure")), j["failed"])' "$TMP/n.xml" "$TMP/n.json"
fi
if command -v xmllint >/dev/null 2>&1; then
	expect 0 "" "" xmllint --noout "$TMP/n.xml"
fi

# Captured output is capped: head and tail kept, the cut said; memory does not grow with the suite.
mkdir -p "$TMP/noisy"
src=$T/malformed/bar-access-bad.vrt
# the trace's own misaligned read, repeated: each one a violation, the replay still matched
bad=$(grep -m1 '^bar r 4 0x1 4 = ' "$src")
{ sed -n 1,133p "$src"; yes "$bad" | head -n 50000; sed -n '134,$p' "$src"; } >"$TMP/noisy/n00.vrt"
printf 'exit 1\n' >"$TMP/noisy/n00.expect"
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
	cp "$TMP/noisy/n00.vrt" "$TMP/noisy/n$i.vrt"
	cp "$TMP/noisy/n00.expect" "$TMP/noisy/n$i.expect"
done
if [ -x /usr/bin/time ]; then
	# memory may not grow with the suite: one noisy trace against sixteen (sanitizer builds have a
	# large but fixed base, so compare growth, not absolute size)
	mkdir -p "$TMP/one"
	cp "$TMP/noisy/n00.vrt" "$TMP/noisy/n00.expect" "$TMP/one/"
	expect 1 "" "" /usr/bin/time -f "maxrss %M" -o "$TMP/rss1" $VR check --junit "$TMP/one.xml" "$TMP/one"
	expect 1 "" "" /usr/bin/time -f "maxrss %M" -o "$TMP/rss" $VR check --junit "$TMP/noisy.xml" "$TMP/noisy"
	rss1=$(sed -n 's/^maxrss //p' "$TMP/rss1")
	rss=$(sed -n 's/^maxrss //p' "$TMP/rss")
	echo "check: max RSS $rss1 KB for one noisy trace, $rss KB for sixteen"
	# 16 traces of 5.5 MB output each: 60 MB more than one when check kept 4 MB of each
	[ "${rss:-0}" -lt $((${rss1:-0} + 16000)) ] || { echo "FAIL: check used $rss KB"; fails=$((fails + 1)); }
else
	expect 1 "" "" $VR check --junit "$TMP/noisy.xml" "$TMP/noisy"
fi
expect 0 "bytes cut" "" cat "$TMP/noisy.xml"
size=$(wc -c <"$TMP/noisy.xml")
[ "$size" -lt 2000000 ] || { echo "FAIL: JUnit report of $size bytes"; fails=$((fails + 1)); }
expect 1 "" "" $VR check -j 2 --json "$TMP/noisy.json" "$TMP/noisy"
if command -v python3 >/dev/null 2>&1; then
	expect 0 "^16 True$" "" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(len(j["results"]), all(r["stdout_cut"] > 1000000 and r["violation_count"] == 50002 for r in j["results"]))' "$TMP/noisy.json"
fi
finish
