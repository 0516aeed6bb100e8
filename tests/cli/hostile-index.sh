# tests/cli/hostile-index.sh -- a seek index whose event counts disagree with the chunks is reported by info (as dump --from does)
. "$srcdir/tests/cli/lib.sh"
D=$srcdir/tests/data/trace
# Move one event from index entry 1 to entry 2: totals and the index's own checks still agree, its CRCs are right.
python3 - "$D/good-blk.vrb" "$TMP/skew.vrb" <<'PY'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff
b = bytearray(open(sys.argv[1], 'rb').read())
ixoff = struct.unpack_from('<Q', b, len(b) - 32)[0]
n = struct.unpack_from('<I', b, len(b) - 16)[0]
assert n >= 3
e1, e2 = ixoff + 8 + 32, ixoff + 8 + 64
c1 = struct.unpack_from('<I', b, e1 + 16)[0]
assert c1 > 1
struct.pack_into('<I', b, e1 + 16, c1 - 1)
struct.pack_into('<Q', b, e2 + 8, struct.unpack_from('<Q', b, e2 + 8)[0] - 1)
struct.pack_into('<I', b, e2 + 16, struct.unpack_from('<I', b, e2 + 16)[0] + 1)
t = len(b) - 32
struct.pack_into('<I', b, t + 20, crc32c(b[ixoff:t]))
struct.pack_into('<I', b, t + 24, crc32c(b[t:t + 24]))
open(sys.argv[2], 'wb').write(bytes(b))
PY
expect 0 "" "" "$VR" info "$D/good-blk.vrb"
expect 2 "" "seek index disagrees with this chunk" "$VR" info "$TMP/skew.vrb"
[ "$(wc -l < "$TMP/err")" -eq 1 ] && grep -Eq "^virtio-replay: $TMP/skew.vrb: event [0-9]+ \(offset 0x[0-9a-f]+\): " "$TMP/err" ||
	{ echo "FAIL: want one message naming file, event and offset"; cat "$TMP/err"; fails=$((fails + 1)); }
expect 2 "" "seek index disagrees" "$VR" replay --quiet "$TMP/skew.vrb"
expect 2 "\"error\":.*seek index disagrees" "" "$VR" info --json "$TMP/skew.vrb"
finish
