# tests/cli/import-mac.sh -- import gives a virtio-net without mac= the MAC QEMU 7.2 gives it, checked on QEMU
. "$srcdir/tests/cli/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not found (run bootstrap.sh)"; exit 1; }
# NICs made before it take 52:54:00:12:34:56 and up first: -nic, -net nic, the machine's default NIC (no
# -nodefaults, no network option), the -device NICs before it; a mac=52:54:00:12:34:xx takes xx.
# Each command line runs on QEMU, whose answer to the MAC reads (at 00:0a.0, legacy I/O BAR 0, config at 0x14) is the
# truth (-S: the CPU never runs; the reset request under -no-reboot ends it); the import of the same reads as a command stream (no answers) must put the same MAC in its header.
reads='outl 0xcf8 0x80005010\noutl 0xcfc 0xc001\noutl 0xcf8 0x80005004\noutw 0xcfc 0x1\ninb 0xc014\ninb 0xc015\ninb 0xc016\ninb 0xc017\ninb 0xc018\ninb 0xc019\n'
NET="-device virtio-net-pci,addr=0a.0,disable-legacy=off"
n=0 dflt=0
while IFS= read -r cl; do
	case $cl in *virtio-net-pci*) dev= ;; *) dev=$NET ;; esac
	# shellcheck disable=SC2086
	qemu=$(printf "${reads}outb 0xcf9 0x6\n" | timeout 30 qemu-system-x86_64 -S -no-reboot -display none $cl $dev -qtest stdio 2>/dev/null |
		sed -n 's/^OK 0x00\([0-9a-f][0-9a-f]\)$/\1/p' | tr -d '\n')
	[ ${#qemu} -eq 12 ] || { echo "FAIL: QEMU did not answer the MAC reads: $cl"; fails=$((fails + 1)); continue; }
	{ echo "# qemu-system-x86_64 $cl $dev -qtest stdio"; printf "$reads"; } >"$TMP/s.qtest"
	"$VR" import --quiet "$TMP/s.qtest" -o "$TMP/s.vrt" || { echo "FAIL: import refused: $cl"; fails=$((fails + 1)); continue; }
	got=$(sed -n 's/^devcfg \(.\{12\}\).*/\1/p' "$TMP/s.vrt")
	[ -n "$got" ] || got=525400123456	# no devcfg line: the model's MAC
	[ "$got" = "$qemu" ] || { echo "FAIL: MAC $got, QEMU gives $qemu: $cl"; fails=$((fails + 1)); }
	[ "$qemu" = 525400123456 ] || dflt=$((dflt + 1))
	n=$((n + 1))
done <<'EOF'
-M pc
-M pc -nodefaults
-M q35
-M pc -netdev user,id=n1
-M pc -nic user
-M pc -nic none
-M pc -net nic -net user
-M pc -net nic,macaddr=52:54:00:12:34:56 -net nic -net user
-M q35 -nic user,mac=52:54:00:12:34:56 -nic user
-M pc -nodefaults -device e1000,addr=05.0 -device rtl8139,addr=06.0
-M pc -nodefaults -device e1000,addr=05.0,mac=52:54:00:12:34:57
-M pc -nic user,mac=52:54:00:12:34:58 -device e1000,addr=05.0
-M pc -nodefaults -device e1000,addr=05.0,mac=52:54:00:12:34:56 -device e1000,addr=06.0,mac=52:54:00:12:34:56
-M pc -nodefaults -device e1000,addr=05.0,mac=52:54:00:12:34:57 -device ne2k_pci,addr=06.0 -device i82559er,addr=07.0 -device vmxnet3,addr=08.0
-M pc -device virtio-net-pci,addr=0a.0,disable-legacy=off,mac=52:54:00:12:34:56 -device e1000,addr=05.0
EOF
# the cases must include MACs other than the first NIC's, or they prove nothing
[ "$n" -eq 15 ] && [ "$dflt" -ge 8 ] || { echo "FAIL: $n cases, $dflt with a MAC past :56"; fails=$((fails + 1)); }
finish
