#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time from a zone file write on the primary to the new serial being answered.

usage: propagate.py ZONEFILE ZONE PORT COUNT
Each round rewrites ZONEFILE with the next serial (write a temp file, rename
into place, as editors and deploy tools do), then polls the server with raw
UDP SOA queries every 0.2 ms until the new serial comes back. Prints each
time and the p50/p99 in milliseconds. Bounded: 5 s per change at most.
"""
import os, re, socket, struct, sys, time

def soa_query(zone, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in zone.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 6, 1)

def serial_of(resp):
    # the SOA serial sits 20 bytes before the end of a one-answer SOA response
    # (serial, refresh, retry, expire, minimum) when there is no OPT
    if len(resp) < 32 or struct.unpack(">H", resp[6:8])[0] != 1:
        return None
    return struct.unpack(">I", resp[-20:-16])[0]

def main():
    path, zone, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    text = open(path).read()
    m = re.search(r"(SOA\s+\S+\s+\S+\s+\(?\s*)(\d+)", text)
    if not m:
        sys.exit("propagate.py: no SOA serial found in " + path)
    serial = int(m.group(2))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    times = []
    for i in range(count):
        serial += 1
        new = text[:m.start(2)] + str(serial) + text[m.end(2):]
        tmp = path + ".bench.tmp"
        with open(tmp, "w") as f:
            f.write(new)
        t0 = time.monotonic()
        os.rename(tmp, path)
        got = None
        while time.monotonic() - t0 < 5:
            s.sendto(soa_query(zone, i & 0xFFFF), ("127.0.0.1", port))
            try:
                got = serial_of(s.recv(4096))
            except socket.timeout:
                got = None
            if got == serial:
                break
            time.sleep(0.0002)
        if got != serial:
            sys.exit("propagate.py: serial %d not served within 5 s" % serial)
        times.append((time.monotonic() - t0) * 1000)
        time.sleep(0.05)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print("changes %d p50 %.1f ms p99 %.1f ms min %.1f max %.1f" % (len(times), p(0.5), p(0.99), times[0], times[-1]))

main()
