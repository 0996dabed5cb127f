"""Client side caching against redis-server 7.0, byte for byte: CLIENT TRACKING (default mode, NOLOOP,
OPTIN/OPTOUT with CLIENT CACHING, BCAST with prefixes, REDIRECT to a RESP2 subscriber), the
invalidation pushes and their order after the command's reply, flushes (a null), CLIENT TRACKINGINFO /
GETREDIR, the option errors, RESET and INFO's tracking fields.  (redis-py's test_client_tracking and
its client side cache need CLIENT TRACKING ON to work.)"""

from __future__ import annotations

from helpers import encode_command
from scenario import both, settle


def _info_tracking(s, name):
    info = s.quiet(name, "INFO")
    return sorted(line for line in info.split(b"\r\n") if line.startswith(b"tracking_"))


def test_default_mode_invalidations(ours, theirs):
    def steps(s):
        s.quiet("a", "HELLO", "3")
        s.call("a", "CLIENT", "TRACKING", "on")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.call("a", "GET", "k1")
        s.call("a", "MGET", "k2", "k3")
        s.call("a", "HGET", "h", "f")
        s.call("b", "SET", "k2", "v")  # another client: the push arrives at once
        s.read("a")
        s.call("b", "SET", "k2", "w")  # once only, until read again
        s.nothing("a")
        s.send("a", "SET", "k1", "x")  # its own write: the reply, then the push
        s.read("a", 2)
        s.call("b", "HSET", "h", "f", "1")
        s.read("a")
        s.log.append(("info", _info_tracking(s, "b")))
        s.send("a", "MULTI")
        s.send("a", "GET", "k3")
        s.send("a", "SET", "k3", "1")
        s.send("a", "EXEC")
        s.read("a", 5)  # the invalidation after EXEC's whole reply
        s.call("a", "GET", "k3")
        s.call("b", "FLUSHALL")  # a null for every tracking client
        s.read("a")
        s.send("a", "FLUSHDB")
        s.read("a", 2)
        s.call("a", "CLIENT", "TRACKING", "off")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.log.append(("info", _info_tracking(s, "b")))
    both(ours, theirs, steps)


def test_noloop_and_pipeline(ours, theirs):
    def steps(s):
        s.quiet("a", "HELLO", "3")
        s.call("a", "CLIENT", "TRACKING", "on", "NOLOOP")
        s.call("a", "GET", "n1")
        s.call("a", "SET", "n1", "x")
        s.nothing("a")
        s.call("a", "GET", "n1")
        s.call("b", "DEL", "n1")
        s.read("a")
        s.call("a", "GET", "n2")
        s.call("a", "CLIENT", "TRACKING", "on")  # NOLOOP off again
        s.send_raw("a", encode_command("INCR", "n2") + encode_command("GET", "n2") + encode_command("INCR", "n2"))
        s.read("a", 4)
    both(ours, theirs, steps)


def test_optin_optout(ours, theirs):
    def steps(s):
        s.quiet("a", "HELLO", "3")
        s.call("a", "CLIENT", "CACHING", "yes")
        s.call("a", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT")
        s.call("a", "CLIENT", "TRACKING", "on", "OPTIN")
        s.call("a", "CLIENT", "TRACKING", "on", "OPTOUT")
        s.call("a", "CLIENT", "CACHING", "no")
        s.call("a", "CLIENT", "CACHING", "maybe")
        s.call("a", "GET", "o1")
        s.call("a", "CLIENT", "CACHING", "yes")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.call("a", "GET", "o2")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.call("b", "MSET", "o1", "1", "o2", "2")
        s.read("a")
        s.nothing("a")
        s.call("a", "CLIENT", "TRACKING", "off")
        s.call("a", "CLIENT", "TRACKING", "on", "OPTOUT")
        s.call("a", "CLIENT", "CACHING", "no")
        s.call("a", "GET", "o3")
        s.call("a", "GET", "o4")
        s.call("b", "MSET", "o3", "1", "o4", "2")
        s.read("a")
        s.nothing("a")
    both(ours, theirs, steps)


def test_bcast_prefixes(ours, theirs):
    def steps(s):
        s.quiet("a", "HELLO", "3")
        s.call("a", "CLIENT", "TRACKING", "on", "PREFIX", "p:")
        s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN")
        s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "p:x")
        s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q")
        s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:x")
        s.call("a", "CLIENT", "TRACKING", "on")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.call("b", "MSET", "p:2", "1", "p:1", "2", "zz", "3", "qq", "4")
        settle()
        s.read("a", 2)  # one message per prefix, keys sorted
        s.call("b", "SET", "other", "1")
        s.nothing("a")
        s.log.append(("info", _info_tracking(s, "b")))
        s.quiet("n", "HELLO", "3")
        s.call("n", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
        s.call("n", "SET", "mine", "1")
        s.nothing("n")
        s.call("b", "SET", "theirs", "1")
        settle()
        s.read("n")
        s.call("a", "CLIENT", "TRACKING", "off")
        s.call("a", "CLIENT", "TRACKINGINFO")
        s.call("n", "RESET")
        s.call("n", "CLIENT", "TRACKINGINFO")
        s.log.append(("info", _info_tracking(s, "b")))
    both(ours, theirs, steps)


def test_redirect_to_resp2_subscriber(ours, theirs):
    def steps(s):
        rid = s.quiet("r", "CLIENT", "ID")[1:-2].decode()
        s.call("a", "CLIENT", "TRACKING", "on", "REDIRECT", "999999")
        s.send("a", "CLIENT", "TRACKING", "on", "REDIRECT", rid, "REDIRECT", rid)  # (ids differ: reply only)
        s.read("a")
        s.call("a", "GET", "r1")  # not redirected yet: nothing recorded
        s.call("a", "CLIENT", "GETREDIR")
        s.send("a", "CLIENT", "TRACKING", "on", "REDIRECT", rid)
        s.read("a")
        assert s.quiet("a", "CLIENT", "GETREDIR") == b":%s\r\n" % rid.encode()
        s.call("a", "GET", "r1")
        s.call("b", "SET", "r1", "1")  # r is not subscribed: nothing
        s.nothing("r")
        s.send("r", "SUBSCRIBE", "__redis__:invalidate")
        s.read("r")
        s.call("a", "GET", "r1")
        s.call("b", "SET", "r1", "2")
        s.read("r")
        s.call("b", "FLUSHDB")
        s.read("r")
        s.close("r")
        settle()
        s.call("a", "GET", "r2")
        s.call("b", "SET", "r2", "1")
        flags = s.quiet("a", "CLIENT", "TRACKINGINFO")
        s.log.append(("broken", b"broken_redirect" in flags))
        s.nothing("a")
    both(ours, theirs, steps)
