"""LOLWUT (Redis 7.0: lolwut.c, lolwut5.c, lolwut6.c).

Without ``VERSION`` (or with a version Redis has no art for) the reply is Redis 7.0's
``Redis ver. 7.0.15``.  ``VERSION 5`` draws Georg Nees's "Schotter" in braille characters and
``VERSION 6`` a skyline in ANSI colours, with Redis's drawing code (including its single-precision
float arithmetic); both use random numbers -- ours come from Python's generator, not from libc's
``rand()``, so the randomised parts differ from redis-server's (the first two rows of squares of
"Schotter" are not random and come out identical).
"""

from __future__ import annotations

import math
import random
import struct

from .. import errors
from ..config import REDIS_VERSION
from ..errors import CommandError
from ..protocol.reply import Verbatim
from .table import command

_RAND_MAX = 2147483647
_rng = random.Random()


def _rand() -> int:
    return _rng.randrange(_RAND_MAX + 1)


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _long(arg: bytes) -> int:
    """getLongFromObjectOrReply."""
    if len(arg) <= 20:
        try:
            n = int(arg)
        except ValueError:
            n = None
        if n is not None and b"%d" % n == arg and -(2**63) <= n < 2**63:
            return n
    raise CommandError(errors.NOT_INTEGER)


class _Canvas:
    def __init__(self, width: int, height: int, bg: int):
        self.width = width
        self.height = height
        self.pixels = bytearray([bg]) * (width * height)

    def draw(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw(x1, y1, color)
            if x1 == x2 and y1 == y2:
                break
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        size = _f32(size / 1.4142135623)
        size = _f32(_cround(size))
        k = _f32(math.pi / 4 + angle)
        px, py = [], []
        for _ in range(4):
            px.append(int(_cround(math.sin(k) * size + x)))
            py.append(int(_cround(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color)


def _cround(x: float) -> float:
    """C round(): halfway cases away from zero."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _braille(canvas: _Canvas) -> bytes:
    out = bytearray()
    g = canvas.get
    for y in range(0, canvas.height, 4):
        for x in range(0, canvas.width, 2):
            byte = (g(x, y) and 1) | (g(x, y + 1) and 2) | (g(x, y + 2) and 4) | (g(x + 1, y) and 8) \
                | (g(x + 1, y + 1) and 16) | (g(x + 1, y + 2) and 32) | (g(x, y + 3) and 64) | (g(x + 1, y + 3) and 128)
            code = 0x2800 + byte
            out += bytes((0xE0 | (code >> 12), 0x80 | ((code >> 6) & 0x3F), 0x80 | (code & 0x3F)))
        if y != canvas.height - 1:
            out += b"\n"
    return bytes(out)


def _schotter(cols: int, per_row: int, per_col: int) -> _Canvas:
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32(_f32(float(width - padding * 2)) / _f32(float(per_row)))
    height = int(_f32(_f32(side * per_col) + padding * 2))
    canvas = _Canvas(width, height, 0)
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:
                r = [_f32(_f32(_f32(_f32(float(_rand())) / _f32(float(_RAND_MAX))) / per_col) * y) for _ in range(3)]
                for i in range(3):
                    if _rand() % 2:
                        r[i] = -r[i]
                angle = r[0]
                sx = int(_f32(sx + _f32(_f32(r[1] * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r[2] * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    return canvas


def _lolwut5(argv) -> Verbatim:
    cols, per_row, per_col = 66, 8, 12
    if len(argv) > 1:
        cols = _long(argv[1])
    if len(argv) > 2:
        per_row = _long(argv[2])
    if len(argv) > 3:
        per_col = _long(argv[3])
    cols = min(max(cols, 1), 1000)
    per_row = min(max(per_row, 1), 200)
    per_col = min(max(per_col, 1), 200)
    text = _braille(_schotter(cols, per_row, per_col))
    text += b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. " + REDIS_VERSION.encode() + b"\n"
    return Verbatim(text)


def _skyscraper(canvas: _Canvas, xoff: int, width: int, height: int, windows: bool, color: int) -> None:
    starty = canvas.height - 1
    endy = starty - height + 1
    for y in range(starty, endy - 1, -1):
        for x in range(xoff, xoff + width):
            if y == endy and (x <= xoff + 1 or x >= xoff + width - 2):
                continue
            c = color
            if windows and xoff + 1 < x < xoff + width - 2 and endy + 1 < y < starty - 1:
                relx = x - (xoff + 1)
                rely = y - (endy + 1)
                if (relx // 2) % 2 and rely % 2:
                    while True:
                        c = 1 + _rand() % 2
                        if c != color:
                            break
                    if relx % 2:
                        c = canvas.get(x - 1, y)
            canvas.draw(x, y, c)


def _skyline(canvas: _Canvas) -> None:
    h = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            if color == 2:
                height = h // 2 + (_rand() % h) // 2
            else:
                height = h // 2 + (_rand() % h) // 3
            _skyscraper(canvas, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        height = h // 3 + (_rand() % h) // 2
        _skyscraper(canvas, offset, width, height, True, 0)
        offset += width + 5


_COLORS = {0: b"0;30;40m", 1: b"0;90;100m", 2: b"0;37;47m", 3: b"0;97;107m"}


def _lolwut6(argv) -> Verbatim:
    cols, rows = 80, 20
    if len(argv) > 1:
        cols = _long(argv[1])
    if len(argv) > 2:
        rows = _long(argv[2])
    cols = min(max(cols, 1), 1000)
    rows = min(max(rows, 1), 1000)
    canvas = _Canvas(cols, rows, 3)
    _skyline(canvas)
    out = bytearray()
    for y in range(rows):
        for x in range(cols):
            out += b"\x1b[%s \x1b[0m" % _COLORS.get(canvas.get(x, y), b"0;30;40m")
        if y != rows - 1:
            out += b"\n"
    out += (b"\nDedicated to the 8 bit game developers of past and present.\n"
            b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. ") + REDIS_VERSION.encode() + b"\n"
    return Verbatim(bytes(out))


@command("lolwut")
def lolwut(c, argv):
    v = REDIS_VERSION.encode()
    if len(argv) >= 3 and argv[1].split(b"\0", 1)[0].lower() == b"version":
        ver = _long(argv[2]) & 0xFFFFFFFF  # printed as an unsigned int
        v = b"%d.0.0" % ver
        argv = [argv[0]] + list(argv[3:])
    if (v[:2] == b"5." and v[2:3] != b"9") or v[:3] == b"4.9":
        return _lolwut5(argv)
    if (v[:2] == b"6." and v[2:3] != b"9") or v[:3] == b"5.9":
        return _lolwut6(argv)
    return Verbatim(b"Redis ver. " + REDIS_VERSION.encode() + b"\n")
