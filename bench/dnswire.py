# SPDX-License-Identifier: MIT
"""Raw DNS wire helpers shared by the bench pollers (propagate.py, catalog.py)."""
import struct


def soa_query(zone, qid):
    """A SOA query for zone (RD=0) with ID qid."""
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in zone.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 6, 1)


def skip_name(b, o):
    """Offset just past the (possibly compressed) name at o; IndexError past the end."""
    while o < len(b):
        n = b[o]
        if n == 0:
            return o + 1
        if n & 0xC0 == 0xC0:
            return o + 2
        o += 1 + n
    raise IndexError
