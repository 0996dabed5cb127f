"""store/aof.py without processes: the manifest as 7.0 writes and reads it, the command reader's verdicts
(complete / truncated / malformed, unfinished MULTI), the rewrite as commands, and -- in process, on a
fake transport -- the order that makes appendfsync always safe: write, fsync, and only then the reply."""

from __future__ import annotations

import asyncio
import os

import pytest

from pyredis_cluster.store import aof
from pyredis_cluster.store.aof import AofFormatError, AofTruncated, Manifest


def test_manifest_format_is_redis_70s():
    m = Manifest("appendonly.aof")
    assert m.new_base_name(True) == "appendonly.aof.1.base.rdb"
    assert m.new_incr_name() == "appendonly.aof.1.incr.aof"
    assert m.format() == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                          "file appendonly.aof.1.incr.aof seq 1 type i\n")
    # a rewrite: the old base and incr become history, a new incr file was opened before the fork
    m.new_incr_name()
    m.new_base_name(False)
    m.mark_rewritten_incr_as_history(keep_last=True)
    # history in Redis's order: each file is added at the head of the history list
    assert m.format() == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                          "file appendonly.aof.1.incr.aof seq 1 type h\n"
                          "file appendonly.aof.1.base.rdb seq 1 type h\n"
                          "file appendonly.aof.2.incr.aof seq 2 type i\n")
    again = Manifest.parse(m.format())
    assert again.format() == m.format()
    assert again.curr_base_seq == 2 and again.curr_incr_seq == 2


def test_manifest_errors_as_redis_reports_them():
    for text, reason in [
        ("", "Found an empty AOF manifest"),
        ("file a seq 1\n", "Invalid AOF manifest file format"),
        ("file a/b seq 1 type b\n", "File can't be a path, just a filename"),
        ("file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
        ("file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number"),
        ("file a seq 1 type x\n", "Unknown AOF file type"),
        ("\n", "Invalid AOF manifest file format"),
    ]:
        with pytest.raises(aof.AofError) as e:
            Manifest.parse(text)
        assert reason in str(e.value)
    # comments are skipped; quoted names are read as sdssplitargs reads them
    m = Manifest.parse('# hello\nfile "a b.aof" seq 1 type i\n')
    assert m.incr[0].name == "a b.aof" and m.format() == 'file "a b.aof" seq 1 type i\n'


def _cmds(data, pos=0):
    return [argv for argv, _ in aof.iter_commands(data, pos)]


def test_reader_complete_truncated_and_malformed():
    body = aof.select_command(0) + aof.encode_command([b"SET", b"k", b"a\r\nb"]) + b"#TS:123\r\n" + \
        aof.encode_command([b"DEL", b"k"])
    assert _cmds(body) == [[b"SELECT", b"0"], [b"SET", b"k", b"a\r\nb"], [b"DEL", b"k"]]
    last_ok = len(body) - len(aof.encode_command([b"DEL", b"k"]))
    # every proper prefix that cuts the last command is "truncated at the end of the one before"
    for cut in range(last_ok + 1, len(body)):
        with pytest.raises(AofTruncated) as e:
            _cmds(body[:cut])
        assert e.value.valid_up_to == last_ok, cut
    with pytest.raises(AofFormatError) as e:
        _cmds(body + b"GARBAGE\r\n")
    assert e.value.offset == len(body)
    with pytest.raises(AofFormatError):
        _cmds(b"*1\r\n$3\r\nfooXX")  # no CRLF after the bulk


def test_reader_reverts_an_unfinished_transaction():
    head = aof.encode_command([b"SET", b"a", b"1"])
    multi = aof.encode_command([b"MULTI"]) + aof.encode_command([b"INCR", b"a"])
    with pytest.raises(AofTruncated) as e:
        _cmds(head + multi)
    assert e.value.valid_up_to == len(head) and e.value.reason.startswith("Revert")
    full = head + multi + aof.encode_command([b"EXEC"])
    assert len(_cmds(full)) == 4


def test_rewrite_commands_rebuild_every_type():
    from pyredis_cluster.store.keyspace import Database
    from pyredis_cluster.store.types import HashValue, ListValue, SetValue, ZSetValue

    db = Database(3)
    db.add(b"s", b"v")
    db.add(b"l", ListValue([b"%d" % i for i in range(150)]))
    db.add(b"h", HashValue({b"f%d" % i: b"v" for i in range(70)}))
    db.add(b"z", ZSetValue.from_pairs([(b"m%d" % i, i / 3) for i in range(70)] + [(b"inf", float("inf"))], 128, 64))
    db.add(b"set", SetValue([b"1", b"2"]))
    db.set_expire(b"s", 4102444800000)
    cmds = _cmds(b"".join(aof.rewrite_commands([db])))
    assert cmds[0] == [b"SELECT", b"3"]
    names = [c[0] for c in cmds[1:]]
    assert names.count(b"RPUSH") == 3 and names.count(b"HMSET") == 2 and names.count(b"ZADD") == 2
    assert [b"PEXPIREAT", b"s", b"4102444800000"] in cmds
    assert max(len(c) for c in cmds) <= 2 + 2 * aof.REWRITE_ITEMS_PER_CMD
    assert [b"ZADD", b"z"] + [x for i in range(64) for x in (b"%.17g" % (i / 3), b"m%d" % i)] in cmds
    assert any(c[0] == b"ZADD" and b"inf" in c for c in cmds)


def test_always_fsyncs_before_the_reply(tmp_path, monkeypatch):
    """appendfsync always: the AOF write and the fdatasync happen before the reply reaches the socket,
    and one fsync covers every client of the loop turn (group commit)."""
    from pyredis_cluster.config import Config
    from pyredis_cluster.server.connection import Client
    from pyredis_cluster.server.node import Node

    events = []
    real_fdatasync = os.fdatasync

    def fdatasync(fd):
        events.append("fsync")
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)

    class Transport:
        def __init__(self, name):
            self.name = name

        def write(self, data):
            events.append((self.name, data))

        def is_closing(self):
            return False

        def close(self):
            pass

        def get_extra_info(self, what):
            return None

    async def run():
        cfg = Config()
        cfg.load_string("appendonly yes\nappendfsync always\nsave \"\"\ndir %s\n" % tmp_path)
        node = Node(cfg)
        node.loop = asyncio.get_running_loop()
        node.persistence.load_at_start()
        a, b = Client(node), Client(node)
        a.transport, b.transport = Transport("a"), Transport("b")
        a.data_received(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        b.data_received(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
        assert events == []  # nothing answered yet: the writes are not on disk
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert events == ["fsync", ("a", b"+OK\r\n"), ("b", b":1\r\n")]
        events.clear()
        a.data_received(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")  # a read with nothing pending goes out at once
        assert events == [("a", b"$1\r\nv\r\n")]
        node.persistence.on_stop()
        incr = [f for f in os.listdir(tmp_path / "appendonlydir") if f.endswith(".incr.aof")][0]
        data = (tmp_path / "appendonlydir" / incr).read_bytes()
        assert data == (aof.select_command(0) + aof.encode_command([b"SET", b"k", b"v"])
                        + aof.encode_command([b"INCR", b"n"]))

    asyncio.run(run())
