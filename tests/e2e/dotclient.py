#!/usr/bin/env python3
"""dotclient.py -- one DNS-over-TLS connection kept open across an event (tests/e2e).

    dotclient.py ADDR PORT CAFILE AUTHNAME NAME GATE OUT

Connects over TLS (certificate checked against CAFILE and AUTHNAME), asks NAME/A, writes
"first RCODE ADDRESS SERIAL" to OUT (SERIAL: the certificate the server presented, hex),
then waits (at most 20 s) for the file GATE to exist, asks NAME/A again on the same
connection and writes "second RCODE ADDRESS". Any failure writes "error WHAT" and exits 1.
"""
import os
import socket
import ssl
import struct
import sys
import time


def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">H", len(q)) + q


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
        if n == 0:
            return pos


def answer(s, qid):
    (length,) = struct.unpack(">H", recv_exact(s, 2))
    msg = recv_exact(s, length)
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if rid != qid:
        raise ValueError("reply ID %d, asked %d" % (rid, qid))
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    addr = "-"
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            addr = socket.inet_ntoa(msg[pos:pos + 4])
        pos += rdlen
    return "%d %s" % (flags & 0xF, addr)


def main():
    addr, port, cafile, authname, name, gate, out = sys.argv[1:8]
    with open(out, "w", buffering=1) as o:
        try:
            ctx = ssl.create_default_context(cafile=cafile)
            raw = socket.create_connection((addr, int(port)), timeout=20)
            s = ctx.wrap_socket(raw, server_hostname=authname)
            serial = s.getpeercert()["serialNumber"]
            s.sendall(query(name, 1))
            o.write("first %s %s\n" % (answer(s, 1), serial))
            deadline = time.time() + 20
            while not os.path.exists(gate) and time.time() < deadline:
                time.sleep(0.05)
            s.sendall(query(name, 2))
            o.write("second %s\n" % answer(s, 2))
            s.close()
        except Exception as e:  # the test reads the line
            o.write("error %s\n" % e)
            sys.exit(1)


main()
