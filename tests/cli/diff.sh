# tests/cli/diff.sh -- diff names the first thing two replays did differently; identical runs print nothing
. "$srcdir/tests/cli/lib.sh"
T="$srcdir/traces"

# Identical: nothing printed, exit 0 (same trace twice, and a trace against its own binary form).
expect 0 "^$" "^$" "$VR" diff "$T/blk-basic.vrt" "$T/blk-basic.vrt"
expect 0 "" "" "$VR" convert "$T/net-basic.vrt" "$TMP/net.vrb"
expect 0 "^$" "^$" "$VR" diff "$T/net-basic.vrt" "$TMP/net.vrb"

# One trace under two profiles: the qemu map read through the vbox BARs differs at the first BAR sizing read.
expect 1 "^first difference: reads #1 \(A event 3, B event 3\)" "" "$VR" diff "$T/blk-basic.vrt" \
	--layout-a qemu --layout-b vbox
grep -q "^  A: cfg cfg.bar0 = 0x0$" "$TMP/out" || { echo "FAIL: qemu side of bar0 not named"; fails=$((fails + 1)); }
grep -Eq "^violations +0 +[1-9]" "$TMP/out" || { echo "FAIL: no violations counted on the vbox side"; fails=$((fails + 1)); }

# A planted change in what the guest asks for: the sector of the first request.
line=$(grep -n '^mem 0x40100000 ' "$T/blk-basic.vrt" | head -1 | cut -d: -f1)
[ -n "$line" ] || { echo "FAIL: no request header store found in blk-basic.vrt"; fails=$((fails + 1)); }
sed "${line}s/^\(mem 0x40100000 [0-9a-f]\{16\}\)[0-9a-f]\{2\}/\1ee/" "$T/blk-basic.vrt" >"$TMP/planted.vrt"
expect 1 "^first difference: " "" "$VR" diff "$T/blk-basic.vrt" "$TMP/planted.vrt"
sa=$(sed -n 's/^  A: .* sector=\([0-9]*\) .*/\1/p' "$TMP/out")
sb=$(sed -n 's/^  B: .* sector=\([0-9]*\) .*/\1/p' "$TMP/out")
[ -n "$sa" ] && [ -n "$sb" ] && [ "$sa" != "$sb" ] ||
	{ echo "FAIL: the planted sector is not the first difference"; cat "$TMP/out"; fails=$((fails + 1)); }

# Only the outcomes differ (the recording, not the device): said so.
expect 1 "outcomes differ: A diverged, B matched" "" "$VR" diff "$T/diverge/used-len.vrt" "$T/blk-basic.vrt"

# JSON, valid whatever the names hold.
cp "$T/blk-basic.vrt" "$TMP/$(printf 'odd\001name.vrt')"
expect 1 "" "" "$VR" diff "$T/blk-basic.vrt" "$TMP/$(printf 'odd\001name.vrt')" --layout-b vbox --json
python3 -c 'import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert d["same"] is False and d["first"]["kind"] == "reads", d
assert [k["kind"] for k in d["kinds"]] == ["reads", "dma", "irq", "violations", "transactions"], d
' "$TMP/out" || { echo "FAIL: diff --json is not the expected JSON"; fails=$((fails + 1)); }
expect 0 "\"same\":true" "" "$VR" diff "$T/rng-basic.vrt" "$T/rng-basic.vrt" --json

# Bad usage and bad input.
expect 2 "" "two profiles" "$VR" diff "$T/blk-basic.vrt"
expect 2 "" "nosuch" "$VR" diff "$T/blk-basic.vrt" "$TMP/nosuch.vrt"
expect 2 "" "too many" "$VR" diff a b c
finish
