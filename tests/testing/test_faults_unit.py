"""server/faults.py on its own: bus drop/delay bookkeeping (order kept across a heal), injections."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from pyredis_cluster import errors
from pyredis_cluster.commands import table
from pyredis_cluster.server.faults import Faults

PEER = "b" * 40


class Link:
    def __init__(self, name):
        self.node = SimpleNamespace(name=name)
        self.closed = False


class FakeTransport:
    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(data)


def make(loop):
    delivered = []
    bus = SimpleNamespace(transports={}, pending={}, wake=lambda: None,
                          state=SimpleNamespace(on_message=lambda link, msg, now: delivered.append(msg)))
    node = SimpleNamespace(clients={}, bus=bus, loop=loop, cluster=None,
                           log=SimpleNamespace(notice=lambda *a: None, warning=lambda *a: None))
    f = Faults(node)
    link = Link(PEER)
    t = FakeTransport()
    bus.transports[link] = SimpleNamespace(transport=t)
    return f, link, t, delivered


async def test_delay_keeps_order_across_a_heal():
    f, link, t, _ = make(asyncio.get_running_loop())
    f.set_bus([PEER], "out", delay=60)
    assert f.bus and f.hold_out(link, b"1")
    f.heal_bus()
    assert f.bus  # a delayed message still waits: later ones must queue behind it
    assert f.hold_out(link, b"2")
    assert t.written == []
    await asyncio.sleep(0.15)
    assert t.written == [b"1", b"2"]
    assert not f.bus and not f.hold_out(link, b"3")  # nothing left: straight through again


async def test_drop_and_delay_in():
    f, link, t, delivered = make(asyncio.get_running_loop())
    msg = SimpleNamespace(header=SimpleNamespace(sender=PEER))
    other = SimpleNamespace(header=SimpleNamespace(sender="c" * 40))
    f.set_bus([PEER], "in", drop=True)
    assert f.hold_in(link, msg) and not f.hold_in(link, other)
    assert f.dropped_in == 1 and not f.hold_out(link, b"x")  # only "in" is cut
    f.set_bus(["*"], "both", delay=20)
    f.set_bus([PEER], "in", drop=False)
    assert f.hold_in(link, msg)  # the "*" rule applies to PEER once its own rule is gone
    await asyncio.sleep(0.08)
    assert delivered == [msg]
    assert f.describe() == ["bus *: delay in 20ms, delay out 20ms"]


def test_injections_count_down():
    f, _, _, _ = make(None)
    get = table.lookup(b"get")
    client = SimpleNamespace(multi=None)
    f.inject(None, "TRYAGAIN", count=2, key=b"k")
    f.inject(None, "LOADING", count=1, key=b"other{k}")
    assert f.active
    assert f.route(client, get, [b"get", b"k"]) == "TRYAGAIN Multiple keys request during rehashing of slot"
    assert f.route(client, get, [b"get", b"other{k}"]) == errors.LOADING
    assert f.route(client, get, [b"get", b"k"]).startswith("TRYAGAIN")
    assert f.route(client, get, [b"get", b"k"]) is None
    assert f.injections == {} and not f.active
