# tests/cli/hostile-json.sh -- every --json output (info, replay, runs) is valid UTF-8 JSON whatever bytes the input holds
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# valid_json FILE WHAT: FILE decodes as strict UTF-8 and parses as JSON
valid_json() {
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1" 2>"$TMP/pyerr" ||
		{ echo "FAIL: $2: not valid UTF-8 JSON:"; cat "$TMP/pyerr"; head -c 300 "$1"; echo; fails=$((fails + 1)); }
}
# json_field FILE EXPR WANT: the Python expression over the parsed object `d` equals WANT
json_field() {
	got=$(python3 -c 'import json, sys; d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8")); print(eval(sys.argv[2]))' "$1" "$2" 2>&1)
	[ "$got" = "$3" ] || { echo "FAIL: $2: got '$got', want '$3'"; fails=$((fails + 1)); }
}

# A file name with invalid UTF-8 and control bytes, a title and a mark with invalid UTF-8
# (a lone continuation byte, an overlong NUL, a UTF-16 surrogate, a truncated sequence).
name=$(printf 'bad\377\376\033[31m\001name.vrt')
title=$(printf 'T\377\300\200\355\240\200x\302')
sed "s/^title .*/title $title/; s/^mark .*/mark $(printf 'M\377\376\341\200')/" "$T/blk-basic.vrt" > "$TMP/$name"
cd "$TMP" || exit 1

"$VR" info --json "$name" > "$TMP/info.json"
valid_json "$TMP/info.json" "info --json"
# Each byte that is not UTF-8 keeps its value as U+00XX; control bytes are \u escapes.
json_field "$TMP/info.json" 'd["file"] == "bad\xff\xfe\x1b[31m\x01name.vrt"' True
json_field "$TMP/info.json" 'd["title"] == "T\xff\xc0\x80\xed\xa0\x80x\xc2"' True

expect 0 "" "" "$VR" replay --json --db "$TMP/x.db" "$name"
valid_json "$TMP/out" "replay --json"
json_field "$TMP/out" 'd["trace"] == "bad\xff\xfe\x1b[31m\x01name.vrt"' True
"$VR" runs --json "$TMP/x.db" > "$TMP/runs.json"
valid_json "$TMP/runs.json" "runs --json"
json_field "$TMP/runs.json" 'd[0]["trace"] == "bad\xff\xfe\x1b[31m\x01name.vrt"' True

# Well-formed UTF-8 passes through unchanged.
cp "$T/blk-basic.vrt" "$TMP/été-☃-𝄞.vrt"
"$VR" info --json "$TMP/été-☃-𝄞.vrt" > "$TMP/u.json"
valid_json "$TMP/u.json" "info --json, UTF-8 name"
grep -q 'été-☃-𝄞.vrt' "$TMP/u.json" || { echo "FAIL: UTF-8 name was escaped"; fails=$((fails + 1)); }

# A bad header still gives JSON (with the error), and the error reaches stderr too.
printf 'vrt 1\ndevice nosuch\n' > "$TMP/$name.bad"
expect 2 "" "name.vrt.bad: header" "$VR" replay --json "$name.bad"
valid_json "$TMP/out" "replay --json, bad header"
json_field "$TMP/out" 'd["outcome"] + " " + str("error" in d)' "bad-input True"
expect 2 "" "name.vrt.bad: header" "$VR" info --json "$name.bad"
valid_json "$TMP/out" "info --json, bad header"
json_field "$TMP/out" '"error" in d' True
expect 2 "" "^virtio-replay: .*nosuch.vrt: No such file" "$VR" replay --json "$TMP/nosuch.vrt"
valid_json "$TMP/out" "replay --json, missing trace"
# A trace damaged mid-way: the JSON has the counts so far and the error.
head -c 5000 "$T/blk-basic.vrt" > "$TMP/trunc.vrt"
expect 2 "" "trace is truncated" "$VR" replay --json "$TMP/trunc.vrt"
valid_json "$TMP/out" "replay --json, truncated trace"
json_field "$TMP/out" '"truncated" in d["error"] and d["events"] > 0' True
expect 2 "" "trace is truncated" "$VR" info --json "$TMP/trunc.vrt"
valid_json "$TMP/out" "info --json, truncated trace"

# replay --json lists each divergence and violation as an object.
expect 1 "" "" "$VR" replay --json "$T/diverge/used-len.vrt"
valid_json "$TMP/out" "replay --json, diverged"
json_field "$TMP/out" '[(x["name"], x["event"], x["field"], x["expected"], x["produced"]) for x in d["divergence_list"]]' \
	"[('dma', 119, 'requestq.used.ring[0].len', '0xff', '0x1')]"
json_field "$TMP/out" 'd["divergence_list"][0]["offset"] == 0x479e and d["divergence_list"][0]["detail"] == d["report"]' True
expect 1 "" "" "$VR" replay --json --lenient "$T/diverge/read-value.vrt"
json_field "$TMP/out" '[(x["field"], x["expected"], x["produced"]) for x in d["divergence_list"]]' \
	"[('common.device_status', '0x4f', '0xf')]"
expect 0 "" "" "$VR" replay --json "$T/malformed/avail-idx-jump.vrt"
json_field "$TMP/out" 'sorted(d["violations"][0].keys())' "['addr', 'desc', 'detail', 'event', 'name', 'offset', 'queue']"
json_field "$TMP/out" '(d["violations"][0]["name"], d["violations"][0]["event"], "more than the queue size" in d["violations"][0]["detail"])' \
	"('avail-idx-jump', 426, True)"

finish
