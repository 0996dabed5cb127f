"""Capture Redis 7.0's command metadata (COMMAND INFO / COMMAND DOCS replies) as data.

Our `COMMAND` replies must be byte-identical to redis-server's, and redis-py's cluster client reads key
positions from them.  Rather than transcribing ~240 commands by hand, this script asks a running
redis-server for its replies in RESP3 and stores them as a *typed* tree (so that maps and sets can be
re-encoded for both RESP2 and RESP3) in pyredis_cluster/commands/redis70_commands.json.

Usage:  python tools/gen_command_meta.py PORT      (a redis-server 7.0 listening on 127.0.0.1:PORT)
"""
import json
import socket
import sys


class Resp3Reader:
    def __init__(self, sock):
        self.f = sock.makefile("rb")

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = chr(line[0]), line[1:]
        if t in "+":
            return {"t": "status", "v": rest.decode()}
        if t == "-":
            raise RuntimeError(rest.decode())
        if t == ":":
            return {"t": "int", "v": int(rest)}
        if t in "$=":
            n = int(rest)
            data = self.f.read(n + 2)[:-2]
            return {"t": "bulk", "v": data.decode()}
        if t == "_":
            return {"t": "null"}
        if t in "*~":
            return {"t": "array" if t == "*" else "set", "v": [self.read() for _ in range(int(rest))]}
        if t == "%":
            return {"t": "map", "v": [[self.read(), self.read()] for _ in range(int(rest))]}
        if t == "#":
            return {"t": "bool", "v": rest == b"t"}
        raise ValueError(line)


def call(sock, reader, *args):
    out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    sock.sendall(out)
    return reader.read()


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port))
    r = Resp3Reader(s)
    call(s, r, "HELLO", "3")
    info = call(s, r, "COMMAND", "INFO")
    docs = call(s, r, "COMMAND", "DOCS")
    commands = {}
    for entry in info["v"]:
        commands[entry["v"][0]["v"]] = {"info": entry}
    for k, v in docs["v"]:
        commands.setdefault(k["v"], {})["docs"] = v
    out = "pyredis_cluster/commands/redis70_commands.json"
    with open(out, "w") as f:
        json.dump(commands, f, separators=(",", ":"), sort_keys=True)
    print(f"wrote {len(commands)} commands to {out}")


if __name__ == "__main__":
    main()
