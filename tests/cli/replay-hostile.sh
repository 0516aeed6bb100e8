# tests/cli/replay-hostile.sh -- hostile traces and outputs: one clear message, the documented status, nothing already written lost
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/replay
T=$srcdir/traces
# one_error FILE REGEX: stderr is exactly one line, "virtio-replay: " + REGEX
one_error() {
	n=$(wc -l < "$TMP/err")
	if [ "$n" -ne 1 ] || ! grep -Eq -- "^virtio-replay: $2" "$TMP/err"; then
		echo "FAIL: $1: want one line /virtio-replay: $2/, got:"; cat "$TMP/err"; fails=$((fails + 1))
	fi
}
EVAT='event [0-9]+ \(offset 0x[0-9a-f]+\): '

# A binary trace with checkpoints, small chunks so that damage lands mid-trace.
B=$TMP/ck.vrb
"$VR" convert --chunk-size 256 "$T/blk-checkpoints.vrt" "$B" || { echo "FAIL: convert"; exit 1; }
size=$(wc -c < "$B")

# Truncated anywhere (file header, chunk header, chunk body, index, footer): exit 2, one message naming the file.
for n in 0 7 40 100 300 1000 2500 4000 $((size - 40)) $((size - 1)); do
	head -c "$n" "$B" > "$TMP/t.vrb"
	expect 2 "" "" "$VR" replay --quiet "$TMP/t.vrb"
	one_error "truncated at $n" "$TMP/t.vrb: "
done

# One corrupted byte mid-trace: the message names event and offset; the log and the database keep what came before.
cp "$B" "$TMP/dmg.vrb"
printf '\125\252\125\252' | dd of="$TMP/dmg.vrb" bs=1 seek=4000 conv=notrunc 2>/dev/null
cmp -s "$B" "$TMP/dmg.vrb" && { echo "FAIL: damage did not change the file"; fails=$((fails + 1)); }
expect 2 "" "" "$VR" replay --quiet --log "$TMP/dmg.log" --db "$TMP/dmg.db" "$TMP/dmg.vrb"
one_error "corrupt chunk" "$TMP/dmg.vrb: ${EVAT}chunk CRC mismatch"
bad=$(sed -n 's/.*: event \([0-9]*\) (offset.*/\1/p' "$TMP/err")
last=$(grep -o '^#[0-9]*' "$TMP/dmg.log" | tail -1 | tr -d '#')
[ -n "$bad" ] && [ "$bad" -gt 0 ] && [ "$last" = "$((bad - 1))" ] ||
	{ echo "FAIL: the log stops at event '$last', the damage is at '$bad'"; fails=$((fails + 1)); }
expect 0 "^bad-input\|0\|$bad$" "" sqlite3 "$TMP/dmg.db" "select outcome, complete, events from runs"
# --from before, onto and past the damage, and far past the end: the same one message.
for f in 1 150 250; do
	expect 2 "" "" "$VR" replay --quiet --from $f "$TMP/dmg.vrb"
	one_error "--from $f on damage" "$TMP/dmg.vrb: ${EVAT}chunk CRC mismatch"
done
expect 2 "" "" "$VR" replay --quiet --from 18446744073709551615 "$TMP/dmg.vrb"
one_error "--from far past damage" "$TMP/dmg.vrb: event 18446744073709551615 is beyond the end"
expect 2 "" "" "$VR" cut "$TMP/dmg.vrb" --from 250 -o "$TMP/cut.vrt"
one_error "cut across damage" "$TMP/dmg.vrb: ${EVAT}chunk CRC mismatch"

# --from past the end of an undamaged trace, text and binary.
for tr in "$T/blk-basic.vrt" "$B"; do
	expect 2 "" "" "$VR" replay --quiet --from 999999 "$tr"
	one_error "--from past the end" "$tr: event 999999 is beyond the end \(the trace has [0-9]+ events\)"
done

# A text trace cut mid-line.
head -c 5000 "$T/blk-basic.vrt" > "$TMP/trunc.vrt"
expect 2 "" "" "$VR" replay --quiet "$TMP/trunc.vrt"
one_error "truncated text" "$TMP/trunc.vrt: ${EVAT}line [0-9]+: trace is truncated"

# cut with bad ranges.
expect 2 "" "before --from" "$VR" cut "$T/blk-basic.vrt" --from 5 --to 2 -o "$TMP/c.vrt"
expect 2 "" "bad --from" "$VR" cut "$T/blk-basic.vrt" --from -1 -o "$TMP/c.vrt"
expect 2 "" "" "$VR" cut "$T/blk-basic.vrt" --from 5 -o "$TMP/nodir/c.vrt"
one_error "cut to a missing directory" "$TMP/nodir/c.vrt: No such file or directory"

# Outputs that cannot be written. A file that is not a database is left alone.
echo "not a database" > "$TMP/notdb"
expect 2 "" "" "$VR" replay --quiet --db "$TMP/notdb" "$T/blk-basic.vrt"
one_error "--db on a text file" "$TMP/notdb: not a virtio-replay database"
[ "$(cat "$TMP/notdb")" = "not a database" ] || { echo "FAIL: --db overwrote a non-database file"; fails=$((fails + 1)); }
mkdir "$TMP/dir"
expect 2 "" "" "$VR" replay --quiet --db "$TMP/dir" "$T/blk-basic.vrt"
one_error "--db on a directory" "$TMP/dir: "
# libpcap's message names the file already: it must not appear twice.
expect 2 "" "" "$VR" replay --quiet --pcap "$TMP/nodir/x.pcap" "$T/net-basic.vrt"
one_error "--pcap to a missing directory" "$TMP/nodir/x.pcap: No such file or directory$"
if [ -w /dev/full ]; then
	# The verdict stands (matched) but the output is lost: exit 3, as documented for a failed sink.
	expect 2 "" "/dev/full: write error" "$VR" replay --quiet --log /dev/full "$T/blk-basic.vrt"
	expect 2 "" "/dev/full: write error" "$VR" replay --quiet --pcap /dev/full "$T/net-basic.vrt"
	expect 2 "" "" "$VR" record --scenario basic -o /dev/full
	one_error "record to /dev/full" "/dev/full: write error"
fi

# Headers at and past the limits: 24 queues of 1024 is fine, more than 1 TiB of RAM is not.
expect 0 "" "matched" "$VR" replay "$D/queues-24x1024.vrt"
expect 2 "" "" "$VR" replay --quiet "$D/ram-too-big.vrt"
one_error "RAM over 1 TiB" "$D/ram-too-big.vrt: header: more than 0x10000000000 bytes of RAM declared"

# fuzz_replay regression: an avail index moved back offers 65532 stale requests to one notify (qemu
# profile: reported, then served); blk I/O finishes after the notify, so the notify takes a queue's
# worth (256) and the next pop meets QEMU's in-flight limit: the device breaks, nothing is used.
# The lenient replay and its log get through it and the violation is reported once.
expect 1 "" "" "$VR" replay --lenient --log "$TMP/wrap.log" "$D/avail-back-65532.vrt"
[ "$(grep -c '^#164 txn' "$TMP/wrap.log")" -eq 256 ] || { echo "FAIL: avail-back: want 256 requests at #164"; fails=$((fails + 1)); }
grep -q '^#164 note: queue 0: 256 requests finished after the device stopped' "$TMP/wrap.log" ||
	{ echo "FAIL: avail-back: no note on the dropped completions"; fails=$((fails + 1)); }
[ "$(grep -c '^violation too-many-in-flight at event 164 ' "$TMP/out")" -eq 1 ] ||
	{ echo "FAIL: avail-back: want one too-many-in-flight violation"; fails=$((fails + 1)); }
[ "$(grep -c '^violation avail-idx-jump at event 164 ' "$TMP/out")" -eq 1 ] ||
	{ echo "FAIL: avail-back: want one avail-idx-jump violation"; fails=$((fails + 1)); }

# record with bad options.
expect 2 "" "unknown scenario 'nosuch'" "$VR" record --scenario nosuch
expect 2 "" "bad --count '0'" "$VR" record --scenario basic --count 0
expect 2 "" "unknown format 'xml'" "$VR" record --scenario basic --format xml -o "$TMP/r.vrt"
expect 2 "" "" "$VR" record --scenario basic -o "$TMP/nodir/r.vrt"
one_error "record to a missing directory" "$TMP/nodir/r.vrt: No such file or directory"

finish
