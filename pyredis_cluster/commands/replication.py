"""Replication commands: PSYNC, SYNC, REPLCONF, REPLICAOF/SLAVEOF, WAIT, ROLE (Redis: replication.c)."""

from __future__ import annotations

from .. import errors
from ..errors import CommandError
from ..protocol.reply import NO_REPLY, OK, Raw
from .table import command


def _repl(c):
    return c.node.repl


@command("psync")
def psync(c, argv):
    repl = _repl(c)
    if len(argv) > 3 and argv[3].lower() == b"failover":
        # the last step of a FAILOVER on my master: it asks me to take over (replication/failover.py)
        c.node.log.warning("Failover request received for replid %s." % argv[1].decode("latin-1"))
        if repl.link is None:
            raise CommandError("ERR PSYNC FAILOVER can't be sent to a master.")
        if argv[1].decode("latin-1") != repl.backlog.replid:
            raise CommandError("ERR PSYNC FAILOVER replid must match my replid.")
        repl.set_master(None, None)
        c.node.log.notice("MASTER MODE enabled (failover request from '%s')" % c.describe())
    if repl.failover.state != "no-failover":
        raise CommandError("NOMASTERLINK Can't SYNC while failing over")
    replid = argv[1].decode("latin-1")
    if getattr(c, "is_replica_client", False):
        return NO_REPLY  # (syncCommand: ignored when already a replica)
    from .keys import string2ll

    offset = string2ll(argv[2])
    r = _repl(c).master.psync(c, replid, offset)
    if isinstance(r, str):
        raise CommandError(r)
    return r


@command("sync")
def sync(c, argv):
    if _repl(c).failover.state != "no-failover":
        raise CommandError("NOMASTERLINK Can't SYNC while failing over")
    if getattr(c, "is_replica_client", False):
        return NO_REPLY  # (syncCommand: ignored when already a replica)
    r = _repl(c).master.psync(c, "?", -1, is_sync=True)
    if isinstance(r, str):
        raise CommandError(r)
    return r


@command("replconf")
def replconf(c, argv):
    """REPLCONF <option> <value> [<option> <value> ...]"""
    if len(argv) % 2 == 0:
        raise CommandError(errors.SYNTAX)
    for opt, val in zip(argv[1::2], argv[2::2]):
        o = opt.lower()
        if o == b"listening-port":
            try:
                c.repl_listening_port = int(val)
            except ValueError:
                raise CommandError(errors.NOT_INTEGER) from None
        elif o == b"ip-address":
            c.repl_ip = val.decode("latin-1")
        elif o == b"capa":
            c.repl_capa = getattr(c, "repl_capa", set()) | {val.decode("latin-1").lower()}
        elif o == b"ack":
            try:
                _repl(c).master.ack(c, int(val))
            except ValueError:
                pass
            return NO_REPLY  # the master never answers an ACK
        elif o == b"getack":
            link = _repl(c).link
            if link is not None:
                link._send_ack()
            return NO_REPLY
        elif o == b"rdb-only":
            c.repl_rdb_only = val != b"0"  # the connection closes once the snapshot is sent
        elif o == b"rdb-filter-only":
            pass
        else:
            raise CommandError("ERR Unrecognized REPLCONF option: %s" % opt.decode("latin-1"))
    return OK


def _replicaof(c, argv):
    node = c.node
    if node.cluster_enabled:
        raise CommandError("ERR REPLICAOF not allowed in cluster mode.")
    if _repl(c).failover.state != "no-failover":
        raise CommandError("ERR REPLICAOF not allowed while failing over.")
    host, port = argv[1], argv[2]
    if host.lower() == b"no" and port.lower() == b"one":
        if _repl(c).link is not None:
            _repl(c).set_master(None, None)
            node.log.notice("MASTER MODE enabled (user request from '%s')" % c.describe())
        return OK
    try:
        p = int(port)
        if p < 0 or p > 65535:
            raise ValueError
    except ValueError:
        raise CommandError("ERR Invalid master port") from None
    link = _repl(c).link
    h = host.decode("latin-1")
    if link is not None and link.host == h and link.port == p:
        return Raw(b"+OK Already connected to specified master\r\n")
    _repl(c).set_master(h, p)
    return OK


@command("replicaof")
def replicaof(c, argv):
    return _replicaof(c, argv)


@command("slaveof")
def slaveof(c, argv):
    return _replicaof(c, argv)


@command("failover")
def failover(c, argv):
    """FAILOVER [TO <host> <port> [FORCE]] [ABORT] [TIMEOUT <milliseconds>] (replication/failover.py)."""
    _repl(c).failover.command(c, argv)
    return OK


@command("wait")
def wait(c, argv):
    try:
        numreplicas = int(argv[1])
        timeout = int(argv[2])
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None
    if timeout < 0:
        raise CommandError("ERR timeout is negative")
    if _repl(c).link is not None:
        raise CommandError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
                           "if a replica is configured to be writable (which is not the default) writes to replicas "
                           "are just local and are not propagated.")
    return _repl(c).master.wait(c, numreplicas, timeout)


@command("role")
def role(c, argv):
    repl = _repl(c)
    if repl.link is None:
        replicas = []
        for r in repl.master.online_replicas():
            ip = repl.master.replica_ip(r)
            replicas.append([ip.encode(), str(getattr(r, "repl_listening_port", 0)).encode(),
                             str(r.repl_ack_offset).encode()])
        return [b"master", repl.backlog.offset, replicas]
    link = repl.link
    state = {"connect": b"connect", "connecting": b"connecting", "handshake": b"handshake", "sync": b"sync",
             "connected": b"connected"}.get(link.state, b"connect")
    return [b"slave", link.host.encode(), link.port, state, repl.backlog.offset if link.connected else -1]

