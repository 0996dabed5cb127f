"""CLUSTER FORGET on the simulator: the forgotten node is blacklisted for 60 s, so gossip from the nodes
that still know it does not bring it back meanwhile; once the blacklist expires, their gossip re-teaches
it (which is why redis-cli --cluster del-node sends FORGET to every node)."""

from __future__ import annotations

from pyredis_cluster.cluster.state import CLUSTER_BLACKLIST_TTL
from pyredis_cluster.testing.simulation import Simulation


def test_forgotten_node_is_not_relearnt_during_the_blacklist():
    sim = Simulation(seed=5, node_timeout=2000)
    a, b, c, d = sim.add_nodes(4)
    for n in (b, c, d):
        sim.meet(a, n)
    assert sim.run_until(sim.all_know_each_other, 20_000)
    # a forgets d, but b and c still know d and keep gossiping about it
    st = a.state
    st.blacklist_add(d.name, sim.now)
    st.del_node(st.nodes[d.name], sim.now)
    sim.advance(CLUSTER_BLACKLIST_TTL - 5000)
    assert d.name not in a.state.nodes, "relearnt from gossip while blacklisted"
    # only gossip can bring d back (a ignores PINGs from an unknown sender), and after the TTL it does
    sim.advance(30_000)
    assert d.name in a.state.nodes
