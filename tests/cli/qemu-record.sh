# tests/cli/qemu-record.sh -- record --target qemu: a real QEMU device answers, the trace replays; QEMU missing is exit 3
. "$srcdir/tests/cli/lib.sh"
# No silent skip: without QEMU this test fails (bootstrap.sh installs qemu-system-x86).
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not found (run bootstrap.sh)"; exit 1; }
# A missing binary, and a QEMU that refuses its command line: exit 3, saying which.
expect 3 "^$" "qemu missing: .*/nonexistent/qemu not found" "$VR" record --target qemu --qemu /nonexistent/qemu \
	--scenario init -o "$TMP/x.vrt"
expect 3 "^$" "qemu failed to start" "$VR" record --target qemu --qemu /bin/false --scenario init -o "$TMP/x.vrt"
expect 2 "^$" "cannot run on QEMU: .*checkpoint" "$VR" record --target qemu --scenario checkpoint-bad -o "$TMP/x.vrt"
# wrap on QEMU: no checkpoint, the way to idx 65532 is in the trace; the indices cross 65535 and replay matches.
expect 0 "^$" "" "$VR" record --target qemu --scenario wrap -o "$TMP/wrap.vrt"
expect 0 "^mark avail and used idx at 65532" "" grep "^mark avail and used idx" "$TMP/wrap.vrt"
expect 0 "" "^  requests +65540$" "$VR" replay "$TMP/wrap.vrt"
expect 2 "^$" "wrap: --count 300000: at most 131071" "$VR" record --target qemu --scenario wrap --count 300000 -o "$TMP/x.vrt"
expect 2 "^$" "unknown target" "$VR" record --target vbox --scenario init
# One QEMU per recording: blk basic carries QEMU's answers (register values, interrupts, no DMA).
expect 0 "^$" "" "$VR" record --target qemu --scenario basic -o "$TMP/blk.vrt"
expect 0 "^recorded irq$" "" grep -x "recorded irq" "$TMP/blk.vrt"
expect 0 "^mark qemu -device virtio-blk-pci" "" grep "^mark qemu" "$TMP/blk.vrt"
expect 0 "^irq msix 1$" "" grep -m1 "^irq " "$TMP/blk.vrt"
# The header's identity facts are QEMU's answers (a block device, class 01/00; a table of 2 vectors).
expect 0 "^pci-class 0x010000$" "" grep "^pci-class" "$TMP/blk.vrt"
expect 0 "^pci-subsystem 0x1af4 0x[0-9a-f]{4}$" "" grep "^pci-subsystem" "$TMP/blk.vrt"
expect 0 "^msix-vectors 2$" "" grep "^msix-vectors" "$TMP/blk.vrt"
expect 0 "^pci-revision 0x[0-9a-f]+$" "" grep "^pci-revision" "$TMP/blk.vrt"
expect 1 "^$" "" grep -q "^dma " "$TMP/blk.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/blk.vrt"
# The trace is QEMU's: a value the simulator would not give is a divergence at that event.
n=$(grep -n '^bar r 4 0x12 2 = ' "$TMP/blk.vrt" | head -1 | cut -d: -f1)
sed "${n}s/= 0x1\$/= 0x7/" "$TMP/blk.vrt" >"$TMP/planted.vrt"
expect 1 "event [0-9]+ .*divergence in common.num_queues" ": diverged" "$VR" replay "$TMP/planted.vrt"
# What the device left in RAM comes back as mem-read events (qtest cannot see DMA): the used
# ring the guest polls, and the IN bytes of each completion (rng: the entropy the host gave).
expect 0 "^mem-read 0x[0-9a-f]+ [0-9a-f]{4}$" "" grep -m1 "^mem-read " "$TMP/blk.vrt"
expect 0 "" "" "$VR" record --target qemu --device rng --scenario basic -o "$TMP/rng.vrt"
e=$(awk '$1 == "input" { print $4; exit }' "$TMP/rng.vrt")
expect 0 "^mem-read 0x[0-9a-f]+ $e$" "" grep -m1 "^mem-read 0x[0-9a-f]* $e$" "$TMP/rng.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/rng.vrt"
# A read-back the simulation does not hold is a divergence naming the ring field.
n=$(grep -n '^mem-read 0x40011242 0100$' "$TMP/blk.vrt" | head -1 | cut -d: -f1)
sed "${n}s/ 0100\$/ 0500/" "$TMP/blk.vrt" >"$TMP/planted-ram.vrt"
expect 1 "divergence in requestq.used.idx" ": diverged" "$VR" replay "$TMP/planted-ram.vrt"
finish
