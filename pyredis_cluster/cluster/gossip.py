"""Gossip: what each PING/PONG/MEET says about other nodes, and what we learn from it
(Redis: clusterSendPing's gossip loop, clusterSetGossipEntry, clusterProcessGossipSection).

Every heartbeat carries entries about a few random nodes -- ``max(3, known/10)``, at most
``known - 2`` -- plus every node we currently believe PFAIL.  The 1/10 is Redis's sizing rule: in the
node-timeout window every node receives enough heartbeats that failure reports about a failing node
reach a majority of masters quickly, while the packets stay small.
"""

from __future__ import annotations

from .failure import count_failure_reports
from .messages import NODE_FAIL, NODE_HANDSHAKE, NODE_NOADDR, NODE_PFAIL, GossipEntry


def gossip_entry(node) -> GossipEntry:
    """clusterSetGossipEntry: times are sent in seconds."""
    return GossipEntry(node.name, node.ping_sent // 1000, node.pong_received // 1000, node.ip, node.port, node.cport,
                       node.flags, node.pport)


def select_gossip(cs, link, ping_id: int) -> list:
    """The gossip section of one PING/PONG/MEET."""
    nodes = list(cs.nodes.values())
    freshnodes = len(nodes) - 2
    wanted = max(3, len(nodes) // 10)
    wanted = min(wanted, freshnodes)
    entries = []
    chosen = set()
    maxiterations = wanted * 3
    while freshnodes > 0 and len(entries) < wanted and maxiterations > 0:
        maxiterations -= 1
        this = cs.rng.choice(nodes)
        if this is cs.myself or this.flags & NODE_PFAIL:
            continue  # PFAIL nodes are added at the end
        if this.flags & (NODE_HANDSHAKE | NODE_NOADDR) or (this.link is None and this.numslots == 0):
            freshnodes -= 1  # "technically not correct, but saves CPU"
            continue
        if this.name in chosen:
            continue
        chosen.add(this.name)
        entries.append(gossip_entry(this))
        freshnodes -= 1
    # Every PFAIL node: failure reports spread as fast as possible.
    pfail_wanted = cs.stats_pfail_nodes
    if pfail_wanted:
        for node in nodes:
            if pfail_wanted <= 0:
                break
            if node.flags & (NODE_HANDSHAKE | NODE_NOADDR) or not node.flags & NODE_PFAIL:
                continue
            entries.append(gossip_entry(node))
            pfail_wanted -= 1
    return entries


def process_gossip_section(cs, msg, link, now: int) -> None:
    """clusterProcessGossipSection."""
    h = msg.header
    sender = link.node if link.node is not None else cs.lookup(h.sender)
    me = cs.myself
    for g in msg.gossip:
        flags = g.flags
        node = cs.lookup(g.name)
        if node is not None:
            # Failure reports count only when they come from masters.
            if sender is not None and sender.is_master and node is not me:
                if flags & (NODE_FAIL | NODE_PFAIL):
                    if node.add_failure_report(sender, now):
                        cs.log(now, "fail-report", node, "node %s reported node %s as not reachable"
                               % (sender.name, node.name))
                    from .failure import mark_node_as_failing_if_needed

                    mark_node_as_failing_if_needed(cs, node, now)
                elif node.del_failure_report(sender):
                    cs.log(now, "fail-report", node, "node %s reported node %s is back online"
                           % (sender.name, node.name))
            # If the node is up for us too, take the freshest pong time anybody saw.
            if (not flags & (NODE_FAIL | NODE_PFAIL) and node.ping_sent == 0
                    and count_failure_reports(cs, node, now) == 0):
                pongtime = g.pong_received * 1000
                if pongtime <= now + 500 and pongtime > node.pong_received:
                    node.pong_received = pongtime
            # A node we cannot reach, seen healthy by others at another address: follow it.
            if (node.flags & (NODE_FAIL | NODE_PFAIL) and not flags & NODE_NOADDR
                    and not flags & (NODE_FAIL | NODE_PFAIL)
                    and (node.ip.lower() != g.ip.lower() or node.port != g.port or node.cport != g.cport)):
                cs.free_link(node.link, now)
                node.ip, node.port, node.pport, node.cport = g.ip, g.port, g.pport, g.cport
                node.flags &= ~NODE_NOADDR
                cs.log(now, "address", node, "gossip shows node %s at a new address %s:%d" % (node.name, g.ip, g.port))
        else:
            # A node we do not know: add it with its real name -- but only on the word of a node we
            # trust, never with NOADDR, never if we were told to forget it.
            if sender is not None and not flags & NODE_NOADDR and not cs.blacklist_exists(g.name, now):
                new = cs.create_node(g.name, flags, now)
                new.ip, new.port, new.pport, new.cport = g.ip, g.port, g.pport, g.cport
                cs.add_node(new)
                cs.log(now, "discovered", new, "learnt about node %s at %s:%d from %s's gossip"
                       % (g.name, g.ip, g.port, sender.name))
