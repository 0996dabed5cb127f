#!/usr/bin/env python3
"""Which CRC16 to use for key slots: stdlib binascii.crc_hqx or crcmod's C extension?

    python3 bench/bench_crc.py

Both compute CRC16-CCITT/XMODEM (poly 0x1021, init 0); the script checks they agree and times one
million slot computations of a typical key with each."""

import timeit
from binascii import crc_hqx

import crcmod.predefined

xmodem = crcmod.predefined.mkCrcFun("xmodem")
KEY = b"key:000000012345"
assert crc_hqx(b"123456789", 0) == xmodem(b"123456789") == 0x31C3
for name, fn in (("binascii.crc_hqx", lambda: crc_hqx(KEY, 0) & 0x3FFF), ("crcmod xmodem", lambda: xmodem(KEY) & 0x3FFF)):
    best = min(timeit.repeat(fn, number=1_000_000, repeat=5))
    print("%-18s %.3f s per million (%.0f ns per key)" % (name, best, best * 1000))
