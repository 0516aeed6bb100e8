# tests/cli/diff-db.sh -- diff DB:RUN DB:RUN, and a stored run against a trace: same output and exit codes as two traces
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
db=$TMP/r.db
"$VR" replay "$T/blk-basic.vrt" --quiet --db "$db" || { echo "FAIL: replay 1"; exit 1; }
"$VR" replay "$T/blk-basic.vrt" --quiet --db "$db" || { echo "FAIL: replay 2"; exit 1; }
"$VR" replay "$T/blk-basic.vrt" --quiet --lenient --layout vbox --db "$db" >/dev/null
"$VR" replay "$T/net-basic.vrt" --quiet --db "$db" || { echo "FAIL: replay 4"; exit 1; }
# Two identical runs: nothing, exit 0; a stored run and the trace it came from: the same.
expect 0 "^$" "^$" "$VR" diff "$db:1" "$db:2"
expect 0 "^$" "^$" "$VR" diff "$db:1" "$T/blk-basic.vrt"
expect 0 "^$" "^$" "$VR" diff "$T/blk-basic.vrt" "$db:2"
# The database alone is its newest run.
expect 0 "^$" "^$" "$VR" diff "$db:4" "$db"
expect 0 '"a":\{"trace":"[^"]*r\.db:4"' "" "$VR" diff --json "$db:4" "$db"
# qemu against vbox: the same first difference and table as diffing the trace under both profiles.
expect 1 "" "^$" "$VR" diff "$T/blk-basic.vrt" --layout-a qemu --layout-b vbox
sed 1,2d "$TMP/out" >"$TMP/want"
[ -s "$TMP/want" ] || { echo "FAIL: the profiles do not differ"; fails=$((fails + 1)); }
expect 1 "^diff: A .*r\.db:1 \(qemu, matched\)" "^$" "$VR" diff "$db:1" "$db:3"
sed 1,2d "$TMP/out" >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || { echo "FAIL: stored runs differ otherwise than their traces"; diff "$TMP/want" "$TMP/got" | head; fails=$((fails + 1)); }
expect 1 "" "^$" "$VR" diff "$db:1" "$T/blk-basic.vrt" --layout-b vbox
sed 1,2d "$TMP/out" >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || { echo "FAIL: run against trace differs otherwise"; fails=$((fails + 1)); }
# Different devices: exit 1; --json stays valid.
expect 1 "" "" "$VR" diff "$db:1" "$db:4"
expect 1 '^\{"same":false,"a":' "" "$VR" diff --json "$db:1" "$db:4"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" || { echo "FAIL: --json is not JSON"; fails=$((fails + 1)); }
fi
# Bad usage and bad input: exit 2, one message.
expect 2 "^$" "r\.db: no run 9 " "$VR" diff "$db:9" "$db:1"
expect 2 "^$" "bad run number 'x'" "$VR" diff "$db:x" "$db:1"
expect 2 "^$" "--layout-a applies to a trace, not a stored run" "$VR" diff "$db:1" "$db:2" --layout-a vbox
expect 2 "^$" "a stored run needs a second side" "$VR" diff "$db:1"
: >"$TMP/empty.db"
sqlite3_ok=0; command -v sqlite3 >/dev/null 2>&1 && sqlite3_ok=1
if [ $sqlite3_ok -eq 1 ]; then
	sqlite3 "$TMP/other.db" 'create table t(x)' && expect 2 "^$" "other\.db" "$VR" diff "$TMP/other.db" "$db:1"
fi
finish
