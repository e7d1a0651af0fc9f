#!/usr/bin/env python3
"""Writes a DfuSe .dfu file from ST's UM0391 layout, for the tests.

The size fields are the ones real tools write: DFUImageSize counts the prefix
and the targets but not the 16-byte suffix (so ST's DFU File Manager and
dfu-util's dfuse-pack.py write it), bTargetNamed is 1 with a NUL-padded name,
bcdDevice is 0. --size-with-suffix writes DFUImageSize as the whole file, as
UM0391's text says.

usage: make_dfuse.py OUT VID:PID ELEMENT... [--size-with-suffix]
ELEMENT: ALT:ADDRESS:FILE[:OFFSET:LENGTH] - bytes of FILE (all of it, or LENGTH
bytes from OFFSET) at ADDRESS in the target for alt setting ALT. Targets are
written in the order their alt setting first appears, elements in the order
given.
"""
import struct
import sys
import zlib


def main(argv):
    with_suffix = "--size-with-suffix" in argv
    args = [a for a in argv if a != "--size-with-suffix"]
    if len(args) < 3:
        sys.exit(__doc__)
    out, ids, specs = args[0], args[1], args[2:]
    vid, pid = (int(x, 16) for x in ids.split(":"))
    targets = {}  # alt -> list of (address, bytes), insertion-ordered
    for spec in specs:
        parts = spec.split(":")
        alt, address, path = int(parts[0]), int(parts[1], 0), parts[2]
        with open(path, "rb") as f:
            data = f.read()
        if len(parts) == 5:
            offset, length = int(parts[3], 0), int(parts[4], 0)
            data = data[offset:offset + length]
        targets.setdefault(alt, []).append((address, data))

    body = b""
    for alt, elements in targets.items():
        payload = b"".join(struct.pack("<II", a, len(d)) + d for a, d in elements)
        name = b"ST...".ljust(255, b"\0")
        body += b"Target" + struct.pack("<BI", alt, 1) + name
        body += struct.pack("<II", len(payload), len(elements)) + payload

    size = 11 + len(body) + (16 if with_suffix else 0)
    prefix = b"DfuSe" + struct.pack("<BIB", 1, size, len(targets))
    # Suffix: bcdDevice, idProduct, idVendor, bcdDFU 0x011A, "UFD", bLength 16.
    head = prefix + body + struct.pack("<HHHH", 0, pid, vid, 0x011A) + b"UFD" + bytes([16])
    crc = zlib.crc32(head) ^ 0xFFFFFFFF  # DFU 1.1 appendix B: no final xor
    with open(out, "wb") as f:
        f.write(head + struct.pack("<I", crc))


if __name__ == "__main__":
    main(sys.argv[1:])
