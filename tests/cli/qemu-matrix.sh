# tests/cli/qemu-matrix.sh -- fidelity matrix: every record scenario on every device, recorded on QEMU 7.2, replayed here
# Each scenario of `record --list` that can run against QEMU is recorded with
# `record --target qemu` (QEMU's register answers, RAM read-backs and interrupts)
# for each device it takes, then replayed under the qemu profile. A replay that
# is not "matched" is a difference between the simulator and QEMU. The pairs
# that still differ are listed, with the reason, in tests/qemu-matrix.known:
# a pair that differs and is not listed fails, and so does a listed pair that
# now matches (take it off the list). A pair that matches must match again
# with its header cut down to the device, layout and transport (bare_header):
# QEMU's defaults are the profile's. The modern, the transitional and the
# legacy-only (disable-modern=on) transport are recorded, the last two with
# a legacy driver; MATRIX_TRANSPORTS narrows it.
. "$srcdir/tests/cli/lib.sh"
# QEMU is a real component (bootstrap.sh installs it): without it the matrix fails, never skips.
if ! command -v "${QEMU:-qemu-system-x86_64}" >/dev/null; then
	echo "FAIL: qemu-system-x86_64 not found: the matrix against QEMU did not run"
	exit 1
fi
known="$srcdir/tests/qemu-matrix.known"
n=0 differ=0
for tr in ${MATRIX_TRANSPORTS:-modern transitional legacy}; do
	"$VR" record --list | awk 'NR > 1 && !/not with --target qemu/ && $1 !~ /^sweep-/ { print $1, $2 }' >"$TMP/list"
	while read -r sc devs; do
		case $devs in
		any) dl="blk net scsi rng console" ;;
		blk | net | scsi | rng | console) dl=$devs ;;
		*) continue ;;
		esac
		for d in $dl; do
			name="$d $sc $tr"
			t="$TMP/$d-$sc-$tr.vrt"
			topt=""
			[ "$tr" = modern ] || topt="--transport $tr --driver legacy"
			# shellcheck disable=SC2086
			if ! "$VR" record --target qemu --scenario "$sc" --device "$d" $topt -o "$t" >"$TMP/rec.out" 2>&1; then
				# A legacy driver cannot run the scenarios that write modern registers.
				if [ -n "$topt" ] && grep -q "legacy driver" "$TMP/rec.out"; then continue; fi
				echo "FAIL: $name: record --target qemu failed:"
				tail -3 "$TMP/rec.out"
				fails=$((fails + 1))
				continue
			fi
			n=$((n + 1))
			"$VR" replay "$t" >"$TMP/rep.out" 2>&1
			st=$?
			listed=0
			grep -Eq "^$name( |\$)" "$known" && listed=1
			if [ $st -ne 0 ]; then
				differ=$((differ + 1))
				if [ $listed -eq 0 ]; then
					echo "FAIL: $name: QEMU's recording replays with exit $st:"
					grep -m1 -A6 -i "divergence in" "$TMP/rep.out" || tail -5 "$TMP/rep.out"
					fails=$((fails + 1))
				fi
			elif [ $listed -eq 1 ]; then
				echo "FAIL: $name: now matches QEMU: take it off tests/qemu-matrix.known"
				fails=$((fails + 1))
			else
				# Matched: the qemu profile's defaults must match too, from a header
				# that states nothing QEMU was not told.
				bare_header "$t" "$TMP/bare.vrt"
				if ! "$VR" replay "$TMP/bare.vrt" >"$TMP/bare.out" 2>&1; then
					echo "FAIL: $name: matched as recorded, not with a bare header (the qemu profile's defaults):"
					grep -m1 -A6 -i "divergence in" "$TMP/bare.out" || tail -5 "$TMP/bare.out"
					fails=$((fails + 1))
				fi
			fi
		done
	done <"$TMP/list"
done
echo "$n scenario x device pairs recorded on QEMU and replayed, $differ differ"
[ "$n" -ge 60 ] || { echo "FAIL: only $n pairs compared"; fails=$((fails + 1)); }
finish
