#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time from a zone file write on the primary to the new serial being answered.

usage: propagate.py ZONEFILE ZONE PORT COUNT [options]
Each round rewrites ZONEFILE with the next serial (write a temp file, rename
into place, as editors and deploy tools do), then polls the server with raw
UDP SOA queries every 0.2 ms until the new serial comes back. Prints each
time and the p50/p99 in milliseconds. Bounded: 5 s per change at most.

options:
  --poll-port P   poll this port (e.g. a secondary of the server at PORT)
                  instead of PORT for the new serial
  --poll A@P      poll the server at address A, port P (repeatable: the
                  time is until every one of them answers the new serial;
                  replaces --poll-port)
  --after CMD     run CMD (a shell command) right after each rename, inside
                  the timed interval (knotd: knotc zone-reload, it does not
                  watch files)
  --change-a NAME also give the A record owned by NAME (a line
                  "NAME [TTL] [IN] A ADDR" in ZONEFILE) a new address each
                  round, so the change is one real RR plus the SOA, not the
                  serial alone
  --verbose       print each change's time on stderr
  --timeout S     seconds per change (5)
  --catchup PID   catch-up mode: SIGSTOP PID (the secondary), make COUNT
                  changes each confirmed on PORT (the primary) before the
                  next, SIGCONT PID and time until --poll-port answers the
                  last serial (bounded by 10 x --timeout)
"""
from dnswire import skip_name, soa_query
import argparse, os, re, signal, socket, struct, subprocess, sys, time



def serial_of(resp, qid):
    # serial of the first answer RR when it is a SOA (the response may carry
    # authority/additional records after it: knotd does, flame does not)
    try:
        rid, flags, qd, an = struct.unpack(">HHHH", resp[0:8])
        if rid != qid or flags & 0x000F or an < 1:
            return None
        o = 12
        for _ in range(qd):
            o = skip_name(resp, o) + 4
        o = skip_name(resp, o)
        rtype = struct.unpack(">H", resp[o:o + 2])[0]
        if rtype != 6:
            return None
        o += 10
        o = skip_name(resp, o)  # MNAME
        o = skip_name(resp, o)  # RNAME
        return struct.unpack(">I", resp[o:o + 4])[0]
    except (IndexError, struct.error):
        return None

class Poller:
    def __init__(self, zone):
        self.zone = zone
        self.qid = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(0.05)

    def wait(self, port, serial, t0, limit, addr="127.0.0.1"):
        """Poll ADDR:PORT until it answers SERIAL; ms since t0, or None after limit s."""
        while time.monotonic() - t0 < limit:
            self.qid = (self.qid + 1) & 0xFFFF
            self.s.sendto(soa_query(self.zone, self.qid), (addr, port))
            got = None
            try:
                while True:  # drop late answers to earlier queries
                    got = serial_of(self.s.recv(4096), self.qid)
                    if got is not None:
                        break
            except socket.timeout:
                pass
            if got == serial:
                return (time.monotonic() - t0) * 1000
            time.sleep(0.0002)
        return None

def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("path"); ap.add_argument("zone")
    ap.add_argument("port", type=int); ap.add_argument("count", type=int)
    ap.add_argument("--poll-port", type=int)
    ap.add_argument("--poll", action="append", default=[])
    ap.add_argument("--after")
    ap.add_argument("--change-a")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--catchup", type=int, metavar="PID")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    poll_port = a.poll_port or a.port
    text = open(a.path).read()
    m = re.search(r"(SOA\s+\S+\s+\S+\s+\(?\s*)(\d+)", text)
    if not m:
        sys.exit("propagate.py: no SOA serial found in " + a.path)
    serial = int(m.group(2))
    ma = None
    if a.change_a:
        ma = re.search(r"(?m)^%s(?:\s+\d+)?(?:\s+IN)?\s+A\s+(\S+)" % re.escape(a.change_a), text)
        if not ma:
            sys.exit("propagate.py: no A record owned by %s in %s" % (a.change_a, a.path))

    def write(serial):
        # the serial comes before the A record in the file
        new = text[:m.start(2)] + str(serial)
        if ma:
            addr = "10.255.%d.%d" % ((serial >> 8) & 255, serial & 255)
            new += text[m.end(2):ma.start(1)] + addr + text[ma.end(1):]
        else:
            new += text[m.end(2):]
        tmp = a.path + ".bench.tmp"
        with open(tmp, "w") as f:
            f.write(new)
        t0 = time.monotonic()
        os.rename(tmp, a.path)
        if a.after:
            r = subprocess.run(a.after, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit("propagate.py: '%s' failed: %s" % (a.after, r.stderr.decode().strip()))
        return t0

    p = Poller(a.zone)
    if a.catchup:
        os.kill(a.catchup, signal.SIGSTOP)
        try:
            prim = []
            for i in range(a.count):
                serial += 1
                t0 = write(serial)
                ms = p.wait(a.port, serial, t0, a.timeout)
                if ms is None:
                    sys.exit("propagate.py: primary did not serve serial %d within %g s" % (serial, a.timeout))
                prim.append(ms)
                time.sleep(0.01)
            time.sleep(0.2)
        finally:
            os.kill(a.catchup, signal.SIGCONT)
        t0 = time.monotonic()
        if a.verbose:
            print("SIGCONT at %s.%03dZ" % (time.strftime("%H:%M:%S", time.gmtime()), int(time.time() * 1000) % 1000),
                  file=sys.stderr)
        ms = p.wait(poll_port, serial, t0, 10 * a.timeout)
        if ms is None:
            sys.exit("propagate.py: secondary did not serve serial %d within %g s of SIGCONT" % (serial, 10 * a.timeout))
        prim.sort()
        print("catch-up %d changes (serial %d) %.1f ms after SIGCONT; primary per change p50 %.1f ms"
              % (a.count, serial, ms, prim[len(prim) // 2]))
        return

    targets = [(t.rsplit("@", 1)[0], int(t.rsplit("@", 1)[1])) for t in a.poll] or [("127.0.0.1", poll_port)]
    times = []
    for i in range(a.count):
        serial += 1
        t0 = write(serial)
        ms = 0.0
        for addr, port in targets:  # in turn: the last one seen is when all answer
            got = p.wait(port, serial, t0, a.timeout, addr)
            ms = None if got is None or ms is None else max(ms, got)
        if ms is None:
            sys.exit("propagate.py: serial %d not served within %g s" % (serial, a.timeout))
        times.append(ms)
        if a.verbose:
            print("serial %d: %.1f ms" % (serial, ms), file=sys.stderr)
        time.sleep(0.05)
    times.sort()
    q = lambda f: times[min(len(times) - 1, int(f * len(times)))]
    print("changes %d p50 %.1f ms p99 %.1f ms min %.1f max %.1f" % (len(times), q(0.5), q(0.99), times[0], times[-1]))

main()
