# tests/cli/import.sh -- import: qtest logs, command streams and shell-form reproducers into traces; refusals
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/import
BLK="-M pc -device virtio-blk-pci,addr=04.0,disable-legacy=on,drive=d0,serial=SER-1,vectors=2 -drive if=none,id=d0,driver=null-co,size=1M,read-zeroes=on"

# A hand-written -qtest-log of a virtio-blk read: the header from the command line and QEMU's answers.
expect 0 "" "^import: .*blk-read.log \(log\): [0-9]+ qtest lines, [0-9]+ events, device blk at 00:04.0; [0-9]+ access(es)? to other devices dropped$" \
	"$VR" import "$D/blk-read.log" --cmdline "$BLK" -o "$TMP/log.vrt"
for want in '^device blk$' '^layout qemu$' '^features 0x100000244$' '^queues 256$' '^pci-class 0x010000$' \
	'^pci-revision 0x1$' '^pci-subsystem 0x1af4 0x2$' '^msix-vectors 2$' '^serial SER-1$' '^ram 0x0 0x8000000$' \
	'^backend disk size 0x100000$' '^mark qemu: -M pc -device virtio-blk-pci'; do
	grep -Eq -- "$want" "$TMP/log.vrt" || { echo "FAIL: log.vrt has no line /$want/"; fails=$((fails + 1)); }
done
# Config accesses of 00:04.0 only (the host bridge read is dropped), BAR offsets, replies as recorded values.
for want in '^cfg r 0x0 4 = 0x10421af4$' '^cfg w 0x14 4 0xfebd1000$' '^cfg r 0x20 4 = 0xffffc00c$' \
	'^bar r 4 0x4 4 = 0x244$' '^bar w 4 0x3000 2 0x0$' '^bar r 4 0x1000 1 = 0x1$' \
	'^mem 0x10000 000002000000000010000000010001000010020000000000000200000300020000200200000000000100000002000000$' \
	'^mem-read 0x12000 000001000000000001020000$' '^mem-read 0x22000 00$' '^mem-read 0x21000 00000000000000000000000000000000$' \
	'^mark IRQ raise 10$'; do
	grep -Eq -- "$want" "$TMP/log.vrt" || { echo "FAIL: log.vrt has no line /$want/"; fails=$((fails + 1)); }
done
grep -q '0x70008086' "$TMP/log.vrt" && { echo "FAIL: another function's config read was imported"; fails=$((fails + 1)); }
# The imported trace replays (no bad-input: every event is one the simulator takes).
expect_replays() {
	"$VR" replay --quiet "$1" >"$TMP/rout" 2>"$TMP/rerr"
	rc=$?
	[ $rc -le 1 ] || { echo "FAIL: replay $1: exit $rc"; cat "$TMP/rerr"; fails=$((fails + 1)); }
}
expect_replays "$TMP/log.vrt"
# Binary output, and the same events.
expect 0 "" "" "$VR" import --quiet "$D/blk-read.log" --cmdline "$BLK" -o "$TMP/log.vrb"
"$VR" dump "$TMP/log.vrb" | cmp -s - "$TMP/log.vrt" || { echo "FAIL: binary import differs"; fails=$((fails + 1)); }
# Without a command line the device comes from the device ID QEMU answered.
expect 0 "" "device blk at 00:04.0" "$VR" import "$D/blk-read.log" -o "$TMP/bare.vrt"
grep -q '^device blk$' "$TMP/bare.vrt" || { echo "FAIL: bare log: device"; fails=$((fails + 1)); }

# The shell form of a reproducer: command line from the here-document line, q35 RAM, ECAM-free config.
expect 0 "" "\(shell\): 24 qtest lines" "$VR" import "$D/blk-repro.sh" -o "$TMP/repro.vrt"
for want in '^serial REPRO-1$' '^ram 0x0 0x20000000$' '^backend disk size 0x40000000$' '^cfg w 0x20 4 0xe0000000$' \
	'^bar w 4 0x14 1 0x1$' '^bar r 4 0x4 4$' '^bar w 4 0x20 8 0x100000$' \
	'^mem 0x100000 f{96}$' '^mem 0x101000 000001000000$' '^bar w 4 0x3000 2 0x0$' '^time 0x3e8$'; do
	grep -Eq -- "$want" "$TMP/repro.vrt" || { echo "FAIL: repro.vrt has no line /$want/"; fails=$((fails + 1)); }
done
grep -q '^mem-read' "$TMP/repro.vrt" && { echo "FAIL: a stream has no replies, so no mem-read"; fails=$((fails + 1)); }
expect_replays "$TMP/repro.vrt"
# The same commands as a plain stream with the command line in a comment.
{ echo "# qemu-system-x86_64 -M q35 -m 512M -device virtio-blk-pci,addr=04.0,disable-legacy=on,drive=d -drive id=d,size=1G,driver=null-co"
  sed -n '/^outl 0xcf8 0x80002020/,/^EOF$/p' "$D/blk-repro.sh" | grep -v '^EOF$'; } > "$TMP/plain.qtest"
expect 0 "" "\(stream\)" "$VR" import "$TMP/plain.qtest" -o "$TMP/plain.vrt"
grep -v '^\(serial\|mark\|title\)' "$TMP/plain.vrt" > "$TMP/a"; grep -v '^\(serial\|mark\|title\)' "$TMP/repro.vrt" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { echo "FAIL: plain stream and shell form differ"; diff "$TMP/a" "$TMP/b" | head; fails=$((fails + 1)); }
# ECAM: the same commands with configuration space reached through q35's MMCONFIG window
# (enabled through PCIEXBAR) import to the same events.
expect 0 "" "\(stream\): 23 qtest lines, 19 events, device blk at 00:04.0; 3 accesses" \
	"$VR" import "$D/blk-ecam.qtest" -o "$TMP/ecam.vrt"
grep -v '^\(serial\|mark\|title\)' "$TMP/ecam.vrt" > "$TMP/a"
cmp -s "$TMP/a" "$TMP/b" || { echo "FAIL: ECAM and 0xcf8/0xcfc differ"; diff "$TMP/a" "$TMP/b" | head; fails=$((fails + 1)); }
# A NUL byte before "<< EOF | qemu" (found by fuzz_import): not a here-document line, no crash.
printf 'outl 0xcf8 0x80002000\nx\000 << EOF | qemu-system-x86_64 -M pc\noutl 0xcfc 0x1\n' > "$TMP/nul.qtest"
expect 2 "" "nul.qtest: line 2: unknown qtest command 'x'" "$VR" import "$TMP/nul.qtest" -o "$TMP/nul.vrt"

# QEMU's C reproducers (tests/qtest/fuzz-*-test.c): qtest_init's command line, one libqtest call a line.
expect 0 "" "\(C\): 10 qtest lines, 6 events, device scsi at 00:03.0" \
	"$VR" import "$D/fuzz-virtio-scsi-test.c" -o "$TMP/c.vrt"
for want in '^mark qemu: -M pc-q35-5.2 -display none -m 512M -device virtio-scsi,num_queues=8,addr=03.0$' \
	'^cfg w 0x11 1 0x6e$' '^cfg w 0xe 2 0x66$' '^mem 0x1000 01000203$' '^mem 0x2000 f{32}$'; do
	grep -Eq -- "$want" "$TMP/c.vrt" || { echo "FAIL: c.vrt has no line /$want/"; fails=$((fails + 1)); }
done
expect_replays "$TMP/c.vrt"
printf '#include "libqtest.h"\nstatic void t(void)\n{\n    QTestState *s = qtest_init("-device virtio-blk-pci,addr=4");\n    qtest_outl(s, 0xcf8, port);\n}\n' > "$TMP/v.c"
expect 2 "" "v.c: line 5: qtest_outl: argument ' port' is not a number" "$VR" import "$TMP/v.c" -o "$TMP/x.vrt"

# What cannot be replayed: one message naming the line and what is missing, exit 2, no output.
# The legacy I/O BAR 0 of a transitional device: bar 0 events, the header says transitional.
expect 0 "" "" "$VR" import "$D/legacy.sh" -o "$TMP/legacy.vrt"
expect 0 "^transport transitional$" "" grep '^transport' "$TMP/legacy.vrt"
expect 0 "^bar w 0 0x12 1 0x1$" "" grep '^bar w 0 0x12 ' "$TMP/legacy.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/legacy.vrt"
printf 'cat << EOF | qemu-system-x86_64 -device virtio-blk-pci,addr=4,disable-modern=on -qtest stdio\noutl 0xcf8 0x80002004\noutw 0xcfc 0x6\nEOF\n' > "$TMP/lo.sh"
expect 0 "" "" "$VR" import "$TMP/lo.sh" -o "$TMP/lo.vrt"
expect 0 "^transport legacy$" "" grep '^transport' "$TMP/lo.vrt"
printf 'cat << EOF | qemu-system-x86_64 -device virtio-gpu-pci,addr=4 -qtest stdio\noutl 0xcf8 0x80002004\noutw 0xcfc 0x6\nEOF\n' > "$TMP/gpu.sh"
expect 2 "" "(virtio-gpu-pci|-device virtio-gpu-pci).*(no device model|not a virtio device type)" "$VR" import "$TMP/gpu.sh" -o "$TMP/x.vrt"
printf 'cat << EOF | qemu-system-aarch64 -M virt -device virtio-blk-pci -qtest stdio\nEOF\n' > "$TMP/arm.sh"
expect 2 "" "line 1: -machine virt: not an x86 PC machine \(pc or q35\)" "$VR" import "$TMP/arm.sh" -o "$TMP/x.vrt"

# virtio-serial-pci's properties (a real QEMU 7.2 -qtest-log of max_ports=1 with a virtconsole: DEVICE_READY,
# PORT_READY and what QEMU answered; the log never reads num_queues, so only max_ports= gives the header its queues).
SER="-M pc -device virtio-serial-pci,addr=04.0,disable-legacy=on,ioeventfd=off,max_ports=1 -chardev null,id=c0 -device virtconsole,chardev=c0"
expect 0 "" "device console at 00:04.0$" "$VR" import "$D/serial-max-ports.log" --cmdline "$SER" -o "$TMP/ser.vrt"
expect 0 "^queues 128 128 32 32$" "" grep '^queues' "$TMP/ser.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/ser.vrt"
# Without max_ports= the header is QEMU's default device (31 ports), whose max_nr_ports the log contradicts.
expect 0 "" "" "$VR" import --quiet "$D/serial-max-ports.log" --cmdline "${SER%%,max_ports=1*} -device virtconsole,chardev=c0" 	-o "$TMP/ser31.vrt"
expect 1 "" ": diverged$" "$VR" replay "$TMP/ser31.vrt"
# Ports the model does not have (no virtconsole: QEMU sends no DEVICE_ADD): a note, and the import goes on.
expect 0 "" "note: .*serial-max-ports.log: QEMU's virtio-serial ports are not the console model's: no port at id 0" \
	"$VR" import --quiet "$D/serial-max-ports.log" --cmdline "${SER%% -chardev*}" -o "$TMP/ser0.vrt"
# --quiet keeps the notes (they say where the trace is not what QEMU had) and drops the summary.
grep -q '^import: .*qtest lines' "$TMP/err" && { echo "FAIL: --quiet printed the summary"; fails=$((fails + 1)); }
# emergency-write=off and class= as header facts; what the log shows QEMU answered wins over them.
printf 'cat << EOF | qemu-system-x86_64 -device virtio-serial-pci,addr=4,max_ports=3,emergency-write=off,class=0x380 -qtest stdio\noutl 0xcf8 0x80002004\noutw 0xcfc 0x6\nEOF\n' > "$TMP/ew.sh"
expect 0 "" "" "$VR" import --quiet "$TMP/ew.sh" -o "$TMP/ew.vrt"
for want in '^features 0x10130000002$' '^pci-class 0x038000$' '^queues 128 128 32 32 128 128 128 128$'; do
	grep -Eq -- "$want" "$TMP/ew.vrt" || { echo "FAIL: ew.vrt has no line /$want/"; fails=$((fails + 1)); }
done
# Values QEMU refuses: FILE: line N: ..., exit 2.
for opt in "max_ports=0:max_ports=0: QEMU takes 1 to 511 ports" "max_ports=600:max_ports=600: QEMU takes 1 to 511" \
	"emergency-write=maybe:emergency-write=maybe: not on or off" "max_ports=2 -device virtserialport,nr=2:port id 2 is out of range"; do
	printf 'cat << EOF | qemu-system-x86_64 -device virtio-serial-pci,addr=4,%s -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' \
		"${opt%%:*}" > "$TMP/sbad.sh"
	expect 2 "" "^virtio-replay: $TMP/sbad.sh: line 1: -device [a-z-]*: ${opt#*:}" "$VR" import "$TMP/sbad.sh" -o "$TMP/x.vrt"
done

# Feature properties (real QEMU 7.2 -qtest-logs, made by tests/data/import/feature-logs.py).
DRV="-drive if=none,id=d0,driver=null-co,size=1M,read-zeroes=on"
MOD="-M pc -device virtio-blk-pci,addr=04.0,disable-legacy=on,drive=d0"
# A log that reads only the high half of the device features: the low half is QEMU's offer, not 0
# (with 0 the device has no DISCARD, so no max_discard_sectors where the log reads 0x3fffff).
expect 0 "" "" "$VR" import --quiet "$D/features-high-half.log" --cmdline "$MOD $DRV" -o "$TMP/hh.vrt"
expect 0 "^features 0x10130006e54$" "" grep '^features' "$TMP/hh.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/hh.vrt"
# iommu_platform=on: ACCESS_PLATFORM offered, so FEATURES_OK without it does not stick; without the
# property the device takes it.
expect 0 "" "" "$VR" import --quiet "$D/iommu-platform.log" --cmdline "$MOD,iommu_platform=on $DRV" -o "$TMP/io.vrt"
expect 0 "^features 0x10330006e54$" "" grep '^features' "$TMP/io.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/io.vrt"
expect 0 "" "" "$VR" import --quiet "$D/iommu-platform.log" --cmdline "$MOD $DRV" -o "$TMP/io0.vrt"
expect 1 "" ": diverged$" "$VR" replay "$TMP/io0.vrt"
# indirect_desc=off,event_idx=off on a transitional device: a legacy driver reads host_features
# (0x49006e54; QEMU's default 0x79006e54).
LEG="-M pc -device virtio-blk-pci,addr=04.0,drive=d0"
expect 0 "" "" "$VR" import --quiet "$D/legacy-ring-features.log" --cmdline "$LEG,indirect_desc=off,event_idx=no $DRV" \
	-o "$TMP/lg.vrt"
expect 0 "^features 0x10100006e54$" "" grep '^features' "$TMP/lg.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/lg.vrt"
# Without the properties the log still says it: the legacy driver's host_features read is the low
# half of the offer, less the bits only a legacy driver sees (NOTIFY_ON_EMPTY, ANY_LAYOUT, BAD_FEATURE).
expect 0 "" "" "$VR" import --quiet "$D/legacy-ring-features.log" --cmdline "$LEG $DRV" -o "$TMP/lg0.vrt"
expect 0 "^features 0x10100006e54$" "" grep '^features' "$TMP/lg0.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/lg0.vrt"
# A modern read of the same half wins over the legacy one: the high-half log read through both.
# queue_reset=off: RING_RESET leaves the offer (the qemu profile resets a queue either way, as QEMU 7.2).
expect 0 "" "" "$VR" import --quiet "$D/iommu-platform.log" --cmdline "$MOD,queue_reset=off $DRV" -o "$TMP/qr.vrt"
expect 0 "^features 0x130006e54$" "" grep '^features' "$TMP/qr.vrt"
# notify_on_empty and any_layout never show on a modern-only device: accepted there.
expect 0 "" "" "$VR" import --quiet "$D/features-high-half.log" --cmdline "$MOD,notify_on_empty=off,any_layout=off $DRV" \
	-o "$TMP/ne.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/ne.vrt"
# virtio-net's mac=: the device config's first six bytes (a devcfg prefix); export gives it back, and
# the import of the export has it again. All zeros is QEMU's "unset" (the default MAC): no devcfg.
NET="-M pc -device virtio-net-pci,addr=04.0,disable-legacy=on"
expect 0 "" "" "$VR" import --quiet "$D/net-mac.log" --cmdline "$NET,mac=02-00-5E-10-00-01" -o "$TMP/mac.vrt"
expect 0 "^devcfg 02005e100001$" "" grep '^devcfg' "$TMP/mac.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/mac.vrt"
expect 0 "" "" "$VR" export --quiet "$TMP/mac.vrt" --to qtest -o "$TMP/mac.sh"
grep -q "virtio-net-pci,addr=04.0,disable-legacy=on.*,mac=02:00:5e:10:00:01" "$TMP/mac.sh" ||
	{ echo "FAIL: export of a net trace with a MAC has no mac="; fails=$((fails + 1)); }
expect 0 "" "" "$VR" import --quiet "$TMP/mac.sh" -o "$TMP/mac2.vrt"
expect 0 "^devcfg 02005e100001$" "" grep '^devcfg' "$TMP/mac2.vrt"
# Without mac= the MAC the driver read from the device config is the one: the log says what QEMU had.
expect 0 "" "" "$VR" import --quiet "$D/net-mac.log" --cmdline "$NET" -o "$TMP/mac0.vrt"
expect 0 "^devcfg 02005e100001$" "" grep '^devcfg' "$TMP/mac0.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/mac0.vrt"
expect 0 "" "" "$VR" import --quiet "$D/net-mac.log" --cmdline "$NET,mac=00:00:00:00:00:00" -o "$TMP/macz.vrt"
expect 0 "^devcfg 02005e100001$" "" grep '^devcfg' "$TMP/macz.vrt"
# A log alone (no command line): a transitional device ID read back gives the legacy I/O BAR; a legacy
# driver enables MSI-X (the device config moves from 0x14 to 0x18), reads the MAC there, then writes
# one of its own: the MAC read before any write is QEMU's.
expect 0 "" "" "$VR" import --quiet "$D/net-legacy-mac.log" -o "$TMP/lmac.vrt"
expect 0 "^devcfg 02005e100002$" "" grep '^devcfg' "$TMP/lmac.vrt"
expect 0 "^transport transitional$" "" grep '^transport' "$TMP/lmac.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/lmac.vrt"
# A real QEMU 7.2 log (-qtest-log of qemu-system-x86_64 -M pc -nodefaults -device virtio-rng-pci,addr=4
# fed: BAR 0 sized (reads back 0xffffffe1: 32 bytes), then written 0xc0f1, I/O on, status read/written at
# 0xc0f2, host_features at 0xc0e0): QEMU decodes the BAR at 0xc0e0, so 0xc0f2 is the status at 0x12.
expect 0 "" "" "$VR" import --quiet "$D/rng-legacy-bar.log" --cmdline "-M pc -nodefaults -device virtio-rng-pci,addr=4" \
	-o "$TMP/rbar.vrt"
expect 0 "^bar w 0 0x12 1 0x1$" "" grep '^bar w' "$TMP/rbar.vrt"
expect 0 "^bar r 0 0x0 4 = 0x79000000$" "" grep '^bar r 0 0x0 ' "$TMP/rbar.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/rbar.vrt"
for m in 02:00:5e:10:00 02:00:5e:10:00:011 02:00:5e:10:0g:01 02.00.5e.10.00.01 2:00:5e:10:00:01; do
	expect 2 "" "^virtio-replay: .*net-mac.log: --cmdline: -device virtio-net-pci: mac=$m: not a MAC address" \
		"$VR" import "$D/net-mac.log" --cmdline "$NET,mac=$m" -o "$TMP/x.vrt"
done
# The scsi-hd on the virtio-scsi bus: serial= and write-cache= taken, its other guest-visible properties
# accepted at QEMU's defaults (as the QEMU bridge spells them) and refused otherwise; a second disk or
# another SCSI device type is refused. A scsi-hd beside a virtio function that is not virtio-scsi is
# another controller's: its serial is not the function's.
SC="-device virtio-scsi-pci,id=scsi0,addr=4 -drive if=none,id=d0,driver=null-co,size=1M"
for d in "scsi-hd,drive=d0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,write-cache=off,serial=S1|" \
	"scsi-hd,drive=d0,vendor=QEMU,ver=2.5+,logical_block_size=512,lun=4294967295,max_unmap_size=1G|" \
	"scsi-hd,drive=d0,vendor=ACME|vendor=ACME: the device model cannot honour it \\(it has vendor=QEMU\\)" \
	"scsi-hd,drive=d0,lun=1|lun=1: the device model cannot honour it \\(it has the disk at LUN 0\\)" \
	"scsi-hd,drive=d0,wwn=0x5000c50015ea71ac|wwn=0x5000c50015ea71ac: the device model cannot honour it" \
	"scsi-hd,drive=d0,removable=on|removable=on: the device model cannot honour it \\(it has a fixed disk\\)" \
	"scsi-cd,drive=d0|the virtio-scsi model has one disk, a scsi-hd, and no scsi-cd" \
	"scsi-hd,drive=d0 -device scsi-hd,drive=d1|a second disk"; do
	printf 'cat << EOF | qemu-system-x86_64 %s -device %s -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' "$SC" "${d%%|*}" > "$TMP/sc.sh"
	if [ -z "${d#*|}" ]; then
		expect 0 "" "" "$VR" import --quiet "$TMP/sc.sh" -o "$TMP/sc.vrt"
	else
		expect 2 "" "^virtio-replay: $TMP/sc.sh: line 1: -device scsi-..: ${d#*|}" "$VR" import "$TMP/sc.sh" -o "$TMP/x.vrt"
	fi
done
printf 'cat << EOF | qemu-system-x86_64 %s -device scsi-hd,drive=d0,serial=S1,write-cache=off -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' "$SC" > "$TMP/sc.sh"
expect 0 "" "" "$VR" import --quiet "$TMP/sc.sh" -o "$TMP/sc.vrt"
expect 0 "^serial S1$" "" grep '^serial' "$TMP/sc.vrt"
expect 0 "^write-cache off$" "" grep '^write-cache' "$TMP/sc.vrt"
printf 'cat << EOF | qemu-system-x86_64 -device virtio-blk-pci,addr=4,drive=d0 -device lsi53c895a -device scsi-hd,drive=d1,serial=S2 -drive if=none,id=d0,driver=null-co -drive if=none,id=d1,driver=null-co -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' > "$TMP/sc.sh"
expect 0 "" "" "$VR" import --quiet "$TMP/sc.sh" -o "$TMP/sc.vrt"
expect 1 "^$" "" grep '^serial' "$TMP/sc.vrt"
# What QEMU refuses, or the model cannot honour: FILE: line N: ..., exit 2.
for opt in "packed=on:packed=on: the device models have no packed virtqueues" \
	"iommu_platform=on:iommu_platform=on: QEMU refuses it on a device with a legacy interface" \
	"notify_on_empty=off:notify_on_empty=off: the device model cannot honour it on a legacy interface" \
	"any_layout=false:any_layout=false: the device model cannot honour it on a legacy interface" \
	"event_idx=maybe:event_idx=maybe: not on or off"; do
	printf 'cat << EOF | qemu-system-x86_64 -device virtio-rng-pci,addr=4,%s -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' \
		"${opt%%:*}" > "$TMP/fbad.sh"
	expect 2 "" "^virtio-replay: $TMP/fbad.sh: line 1: -device virtio-rng-pci: ${opt#*:}" "$VR" import "$TMP/fbad.sh" -o "$TMP/x.vrt"
done

# virtio-blk's num-queues, discard, write-zeroes, config-wce (a real QEMU 7.2 log that reads num_queues 2 and,
# past the config QEMU then has, 0xffffffff where max_discard_sectors and max_write_zeroes_sectors were).
BC="$MOD,num-queues=2,discard=off,write-zeroes=off,config-wce=off $DRV"
expect 0 "" "" "$VR" import --quiet "$D/blk-config-props.log" --cmdline "$BC" -o "$TMP/bc.vrt"
expect 0 "^features 0x10130001654$" "" grep '^features' "$TMP/bc.vrt"
expect 0 "^queues 256 256$" "" grep '^queues' "$TMP/bc.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/bc.vrt"
for drop in num-queues=2 discard=off write-zeroes=off; do
	expect 0 "" "" "$VR" import --quiet "$D/blk-config-props.log" --cmdline "$(echo "$BC" | sed "s/,$drop//")" -o "$TMP/bc1.vrt"
	expect 1 "" ": diverged$" "$VR" replay "$TMP/bc1.vrt"
done
# virtio-blk's class= (a real QEMU 7.2 log that reads the class word at 0x0a: 0x0180); without it, 0x0100.
expect 0 "" "" "$VR" import --quiet "$D/blk-class.log" --cmdline "$MOD,class=0x0180 $DRV" -o "$TMP/cls.vrt"
expect 0 "^pci-class 0x018000$" "" grep '^pci-class' "$TMP/cls.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/cls.vrt"
expect 0 "" "" "$VR" import --quiet "$D/blk-class.log" --cmdline "$MOD $DRV" -o "$TMP/cls0.vrt"
expect 1 "" ": diverged$" "$VR" replay "$TMP/cls0.vrt"
# virtio-scsi's num_queues, hotplug and param_change (QEMU 7.2: 5 queues of 256, features 0x10130000000).
printf 'cat << EOF | qemu-system-x86_64 -device virtio-scsi-pci,addr=4,disable-legacy=on,num_queues=3,hotplug=off,param_change=off -qtest stdio\noutl 0xcf8 0x80002004\noutw 0xcfc 0x6\nEOF\n' > "$TMP/scsi.sh"
expect 0 "" "" "$VR" import --quiet "$TMP/scsi.sh" -o "$TMP/scsi.vrt"
for want in '^features 0x10130000000$' '^queues 256 256 256 256 256$'; do
	grep -Eq -- "$want" "$TMP/scsi.vrt" || { echo "FAIL: scsi.vrt has no line /$want/"; fails=$((fails + 1)); }
done
# Values other than QEMU's default that the models cannot honour, and values QEMU refuses.
for opt in "virtio-blk-pci,queue-size=128|queue-size=128: the device model cannot honour it \\(it has 256-entry queues" \
	"virtio-blk-pci,logical_block_size=4k|logical_block_size=4k: the device model cannot honour it \\(it has 512-byte blocks\\)" \
	"virtio-blk-pci,num-queues=0|num-queues=0: QEMU takes 1 to 1024 queues" \
	"virtio-scsi-pci,num_queues=1023|num_queues=1023: QEMU takes 1 to 1022 queues" \
	"virtio-net-pci,mac=52:54:00:00:00:1|mac=52:54:00:00:00:1: not a MAC address" \
	"virtio-net-pci,status=off|status=off: the device model cannot honour it \\(it has STATUS in its offer\\)" \
	"virtio-rng-pci,max-bytes=1024|max-bytes=1024: the device model cannot honour it \\(it has no rate limit\\)" \
	"virtio-rng-pci,page-per-vq=on|page-per-vq=on: the device model cannot honour it" \
	"virtio-rng-pci,romfile=x.rom|romfile=x.rom: the device model cannot honour it" \
	"virtio-blk-pci,discard=maybe|discard=maybe: not on or off"; do
	printf 'cat << EOF | qemu-system-x86_64 -device %s -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' "${opt%%|*}" > "$TMP/pbad.sh"
	dev=${opt%%,*}
	expect 2 "" "^virtio-replay: $TMP/pbad.sh: line 1: -device $dev: ${opt#*|}" "$VR" import "$TMP/pbad.sh" -o "$TMP/x.vrt"
done
# What the guest cannot see through the function is accepted: QEMU's defaults spelled out, ioeventfd, iothread.
printf 'cat << EOF | qemu-system-x86_64 -device virtio-blk-pci,addr=4,queue-size=256,num-queues=1,ioeventfd=off,request-merging=off,rombar=1 -qtest stdio\noutl 0xcf8 0x80002004\nEOF\n' > "$TMP/ok.sh"
expect 0 "" "" "$VR" import --quiet "$TMP/ok.sh" -o "$TMP/ok.vrt"

# Bad qtest input: FILE: line N: ..., exit 2.
bad() {	# bad TEXT REGEX
	printf "$1" > "$TMP/bad.qtest"
	expect 2 "" "^virtio-replay: $TMP/bad.qtest: line $2" "$VR" import "$TMP/bad.qtest" --cmdline "$BLK" -o "$TMP/x.vrt"
}
bad 'outl 0xcf8 0x80002004\nfrobnicate 1 2\n' "2: unknown qtest command 'frobnicate'"
bad 'outl 0xcf8 zz\n' "1: outl: bad value 'zz'"
bad 'outl 0xcf8\n' "1: outl needs 2 arguments"
bad 'outl 0x10000 1\n' "1: port 0x10000 is beyond 0xffff"
bad 'write 0x1000 0x2 0x123\n' "1: write: data must be 0x and at most 2 hex digit pairs"
bad 'b64write 0x1000 0x2 !!!!\n' "1: b64write: bad base64 data"
bad 'memset 0x0 0x2000000 0\n' "1: memset of 33554432 bytes \(import takes at most 16 MiB in one command\)"
bad '[R +0.1] outl 0xcf8 0x80002004\n[S +0.1] OK\n[S +0.2] OK\n' "3: a reply without a request"
bad '[R +0.1] readl 0xfe000000\n[S +0.1] OK 0xzz\n' "1: readl: bad reply value '0xzz'"
bad '[R +0.1] read 0x1000 0x4\n[S +0.1] OK 0x00\n' "1: read: the reply does not hold 4 bytes"
bad '[R +0.1] outl 0xcf8 0x80002004\nhello\n' "2: not a qtest log line"
bad '[R +0.1] clock_step\n[S +0.1] OK 100\n[R +0.2] clock_step\n[S +0.2] OK 50\n' "3: clock_step: the clock goes backwards"
bad 'cat << EOF | qemu-system-x86_64 -qtest stdio\noutl 0xcf8 0\n' "3: the here-document never ends \(no line 'EOF'\)"
expect 2 "" "nosuch.qtest: No such file" "$VR" import "$TMP/nosuch.qtest" -o "$TMP/x.vrt"
printf 'outl 0xcf8 0x80002004\n' > "$TMP/nocfg.qtest"
expect 2 "" "never writes the config space of a PCI function" "$VR" import "$TMP/nocfg.qtest" --cmdline "-device virtio-blk-pci" -o "$TMP/x.vrt"
# A -drive file= is a file beside the log, looked at for its size and nothing else: an absolute
# path, one with a directory in it, or a symlink is never followed (a log from a bug report must
# not read the host's files), and the import says so.
mkdir -p "$TMP/rep/sub" && cp "$D/blk-read.log" "$TMP/rep/" && head -c 3145728 /dev/zero >"$TMP/rep/disk.img"
cp "$TMP/rep/disk.img" "$TMP/rep/sub/disk.img" && ln -s disk.img "$TMP/rep/link.img"
FBLK="-M pc -device virtio-blk-pci,addr=04.0,disable-legacy=on,drive=d0,vectors=2 -drive if=none,id=d0,format=raw,file"
expect 0 "" "" "$VR" import --quiet "$TMP/rep/blk-read.log" --cmdline "$FBLK=disk.img" -o "$TMP/f.vrt"
grep -q '^backend disk size 0x300000$' "$TMP/f.vrt" || { echo "FAIL: file=disk.img beside the log: no 3 MiB disk"; fails=$((fails + 1)); }
# the current directory is not where the file is looked for
(cd "$TMP" && "$VR" import --quiet rep/blk-read.log --cmdline "$FBLK=disk.img" -o f2.vrt) &&
	grep -q '^backend disk size 0x300000$' "$TMP/f2.vrt" || { echo "FAIL: file= not looked up beside the log"; fails=$((fails + 1)); }
for f in "$TMP/rep/disk.img" sub/disk.img ../rep/disk.img /etc/passwd link.img nosuch.img; do
	expect 0 "" "import: note: .*blk-read.log: -drive file=$f.*(not a file beside the log|no such regular file beside the log)" \
		"$VR" import --quiet "$TMP/rep/blk-read.log" --cmdline "$FBLK=$f" -o "$TMP/f3.vrt"
	! grep -q '^backend disk' "$TMP/f3.vrt" || { echo "FAIL: file=$f: a disk size was read"; fails=$((fails + 1)); }
done
# Usage.
expect 2 "" "need -o TRACE" "$VR" import "$D/blk-read.log"
expect 2 "" "cannot tell the format" "$VR" import "$D/blk-read.log" -o "$TMP/x.txt"
expect 0 "import FILE -o TRACE" "" "$VR" import --help
finish
