#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Catalog zone benchmarks: write member zone files, add them on a producer,
time until a consumer answers them.

usage:
  catalog.py write DIR NAMES            write DIR/<name>.zone for every name
  catalog.py wait PORT NAMES [options]  time until 127.0.0.1@PORT answers
                                        the SOA of every name in NAMES

NAMES is a file with one zone name a line (no trailing dot). A zone counts as
answered when its SOA query (raw UDP) gets NOERROR, AA and a SOA in the
answer. Queries go out round robin over the zones not answered yet, at most
--rate a second and --window in flight (an answer that is not a SOA puts the
zone back at the end of the queue; no answer in 100 ms, likewise). Answered
zones stay answered, so the moment all were answerable lies between the last
answer that was not a SOA ("unanswered until", the bound below) and the time
reported; with N zones pending a round takes N/rate. When no answer was
ever other than the SOA (all were answerable once the server answered at
all), the time of the first answer is the better figure.

wait options:
  --write DIR     at t0, write DIR/<name>.zone for the names (each file
                  written to a temporary name and renamed into place)
  --knotc CONF    after writing, add the names to a knotd producer in one
                  knotc transaction (conf-begin, conf-set zone[NAME.] and
                  zone[NAME.].template member, conf-commit; one knotc process
                  reading the commands on stdin), inside the timed interval
  --knotc-reload CONF
                  instead of the transaction: append the names' zone: entries
                  (template: member) to CONF and run `knotc -c CONF reload`
  --each          one zone at a time: t0, write its file (--write), knotc
                  (--knotc), wait for it; a pause between zones (--gap);
                  prints p50/p90/p99/min/max over the names
  --gap A-B       pause between zones with --each, uniformly drawn from A..B
                  seconds (seeded: the same pauses every run; default
                  0.1-1.0). A random pause: knotd 3.2.6 as consumer delays
                  the catalog refresh after a NOTIFY by ~0.8 s now and then,
                  depending on when the previous one was (seen at a fixed
                  0.2 s: one add in five; at 0.05 s or 1 s: none)
  --t0-ns NS      time from this CLOCK_REALTIME instant (the caller's
                  `date +%s%N`, e.g. just before it started the consumer)
  --rate R        queries per second at most (10000)
  --window W      queries in flight at most (200)
  --timeout S     give up after S seconds (60; per zone with --each)
  --verbose       with --each, each zone's time on stderr
output: "served N zones in X ms (action A ms, unanswered until B ms, first
answer F ms, Q queries)" or,
with --each, "zones N p50 X ms p90 Z ms p99 Y ms min A max B (action p50 K ms)"
(action: writing the file and, with --knotc, the knotc run).
"""
from dnswire import skip_name, soa_query
import argparse, os, random, select, socket, struct, subprocess, sys, time
from collections import deque


def zone_text(name):
    return ("$ORIGIN %s.\n$TTL 300\n"
            "@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n"
            "@ IN NS ns1\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.1\n"
            "txt IN TXT \"catalog bench member %s\"\n") % (name, name)


def write_zones(d, names):
    for n in names:
        p = os.path.join(d, n + ".zone")
        with open(p + ".tmp", "w") as f:
            f.write(zone_text(n))
        os.rename(p + ".tmp", p)


def knotc_add(conf, names):
    lines = ["conf-begin"]
    for n in names:
        lines += ["conf-set zone[%s.]" % n, "conf-set zone[%s.].template member" % n]
    lines.append("conf-commit")
    r = subprocess.run(["knotc", "-c", conf, "-t", "60"], input="\n".join(lines) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    bad = [l for l in r.stdout.splitlines() if l.strip() and l.strip() != "OK"]
    if r.returncode != 0 or bad:
        subprocess.run(["knotc", "-c", conf, "conf-abort"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sys.exit("catalog.py: knotc transaction failed: %s" % "; ".join(bad[:3]))


def knotc_reload(conf, names):
    with open(conf, "a") as f:
        f.write("".join("  - domain: %s.\n    template: member\n" % n for n in names))
    r = subprocess.run(["knotc", "-c", conf, "-t", "60", "reload"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("catalog.py: knotc reload failed: %s" % r.stdout.strip())


def parse(resp):
    """(qname, answered) of a response; None when it cannot be read."""
    try:
        _, flags, qd, an = struct.unpack(">HHHH", resp[0:8])
        if qd != 1:
            return None
        o, labels = 12, []
        while resp[o] != 0:
            n = resp[o]
            labels.append(resp[o + 1:o + 1 + n].decode("ascii", "replace").lower())
            o += 1 + n
        o += 5
        name = ".".join(labels)
        if flags & 0x000F or not flags & 0x0400 or an < 1:
            return name, False
        o = skip_name(resp, o)
        return name, struct.unpack(">H", resp[o:o + 2])[0] == 6
    except (IndexError, struct.error):
        return None


class Poller:
    def __init__(self, port, rate, window):
        self.addr = ("127.0.0.1", port)
        self.rate, self.window = rate, window
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.s.setblocking(False)
        self.qid = 0
        self.queries = 0

    def wait(self, names, t0, limit):
        """(ms from t0 until every name answered, ms of the last answer that was not
        the SOA), or (None, names left) on timeout."""
        pending = deque(n.lower() for n in names)
        left = set(pending)
        inflight = {}  # name -> time sent
        last_bad = None  # time.time_ns() of the last answer that was not the SOA
        self.first = None  # time.time_ns() of the first answer of any kind
        start = time.monotonic()
        sent_since = 0
        while left:
            now = time.monotonic()
            if now - start > limit:
                return None, len(left)
            # token bucket: rate per second since start
            allowed = int((now - start) * self.rate) + 1 - sent_since
            while pending and allowed > 0 and len(inflight) < self.window:
                n = pending.popleft()
                if n not in left or n in inflight:
                    continue
                self.qid = (self.qid + 1) & 0xFFFF
                try:
                    self.s.sendto(soa_query(n, self.qid), self.addr)
                except OSError:
                    pass
                inflight[n] = now
                sent_since += 1
                allowed -= 1
                self.queries += 1
            r, _, _ = select.select([self.s], [], [], 0.0005)
            if r:
                while True:
                    try:
                        resp = self.s.recv(4096)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    except OSError:
                        break
                    p = parse(resp)
                    if p is None or p[0] not in inflight:
                        continue
                    name, ok = p
                    del inflight[name]
                    if self.first is None:
                        self.first = time.time_ns()
                    if ok:
                        left.discard(name)
                        if not left:
                            done = (time.time_ns() - t0) / 1e6
                            return done, (last_bad - t0) / 1e6 if last_bad is not None else 0.0
                    else:
                        last_bad = time.time_ns()
                        pending.append(name)
            for n, ts in list(inflight.items()):
                if now - ts > 0.1:
                    del inflight[n]
                    pending.append(n)
        return None, len(left)


def main():
    ap = argparse.ArgumentParser(usage=__doc__.replace("%", "%%"))  # the text has literal percent signs
    ap.add_argument("cmd", choices=["write", "wait"])
    ap.add_argument("arg")  # DIR for write, PORT for wait
    ap.add_argument("names")
    ap.add_argument("--write")
    ap.add_argument("--knotc")
    ap.add_argument("--knotc-reload")
    ap.add_argument("--each", action="store_true")
    ap.add_argument("--gap", default="0.1-1.0")
    ap.add_argument("--t0-ns", type=int)
    ap.add_argument("--rate", type=float, default=10000)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    names = [l.strip().rstrip(".") for l in open(a.names) if l.strip()]
    if a.cmd == "write":
        write_zones(a.arg, names)
        return
    p = Poller(int(a.arg), a.rate, a.window)

    def act(batch):
        t0 = time.time_ns()
        if a.write:
            write_zones(a.write, batch)
        if a.knotc:
            knotc_add(a.knotc, batch)
        if a.knotc_reload:
            knotc_reload(a.knotc_reload, batch)
        return t0, (time.time_ns() - t0) / 1e6

    if a.each:
        lo, _, hi = a.gap.partition("-")
        lo, hi = float(lo), float(hi or lo)
        rnd = random.Random(1)
        times, acts = [], []
        for n in names:
            t0, act_ms = act([n])
            ms, _ = p.wait([n], t0, a.timeout)
            if ms is None:
                sys.exit("catalog.py: %s not answered within %g s" % (n, a.timeout))
            times.append(ms)
            acts.append(act_ms)
            if a.verbose:
                print("%s %s: %.1f ms (action %.1f ms)" % (time.strftime("%H:%M:%S"), n, ms, act_ms), file=sys.stderr)
            time.sleep(rnd.uniform(lo, hi))
        times.sort()
        acts.sort()
        q = lambda v, f: v[min(len(v) - 1, int(f * len(v)))]
        print("zones %d p50 %.1f ms p90 %.1f ms p99 %.1f ms min %.1f max %.1f (action p50 %.1f ms)"
              % (len(times), q(times, 0.5), q(times, 0.9), q(times, 0.99), times[0], times[-1], q(acts, 0.5)))
        return
    if a.t0_ns is not None:
        t0, act_ms = a.t0_ns, 0.0
    else:
        t0, act_ms = act(names)
    ms, low = p.wait(names, t0, a.timeout)
    if ms is None:
        sys.exit("catalog.py: %d of %d zones still not answered after %g s" % (low, len(names), a.timeout))
    print("served %d zones in %.1f ms (action %.1f ms, unanswered until %.1f ms, first answer %.1f ms, %d queries)"
          % (len(names), ms, act_ms, low, (p.first - t0) / 1e6, p.queries))


main()
