"""Replica elections on the deterministic simulator (virtual clock, real bus codec): the replica with
the best replication offset wins, no epoch ever has two winners even with message loss and delays, and
a minority partition never elects."""

from __future__ import annotations

import pytest

from pyredis_cluster.testing.simulation import Simulation

NT = 2000


def build(seed: int, replicas_per_master: int, masters: int = 3, **kw):
    sim = Simulation(seed=seed, node_timeout=NT, **kw)
    ms = sim.add_nodes(masters)
    rs = sim.add_nodes(masters * replicas_per_master)
    everyone = ms + rs
    for n in everyone[1:]:
        sim.meet(everyone[0], n)
    assert sim.run_until(sim.all_know_each_other, 30_000)
    per = 16384 // masters
    for i, m in enumerate(ms):
        sim.set_config_epoch(m, i + 1)
        sim.assign_slots(m, i * per, 16383 if i == masters - 1 else (i + 1) * per - 1)
    for i, r in enumerate(rs):
        sim.replicate(r, ms[i % masters])
    assert sim.run_until(lambda: all(n.state.state == 0 for n in everyone), 30_000)
    return sim, ms, rs


def winners(sim):
    """(epoch, node index) of every election won."""
    out = []
    for t, i, ev in sim.events("election-won"):
        out.append((sim.nodes[i].state.myself.config_epoch, i))
    return out


@pytest.mark.parametrize("nreplicas", [1, 2, 3])
def test_best_offset_replica_wins(nreplicas):
    for seed in range(3):
        sim, ms, rs = build(seed, nreplicas)
        victim = ms[0]
        mine = [r for r in rs if r.state.myself.replicaof.name == victim.name]
        assert len(mine) == nreplicas
        for k, r in enumerate(mine):
            r.state.host.offset = 1000 + 100 * ((k * 7 + seed) % nreplicas)
        best = max(mine, key=lambda r: r.state.host.offset)
        sim.kill(victim)
        t0 = sim.now
        assert sim.run_until(lambda: any(r.state.myself.is_master for r in mine), 30_000)
        promoted = [r for r in mine if r.state.myself.is_master]
        assert promoted == [best], "seed %d: %s won, %s had the best offset" % (seed, promoted, best)
        took = sim.now - t0
        # PFAIL after NT, FAIL once the reports meet, then 500-999 ms of election delay (rank 0)
        assert NT <= took <= NT + 3000, took
        assert sim.run_until(lambda: all(n.state.state == 0 for n in sim.nodes if n.alive), 10_000)
        # the other replicas follow the winner
        for r in mine:
            if r is not best:
                assert sim.run_until(lambda r=r: r.state.myself.replicaof is not None and
                                     r.state.myself.replicaof.name == best.name, 10_000)


def test_no_two_winners_in_one_epoch_under_loss_and_delay():
    for seed in range(5):
        sim, ms, rs = build(seed, 2, masters=5)
        # lossy, slow links between many pairs
        for a in sim.nodes:
            for b in sim.nodes:
                if a is not b and sim.rng.random() < 0.3:
                    sim.delay(a, b, sim.rng.randrange(50, 900))
        for victim in ms[:2]:
            sim.kill(victim)
        sim.advance(6 * NT)
        # randomly drop traffic for a while, then heal
        for a in sim.nodes:
            for b in sim.nodes:
                if a is not b and sim.rng.random() < 0.2:
                    sim.block(a, b, both_ways=False)
        sim.advance(4 * NT)
        sim.heal()
        sim.advance(20 * NT)
        won = winners(sim)
        epochs = [e for e, _ in won]
        assert len(epochs) == len(set(epochs)), "seed %d: two winners in one epoch: %s" % (seed, won)
        # every live master ends with a distinct configEpoch
        live_masters = [n for n in sim.nodes if n.alive and n.state.myself.is_master and n.state.myself.numslots]
        cfg = [n.state.myself.config_epoch for n in live_masters]
        assert len(cfg) == len(set(cfg)), cfg


def test_minority_partition_never_elects():
    sim, ms, rs = build(7, 1, masters=5)
    # the replica of master 0 ends up with master 0 and one other master: a minority of 5
    rep0 = next(r for r in rs if r.state.myself.replicaof.name == ms[0].name)
    rep1 = next(r for r in rs if r.state.myself.replicaof.name == ms[1].name)
    minority = [ms[1], rep0]
    majority = [n for n in sim.nodes if n not in minority and n is not ms[0]]
    sim.kill(ms[0])
    sim.partition(minority, majority)
    sim.advance(15 * NT)
    assert not rep0.state.myself.is_master
    won_by = {sim.nodes[i] for _, i, _ in sim.events("election-won")}
    assert not won_by & set(minority)  # nobody in the minority was elected
    # the majority did replace master 1 (isolated from it) with its replica there, but master 0's slots
    # have nobody on that side: the cluster stays down everywhere
    assert rep1 in majority and rep1.state.myself.is_master
    assert all(n.state.state == 1 for n in majority + minority)


def test_replica_migration_to_an_orphaned_master():
    """clusterHandleSlaveMigration: master A has two replicas, master B loses its only one; after
    CLUSTER_SLAVE_MIGRATION_DELAY one of A's replicas (the smallest name) moves to B."""
    sim = Simulation(seed=11, node_timeout=NT)
    a, b, c = sim.add_nodes(3)
    ra1, ra2, rb, rc = sim.add_nodes(4)
    everyone = [a, b, c, ra1, ra2, rb, rc]
    for n in everyone[1:]:
        sim.meet(a, n)
    assert sim.run_until(sim.all_know_each_other, 30_000)
    for i, m in enumerate((a, b, c)):
        sim.set_config_epoch(m, i + 1)
        sim.assign_slots(m, i * 5461, 16383 if i == 2 else (i + 1) * 5461 - 1)
    sim.replicate(ra1, a)
    sim.replicate(ra2, a)
    sim.replicate(rb, b)
    sim.replicate(rc, c)
    assert sim.run_until(lambda: all(n.state.state == 0 for n in everyone), 30_000)
    sim.advance(2 * NT)
    sim.kill(rb)
    expected = min((ra1, ra2), key=lambda n: n.name)
    assert sim.run_until(lambda: expected.state.myself.replicaof is not None and
                         expected.state.myself.replicaof.name == b.name, 30_000)
    other = ra2 if expected is ra1 else ra1
    assert other.state.myself.replicaof.name == a.name
    assert sim.events("replica-migration")


def test_no_migration_below_the_barrier():
    sim = Simulation(seed=12, node_timeout=NT)
    a, b = sim.add_nodes(2)
    ra, rb = sim.add_nodes(2)
    for n in (b, ra, rb):
        sim.meet(a, n)
    assert sim.run_until(sim.all_know_each_other, 30_000)
    sim.assign_slots(a, 0, 8191)
    sim.assign_slots(b, 8192, 16383)
    sim.set_config_epoch(a, 1)
    sim.set_config_epoch(b, 2)
    sim.replicate(ra, a)
    sim.replicate(rb, b)
    assert sim.run_until(lambda: all(n.state.state == 0 for n in (a, b, ra, rb)), 30_000)
    sim.kill(rb)
    sim.advance(20 * NT)
    # a has a single replica: with cluster-migration-barrier 1 it must keep it
    assert ra.state.myself.replicaof.name == a.name
    assert not sim.events("replica-migration")
