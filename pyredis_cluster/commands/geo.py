"""GEO commands (Redis 7.0: geo.c, geohash.c, geohash_helper.c), byte for byte as redis-server.

A geo set is an ordinary sorted set whose scores are 52-bit geohashes (26 steps of longitude and
latitude bits interleaved), so GEOADD is a ZADD of computed scores (and is propagated as that ZADD),
and every sorted set command works on it.  Searches follow Redis exactly: the step is estimated
from the radius, the center box and its 8 neighbours are scanned in Redis's order (center, N, S,
E, W, NE, NW, SE, SW) by score range, each candidate is checked against the circle or the box with
the same haversine arithmetic, and the results sorted by distance when asked (or when COUNT is
given without ANY).  Distances are printed with 4 decimals (``fixedpoint_d2string``), coordinates
in Redis's "human" long double format (``%.17Lf`` without trailing zeros).
"""

from __future__ import annotations

import math

from .. import errors
from ..errors import CommandError
from ..protocol.reply import EMPTY_ARRAY, NULL_ARRAY, Raw
from ..store.zset import ZSetValue, string2d
from .table import COMMANDS, command
from .zsets import _limits, _store

GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0
GEO_STEP_MAX = 26
LONG_RANGE = (GEO_LONG_MIN, GEO_LONG_MAX)
LAT_RANGE = (GEO_LAT_MIN, GEO_LAT_MAX)

D_R = math.pi / 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37

_M64 = 0xFFFFFFFFFFFFFFFF
_GEOALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"

CIRCULAR, RECTANGLE = 1, 2


# -- geohash.c ------------------------------------------------------------------------------------

def _spread(v: int) -> int:
    """The bits of a 32-bit value moved to the even positions of a 64-bit one."""
    v &= 0xFFFFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    v = (v | (v << 1)) & 0x5555555555555555
    return v


def _squash(v: int) -> int:
    """The even bits of a 64-bit value packed into 32 bits."""
    v &= 0x5555555555555555
    v = (v | (v >> 1)) & 0x3333333333333333
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
    v = (v | (v >> 16)) & 0x00000000FFFFFFFF
    return v


def interleave64(xlo: int, ylo: int) -> int:
    return _spread(xlo) | (_spread(ylo) << 1)


def deinterleave64(bits: int) -> int:
    return _squash(bits) | (_squash(bits >> 1) << 32)


def encode(lon_range, lat_range, lon: float, lat: float, step: int):
    """geohashEncode: the hash bits, or None when the point cannot be encoded."""
    if step > 32 or step == 0:
        return None
    if lon > GEO_LONG_MAX or lon < GEO_LONG_MIN or lat > GEO_LAT_MAX or lat < GEO_LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_offset = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    long_offset = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    lat_offset *= float(1 << step)
    long_offset *= float(1 << step)
    return interleave64(int(lat_offset), int(long_offset))


def decode(lon_range, lat_range, bits: int, step: int):
    """geohashDecode: the area (lon_min, lon_max, lat_min, lat_max) of a hash."""
    sep = deinterleave64(bits)
    lat_scale = lat_range[1] - lat_range[0]
    long_scale = lon_range[1] - lon_range[0]
    ilato = sep & 0xFFFFFFFF
    ilono = sep >> 32
    div = float(1 << step)
    return (
        lon_range[0] + (ilono * 1.0 / div) * long_scale,
        lon_range[0] + (((ilono + 1) & 0xFFFFFFFF) * 1.0 / div) * long_scale,
        lat_range[0] + (ilato * 1.0 / div) * lat_scale,
        lat_range[0] + (((ilato + 1) & 0xFFFFFFFF) * 1.0 / div) * lat_scale,
    )


def decode_score(score: float):
    """decodeGeohash: (longitude, latitude) of a 52-bit score (area center, clamped)."""
    if score != score or math.isinf(score):
        bits = 1 << 63
    else:
        bits = int(score) & _M64  # (uint64_t) of a double, as x86-64 converts it
    lon_min, lon_max, lat_min, lat_max = decode(LONG_RANGE, LAT_RANGE, bits, GEO_STEP_MAX)
    x = (lon_min + lon_max) / 2
    x = min(max(x, GEO_LONG_MIN), GEO_LONG_MAX)
    y = (lat_min + lat_max) / 2
    y = min(max(y, GEO_LAT_MIN), GEO_LAT_MAX)
    return x, y


def align52(bits: int, step: int) -> int:
    return (bits << (52 - step * 2)) & _M64


def _move_x(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = x + (zz + 1)
    else:
        x = x | zz
        x = x - (zz + 1)
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return (x | y) & _M64


def _move_y(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = y + (zz + 1)
    else:
        y = y | zz
        y = y - (zz + 1)
    y &= 0x5555555555555555 >> (64 - step * 2)
    return (x | y) & _M64


def _neighbor(bits: int, step: int, dx: int, dy: int):
    return (_move_y(_move_x(bits, step, dx), step, dy), step)


# -- geohash_helper.c -----------------------------------------------------------------------------

def deg_rad(a: float) -> float:
    return a * D_R


def rad_deg(a: float) -> float:
    return a / D_R


def estimate_steps(range_meters: float, lat: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(deg_rad(lat2) - deg_rad(lat1))


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance (haversine)."""
    lon1r = deg_rad(lon1)
    lon2r = deg_rad(lon2)
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = deg_rad(lat1)
    lat2r = deg_rad(lat2)
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(a))


class Shape:
    __slots__ = ("type", "xy", "conversion", "radius", "width", "height", "bounds")

    def __init__(self):
        self.type = 0
        self.xy = (0.0, 0.0)
        self.conversion = 0.0
        self.radius = 0.0
        self.width = 0.0
        self.height = 0.0
        self.bounds = None


def _bounding_box(shape: Shape):
    lon, lat = shape.xy
    circ = shape.type == CIRCULAR
    height = shape.conversion * (shape.radius if circ else shape.height / 2)
    width = shape.conversion * (shape.radius if circ else shape.width / 2)
    lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS)
    long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / math.cos(deg_rad(lat + lat_delta)))
    long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / math.cos(deg_rad(lat - lat_delta)))
    south = lat < 0
    return (
        lon - long_delta_bottom if south else lon - long_delta_top,
        lat - lat_delta,
        lon + long_delta_bottom if south else lon + long_delta_top,
        lat + lat_delta,
    )


def areas_by_shape(shape: Shape) -> list:
    """geohashCalculateAreasByShapeWGS84: the 9 boxes to scan, as (bits, step) (``(0, 0)`` = skip),
    in membersOfAllNeighbors's order: center, N, S, E, W, NE, NW, SE, SW."""
    min_lon, min_lat, max_lon, max_lat = shape.bounds = _bounding_box(shape)
    lon, lat = shape.xy
    if shape.type == CIRCULAR:
        radius_meters = shape.radius
    else:
        radius_meters = math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
    radius_meters *= shape.conversion
    steps = estimate_steps(radius_meters, lat)

    def around(steps):
        bits = encode(LONG_RANGE, LAT_RANGE, lon, lat, steps) or 0
        nb = {
            "e": _neighbor(bits, steps, 1, 0), "w": _neighbor(bits, steps, -1, 0),
            "s": _neighbor(bits, steps, 0, -1), "n": _neighbor(bits, steps, 0, 1),
            "nw": _neighbor(bits, steps, -1, 1), "ne": _neighbor(bits, steps, 1, 1),
            "se": _neighbor(bits, steps, 1, -1), "sw": _neighbor(bits, steps, -1, -1),
        }
        return bits, nb, decode(LONG_RANGE, LAT_RANGE, bits, steps)

    bits, nb, area = around(steps)
    north = decode(LONG_RANGE, LAT_RANGE, *nb["n"])
    south = decode(LONG_RANGE, LAT_RANGE, *nb["s"])
    east = decode(LONG_RANGE, LAT_RANGE, *nb["e"])
    west = decode(LONG_RANGE, LAT_RANGE, *nb["w"])
    decrease = north[3] < max_lat or south[2] > min_lat or east[1] < max_lon or west[0] > min_lon
    if steps > 1 and decrease:
        steps -= 1
        bits, nb, area = around(steps)
    if steps >= 2:
        zero = (0, 0)
        if area[2] < min_lat:
            nb["s"] = nb["sw"] = nb["se"] = zero
        if area[3] > max_lat:
            nb["n"] = nb["ne"] = nb["nw"] = zero
        if area[0] < min_lon:
            nb["w"] = nb["sw"] = nb["nw"] = zero
        if area[1] > max_lon:
            nb["e"] = nb["se"] = nb["ne"] = zero
    return [(bits, steps), nb["n"], nb["s"], nb["e"], nb["w"], nb["ne"], nb["nw"], nb["se"], nb["sw"]]


def _within(shape: Shape, score: float):
    """geoWithinShape: (lon, lat, distance) of a point inside the shape, else None."""
    x, y = decode_score(score)
    cx, cy = shape.xy
    if shape.type == CIRCULAR:
        d = distance(cx, cy, x, y)
        if d > shape.radius * shape.conversion:
            return None
        return x, y, d
    if lat_distance(y, cy) > shape.height * shape.conversion / 2:
        return None
    if distance(x, y, cx, y) > shape.width * shape.conversion / 2:
        return None
    return x, y, distance(cx, cy, x, y)


def _members_of_all_neighbors(z: ZSetValue, boxes: list, shape: Shape, limit: int) -> list:
    """membersOfAllNeighbors + geoGetPointsInRange: [(dist, score, member, lon, lat)]."""
    out = []
    index = z.index
    last = 0
    for i, (bits, step) in enumerate(boxes):
        if bits == 0 and step == 0:
            continue
        if last and (bits, step) == boxes[last]:
            continue
        if out and limit and len(out) >= limit:
            break
        lo = align52(bits, step)
        hi = align52(bits + 1, step)
        pos = index.bisect_left((float(lo),))
        n = len(index)
        while pos < n:
            score, member = index[pos]
            if score >= hi:  # the range is [min, max)
                break
            hit = _within(shape, score)
            if hit is not None:
                out.append((hit[2], score, member, hit[0], hit[1]))
            if out and limit and len(out) >= limit:
                break
            pos += 1
        last = i
    return out


# -- reply formatting -------------------------------------------------------------------------------

def fixedpoint4(d: float) -> bytes:
    """fixedpoint_d2string(d, 4): llrint(d * 10^4) printed with 4 decimals."""
    if d == 0:
        return b"0.0000"
    v = round(d * 10000.0)
    sign = b"-" if v < 0 else b""
    v = abs(v)
    return b"%s%d.%04d" % (sign, v // 10000, v % 10000)


def human(d: float) -> bytes:
    """ld2string(LD_STR_HUMAN): %.17Lf without trailing zeros (and "-0" as "0")."""
    s = b"%.17f" % d
    if b"." in s:
        s = s.rstrip(b"0").rstrip(b".")
    if s == b"-0":
        s = b"0"
    return s


def _human_reply(c, d: float):
    s = human(d)
    if c.resp3:
        return Raw(b",%s\r\n" % s)
    return s


# -- argument parsing -----------------------------------------------------------------------------

def _cstr(arg: bytes) -> bytes:
    i = arg.find(b"\0")
    return arg if i < 0 else arg[:i]


def _double(arg: bytes, msg: str = errors.NOT_FLOAT) -> float:
    v = string2d(arg)
    if v is None:
        raise CommandError(msg)
    return v


def _lonlat(args) -> tuple:
    """extractLongLatOrReply."""
    lon = _double(args[0])
    lat = _double(args[1])
    if lon < GEO_LONG_MIN or lon > GEO_LONG_MAX or lat < GEO_LAT_MIN or lat > GEO_LAT_MAX:
        raise CommandError("ERR invalid longitude,latitude pair %f,%f" % (lon, lat))
    return lon, lat


_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


def _unit(arg: bytes) -> float:
    u = _UNITS.get(_cstr(arg).lower())
    if u is None:
        raise CommandError("ERR unsupported unit provided. please use M, KM, FT, MI")
    return u


def _distance_arg(args):
    """extractDistanceOrReply: (radius, conversion)."""
    d = _double(args[0], "ERR need numeric radius")
    if d < 0:
        raise CommandError("ERR radius cannot be negative")
    return d, _unit(args[1])


def _box_arg(args):
    w = _double(args[0], "ERR need numeric width")
    h = _double(args[1], "ERR need numeric height")
    if h < 0 or w < 0:
        raise CommandError("ERR height or width cannot be negative")
    return w, h, _unit(args[2])


def _read_zset(c, key: bytes):
    v = c.db.lookup_read(key)
    if v is not None and type(v) is not ZSetValue:
        raise CommandError(errors.WRONGTYPE)
    return v


def _member_xy(z: ZSetValue, member: bytes):
    score = z.scores.get(member)
    if score is None:
        return None
    return decode_score(score)


# -- commands -----------------------------------------------------------------------------------------

@command("geoadd")
def geoadd(c, argv):
    xx = nx = False
    longidx = 2
    argc = len(argv)
    while longidx < argc:
        opt = _cstr(argv[longidx]).lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            pass
        else:
            break
        longidx += 1
    if (argc - longidx) % 3 or (xx and nx):
        raise CommandError(errors.SYNTAX)
    new = [b"zadd"] + list(argv[1:longidx])
    for i in range(longidx, argc, 3):
        lon, lat = _lonlat(argv[i:i + 2])
        bits = encode(LONG_RANGE, LAT_RANGE, lon, lat, GEO_STEP_MAX)
        new.append(b"%d" % align52(bits, GEO_STEP_MAX))
        new.append(argv[i + 2])
    node = c.node
    dirty = node.dirty
    reply = COMMANDS[b"zadd"].handler(c, new)
    if node.dirty != dirty:
        c.propagate_as = [new]  # replaceClientCommandVector: replicas and the AOF see the ZADD
    return reply


@command("geopos")
def geopos(c, argv):
    z = _read_zset(c, argv[1])
    out = []
    for member in argv[2:]:
        xy = _member_xy(z, member) if z is not None else None
        if xy is None:
            out.append(NULL_ARRAY)
        else:
            out.append([_human_reply(c, xy[0]), _human_reply(c, xy[1])])
    return out


@command("geohash")
def geohash(c, argv):
    z = _read_zset(c, argv[1])
    out = []
    for member in argv[2:]:
        xy = _member_xy(z, member) if z is not None else None
        if xy is None:
            out.append(None)
            continue
        bits = encode((-180.0, 180.0), (-90.0, 90.0), xy[0], xy[1], 26) or 0
        buf = bytearray()
        for i in range(11):
            idx = 0 if i == 10 else (bits >> (52 - (i + 1) * 5)) & 0x1F
            buf.append(_GEOALPHABET[idx])
        out.append(bytes(buf))
    return out


@command("geodist")
def geodist(c, argv):
    to_meter = 1.0
    if len(argv) == 5:
        to_meter = _unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    z = _read_zset(c, argv[1])
    if z is None:
        return None
    s1 = z.scores.get(argv[2])
    s2 = z.scores.get(argv[3])
    if s1 is None or s2 is None:
        return None
    x1, y1 = decode_score(s1)
    x2, y2 = decode_score(s2)
    return fixedpoint4(distance(x1, y1, x2, y2) / to_meter)


RADIUS_COORDS, RADIUS_MEMBER, RADIUS_NOSTORE, GEOSEARCH, GEOSEARCHSTORE = 1, 2, 4, 8, 16


def _georadius_generic(c, argv, src_index: int, flags: int):
    """georadiusGeneric."""
    storekey = None
    storedist = False
    z = _read_zset(c, argv[src_index])
    shape = Shape()
    if flags & RADIUS_COORDS:
        base = 6
        shape.type = CIRCULAR
        shape.xy = _lonlat(argv[2:4])
        shape.radius, shape.conversion = _distance_arg(argv[4:6])
    elif flags & RADIUS_MEMBER and z is None:
        base = 5
    elif flags & RADIUS_MEMBER:
        base = 5
        shape.type = CIRCULAR
        xy = _member_xy(z, argv[2])
        if xy is None:
            raise CommandError("ERR could not decode requested zset member")
        shape.xy = xy
        shape.radius, shape.conversion = _distance_arg(argv[3:5])
    else:
        base = 2
        if flags & GEOSEARCHSTORE:
            base = 3
            storekey = argv[1]

    withdist = withhash = withcoords = False
    frommember = fromloc = byradius = bybox = False
    sort = 0  # 1 ASC, 2 DESC
    any_ = False
    count = 0
    argc = len(argv)
    remaining = argc - base
    i = 0
    while i < remaining:
        a = _cstr(argv[base + i]).lower()
        if a == b"withdist":
            withdist = True
        elif a == b"withhash":
            withhash = True
        elif a == b"withcoord":
            withcoords = True
        elif a == b"any":
            any_ = True
        elif a == b"asc":
            sort = 1
        elif a == b"desc":
            sort = 2
        elif a == b"count" and i + 1 < remaining:
            arg = argv[base + i + 1]
            n = None
            if len(arg) <= 20:
                try:
                    n = int(arg)
                except ValueError:
                    n = None
                if n is not None and (b"%d" % n != arg or not -(2**63) <= n < 2**63):
                    n = None
            if n is None:
                raise CommandError(errors.NOT_INTEGER)
            if n <= 0:
                raise CommandError("ERR COUNT must be > 0")
            count = n
            i += 1
        elif a in (b"store", b"storedist") and i + 1 < remaining and not flags & RADIUS_NOSTORE \
                and not flags & GEOSEARCH:
            storekey = argv[base + i + 1]
            storedist = a == b"storedist"
            i += 1
        elif a == b"storedist" and flags & GEOSEARCH and flags & GEOSEARCHSTORE:
            storedist = True
        elif a == b"frommember" and i + 1 < remaining and flags & GEOSEARCH and not fromloc:
            if z is not None:
                xy = _member_xy(z, argv[base + i + 1])
                if xy is None:
                    raise CommandError("ERR could not decode requested zset member")
                shape.xy = xy
            frommember = True
            i += 1
        elif a == b"fromlonlat" and i + 2 < remaining and flags & GEOSEARCH and not frommember:
            shape.xy = _lonlat(argv[base + i + 1:base + i + 3])
            fromloc = True
            i += 2
        elif a == b"byradius" and i + 2 < remaining and flags & GEOSEARCH and not bybox:
            shape.radius, shape.conversion = _distance_arg(argv[base + i + 1:base + i + 3])
            shape.type = CIRCULAR
            byradius = True
            i += 2
        elif a == b"bybox" and i + 3 < remaining and flags & GEOSEARCH and not byradius:
            shape.width, shape.height, shape.conversion = _box_arg(argv[base + i + 1:base + i + 4])
            shape.type = RECTANGLE
            bybox = True
            i += 3
        else:
            raise CommandError(errors.SYNTAX)
        i += 1

    if storekey is not None and (withdist or withhash or withcoords):
        raise CommandError("ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options" % (
            "GEOSEARCHSTORE" if flags & GEOSEARCHSTORE else "STORE option in GEORADIUS"))
    name = argv[0].decode("utf-8", "surrogateescape")
    if flags & GEOSEARCH and not (frommember or fromloc):
        raise CommandError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % name)
    if flags & GEOSEARCH and not (byradius or bybox):
        raise CommandError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % name)
    if any_ and not count:
        raise CommandError("ERR the ANY argument requires COUNT argument")

    if z is None:
        if storekey is not None:
            return _store(c, storekey, None, b"")
        return EMPTY_ARRAY

    if count and not sort and not any_:
        sort = 1
    boxes = areas_by_shape(shape)
    found = _members_of_all_neighbors(z, boxes, shape, count if any_ else 0)
    if not found and storekey is None:
        return EMPTY_ARRAY
    returned = len(found) if (count == 0 or len(found) < count) else count
    if sort:
        found.sort(key=lambda p: p[0], reverse=sort == 2)
    found = found[:returned]
    conv = shape.conversion

    if storekey is None:
        options = withdist + withcoords + withhash
        out = []
        for dist, score, member, lon, lat in found:
            dist /= conv
            if not options:
                out.append(member)
                continue
            item = [member]
            if withdist:
                item.append(fixedpoint4(dist))
            if withhash:
                item.append(int(score))
            if withcoords:
                item.append([_human_reply(c, lon), _human_reply(c, lat)])
            out.append(item)
        return out

    if not found:
        return _store(c, storekey, None, b"")
    pairs = [((dist / conv) if storedist else score, member) for dist, score, member, _, _ in found]
    entries, maxval = _limits(c)
    zset = ZSetValue(listpack=False)
    for score, member in pairs:
        zset.insert(member, score, 0, 0)
    maxlen = max(len(m) for _, m in pairs)
    zset.listpack = len(pairs) <= entries and maxlen <= maxval
    reply = _store(c, storekey, zset, b"geosearchstore" if flags & GEOSEARCH else b"georadiusstore")
    c.node.dirty += returned - 1
    return reply


@command("georadius")
def georadius(c, argv):
    return _georadius_generic(c, argv, 1, RADIUS_COORDS)


@command("georadiusbymember")
def georadiusbymember(c, argv):
    return _georadius_generic(c, argv, 1, RADIUS_MEMBER)


@command("georadius_ro")
def georadius_ro(c, argv):
    return _georadius_generic(c, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE)


@command("georadiusbymember_ro")
def georadiusbymember_ro(c, argv):
    return _georadius_generic(c, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE)


@command("geosearch")
def geosearch(c, argv):
    return _georadius_generic(c, argv, 1, GEOSEARCH)


@command("geosearchstore")
def geosearchstore(c, argv):
    return _georadius_generic(c, argv, 2, GEOSEARCH | GEOSEARCHSTORE)

