"""nodes-PORT.conf and CLUSTER NODES (Redis: clusterGenNodeDescription, clusterLoadConfig,
clusterSaveConfig, clusterLockConfig).

The file is the CLUSTER NODES text -- without nodes still in handshake -- followed by one
``vars currentEpoch N lastVoteEpoch N`` line.  Saves that must be durable are atomic (temp file, fsync,
rename, fsync of the directory); the others are one in-place write like Redis 7.0's (see :func:`save`),
so a crash leaves either the old or the new content, never half of it; and it is
locked (``flock`` on ``<file>.lock`` beside it, since the file is replaced when saved with fsync) so that
two nodes can never share it.  A file that cannot be parsed stops the node with the line and the reason.
"""

from __future__ import annotations

import fcntl
import os
import shlex

from .messages import NODE_FAIL, NODE_HANDSHAKE, NODE_MYSELF, NODE_SLAVE
from .nodes import ClusterNode, bitmap_ranges, flags_from_text, flags_text, slot_ranges, verify_node_name


class NodesConfError(Exception):
    pass


# -- CLUSTER NODES lines -------------------------------------------------------------------------------


def node_description(cs, node: ClusterNode) -> str:
    """clusterGenNodeDescription: one CLUSTER NODES line, without the newline."""
    parts = ["%s %s:%d@%d%s" % (node.name, node.ip, node.port, node.cport,
                                ("," + node.hostname) if node.hostname else "")]
    parts.append(flags_text(node.flags))
    parts.append(node.replicaof.name if node.replicaof is not None else "-")
    epoch = node.replicaof.config_epoch if node.is_replica and node.replicaof is not None else node.config_epoch
    parts.append("%d %d %d %s" % (node.ping_sent, node.pong_received, epoch,
                                  "connected" if node.link is not None or node.flags & NODE_MYSELF else
                                  "disconnected"))
    line = " ".join(parts)
    if node.numslots:
        line += _slots_text(node)
    if node.flags & NODE_MYSELF:
        for j in sorted(set(cs.migrating_slots_to) | set(cs.importing_slots_from)):
            if j in cs.migrating_slots_to:
                line += " [%d->-%s]" % (j, cs.migrating_slots_to[j].name)
            else:
                line += " [%d-<-%s]" % (j, cs.importing_slots_from[j].name)
    return line


_slots_text_cache: dict = {}  # slot bitmap -> its " a-b c ..." text (nodes.conf is written often)


def _slots_text(node: ClusterNode) -> str:
    key = bytes(node.slots)
    text = _slots_text_cache.get(key)
    if text is None:
        text = "".join(" %d" % a if a == b else " %d-%d" % (a, b) for a, b in bitmap_ranges(key))
        if len(_slots_text_cache) >= 64:
            _slots_text_cache.clear()
        _slots_text_cache[key] = text
    return text


def nodes_description(cs, filter_flags: int = 0) -> str:
    """clusterGenNodesDescription: every node (minus those with ``filter_flags``), one per line."""
    return "".join(node_description(cs, n) + "\n" for n in cs.nodes.values() if not n.flags & filter_flags)


def config_text(cs) -> str:
    return nodes_description(cs, NODE_HANDSHAKE) + "vars currentEpoch %d lastVoteEpoch %d\n" % (
        cs.current_epoch, cs.last_vote_epoch)


# -- saving ---------------------------------------------------------------------------------------------


def save(cs, path: str, fsync: bool = True) -> None:
    """clusterSaveConfig.

    With ``fsync`` (epochs, votes, slot ownership: what must survive a power cut before the node acts
    on it) the file is replaced atomically: temp file, fsync, rename, fsync of the directory.  Without,
    it is rewritten in place the way Redis 7.0 does: one write() of the whole content -- padded with
    newlines to the old size, which the loader skips -- then a truncate, so that a crash of the process
    can never leave half a file, and no rename (which ext4 turns into a synchronous flush) is paid."""
    text = config_text(cs).encode()
    if not fsync:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                old_size = os.fstat(fd).st_size
                padded = text + b"\n" * max(0, old_size - len(text))
                if os.write(fd, padded) == len(padded):
                    os.ftruncate(fd, len(text))
                    return
            finally:
                os.close(fd)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = "%s.tmp-%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class ConfigLock:
    """clusterLockConfig: an exclusive flock held for the life of the node."""

    def __init__(self, path: str):
        self.path = path + ".lock"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = -1
            raise NodesConfError(
                "Sorry, the cluster configuration file %s is already used by a different Redis Cluster node. "
                "Please make sure that different nodes use different cluster configuration files." % path
            ) from None

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# -- loading --------------------------------------------------------------------------------------------


def load(cs, path: str, now: int) -> bool:
    """clusterLoadConfig: fill ``cs`` from the file.  False if the file is missing or empty (a new
    node); raises NodesConfError naming the line when the file is corrupt."""
    try:
        with open(path, encoding="latin-1") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return False
    if not any(line.strip() for line in lines):
        return False
    myself = None
    new_nodes: dict = {}

    def get_node(name: str) -> ClusterNode:
        n = new_nodes.get(name)
        if n is None:
            n = ClusterNode(name, 0, ctime=now)
            new_nodes[name] = n
        return n

    current_epoch = last_vote_epoch = 0
    slots = [None] * 16384
    migrating, importing = {}, {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            argv = shlex.split(line, posix=True)
        except ValueError:
            raise NodesConfError("Unrecoverable error: corrupted cluster config file \"%s\" (line %d: %s)"
                                 % (path, lineno, "unbalanced quotes")) from None
        where = "line %d: %r" % (lineno, line)
        if argv[0] == "vars":
            if len(argv) % 2 != 1:
                raise NodesConfError("Unrecoverable error: corrupted cluster config file (%s)" % where)
            for k, v in zip(argv[1::2], argv[2::2]):
                try:
                    if k.lower() == "currentepoch":
                        current_epoch = int(v)
                    elif k.lower() == "lastvoteepoch":
                        last_vote_epoch = int(v)
                except ValueError:
                    raise NodesConfError("Unrecoverable error: corrupted cluster config file (%s)" % where) from None
            continue
        if len(argv) < 8:
            raise NodesConfError("Unrecoverable error: corrupted cluster config file (%s)" % where)
        name = argv[0]
        if not verify_node_name(name):
            raise NodesConfError("Unrecoverable error: corrupted cluster config file, bad node id (%s)" % where)
        node = get_node(name)
        addr = argv[1]
        if "," in addr:
            addr, node.hostname = addr.split(",", 1)
        if ":" not in addr:
            raise NodesConfError("Unrecoverable error: corrupted cluster config file, bad address (%s)" % where)
        ip, _, ports = addr.rpartition(":")
        try:
            if "@" in ports:
                p, c = ports.split("@", 1)
                node.port, node.cport = int(p), int(c)
            else:
                node.port = int(ports)
                node.cport = node.port + 10000
        except ValueError:
            raise NodesConfError("Unrecoverable error: corrupted cluster config file, bad port (%s)" % where) from None
        node.ip = ip
        try:
            node.flags = flags_from_text(argv[2])
        except ValueError as e:
            raise NodesConfError("Unknown flag in redis cluster config file (%s): %s" % (where, e)) from None
        if node.flags & NODE_MYSELF:
            if myself is not None:
                raise NodesConfError("Unrecoverable error: two 'myself' nodes in the cluster config (%s)" % where)
            myself = node
        if node.flags & NODE_FAIL:
            node.fail_time = now
        if argv[3] != "-":
            if not verify_node_name(argv[3]):
                raise NodesConfError("Unrecoverable error: corrupted cluster config file, bad master id (%s)" % where)
            master = get_node(argv[3])
            master.add_replica(node)
            node.replicaof = master
        try:
            if int(argv[4]):
                node.ping_sent = now
            if int(argv[5]):
                node.pong_received = now
            node.config_epoch = int(argv[6])
        except ValueError:
            raise NodesConfError("Unrecoverable error: corrupted cluster config file (%s)" % where) from None
        for spec in argv[8:]:
            try:
                if spec.startswith("["):
                    body = spec[1:-1]
                    if "->-" in body:
                        s, target = body.split("->-")
                        migrating[int(s)] = get_node(target)
                    elif "-<-" in body:
                        s, source = body.split("-<-")
                        importing[int(s)] = get_node(source)
                    else:
                        raise ValueError
                    continue
                if "-" in spec:
                    a, b = spec.split("-")
                    start, stop = int(a), int(b)
                else:
                    start = stop = int(spec)
            except ValueError:
                raise NodesConfError("Unrecoverable error: corrupted cluster config file, bad slot (%s)"
                                     % where) from None
            if not (0 <= start <= stop < 16384):
                raise NodesConfError("Unrecoverable error: corrupted cluster config file, slot out of range (%s)"
                                     % where)
            for s in range(start, stop + 1):
                slots[s] = node
    if myself is None:
        raise NodesConfError("Unrecoverable error: corrupted cluster config file \"%s\": no 'myself' node" % path)
    # Replace the fresh state with what was loaded.
    cs.nodes = {}
    for n in new_nodes.values():
        if n.is_replica and n.replicaof is not None:
            n.config_epoch = 0  # a replica's epoch is its master's
        cs.nodes[n.name] = n
    cs.myself = myself
    cs.slots = [None] * 16384
    for s, n in enumerate(slots):
        if n is not None:
            cs.slots[s] = n
            n.add_slot(s)
    cs.migrating_slots_to = migrating
    cs.importing_slots_from = importing
    cs.current_epoch = max([current_epoch] + [n.config_epoch for n in cs.nodes.values()])
    cs.last_vote_epoch = last_vote_epoch
    if myself.flags & NODE_SLAVE and myself.replicaof is None:
        pass
    return True
