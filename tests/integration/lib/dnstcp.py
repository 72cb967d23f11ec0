#!/usr/bin/env python3
# Raw DNS-over-TCP client for the integration tests (RFC 7766 behaviour that
# dig cannot show). Usage: dnstcp.py MODE ADDR PORT [args]. Prints one line of
# results per mode; the shell script compares it with what it expects.
import socket
import struct
import sys
import time

QTYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}


def query(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", QTYPES[qtype], 1)


def frame(msg):
    return struct.pack(">H", len(msg)) + msg


def connect(addr, port, timeout=5.0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_answer(s):
    (n,) = struct.unpack(">H", recv_exact(s, 2))
    msg = recv_exact(s, n)
    qid, flags, _, ancount = struct.unpack(">HHHH", msg[:8])
    return qid, flags & 0xF, ancount


def closed_by_peer(s, wait):
    """True when the server closes the connection within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "pipeline":
        # Several queries (NAME or NAME/TYPE) in one write; answers must come back in order.
        names = [(a.split("/") + ["A"])[:2] for a in sys.argv[4:]]
        s = connect(addr, port)
        s.sendall(b"".join(frame(query(100 + i, n, t)) for i, (n, t) in enumerate(names)))
        out = []
        for _ in names:
            qid, rcode, an = read_answer(s)
            out.append("%d/%d/%d" % (qid, rcode, an))
        print(" ".join(out))
    elif mode == "trickle":
        # One query sent a byte at a time: partial reads must be reassembled.
        s = connect(addr, port)
        for b in frame(query(7, sys.argv[4], "A")):
            s.send(bytes([b]))
            time.sleep(0.01)
        qid, rcode, an = read_answer(s)
        print("%d/%d/%d" % (qid, rcode, an))
    elif mode == "halfclose":
        # Query then shutdown(SHUT_WR): the answer must still arrive, then EOF.
        s = connect(addr, port)
        s.sendall(frame(query(9, sys.argv[4], "A")))
        s.shutdown(socket.SHUT_WR)
        qid, rcode, an = read_answer(s)
        print("%d/%d/%d %s" % (qid, rcode, an, "closed" if closed_by_peer(s, 5) else "open"))
    elif mode == "bogus":
        # A length shorter than a DNS header: the server closes the connection.
        s = connect(addr, port)
        s.sendall(b"\x00\x05hello")
        print("closed" if closed_by_peer(s, 5) else "open")
    elif mode == "idle":
        # ARGS: seconds to wait. A silent client must be closed by the idle timer.
        s = connect(addr, port)
        s.sendall(frame(query(1, sys.argv[5], "A")))
        read_answer(s)
        t0 = time.time()
        closed = closed_by_peer(s, float(sys.argv[4]))
        print("%s %.1f" % ("closed" if closed else "open", time.time() - t0))
    elif mode == "evict":
        # ARGS: N connections on a server allowing N-1: the least recently
        # active one (the first) is closed, the newest one works.
        n = int(sys.argv[4])
        name = sys.argv[5]
        conns = []
        for i in range(n):
            c = connect(addr, port)
            c.sendall(frame(query(i, name, "A")))
            read_answer(c)
            conns.append(c)
            time.sleep(0.1)
        first = "closed" if closed_by_peer(conns[0], 2) else "open"
        conns[-1].sendall(frame(query(77, name, "A")))
        qid, rcode, an = read_answer(conns[-1])
        print("first=%s last=%d/%d/%d" % (first, qid, rcode, an))
    elif mode == "slowreader":
        # Many queries, never read: the server must keep serving others.
        s = connect(addr, port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        q = frame(query(5, sys.argv[4], "TXT"))
        s.settimeout(0.5)
        sent = 0
        try:
            for _ in range(20000):
                s.send(q)
                sent += 1
        except (socket.timeout, BlockingIOError):
            pass
        other = connect(addr, port)
        other.sendall(frame(query(6, sys.argv[4], "TXT")))
        qid, rcode, an = read_answer(other)
        print("other=%d/%d/%d" % (qid, rcode, an))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
