"""Regressions found by running Redis 7.0.15's own cluster test suite (tests/cluster/tests/*.tcl) with our
node as the server binary; each test names the tcl unit that exposed the difference."""

from __future__ import annotations

from pyredis_cluster.cluster.messages import MEET, NODE_HANDSHAKE, PING, PONG
from pyredis_cluster.testing.simulation import Simulation


def test_drop_packet_filter_keeps_a_meet_in_handshake():
    """27-endpoints: DEBUG DROP-CLUSTER-PACKET-FILTER 0 (PING) on two nodes makes a MEET between them hang in
    the handshake (clusterProcessPacket drops the message right after counting it); -1 lets it complete."""
    sim = Simulation(seed=3, node_timeout=2000)
    a, b = sim.add_nodes(2)
    a.state.drop_packet_filter = PING
    b.state.drop_packet_filter = PING
    sim.meet(a, b)
    sim.advance(1500)
    assert b.state.stats_received[MEET] >= 1  # MEET is not filtered: b knows a, in handshake
    assert b.state.stats_received[PING] >= 1  # counted, then dropped
    handshaking = [n for n in b.state.nodes.values() if n.flags & NODE_HANDSHAKE]
    assert handshaking, "b should still be in handshake with a"
    assert not sim.all_know_each_other()
    assert any("Dropping packet that matches debug drop filter" in ev.text for _, _, ev in sim.log)
    a.state.drop_packet_filter = -1
    b.state.drop_packet_filter = -1
    sim.meet(a, b)
    assert sim.run_until(sim.all_know_each_other, 20_000)
    assert a.state.stats_received[PONG] > 0
