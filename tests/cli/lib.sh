# tests/cli/lib.sh -- helpers for CLI tests: run the built binary, check status and output
# Usage in a test:  . "$srcdir/tests/cli/lib.sh"; expect 2 "" "pattern" $VR dump nosuch.vrt
set -u
: "${VR:?VR must name the built virtio-replay}"
: "${srcdir:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vr-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
# expect STATUS STDOUT-GREP STDERR-GREP CMD...   (empty pattern: no check; "^$" for empty output)
expect() {
	want=$1 out_pat=$2 err_pat=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	ok=1
	[ "$got" -eq "$want" ] || { echo "FAIL: $*: exit $got, want $want"; ok=0; }
	if [ "$out_pat" = "^$" ]; then
		[ ! -s "$TMP/out" ] || { echo "FAIL: $*: stdout is not empty"; ok=0; }
	elif [ -n "$out_pat" ] && ! grep -Eq -- "$out_pat" "$TMP/out"; then
		echo "FAIL: $*: stdout does not match /$out_pat/"; ok=0
	fi
	if [ "$err_pat" = "^$" ]; then
		[ ! -s "$TMP/err" ] || { echo "FAIL: $*: stderr is not empty"; ok=0; }
	elif [ -n "$err_pat" ] && ! grep -Eq -- "$err_pat" "$TMP/err"; then
		echo "FAIL: $*: stderr does not match /$err_pat/"; ok=0
	fi
	if [ $ok -eq 0 ]; then
		echo "--- stdout"; head -20 "$TMP/out"; echo "--- stderr"; head -20 "$TMP/err"
		fails=$((fails + 1))
	fi
}
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails check(s) failed"
		exit 1
	fi
	exit 0
}
# bare_header IN OUT: a QEMU recording with its header cut down to what a user states
# (device, layout, transport, RAM, backends): no features, queues, devcfg or PCI identity, so
# the qemu profile's defaults must stand in. A fact the recording's QEMU command line set away
# from QEMU's default (event_idx=off, vectors=N, serial=, num-queues=N) stays.
bare_header() {
	_qline=$(grep -m1 '^mark qemu ' "$1")
	_strip='features|queues|devcfg|pci-class|pci-revision|pci-subsystem|msix-vectors|serial'
	case $_qline in *event_idx=off* | *indirect_desc=off*) _strip=${_strip#features|} ;; esac
	case $_qline in *vectors=*) _strip=$(echo "$_strip" | sed 's/|msix-vectors//') ;; esac
	case $_qline in *serial=*) _strip=${_strip%|serial} ;; esac
	# virtio-serial with other than QEMU's 31 ports: the queue count (2 + 2 per port) stays; what
	# follows from it (MULTIPORT for more than one port, max_nr_ports) must not.
	case $_qline in *virtio-serial-pci*max_ports=*) _strip=$(echo "|$_strip|" | sed 's/|queues|/|/; s/^|//; s/|$//') ;; esac
	# A queue count set on the command line stays; what follows from it (MQ, num_queues) must not.
	case $_qline in *num-queues=* | *num_queues=* | *tap,queues=*) _strip=$(echo "|$_strip|" | sed 's/|queues|/|/; s/^|//; s/|$//') ;; esac
	case $_qline in *mq=on*) _strip=${_strip#features|} ;; esac
	grep -Ev "^($_strip) " "$1" >"$2"
}
