"""The pure parts of ``pyredis-cluster`` (no sockets): redis-cli's arithmetic (32-bit floats, lround), the
reshard plan, the CLUSTER NODES parser and config signature, reply formatting, option aliases."""

from __future__ import annotations

import json

import pytest

from pyredis_cluster.cli import cluster_main
from pyredis_cluster.cli.manager import (ClusterManager, Options, _nodes_json, f32, format_reply_raw,
                                         host_port_from_args, lround)
from pyredis_cluster.cli.nodes import ManagedNode, ReplyError, atoi, info_field, parse_address
from pyredis_cluster.cli.output import Reporter


class FakeNode(ManagedNode):
    """A node whose replies are scripted."""

    def __init__(self, ip, port, replies):
        super().__init__(ip, port)
        self.replies = replies
        self.sent = []

    def call(self, *args):
        self.sent.append(args)
        r = self.replies.get(" ".join(args[:2]).upper())
        return r(args) if callable(r) else r


def manager(stream=None):
    import io

    return ClusterManager(Options(), Reporter(stream=stream or io.StringIO()))


def test_slot_allocation_is_redis_clis():
    """clusterManagerCommandCreate's loop in C floats: the boundaries redis-cli prints."""
    def plan(masters):
        per, first, cursor, out = f32(16384 / masters), 0, 0.0, []
        for i in range(masters):
            last = lround(f32(f32(cursor + per) - 1))
            if last > 16384 or i == masters - 1:
                last = 16383
            out.append((first, last))
            first, cursor = last + 1, f32(cursor + per)
        return out
    assert plan(3) == [(0, 5460), (5461, 10922), (10923, 16383)]
    assert plan(4) == [(0, 4095), (4096, 8191), (8192, 12287), (12288, 16383)]
    assert plan(5) == [(0, 3276), (3277, 6553), (6554, 9829), (9830, 13106), (13107, 16383)]
    # printed by redis-cli 7.0.15 for 7 nodes ("Master[i] -> Slots a - b")
    assert plan(7) == [(0, 2340), (2341, 4680), (4681, 7021), (7022, 9361), (9362, 11702), (11703, 14042),
                       (14043, 16383)]
    assert lround(2.5) == 3 and lround(-2.5) == -3 and lround(2.4999) == 2


def test_reshard_table_takes_proportional_shares_of_the_lowest_slots():
    a, b = ManagedNode("h", 1), ManagedNode("h", 2)
    for s in range(0, 100):
        a.slots[s] = 1
    for s in range(200, 250):
        b.slots[s] = 1
    a.count_slots(), b.count_slots()
    table = manager().compute_reshard_table([b, a], 10)
    # a (more slots) first, rounded up: ceil(10/150*100) = 7; b rounded down: floor(10/150*50) = 3
    assert [(n.port, s) for n, s in table] == [(1, s) for s in range(7)] + [(2, s) for s in range(200, 203)]
    assert len(manager().compute_reshard_table([a, b], 150)) == 150


CLUSTER_NODES = (
    "f4670f53166d9758b6d3877e1258b30c770e7f49 127.0.0.1:31004@31009 slave 4adaf18dd7e5f1a05aae21447f3b46d024d08a0e "
    "0 1795627095388 2 connected\n"
    "8273586365838840ef40484dbb7ab43fe2e0a384 127.0.0.1:31000@31005 myself,master - 0 1795627093000 1 connected "
    "0-5460 7000 [3300->-4adaf18dd7e5f1a05aae21447f3b46d024d08a0e] [16000-<-553646e442bd3d9e3e1f9ebf9e9ea85a488a5fb1]\n"
    "4adaf18dd7e5f1a05aae21447f3b46d024d08a0e 127.0.0.1:31001@31006,node-b.example master - 0 1795627095000 2 "
    "connected 5461-10922\n"
    "553646e442bd3d9e3e1f9ebf9e9ea85a488a5fb1 127.0.0.1:31002@31007 master,fail - 0 1795627095000 3 disconnected "
    "10923-16383\n"
).encode()


def test_cluster_nodes_parsed_like_redis_cli():
    node = FakeNode("127.0.0.1", 31000, {"CLUSTER NODES": CLUSTER_NODES})
    assert manager().load_info(node, getfriends=True) is None
    assert node.name == "8273586365838840ef40484dbb7ab43fe2e0a384" and node.bus_port == 31005
    assert node.slots_count == 5462 and node.slots[7000] and not node.slots[5461]
    assert node.migrating == [("3300", "4adaf18dd7e5f1a05aae21447f3b46d024d08a0e")]
    assert node.importing == [("16000", "553646e442bd3d9e3e1f9ebf9e9ea85a488a5fb1")]
    assert node.slots_string() == "[0-5460],[7000]"
    assert node.flags_string() == "master"
    friends = {f.port: f for f in node.friends}
    assert sorted(friends) == [31001, 31002, 31004]
    assert friends[31004].replicate == "4adaf18dd7e5f1a05aae21447f3b46d024d08a0e" and friends[31004].is_slave
    assert friends[31001].bus_port == 31006  # ",hostname" after the bus port is ignored
    assert "fail" in friends[31002].flags
    assert node.to_json()["slots"] == [[0, 5460], [7000]]
    assert node.to_json()["migrating"] == {"3300": "4adaf18dd7e5f1a05aae21447f3b46d024d08a0e"}


def test_config_signature_ignores_open_slots_and_sorts_as_strings():
    node = FakeNode("127.0.0.1", 31000, {"CLUSTER NODES": CLUSTER_NODES})
    sig = manager().config_signature(node)
    assert sig == ("4adaf18dd7e5f1a05aae21447f3b46d024d08a0e:5461-10922|"
                   "553646e442bd3d9e3e1f9ebf9e9ea85a488a5fb1:10923-16383|"
                   "8273586365838840ef40484dbb7ab43fe2e0a384:0-5460,7000")
    assert manager().config_signature(FakeNode("h", 1, {"CLUSTER NODES": ReplyError("ERR x")})) is None


def test_info_string_as_redis_cli_prints_it():
    node = FakeNode("127.0.0.1", 31000, {"CLUSTER NODES": CLUSTER_NODES})
    manager().load_info(node, getfriends=False)
    node.replicas_count = 1
    assert node.info_string() == ("M: 8273586365838840ef40484dbb7ab43fe2e0a384 127.0.0.1:31000\n"
                                  "   slots:[0-5460],[7000] (5462 slots) master\n"
                                  "   1 additional replica(s)")
    assert node.info_string(4).startswith("    M: 8273")


def test_helpers():
    assert parse_address("127.0.0.1:7000@17000,host") == ("127.0.0.1", 7000, 17000)
    assert parse_address("::1:7000") == ("::1", 7000, 0)
    assert parse_address("nonsense") is None
    assert host_port_from_args(["h", "7000"]) == ("h", 7000)
    assert host_port_from_args(["h:0"]) is None
    assert atoi("42abc") == 42 and atoi("-3") == -3 and atoi("x") == 0
    assert info_field("# Cluster\r\ncluster_enabled:1\r\n", "cluster_enabled") == 1
    assert info_field("cluster_known_nodes:6\r\n", "cluster_known_nodes") == 6
    assert info_field("", "cluster_enabled") == 0
    assert format_reply_raw([b"a", 1, None, [b"b", b"c"]]) == "a\n1\n\nb\nc"
    assert format_reply_raw(ReplyError("ERR x")) == "ERR x\n"
    text = _nodes_json([{"name": "a", "slots": [[0, 5], [7]], "migrating": {"5": "b"}}])
    assert json.loads(text) == [{"name": "a", "slots": [[0, 5], [7]], "migrating": {"5": "b"}}]
    assert '"slots": [[0,5],[7]]' in text


def test_set_slot_owner_only_an_addslots_error_counts():
    exec_reply = [ReplyError("ERR Slot 5 is already unassigned"), b"OK", b"BUMPED 3"]
    node = FakeNode("h", 1, {"MULTI": b"OK", "CLUSTER DELSLOTS": b"QUEUED", "CLUSTER ADDSLOTS": b"QUEUED",
                             "CLUSTER BUMPEPOCH": b"QUEUED", "EXEC": exec_reply})
    assert manager().set_slot_owner(node, 5, False)
    assert [a[:2] for a in node.sent] == [("MULTI",), ("CLUSTER", "DELSLOTS"), ("CLUSTER", "ADDSLOTS"),
                                          ("CLUSTER", "BUMPEPOCH"), ("EXEC",)]
    node.replies["EXEC"] = [b"OK", ReplyError("ERR Slot 5 is already busy"), b"BUMPED 3"]
    assert not manager().set_slot_owner(node, 5, False)


@pytest.mark.parametrize("argv,attr,value", [
    (["create", "h:1", "--cluster-replicas", "1", "--cluster-yes"], "replicas", 1),
    (["reshard", "h:1", "--cluster-from", "all", "--cluster-to", "x", "--cluster-slots", "5"], "from_", "all"),
    (["rebalance", "h:1", "--cluster-weight", "a=1", "b=2", "--weight", "c=3"], "weight", ["a=1", "b=2", "c=3"]),
    (["add-node", "h:1", "h:2", "--cluster-slave", "--cluster-master-id", "x"], "replica", True),
    (["add-node", "h:1", "h:2", "--replica"], "replica", True),
    (["fix", "h:1", "--cluster-search-multiple-owners"], "search_multiple_owners", True),
    (["import", "h:1", "--cluster-from", "h:2", "--cluster-copy"], "copy", True),
])
def test_redis_cli_option_names_are_accepted(argv, attr, value):
    args = cluster_main.build_parser().parse_args(argv)
    assert getattr(args, attr) == value
