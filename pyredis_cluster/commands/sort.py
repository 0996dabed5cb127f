"""SORT and SORT_RO (Redis: sort.c): sort a list, set or sorted set numerically or ALPHA, BY an external
key pattern (``weight_*`` or ``hash_*->field``), LIMIT, GET patterns (``#`` is the element itself), and
STORE the result as a list."""

from __future__ import annotations

import math

from .. import errors
from ..config import NOTIFY_GENERIC, NOTIFY_LIST
from ..errors import CommandError
from ..protocol.request import strict_int
from ..store.types import HashValue, ListValue, SetValue, ZSetValue
from ..store.zset import strtod
from .sets import _ordered as set_order
from .table import command, lookup

_SKIP = {b"limit": 2, b"get": 1, b"by": 1}


def sort_getkeys(argv) -> list:
    """sortGetKeys: the sorted key, and the last STORE destination (options are skipped as SORT
    parses them)."""
    keys = [1]
    store = None
    i = 2
    n = len(argv)
    while i < n:
        a = argv[i].lower()
        if a in _SKIP:
            i += _SKIP[a]
        elif a == b"store" and i + 1 < n:
            store = i + 1
        i += 1
    if store is not None:
        keys.append(store)
    return keys


def _long(arg: bytes) -> int:
    v = strict_int(arg)
    if v is None or not -(2 ** 63) <= v < 2 ** 63:
        raise CommandError(errors.NOT_INTEGER)
    return v


def _lookup_by_pattern(db, pattern: bytes, subst: bytes):
    """lookupKeyByPattern: ``#`` is the element; else the first ``*`` is replaced by it, and a
    ``->field`` after it reads a hash field.  None when missing or of the wrong type."""
    if pattern == b"#":
        return subst
    p = pattern.find(b"*")
    if p < 0:
        return None
    f = pattern.find(b"->", p + 1)
    field = None
    if f >= 0 and f + 2 < len(pattern):
        field = pattern[f + 2:]
        key = pattern[:p] + subst + pattern[p + 1:f]
    else:
        key = pattern[:p] + subst + pattern[p + 1:]
    o = db.lookup_read(key)
    if o is None:
        return None
    if field is not None:
        if type(o) is not HashValue:
            return None
        return o.get(field)
    if type(o) is not bytes and type(o) is not bytearray:
        return None
    return bytes(o)


def _sort(c, argv, readonly: bool):
    node = c.node
    db = c.db
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby = storekey = None
    gets = []
    j = 2
    n = len(argv)
    acl_user = getattr(c, "acl_user", None)
    full_access = acl_user is None or not acl_user.restricted or _all_keys(c, argv, readonly)
    while j < n:
        left = n - j - 1
        a = argv[j].lower()
        if a == b"asc":
            desc = False
        elif a == b"desc":
            desc = True
        elif a == b"alpha":
            alpha = True
        elif a == b"limit" and left >= 2:
            limit_start = _long(argv[j + 1])
            limit_count = _long(argv[j + 2])
            j += 2
        elif not readonly and a == b"store" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif a == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in sortby:
                dontsort = True
            else:
                if node.cluster_enabled:
                    raise CommandError("ERR BY option of SORT denied in Cluster mode.")
                if not full_access:
                    raise CommandError("ERR BY option of SORT denied due to insufficient ACL permissions.")
            j += 1
        elif a == b"get" and left >= 1:
            if node.cluster_enabled:
                raise CommandError("ERR GET option of SORT denied in Cluster mode.")
            if not full_access:
                raise CommandError("ERR GET option of SORT denied due to insufficient ACL permissions.")
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1

    sortval = db.lookup_read(argv[1])
    t = type(sortval)
    if sortval is not None and t is not ListValue and t is not SetValue and t is not ZSetValue:
        raise CommandError(errors.WRONGTYPE)
    if sortval is None:
        sortval, t = ListValue(), ListValue
    if dontsort and t is SetValue and (storekey is not None or getattr(c, "in_script", False)):
        dontsort, alpha, sortby = False, True, None  # a set's order must be deterministic for replicas

    if t is ZSetValue:
        if dontsort:
            elems = [m for _, m in sortval.index]
        else:
            elems = list(sortval.scores)
    elif t is SetValue:
        elems = set_order(sortval, node.config)  # as setTypeNext iterates it (an intset: by value)
    else:
        elems = list(sortval)
    vectorlen = len(elems)
    start = min(max(limit_start, 0), vectorlen)
    limit_count = min(max(limit_count, -1), vectorlen)
    end = vectorlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vectorlen:
        start, end = vectorlen - 1, vectorlen - 2
    if end >= vectorlen:
        end = vectorlen - 1

    if dontsort and t is not SetValue:
        # lists and sorted sets keep their order (reversed by DESC), LIMIT applied directly
        if desc:
            elems.reverse()
        elems = elems[start:end + 1] if end >= start else []
        end -= start
        start = 0
    elif not dontsort:
        conversion_error = False
        keyed = []
        for e in elems:
            byval = _lookup_by_pattern(db, sortby, e) if sortby is not None else e
            if alpha:
                keyed.append((e, byval if sortby is not None else None))
                continue
            score = 0.0
            if byval is not None:
                byval = byval.split(b"\0", 1)[0]  # strtod reads a C string: up to the first NUL
                v, endpos, erange = strtod(byval)
                if endpos != len(byval) or erange or math.isnan(v):
                    conversion_error = True
                else:
                    score = v
            keyed.append((e, score))
        if conversion_error:
            raise CommandError("ERR One or more scores can't be converted into double")
        if not alpha:
            keyed.sort(key=lambda x: (x[1], x[0]), reverse=desc)
        elif sortby is not None:
            # elements whose BY key is missing sort first (last with DESC)
            keyed.sort(key=lambda x: (x[1] is not None, x[1] or b""), reverse=desc)
        else:
            keyed.sort(key=lambda x: x[0], reverse=desc)
        elems = [e for e, _ in keyed]

    chosen = elems[start:end + 1] if end >= start else []
    if storekey is None:
        if not gets:
            return chosen
        out = []
        for e in chosen:
            for pat in gets:
                out.append(_lookup_by_pattern(db, pat, e))
        return out
    result = ListValue()
    if not gets:
        result.extend(chosen)
    else:
        for e in chosen:
            for pat in gets:
                v = _lookup_by_pattern(db, pat, e)
                result.append(v if v is not None else b"")
    outputlen = len(result)
    if outputlen:
        db.set(storekey, result)  # setKey: replaces any type, clears the TTL
        node.blocking.signal(db, storekey)
        node.notify(db, NOTIFY_LIST, b"sortstore", storekey)
        if outputlen > 1 and hasattr(node, "dirty"):
            node.dirty += outputlen - 1  # server.dirty += outputlen (the set counted one)
    elif db.delete(storekey):
        node.notify(db, NOTIFY_GENERIC, b"del", storekey)
    return outputlen


def _all_keys(c, argv, readonly: bool) -> bool:
    """ACLUserCheckCmdWithUnrestrictedKeyAccess(..., CMD_KEY_ACCESS): a selector that allows this SORT
    also reads every key (``~*``, ``%R~*``, allkeys)."""
    cmd = lookup(b"sort_ro" if readonly else b"sort")
    return c.node.acl.user_has_unrestricted_key_access(c.acl_user, cmd, argv)


@command("sort", getkeys=sort_getkeys)
def sort(c, argv):
    return _sort(c, argv, False)


@command("sort_ro")
def sort_ro(c, argv):
    return _sort(c, argv, True)
