# tests/cli/qemu-record.sh -- record --target qemu: a real QEMU device answers, the trace replays; QEMU missing is exit 3
. "$srcdir/tests/cli/lib.sh"
# No silent skip: without QEMU this test fails (bootstrap.sh installs qemu-system-x86).
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not found (run bootstrap.sh)"; exit 1; }
# A missing binary, and a QEMU that refuses its command line: exit 3, saying which.
expect 3 "^$" "qemu missing: .*/nonexistent/qemu not found" "$VR" record --target qemu --qemu /nonexistent/qemu \
	--scenario init -o "$TMP/x.vrt"
expect 3 "^$" "qemu failed to start" "$VR" record --target qemu --qemu /bin/false --scenario init -o "$TMP/x.vrt"
expect 2 "^$" "cannot run on QEMU: .*checkpoint" "$VR" record --target qemu --scenario wrap -o "$TMP/x.vrt"
expect 2 "^$" "unknown target" "$VR" record --target vbox --scenario init
# One QEMU per recording: blk basic carries QEMU's answers (register values, interrupts, no DMA).
expect 0 "^$" "" "$VR" record --target qemu --scenario basic -o "$TMP/blk.vrt"
expect 0 "^recorded irq$" "" grep -x "recorded irq" "$TMP/blk.vrt"
expect 0 "^mark qemu -device virtio-blk-pci" "" grep "^mark qemu" "$TMP/blk.vrt"
expect 0 "^irq msix 1$" "" grep -m1 "^irq " "$TMP/blk.vrt"
expect 1 "^$" "" grep -q "^dma " "$TMP/blk.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/blk.vrt"
# The trace is QEMU's: a value the simulator would not give is a divergence at that event.
n=$(grep -n '^bar r 4 0x12 2 = ' "$TMP/blk.vrt" | head -1 | cut -d: -f1)
sed "${n}s/= 0x1\$/= 0x7/" "$TMP/blk.vrt" >"$TMP/planted.vrt"
expect 1 "event [0-9]+ .*divergence in common.num_queues" ": diverged" "$VR" replay "$TMP/planted.vrt"
finish
