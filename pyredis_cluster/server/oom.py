"""oom-score-adj: the process's /proc/self/oom_score_adj per client class (Redis: setOOMScoreAdj).

Classes are Redis's CONFIG_OOM_MASTER, CONFIG_OOM_REPLICA, CONFIG_OOM_BGCHILD: the index into
``oom-score-adj-values``.  The score the process had before the node first took control is its base:
``relative`` (``yes``) adds the configured value to it, ``absolute`` writes the value itself, and
``no`` puts the base back once (a node that never adjusted the score never touches the file)."""

from __future__ import annotations

OOM_MASTER, OOM_REPLICA, OOM_BGCHILD = 0, 1, 2

PROC_PATH = "/proc/self/oom_score_adj"


class OomScore:
    def __init__(self, node, path: str = PROC_PATH):
        self.node = node
        self.path = path
        self.adjusted = False  # oom_score_adjusted_by_redis
        self.base = 0  # oom_score_adj_base

    def set(self, process_class: int = -1) -> bool:
        """setOOMScoreAdj: False (with a warning logged) when the file cannot be read or written."""
        cfg = self.node.config
        if process_class == -1:
            process_class = OOM_REPLICA if cfg.values.get("replicaof") is not None else OOM_MASTER
        mode = cfg["oom-score-adj"]
        if mode != "no":  # "yes" is "relative" (Config keeps the first name of a value)
            if not self.adjusted:
                try:
                    with open(self.path, "rb") as f:
                        raw = f.read(64)
                except OSError as e:
                    self.node.log.warning("Unable to read oom_score_adj: %s" % (e.strerror or e))
                    return False
                self.adjusted = True
                self.base = _atoi(raw)
            val = cfg["oom-score-adj-values"][process_class]
            if mode != "absolute":
                val += self.base
            val = max(-1000, min(1000, val))
        elif self.adjusted:
            self.adjusted = False
            val = self.base
        else:
            return True
        try:
            with open(self.path, "wb", buffering=0) as f:
                f.write(b"%d\n" % val)
        except OSError as e:
            self.node.log.warning("Unable to write oom_score_adj: %s" % (e.strerror or e))
            return False
        return True


def _atoi(raw: bytes) -> int:
    """C atoi: leading blanks, a sign, digits; 0 when there are none."""
    s = raw.decode("ascii", "replace").lstrip(" \t\n\r\v\f")
    n = 0
    i = 1 if s[:1] in ("-", "+") else 0
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    if j > i:
        n = int(s[i:j])
    return -n if s[:1] == "-" else n
