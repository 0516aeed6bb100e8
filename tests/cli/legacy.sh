# tests/cli/legacy.sh -- the legacy and transitional transports end to end: record, replay, convert, refusals
. "$srcdir/tests/cli/lib.sh"
# A legacy-only device: the header says so, the trace drives BAR0 (an I/O BAR), replay matches.
expect 0 "" "" "$VR" record --device blk --scenario basic --transport legacy -o "$TMP/lg.vrt"
expect 0 "^transport legacy$" "" grep '^transport' "$TMP/lg.vrt"
expect 0 "^bar w 0 0x8 4 0x" "" grep '^bar w 0 0x8 ' "$TMP/lg.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/lg.vrt" --log "$TMP/lg.log"
expect 0 "legacy.queue_pfn <- 0x" "" cat "$TMP/lg.log"
expect 0 "legacy.host_features -> 0x" "" cat "$TMP/lg.log"
expect 0 "^transport +legacy$" "" "$VR" info "$TMP/lg.vrt"
expect 0 '"transport":"legacy"' "" "$VR" info --json "$TMP/lg.vrt"
# The fact survives binary conversion, and text comes back byte for byte.
expect 0 "" "" "$VR" convert "$TMP/lg.vrt" "$TMP/lg.vrb"
expect 0 "" ": matched$" "$VR" replay "$TMP/lg.vrb"
expect 0 "" "" "$VR" convert "$TMP/lg.vrb" "$TMP/lg-back.vrt"
cmp -s "$TMP/lg.vrt" "$TMP/lg-back.vrt" || { echo "FAIL: legacy trace did not round-trip"; fails=$((fails + 1)); }
# The same events against a modern device diverge: BAR0 is not the legacy block there.
grep -v '^transport' "$TMP/lg.vrt" >"$TMP/as-modern.vrt"
expect 1 "" "diverged" "$VR" replay "$TMP/as-modern.vrt"
# Transitional with a legacy driver, and with a modern one; net too.
expect 0 "" "" "$VR" record --device net --scenario basic --transport transitional --driver legacy -o "$TMP/tn.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/tn.vrt"
expect 0 "" "" "$VR" record --device blk --scenario msix --transport transitional -o "$TMP/tm.vrt"
expect 0 "" "^  violations +0$" "$VR" replay "$TMP/tm.vrt"
# Ring misbehaviour is caught on legacy rings too.
expect 0 "" "" "$VR" record --device blk --scenario avail-head-range --transport legacy -o "$TMP/ah.vrt"
expect 0 "^violation avail-head-range at event" ": matched$" "$VR" replay "$TMP/ah.vrt"
# Refusals: unknown transport (option and header), a type without a legacy id, impossible driver pairings.
expect 2 "" "unknown transport 'ancient'" "$VR" record --device blk --scenario basic --transport ancient
sed 's/^transport legacy$/transport ancient/' "$TMP/lg.vrt" >"$TMP/bad.vrt"
expect 2 "" "line [0-9]+: unknown transport 'ancient'" "$VR" replay "$TMP/bad.vrt"
expect 2 "" "no legacy PCI device id" "$VR" record --device input --scenario basic --transport legacy -o "$TMP/x.vrt"
expect 2 "" "needs --transport transitional or legacy" "$VR" record --scenario basic --driver legacy -o "$TMP/x.vrt"
expect 2 "" "no modern interface" "$VR" record --scenario basic --transport legacy --driver modern -o "$TMP/x.vrt"
expect 2 "" "drives the modern common config" "$VR" record --scenario features-bad --transport legacy -o "$TMP/x.vrt"
# A published legacy reproducer (QEMU's fuzz-virtio-scsi-test) imports and replays with the misbehaviour named.
expect 0 "" "" "$VR" import "$srcdir/tests/data/import/fuzz-virtio-scsi-legacy.c" -o "$TMP/fz.vrt"
expect 0 "^violation avail-idx-jump at event" ": matched$" "$VR" replay "$TMP/fz.vrt"
# Real QEMU: the legacy driver's trace played on a transitional QEMU device answers the same.
if command -v qemu-system-x86_64 >/dev/null; then
	expect 0 "^$" "answers as QEMU does" "$VR" crosscheck "$srcdir/traces/blk-transitional.vrt"
	expect 0 "" ": matched$" "$VR" replay "$srcdir/traces/qemu/blk-legacy-basic.vrt"
fi
finish
