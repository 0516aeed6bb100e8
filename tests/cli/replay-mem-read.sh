# tests/cli/replay-mem-read.sh -- mem-read events: read-backs of guest RAM compared with the simulation, by field name
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# The recording of blk-basic as QEMU would give it: no DMA events, the guest reads the used ring back after
# the first interrupt. Line L is the first irq.
L=$(grep -n '^irq' "$T/blk-basic.vrt" | head -1 | cut -d: -f1)
readback() {	# readback USED-HEADER USED-ELEM OUT
	awk -v L="$L" -v H="$1" -v E="$2" '
		/^recorded / { print "recorded irq"; next }
		/^dma / { next }
		NR == L { print; print "mem-read 0x40011240 " H; print "mem-read 0x40011244 " E; next }
		{ print }' "$T/blk-basic.vrt" > "$3"
}
readback 00000100 0000000001000000 "$TMP/ok.vrt"
[ "$(grep -c '^dma' "$TMP/ok.vrt")" = 0 ] || { echo "FAIL: dma events left"; fails=$((fails + 1)); }
expect 0 "" "matched" "$VR" replay "$TMP/ok.vrt"
expect 0 "\"mem-read\":2" "" "$VR" replay --json "$TMP/ok.vrt"

# used.idx read back as 2 where the device published 1: the report names the field and the event.
readback 00000200 0000000001000000 "$TMP/idx.vrt"
n=$(grep -v '^\(vrt\|device\|layout\|features\|recorded\|queues\|devcfg\|ram\|backend\|title\) ' "$TMP/idx.vrt" |
	grep -n '^mem-read 0x40011240' | cut -d: -f1)
expect 1 "^$TMP/idx.vrt: event $((n - 1)) \(offset 0x[0-9a-f]+\): divergence in requestq.used.idx$" "" \
	"$VR" replay "$TMP/idx.vrt"
expect 1 "first difference at byte 2 \(guest address 0x40011242, requestq.used.idx\)" "" "$VR" replay "$TMP/idx.vrt"
expect 1 "\"first_divergence\":$((n - 1))" "" "$VR" replay --json "$TMP/idx.vrt"

# The element's length wrong as well: strict stops at the first, lenient counts both.
readback 00000200 0000000002000000 "$TMP/two.vrt"
expect 1 "divergence in requestq.used.idx" "" "$VR" replay "$TMP/two.vrt"
expect 1 "\"divergences\":2" "" "$VR" replay --lenient --json "$TMP/two.vrt"
expect 1 "divergence in requestq.used.ring\[0\].len" "" "$VR" replay --lenient "$TMP/two.vrt"

# Read-backs round-trip through the binary format.
expect 0 "" "" "$VR" convert "$TMP/two.vrt" "$TMP/two.vrb"
"$VR" dump "$TMP/two.vrb" | cmp -s - "$TMP/two.vrt" || { echo "FAIL: mem-read text->binary->text"; fails=$((fails + 1)); }

# A read outside the declared RAM is a bad trace.
readback 00000100 0000000001000000 "$TMP/out.vrt"
sed -i 's/^mem-read 0x40011244 /mem-read 0x10 /' "$TMP/out.vrt"
expect 2 "" "out.vrt: event [0-9]+ \(offset 0x[0-9a-f]+\): guest read of 8 bytes at 0x10 lies outside the declared RAM" \
	"$VR" replay "$TMP/out.vrt"
finish
