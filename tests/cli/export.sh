# tests/cli/export.sh -- export --to qtest: the guest side as a QEMU reproducer; import of it gives the same guest events
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# The guest's actions of a trace: config and BAR accesses (reads without their recorded answers) and RAM stores.
guest() {
	"$VR" dump "$1" | sed -n '/^\(cfg\|bar\) [rw] \|^mem /{s/ = .*//;p;}'
}
for t in blk-basic blk-indirect net-basic rng-basic console-basic scsi-basic blk-transitional blk-legacy net-legacy; do
	# the trace's transport picks QEMU's: modern-only, transitional, legacy-only (its I/O BAR 0 as port commands)
	case $t in
	*-transitional) props="disable-legacy=off" ;;
	*-legacy) props="disable-legacy=off,disable-modern=on" ;;
	*) props="disable-legacy=on" ;;
	esac
	[ -f "$T/$t.vrt" ] || { echo "FAIL: no $t.vrt"; fails=$((fails + 1)); continue; }
	expect 0 "" "^export: .*$t.vrt: [0-9]+ guest events as [0-9]+ qtest commands" \
		"$VR" export "$T/$t.vrt" --to qtest -o "$TMP/$t.sh"
	[ -x "$TMP/$t.sh" ] || { echo "FAIL: $t.sh is not executable"; fails=$((fails + 1)); }
	grep -q "^cat << 'EOF' | qemu-system-x86_64 -machine pc .*-device virtio-[a-z]*-pci,addr=04.0,$props\(,[^ ]*\)\{0,1\} .*-qtest stdio$" "$TMP/$t.sh" ||
		{ echo "FAIL: $t.sh: no QEMU command line"; fails=$((fails + 1)); }
	sh -n "$TMP/$t.sh" || { echo "FAIL: $t.sh is not a valid shell script"; fails=$((fails + 1)); }
	expect 0 "" "" "$VR" import --quiet "$TMP/$t.sh" -o "$TMP/$t.back.vrt"
	guest "$T/$t.vrt" > "$TMP/want"
	guest "$TMP/$t.back.vrt" > "$TMP/got"
	[ -s "$TMP/want" ] || { echo "FAIL: $t: no guest events"; fails=$((fails + 1)); }
	cmp -s "$TMP/want" "$TMP/got" || { echo "FAIL: $t: export then import changes the guest side"; diff "$TMP/want" "$TMP/got" | head -5; fails=$((fails + 1)); }
	grep -q "^device $(sed -n 's/^device //p' "$T/$t.vrt")$" "$TMP/$t.back.vrt" || { echo "FAIL: $t: device type lost"; fails=$((fails + 1)); }
done
# The stream form: commands only, the command line as a comment; it imports the same.
expect 0 "^# qemu-system-x86_64 -machine pc" "" "$VR" export --quiet "$T/blk-basic.vrt" --to qtest --stream -o -
"$VR" export --quiet "$T/blk-basic.vrt" --to qtest --stream -o "$TMP/s.qtest"
expect 0 "" "\(stream\)" "$VR" import "$TMP/s.qtest" -o "$TMP/s.vrt"
guest "$TMP/s.vrt" > "$TMP/got"; guest "$T/blk-basic.vrt" > "$TMP/want"
cmp -s "$TMP/want" "$TMP/got" || { echo "FAIL: stream round trip"; fails=$((fails + 1)); }
# Header facts travel on the command line: serial=, vectors=, discard= and write-cache= come back.
printf 'vrt 1\ndevice blk\nserial A,B C\nmsix-vectors 3\ndiscard unmap\nwrite-cache off\nram 0x0 0x100000\nbackend disk size 0x100000\n---\nbar w 4 0x14 1 0x1\nmem 0x1000 00ff\nmem-read 0x1000 00ff\n' > "$TMP/h.vrt"
expect 0 "" "2 BAR placements added" "$VR" export "$TMP/h.vrt" --to qtest -o "$TMP/h.sh"
grep -q "serial=A,,B C" "$TMP/h.sh" || { echo "FAIL: serial not on the command line"; fails=$((fails + 1)); }
grep -q "^read 0x1000 0x2$" "$TMP/h.sh" || { echo "FAIL: mem-read not a read command"; fails=$((fails + 1)); }
expect 0 "" "" "$VR" import --quiet "$TMP/h.sh" -o "$TMP/h.back.vrt"
grep -q '^serial A,B C$' "$TMP/h.back.vrt" && grep -q '^msix-vectors 3$' "$TMP/h.back.vrt" ||
	{ echo "FAIL: serial/vectors did not come back"; fails=$((fails + 1)); }
grep -q "write-cache=off" "$TMP/h.sh" && grep -q "discard=unmap" "$TMP/h.sh" ||
	{ echo "FAIL: the disk options are not on the command line"; fails=$((fails + 1)); }
grep -q '^discard unmap$' "$TMP/h.back.vrt" && grep -q '^write-cache off$' "$TMP/h.back.vrt" ||
	{ echo "FAIL: the disk options did not come back"; fails=$((fails + 1)); }
grep -q '^bar w 4 0x14 1 0x1$' "$TMP/h.back.vrt" || { echo "FAIL: the placed BAR is not where the access went"; fails=$((fails + 1)); }
# The script runs QEMU and QEMU exits at its end (the reset request under -no-reboot), every command OK.
if command -v qemu-system-x86_64 >/dev/null; then
	for t in blk-basic blk-legacy; do
		(cd "$TMP" && timeout 60 sh "./$t.sh" >"$TMP/$t.run" 2>&1)
		rc=$?
		[ $rc -eq 0 ] || { echo "FAIL: $t.sh: exit $rc (124: QEMU did not exit)"; fails=$((fails + 1)); }
		! grep -q '^FAIL' "$TMP/$t.run" || { echo "FAIL: $t.sh: QEMU refused a command"; grep -m3 '^FAIL' "$TMP/$t.run"; fails=$((fails + 1)); }
		[ "$(grep -c '^OK' "$TMP/$t.run")" -gt 100 ] || { echo "FAIL: $t.sh: QEMU did not answer"; fails=$((fails + 1)); }
	done
fi
# After the machine reset request nothing can be imported: one clear error naming both lines.
sed '/^EOF$/i outb 0x80 0x1' "$TMP/blk-basic.sh" >"$TMP/after-reset.sh"
expect 2 "" "line [0-9]+: outb after the machine reset request at line [0-9]+ \\(port 0xcf9\\)" \
	"$VR" import "$TMP/after-reset.sh" -o "$TMP/after-reset.vrt"
# Refused: no QEMU equivalent; bad traces; usage.
expect 2 "" "layout vbox has no QEMU equivalent" "$VR" export "$T/blk-vbox.vrt" --to qtest -o "$TMP/v.sh"
[ ! -e "$TMP/v.sh" ] && [ ! -e "$TMP/v.sh.tmp" ] || { echo "FAIL: a refused export left a file"; fails=$((fails + 1)); }
expect 2 "" "nosuch.vrt" "$VR" export "$TMP/nosuch.vrt" --to qtest -o "$TMP/x.sh"
expect 2 "" "unknown target 'toaster'" "$VR" export "$T/blk-basic.vrt" --to toaster -o "$TMP/x.sh"
expect 2 "" "need --to TARGET" "$VR" export "$T/blk-basic.vrt" -o "$TMP/x.sh"
expect 0 "--to qtest" "" "$VR" export --help
finish
