# tests/cli/generic.sh -- types without a model end to end: QEMU names, numeric ids, the request policies
. "$srcdir/tests/cli/lib.sh"
# QEMU's device names record as the canonical type name; requests complete with used len 0.
expect 0 "" "" "$VR" record --device virtio-balloon-pci --scenario basic --count 4 -o "$TMP/balloon.vrt"
expect 0 "^device balloon$" "" grep '^device' "$TMP/balloon.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/balloon.vrt" --log "$TMP/balloon.log"
expect 0 "balloon REQ out=16 in=0 status=OK$" "" cat "$TMP/balloon.log"
expect 0 "device +balloon \(virtio id 5\)" "" "$VR" info "$TMP/balloon.vrt"
# A header giving only the device id gets QEMU's queues and config size: the same recording matches.
grep -v -e '^queues' -e '^devcfg' "$TMP/balloon.vrt" >"$TMP/bare.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/bare.vrt"
# Any id 1..63, by number; ids the spec leaves unnamed stay numbers through text and binary.
expect 0 "" "" "$VR" record --device 0x2a --scenario intx -o "$TMP/42.vrt"
expect 0 "^device 42$" "" grep '^device' "$TMP/42.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/42.vrt"
expect 0 "" "" "$VR" convert "$TMP/42.vrt" "$TMP/42.vrb"
expect 0 "" "" "$VR" convert "$TMP/42.vrb" "$TMP/42-back.vrt"
cmp -s "$TMP/42.vrt" "$TMP/42-back.vrt" || { echo "FAIL: id 42 did not round-trip"; fails=$((fails + 1)); }
expect 2 "" "unknown device '64'" "$VR" record --device 64 --scenario init -o "$TMP/x.vrt"
# generic-requests hold: nothing comes back; the fact survives binary conversion.
expect 0 "" "" "$VR" record --device virtio-tablet-pci --scenario input-events -o "$TMP/in.vrt"
expect 0 "^generic-requests hold$" "" grep '^generic-requests' "$TMP/in.vrt"
expect 0 "" "" "$VR" convert "$TMP/in.vrt" "$TMP/in.vrb"
expect 0 "^generic-requests hold$" "" "$VR" dump "$TMP/in.vrb"
expect 0 "" "^  interrupts +0$" "$VR" replay "$TMP/in.vrb"
# The same events with the default policy diverge: the device now answers requests.
grep -v '^generic-requests' "$TMP/in.vrt" >"$TMP/in-complete.vrt"
expect 1 "" "diverged" "$VR" replay "$TMP/in-complete.vrt"
# A model does not take the fact; an unknown policy is bad input; the hold scenario needs a type without a model.
sed 's/^device input$/device blk/' "$TMP/in.vrt" >"$TMP/blk-hold.vrt"
expect 2 "" "generic-requests hold' is for device types without a model" "$VR" replay "$TMP/blk-hold.vrt"
sed 's/^generic-requests hold$/generic-requests later/' "$TMP/in.vrt" >"$TMP/bad-policy.vrt"
expect 2 "" "line [0-9]+: unknown generic-requests policy 'later'" "$VR" replay "$TMP/bad-policy.vrt"
expect 2 "" "does not run on blk" "$VR" record --device blk --scenario too-many-in-flight-held -o "$TMP/x.vrt"
expect 0 "" "" "$VR" record --device iommu --scenario too-many-in-flight-held -o "$TMP/tm.vrt"
expect 0 "^violation too-many-in-flight at event" ": matched$" "$VR" replay "$TMP/tm.vrt"
finish
