#!/usr/bin/env python3
# mkbad.py -- derive the damaged binary traces in this directory from good-blk.vrb (run by hand, output committed)
import struct, zlib

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

good = bytearray(open('good-blk.vrb', 'rb').read())
hlen = struct.unpack_from('<I', good, 12)[0]
data_start = 20 + hlen
ixoff = struct.unpack_from('<Q', good, len(good) - 32)[0]
nchunks = struct.unpack_from('<I', good, len(good) - 16)[0]
chunks = [struct.unpack_from('<Q', good, ixoff + 8 + 32 * i)[0] for i in range(nchunks)]

def out(name, b):
    open(name, 'wb').write(bytes(b))

def flipped(off, mask=0x40):
    b = bytearray(good)
    b[off] ^= mask
    return b

out('bad-magic.vrb', flipped(3))
b = bytearray(good); struct.pack_into('<H', b, 8, 7); out('bad-version.vrb', b)
out('bad-hdrcrc.vrb', flipped(20))
out('bad-crc.vrb', flipped(chunks[2] + 32 + 3))
out('bad-chunkhdr.vrb', flipped(chunks[2] + 10))
# A chunk whose compressed size is absurd but whose header CRC is right.
b = bytearray(good); c = chunks[2]
struct.pack_into('<I', b, c + 4, 0x7fffffff)
struct.pack_into('<I', b, c + 28, crc32c(b[c:c + 28]))
out('bad-length.vrb', b)
# A chunk count that claims more events than the chunk can hold.
b = bytearray(good)
struct.pack_into('<I', b, c + 12, 0x10000)
struct.pack_into('<I', b, c + 28, crc32c(b[c:c + 28]))
out('bad-count.vrb', b)
out('trunc-chunk.vrb', good[:chunks[3] + 40])
out('trunc-footer.vrb', good[:chunks[3]])
out('trunc-header.vrb', good[:14])
out('bad-footer.vrb', flipped(len(good) - 12))

# A well-formed file (all CRCs, index and footer right) whose second record has
# an unknown kind. The zstd frame stores the records as one raw block.
def zstd_raw(data):
    assert len(data) < 256
    return struct.pack('<IB', 0xFD2FB528, 0x20) + bytes([len(data)]) + \
        struct.pack('<I', (len(data) << 3) | 1)[:3] + data

def file_with_records(records, count):
    frame = zstd_raw(records)
    hdr = b'VRCK' + struct.pack('<IIIQI', len(frame), len(records), count, 0, crc32c(frame))
    hdr += struct.pack('<I', crc32c(hdr))
    head = bytes(good[:data_start])
    ixoff = len(head) + len(hdr) + len(frame)
    index = b'VRIX' + struct.pack('<I', 1) + struct.pack('<QQIIII', len(head), 0, count, len(frame), len(records), 0)
    tr = struct.pack('<QQII', ixoff, count, 1, crc32c(index))
    tr += struct.pack('<I', crc32c(tr)) + b'VRBE'
    return head + hdr + frame + index + tr

mark = bytes([10, 0]) + struct.pack('<I', 2) + b'ok'
out('bad-kind.vrb', file_with_records(mark + bytes([0x2a, 0, 0, 0]), 2))
out('good-raw.vrb', file_with_records(mark, 1))
