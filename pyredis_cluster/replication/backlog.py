"""Replication IDs, offsets and the backlog (Redis: server.replid / replid2 / master_repl_offset,
the repl_backlog, shiftReplicationId, addReplyReplicationBacklog).

The replication stream is a sequence of bytes; its *offset* counts every byte ever produced.  A
history is named by a 40-hex *replication ID*.  A replica that lost its link asks ``PSYNC <id>
<offset+1>``: if the ID is ours (or our previous one, up to where it ended -- ``second_replid_offset``)
and the backlog still holds that offset, the master sends just the missing bytes (+CONTINUE);
otherwise a full sync.  When a replica is promoted it keeps its master's ID as its *previous* ID, so
the other replicas (and the old master, coming back) continue with a partial resync.
"""

from __future__ import annotations

import os

CONFIG_REPL_BACKLOG_MIN_SIZE = 16 * 1024


def random_replid() -> str:
    return os.urandom(20).hex()


class ReplicationBacklog:
    def __init__(self, size: int):
        self.size = size
        self.replid = random_replid()
        self.replid2 = "0" * 40
        self.second_replid_offset = -1
        self.offset = 0  # master_repl_offset
        self.buf: bytearray | None = None  # None until the first replica (createReplicationBacklog)
        self.first_byte_offset = 0  # offset of buf[0] is first_byte_offset (Redis: repl_backlog->offset)

    @property
    def active(self) -> bool:
        return self.buf is not None

    @property
    def histlen(self) -> int:
        return len(self.buf) if self.buf is not None else 0

    def create(self) -> None:
        """createReplicationBacklog: the first byte it will hold is offset + 1."""
        if self.buf is None:
            self.buf = bytearray()
            self.first_byte_offset = self.offset + 1

    def resize(self, size: int) -> int:
        """resizeReplicationBacklog (CONFIG SET repl-backlog-size): returns the size used, at least 16 KB."""
        self.size = max(size, CONFIG_REPL_BACKLOG_MIN_SIZE)
        if self.buf is not None:
            excess = len(self.buf) - self.size
            if excess > 0:
                del self.buf[:excess]
                self.first_byte_offset += excess
        return self.size

    def feed(self, data: bytes, keep: int = 0) -> None:
        """feedReplicationBuffer.  ``keep``: bytes at the end that replicas have not consumed yet -- the
        backlog shares Redis 7.0's replication buffer, so it holds them even beyond repl-backlog-size."""
        self.offset += len(data)
        if self.buf is None:
            return
        self.buf += data
        self.trim(keep)

    def trim(self, keep: int = 0) -> None:
        """incrementalTrimReplicationBacklog: down to repl-backlog-size, or what a lagging replica still needs."""
        if self.buf is None:
            return
        excess = len(self.buf) - max(self.size, keep)
        if excess > 0:
            del self.buf[:excess]
            self.first_byte_offset += excess

    def read_from(self, offset: int):
        """The bytes from ``offset`` on, or None if they are no longer (or not yet) held."""
        if self.buf is None:
            return None
        if offset < self.first_byte_offset or offset > self.offset + 1:
            return None
        return bytes(self.buf[offset - self.first_byte_offset:])

    def can_continue(self, replid: str, offset: int) -> bool:
        """masterTryPartialResynchronization's checks."""
        if replid != self.replid and not (replid == self.replid2 and offset <= self.second_replid_offset):
            return False
        return self.read_from(offset) is not None

    def shift_replid(self) -> None:
        """shiftReplicationId: a new history starts here; the old ID stays valid up to this point."""
        self.replid2 = self.replid
        self.second_replid_offset = self.offset + 1
        self.replid = random_replid()

    def adopt(self, replid: str, offset: int) -> None:
        """Take the history of the master we replicated (a replica's view becomes ours)."""
        if replid:
            if self.replid != replid:
                self.buf = None
            self.replid = replid
        if self.offset != offset:
            self.buf = None
        self.offset = offset

    def reset(self, replid: str, offset: int) -> None:
        """After a full sync: the master's ID and offset, and an empty backlog from there on."""
        self.replid = replid
        self.replid2 = "0" * 40
        self.second_replid_offset = -1
        self.offset = offset
        self.buf = bytearray()
        self.first_byte_offset = offset + 1
