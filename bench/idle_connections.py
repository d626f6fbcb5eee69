#!/usr/bin/env python3
"""Holds idle keep-alive connections to a server, for measuring its memory per connection
(bench/sse_bench.sh). Opens --connections connections to 127.0.0.1:--port one after the other,
sends one small non-streamed chat completion on each and reads the answer whole, leaving the
connection open and idle; then prints `answered N` and, with --rss-of PID, that process's
resident memory as `rss_kib KIB` (read while every connection is still open), and closes them.
"""
import argparse
import json
import socket
import time


def read_answer(sock):
    """Reads one HTTP/1.1 response with a Content-Length body; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of the body")
        body += chunk
    return status


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--rss-of", type=int, default=0)
    parser.add_argument("--api-key", default="", help="sent as 'Authorization: Bearer KEY'")
    parser.add_argument("--settle-s", type=float, default=0.5,
                        help="wait before reading the memory, so the server is idle")
    args = parser.parse_args()
    body = json.dumps({"model": "fake-model", "max_tokens": 4,
                       "messages": [{"role": "user", "content": "idle connection"}]}).encode()
    auth = f"Authorization: Bearer {args.api_key}\r\n".encode() if args.api_key else b""
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
               b"Content-Type: application/json\r\nContent-Length: " +
               str(len(body)).encode() + b"\r\n\r\n" + body)
    sockets = []
    answered = 0
    try:
        for _ in range(args.connections):
            sock = socket.create_connection(("127.0.0.1", args.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sockets.append(sock)
            sock.sendall(request)
            if read_answer(sock) == 200:
                answered += 1
        print(f"answered {answered}", flush=True)
        if args.rss_of:
            time.sleep(args.settle_s)
            print(f"rss_kib {rss_kib(args.rss_of)}", flush=True)
    finally:
        for sock in sockets:
            sock.close()


if __name__ == "__main__":
    main()
