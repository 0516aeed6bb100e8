# tests/cli/trace-bad.sh -- every class of damaged trace: one message (file, event, offset), exit 2, dump prints what came before
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/trace
# FILE  EVENTS-BEFORE-DAMAGE  MESSAGE (after "virtio-replay: FILE: ")
while read -r f n msg; do
	for cmd in info dump; do
		expect 2 "" "" $VR $cmd $D/$f
		lines=$(wc -l < "$TMP/err")
		got=$(cat "$TMP/err")
		want="virtio-replay: $D/$f: $msg"
		if [ "$lines" -ne 1 ] || [ "$got" != "$want" ]; then
			echo "FAIL: $cmd $f: stderr"; echo "  got:  $got"; echo "  want: $want"; fails=$((fails + 1))
		fi
	done
	# dump printed the header (if it was readable) and the n events before the damage.
	if [ "$n" != "-" ]; then
		ev=$(grep -cvE '^(vrt|device|layout|features|recorded|queues|devcfg|ram|backend|title)( |$)' "$TMP/out")
		[ "$ev" -eq "$n" ] || { echo "FAIL: dump $f printed $ev events, want $n"; fails=$((fails + 1)); }
	else
		[ ! -s "$TMP/out" ] || { echo "FAIL: dump $f printed output for a bad header"; fails=$((fails + 1)); }
	fi
done <<'LIST'
bad-hex.vrt 1 event 1 (offset 0x24): line 4: bad hex digit at column 17
bad-kind.vrt 1 event 1 (offset 0x28): line 5: unknown event kind 'poke'
bad-size.vrt 0 event 0 (offset 0x11): line 3: access size must be 1, 2, 4 or 8
bad-value.vrt 0 event 0 (offset 0x11): line 3: value too large for the access size
bad-range.vrt 1 event 1 (offset 0x24): line 4: vector 4096 out of range (at most 0x7ff)
bad-number.vrt 0 event 0 (offset 0x11): line 3: bad address '0x1g'
bad-time.vrt 1 event 1 (offset 0x1b): virtual time goes backwards
trunc.vrt 1 event 1 (offset 0x24): line 4: trace is truncated: the last line has no newline
bad-header.vrt - header: queue 1: size 100 is not a power of 2 in 1..1024
bad-version.vrt - header (offset 0x0): line 1: unsupported trace version 9 (this program reads 1)
bad-magic.vrb - header (offset 0x0): bad magic: not a binary virtio-replay trace
bad-version.vrb - header (offset 0x8): unsupported trace version 7 (this program reads 1)
bad-hdrcrc.vrb - header (offset 0x0): header CRC mismatch
trunc-header.vrb - header (offset 0x0): file header is truncated
bad-crc.vrb 8 event 8 (offset 0x139): chunk CRC mismatch (corrupt data)
bad-chunkhdr.vrb 8 event 8 (offset 0x139): chunk header CRC mismatch
bad-length.vrb 8 event 8 (offset 0x139): bad chunk compressed size 2147483647
bad-count.vrb 8 event 8 (offset 0x139): bad chunk event count 65536 for 78 bytes
trunc-chunk.vrb 13 event 13 (offset 0x19d): trace is truncated: chunk needs 0x50 bytes, file has 0x8
trunc-footer.vrb 13 event 13 (offset 0x19d): trace is truncated: no index or footer after the last chunk (was the writer interrupted?)
bad-footer.vrb 20 event 20 (offset 0x24f): footer CRC mismatch
bad-kind.vrb 1 event 1 (offset 0x86): unknown event kind 0x2a at chunk byte 0x8
LIST
# Generated damage: an overlong line, a hostile payload length, an empty file, binary on stdin.
{ printf 'vrt 1\ndevice blk\n---\nmem 0x0 '; head -c 33570000 /dev/zero | tr '\0' '0'; echo; } > "$TMP/long.vrt"
expect 2 "" "long.vrt: event 0 \(offset 0x15\): line 4: line longer than 33558528 bytes" $VR dump "$TMP/long.vrt"
: > "$TMP/empty.vrt"
expect 2 "" "empty.vrt: header \(offset 0x0\): no 'vrt 1' line: not a virtio-replay trace" $VR info "$TMP/empty.vrt"
expect 2 "" "binary traces must be regular files" sh -c "cat $D/good-blk.vrb | $VR dump -"
expect 0 "^mem 0x7f010$" "" sh -c "$VR dump - < $D/good-blk.vrb"
# A damaged trace can still be sliced before the damage.
expect 0 "^mem 0x7f010$" "" $VR dump $D/trunc-chunk.vrb --from 6 --count 2
[ ! -s "$TMP/err" ] || { echo "FAIL: slice before damage wrote to stderr"; fails=$((fails + 1)); }
finish
