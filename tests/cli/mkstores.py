#!/usr/bin/env python3
# mkstores.py -- write a small binary trace of N guest stores of 16 MiB each (one byte value), for hostile-memory.sh
# usage: mkstores.py HEADER.vrb OUT.vrb N BYTE
# HEADER.vrb supplies the file header (converted from a text trace); each store is its own chunk, a
# zstd frame of one raw block (the record header) and RLE blocks (the 16 MiB payload), so the file stays tiny.
import struct, sys

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

PAYLOAD = 16 << 20
BLOCK = 128 << 10

def block(btype, size, last, body):
    return struct.pack('<I', (size << 3) | (btype << 1) | last)[:3] + body

def frame(head, byte):
    total = len(head) + PAYLOAD
    out = struct.pack('<IB', 0xFD2FB528, 0xA0) + struct.pack('<I', total)   # single segment, 4-byte size
    out += block(0, len(head), 0, head)
    n = PAYLOAD // BLOCK
    for i in range(n):
        out += block(1, BLOCK, 1 if i == n - 1 else 0, bytes([byte]))
    return out, total

hdr, out, n, byte = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0)
good = open(hdr, 'rb').read()
data_start = 20 + struct.unpack_from('<I', good, 12)[0]
body = bytearray(good[:data_start])
index = b''
for i in range(n):
    addr = i * PAYLOAD
    z, raw = frame(bytes([5, 0]) + struct.pack('<QI', addr, PAYLOAD), byte)
    ch = b'VRCK' + struct.pack('<IIIQI', len(z), raw, 1, i, crc32c(z))
    ch += struct.pack('<I', crc32c(ch))
    index += struct.pack('<QQIIII', len(body), i, 1, len(z), raw, 0)
    body += ch + z
ixoff = len(body)
ix = b'VRIX' + struct.pack('<I', n) + index
tr = struct.pack('<QQII', ixoff, n, n, crc32c(ix))
tr += struct.pack('<I', crc32c(tr)) + b'VRBE'
open(out, 'wb').write(bytes(body) + ix + tr)
