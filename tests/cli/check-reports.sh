# tests/cli/check-reports.sh -- a failing suite's TAP (YAML diagnostics), JUnit and JSON name the divergence
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces

# used-len diverges at event 119 in requestq.used.ring[0].len; without its .expect it must fail.
mkdir -p "$TMP/s"
cp "$T/diverge/used-len.vrt" "$T/diverge/read-value.vrt" "$T/blk-basic.vrt" "$TMP/s/"
cp "$T/malformed/desc-loop.vrt" "$TMP/s/"
printf 'exit 1\n' >"$TMP/s/desc-loop.expect"
expect 1 "^not ok 4 - .*used-len.vrt" "FAIL .*used-len.vrt: divergence in requestq.used.ring\[0\].len at event 119" \
	$VR check --tap "$TMP/r.tap" --junit "$TMP/r.xml" --json "$TMP/r.json" --artifacts "$TMP/art" "$TMP/s"
expect 0 '^  field: "requestq.used.ring\[0\].len"$' "" cat "$TMP/r.tap"
expect 0 '^  message: "divergence in common.device_status at event 105: expected 0x4f, produced 0x0f"$' "" cat "$TMP/r.tap"
expect 0 '^    - "desc-loop"$' "" cat "$TMP/r.tap"
# the failing traces keep their log and database; the passing one keeps nothing
expect 0 "" "" test -s "$TMP/art/s/used-len.vrt/replay.log"
expect 0 "" "" test -s "$TMP/art/s/used-len.vrt/replay.db"
expect 1 "" "" test -e "$TMP/art/s/blk-basic.vrt"

if command -v python3 >/dev/null 2>&1; then
	expect 0 "^ok$" "" python3 - "$TMP/r.xml" "$TMP/r.tap" "$TMP/r.json" <<'PY'
import json, re, sys, xml.etree.ElementTree as ET

def need(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)

# JUnit, as GitLab and GitHub read it: testsuites > testsuite > testcase (classname, name) > failure
root = ET.parse(sys.argv[1]).getroot()
need(root.tag == "testsuites", "root is testsuites")
suite = root.find("testsuite")
cases = suite.findall("testcase")
need(int(suite.get("tests")) == len(cases) == 4, "4 testcases")
need(int(suite.get("failures")) == len(suite.findall("testcase/failure")) == 3, "3 failures")
for c in cases:
    need(c.get("classname") and c.get("name"), "testcase has classname and name")
used = [c for c in cases if c.get("name").endswith("used-len.vrt")][0]
f = used.find("failure")
need(f.get("message") == "divergence in requestq.used.ring[0].len at event 119: expected dma 0x40011244 (8 bytes), "
     "produced dma 0x40011244 (8 bytes, requestq.used.ring[0])", "failure message: " + f.get("message"))
need(f.get("type") == "divergence", "failure type")
need("first difference at byte 4" in f.text, "the report is the failure's body")

# TAP 13: each not ok carries a YAML block between "  ---" and "  ..."
tap = open(sys.argv[2], encoding="utf-8").read().split("\n")
need(tap[0] == "TAP version 13" and tap[1] == "1..4", "TAP header")
blocks = {}
for i, line in enumerate(tap):
    m = re.match(r"^not ok \d+ - (.*)$", line)
    if m:
        need(tap[i + 1] == "  ---", "YAML block follows")
        end = tap.index("  ...", i)
        blocks[m.group(1)] = "\n".join(l[2:] for l in tap[i + 2:end])
need(len(blocks) == 3, "three YAML blocks")
try:
    import yaml
    load = yaml.safe_load
except ImportError:
    load = None
for name, text in blocks.items():
    if load is None:
        continue
    d = load(text)
    if name.endswith("used-len.vrt"):
        need(d["event"] == 119 and d["offset"] == "0x479e", "event and offset")
        need(d["field"] == "requestq.used.ring[0].len", "field")
        need(d["expected"] == "dma 0x40011244 (8 bytes)", "expected")
        need(d["produced"].startswith("dma 0x40011244 (8 bytes"), "produced")
    if name.endswith("read-value.vrt"):
        need(d["expected"] == "0x4f" and d["produced"] == "0x0f", "register values")
    if name.endswith("desc-loop.vrt"):
        need(d["violations"] == ["desc-loop"] and d["exit"] == 0 and d["want_exit"] == 1, "violations")

# JSON
j = json.load(open(sys.argv[3], encoding="utf-8"))
need(j["tests"] == 4 and j["failed"] == 3, "JSON counts")
r = [r for r in j["results"] if r["name"].endswith("used-len.vrt")][0]
need(r["divergence"]["event"] == 119 and r["divergence"]["field"] == "requestq.used.ring[0].len", "JSON divergence")
need(r["artifacts"].endswith("used-len.vrt"), "JSON artifacts")
print("ok")
PY
fi
if command -v xmllint >/dev/null 2>&1; then
	expect 0 "" "" xmllint --noout "$TMP/r.xml"
fi

# --minimize keeps a minimized copy beside the log and database; it still diverges in the same field.
expect 1 "^  minimized: .*used-len.vrt/minimized.vrt\"$" "" \
	$VR check --artifacts "$TMP/art2" --minimize --json "$TMP/m.json" "$TMP/s/used-len.vrt"
expect 0 '"minimized":".*minimized.vrt"' "" cat "$TMP/m.json"
expect 1 "divergence in requestq.used.ring\[0\].len" "" $VR replay "$TMP/art2/used-len.vrt/minimized.vrt"
expect 2 "" "--minimize keeps its copies in --artifacts" $VR check --minimize "$TMP/s"
finish
