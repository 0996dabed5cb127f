"""Keys to hash slots (Redis: ``keyHashSlot`` in cluster.c, ``crc16`` in crc16.c).

slot = CRC16(key) mod 16384, with the CRC16-CCITT/XMODEM variant (poly 0x1021, init 0).  If the key
holds a *hash tag* -- the bytes between the first ``{`` and the first ``}`` after it, when there is at
least one byte between them -- only the tag is hashed, so that ``{user1000}.following`` and
``{user1000}.followers`` land in the same slot.

``binascii.crc_hqx`` is that exact CRC, in C, in the standard library; it measured faster than
crcmod's C extension (see bench/RESULTS.md), so we use it.
"""

from binascii import crc_hqx

CLUSTER_SLOTS = 16384


def key_hash_slot(key: bytes) -> int:
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1 : e]
    return crc_hqx(key, 0) & 0x3FFF
