"""CLUSTER subcommands (Redis: cluster.c clusterCommand).

For now only the ones that need nothing but the keyspace: KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT.  The
cluster-bus issue adds the rest (NODES, SLOTS, MEET, ADDSLOTS ...).
"""

from __future__ import annotations

from .. import errors
from ..cluster.slots import CLUSTER_SLOTS, key_hash_slot
from ..errors import CommandError
from .table import command

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"


def _require_cluster(c) -> None:
    if not c.node.cluster_enabled:
        raise CommandError(CLUSTER_DISABLED)


def _int(arg: bytes) -> int:
    try:
        return int(arg)
    except ValueError:
        raise CommandError(errors.NOT_INTEGER) from None


@command("cluster|keyslot")
def cluster_keyslot(c, argv):
    _require_cluster(c)
    return key_hash_slot(argv[2])


@command("cluster|countkeysinslot")
def cluster_countkeysinslot(c, argv):
    _require_cluster(c)
    slot = _int(argv[2])
    if slot < 0 or slot >= CLUSTER_SLOTS:
        raise CommandError("ERR Invalid slot")
    return c.node.dbs[0].count_keys_in_slot(slot)


@command("cluster|getkeysinslot")
def cluster_getkeysinslot(c, argv):
    _require_cluster(c)
    slot = _int(argv[2])
    count = _int(argv[3])
    if slot < 0 or slot >= CLUSTER_SLOTS or count < 0:
        raise CommandError("ERR Invalid slot or number of keys")
    return c.node.dbs[0].get_keys_in_slot(slot, count)
