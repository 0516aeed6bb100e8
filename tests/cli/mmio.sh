# tests/cli/mmio.sh -- rings and buffers outside RAM: the header's unassigned facts, qemu against vbox, older traces
. "$srcdir/tests/cli/lib.sh"
# Seed 10 of sweep-mmio: queue 0's used ring in the PCI hole, a read and two GET_IDs in one notify,
# the last one's data in a hole.
expect 0 "" "" "$VR" record --scenario sweep-mmio --seed 10 -o "$TMP/used.vrt"
# QEMU's whole map: its RAM outside the trace's, the PCI hole from -m, 4 GiB up to 2^64, the ROMs.
expect 0 "^unassigned 0x40800000 0xbe400000$" "" grep "^unassigned 0x408" "$TMP/used.vrt"
expect 0 "^unassigned 0x100000000 0xffffffff00000000$" "" grep "^unassigned 0x1000" "$TMP/used.vrt"
expect 0 "^rom 0xc0000 0x20000$" "" grep "^rom 0xc0000" "$TMP/used.vrt"
expect 0 "^rom 0xf0000 0xfff0$" "" grep "^rom 0xf0000" "$TMP/used.vrt"
expect 0 "^rom 0xffff0000 0xfff0$" "" grep "^rom 0xffff0000" "$TMP/used.vrt"
expect 0 "^ram 0x0 0xc0000$" "" grep "^ram 0x0 " "$TMP/used.vrt"
expect 0 "^ram 0x100000 0x3ff00000$" "" grep "^ram 0x100000 " "$TMP/used.vrt"
expect 0 "queue 0 with used ring in a hole" "" grep "^mark sweep: queue 0" "$TMP/used.vrt"
# qemu maps it (as QEMU 7.2 does): no violation, the request is served.
expect 0 "^$" "violations   0" "$VR" replay "$TMP/used.vrt"
expect 0 "^$" "GET_ID +2$" "$VR" replay "$TMP/used.vrt"
# Without the facts (a trace written before them) the ring is refused at queue enable.
grep -v "^unassigned " "$TMP/used.vrt" >"$TMP/old.vrt"
expect 1 "^violation ring-addr-bad .*used ring 0x[0-9a-f]+\+0x[0-9a-f]+ not in guest ram" ": diverged$" \
	"$VR" replay "$TMP/old.vrt"
# vbox refuses it whatever the header says.
expect 0 "" "" "$VR" record --scenario sweep-mmio --seed 10 --layout vbox -o "$TMP/vbox.vrt"
expect 0 "^unassigned 0x40800000 " "" grep "^unassigned 0x408" "$TMP/vbox.vrt"
expect 0 "^violation ring-addr-bad .*used ring 0x[0-9a-f]+\+0x[0-9a-f]+ not in guest ram$" ": matched$" \
	"$VR" replay "$TMP/vbox.vrt"
# The facts survive the binary format, and info shows them.
expect 0 "" "" "$VR" convert "$TMP/used.vrt" "$TMP/used.vrb"
expect 0 "^unassigned 0x40800000-0xfebfffff \(0xbe400000 bytes\)$" "" "$VR" info "$TMP/used.vrb"
expect 0 "^unassigned 0x100000000-0xffffffffffffffff \(0xffffffff00000000 bytes\)$" "" "$VR" info "$TMP/used.vrb"
expect 0 '"unassigned":\[\{"base":"0x40800000","size":"0xbe400000"\},' "" "$VR" info --json "$TMP/used.vrb"
expect 0 "^rom +0xc0000-0xdffff \(0x20000 bytes\)$" "" "$VR" info "$TMP/used.vrb"
expect 0 '"rom":\[\{"base":"0xc0000","size":"0x20000"\},' "" "$VR" info --json "$TMP/used.vrb"
expect 0 "" ": matched$" "$VR" replay "$TMP/used.vrb"
# Seed 5: a request whose header and data both lie in holes needs the bounce buffer twice (QEMU's "bogus descriptor").
expect 0 "" "" "$VR" record --scenario sweep-mmio --seed 5 -o "$TMP/bounce.vrt"
expect 0 "^violation buffer-outside-ram .*bounce buffer, which is taken" ": matched$" "$VR" replay "$TMP/bounce.vrt"
# Seed 18: one notify; the read's header in a hole holds the bounce buffer while its disk read is in flight,
# a GET_ID finishes inside the notify (published, interrupting), the next GET_ID's data in a hole breaks the device.
expect 0 "" "" "$VR" record --scenario sweep-mmio --seed 18 -o "$TMP/held.vrt"
expect 0 "^violation buffer-outside-ram .*desc 7: .*bounce buffer, which is taken" "GET_ID +1$" \
	"$VR" replay "$TMP/held.vrt"
expect 0 "^irq msix 1$" "" grep -m1 "^irq msix 1$" "$TMP/held.vrt"
# A header fact that makes no sense is bad input.
printf 'vrt 1\ndevice blk\nram 0x0 0x10000\nunassigned 0x8000 0x10000\n---\n' >"$TMP/bad.vrt"
expect 2 "^$" "unassigned range 0 overlaps RAM region 0" "$VR" replay "$TMP/bad.vrt"
printf 'vrt 1\ndevice blk\nunassigned 0x20000 0x10000\nrom 0x2f000 0x2000\n---\n' >"$TMP/bad.vrt"
expect 2 "^$" "unassigned range 0 and rom range 0 overlap" "$VR" replay "$TMP/bad.vrt"
printf 'vrt 1\ndevice blk\nrom 0xfffffffffffff000 0x1000\n---\n' >"$TMP/bad.vrt"
expect 2 "^$" "rom range 0 \(0xfffffffffffff000\+0x1000\) is empty or wraps around" "$VR" replay "$TMP/bad.vrt"
finish
