# tests/cli/export-perfetto.sh -- export --to perfetto: valid trace-event JSON, slices nest per track, refusals
. "$srcdir/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is needed to parse the JSON"; exit 1; }
$VR replay "$srcdir/traces/blk-basic.vrt" --db "$TMP/r.db" --quiet 2>/dev/null || { echo "FAIL: replay blk-basic"; exit 1; }
$VR replay "$srcdir/traces/net-basic.vrt" --db "$TMP/r.db" --quiet 2>/dev/null || { echo "FAIL: replay net-basic"; exit 1; }
$VR replay "$srcdir/traces/diverge/dma-bytes.vrt" --db "$TMP/r.db" --lenient --quiet >/dev/null 2>&1
$VR replay "$srcdir/traces/malformed/desc-loop.vrt" --db "$TMP/r.db" --quiet 2>/dev/null

# check FILE RUN MIN-SLICES WANT...: the JSON parses, is a trace-event object, the slices (X) on
# each track never overlap or properly nest, and the named categories of instants are there
check() {
	python3 - "$@" <<'PY'
import json, sys
path, run, min_slices, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
ev = doc["traceEvents"]
bad = []
names = {}
slices = {}
cats = set()
for e in ev:
    for k in ("ph", "pid", "tid", "ts"):
        if k not in e:
            bad.append("event without %s: %r" % (k, e))
    if e.get("pid") != run:
        bad.append("pid %r, want run %d" % (e.get("pid"), run))
    if e["ph"] == "M" and e["name"] == "thread_name":
        names[e["tid"]] = e["args"]["name"]
    if e["ph"] == "X":
        if e["dur"] < 1:
            bad.append("slice of duration %r" % e["dur"])
        slices.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
    if e["ph"] == "i":
        cats.add(e["cat"])
n = 0
for tid, s in slices.items():
    if tid not in names:
        bad.append("track %d has no name" % tid)
    s.sort()
    stack = []
    for b, end, name in s:
        n += 1
        while stack and stack[-1] <= b:
            stack.pop()
        if stack and end > stack[-1]:
            bad.append("track %s: slice %s [%d, %d) overlaps the one ending at %d" % (names.get(tid), name, b, end, stack[-1]))
        stack.append(end)
if n < min_slices:
    bad.append("%d slices, want at least %d" % (n, min_slices))
for c in want:
    if c not in cats:
        bad.append("no %s instant" % c)
if not any(str(v).startswith("queue ") for v in names.values()):
    bad.append("no queue track: %r" % names)
for b in bad[:10]:
    print("FAIL:", path, b)
sys.exit(1 if bad else 0)
PY
	[ $? -eq 0 ] || fails=$((fails + 1))
}

expect 0 "^$" "^$" $VR export "$TMP/r.db:1" --to perfetto -o "$TMP/blk.json"
check "$TMP/blk.json" 1 6 interrupt
grep -q '"name":"queue 0 requestq"' "$TMP/blk.json" || { echo "FAIL: no requestq track"; fails=$((fails + 1)); }
grep -q '"cat":"request","name":"OUT"' "$TMP/blk.json" || { echo "FAIL: no OUT request slice"; fails=$((fails + 1)); }
expect 0 "" "^$" $VR export "$TMP/r.db:2" --to perfetto -o "$TMP/net.json"
check "$TMP/net.json" 2 2 interrupt
expect 0 "" "^$" $VR export "$TMP/r.db:3" --to perfetto -o "$TMP/div.json"
check "$TMP/div.json" 3 1 divergence
grep -q '"s":"g","cat":"divergence","name":"divergence: requestq.buffer"' "$TMP/div.json" ||
	{ echo "FAIL: the divergence is not a global instant"; fails=$((fails + 1)); }
# the newest run by default, to standard output
expect 0 '"cat":"violation","name":"violation: desc-loop"' "^$" $VR export "$TMP/r.db" --to perfetto -o -
cp "$TMP/out" "$TMP/viol.json"
check "$TMP/viol.json" 4 0 violation

# whatever bytes the database holds, the JSON stays valid
if command -v sqlite3 >/dev/null 2>&1; then
	cp "$TMP/r.db" "$TMP/evil.db"
	sqlite3 "$TMP/evil.db" "UPDATE transactions SET type = 'a\"b\\c' || char(1, 10, 200, 255) || x'80ff00',
		fields = CAST(x'c3289f' AS TEXT), status = NULL WHERE run = 1;
		UPDATE runs SET trace = char(27) || '[31m' || CAST(x'ff' AS TEXT) WHERE id = 1"
	expect 0 "^$" "^$" $VR export "$TMP/evil.db:1" --to perfetto -o "$TMP/evil.json"
	check "$TMP/evil.json" 1 6 interrupt
fi

# refusals: usage, unknown target, bad database or run; no output file is left behind
expect 2 "" "export: need --to TARGET" $VR export "$TMP/r.db" -o "$TMP/x.json"
expect 2 "" "export: unknown target 'frob'" $VR export "$TMP/r.db" --to frob -o "$TMP/x.json"
expect 2 "" "export: need -o FILE" $VR export "$TMP/r.db" --to perfetto
expect 2 "" "export: need one input" $VR export --to perfetto -o "$TMP/x.json"
expect 2 "" "r.db: no run 9 " $VR export "$TMP/r.db:9" --to perfetto -o "$TMP/x.json"
expect 2 "" "bad run number 'x'" $VR export "$TMP/r.db:x" --to perfetto -o "$TMP/x.json"
expect 2 "" "nosuch.db: No such file or directory" $VR export "$TMP/nosuch.db" --to perfetto -o "$TMP/x.json"
[ ! -e "$TMP/x.json" ] || { echo "FAIL: a refused export left its output file"; fails=$((fails + 1)); }
expect 0 "virtio-replay export DB\[:RUN\] --to perfetto -o FILE" "" $VR export --help
finish
