"""A fork server for process-mode test clusters: ``python -m pyredis_cluster.testing.launcher``.

Importing the server costs a fresh interpreter a third of a second of CPU; six nodes started at once
on a small CI machine spend seconds just importing.  This launcher imports everything once, then forks
one child per node: each child is a real, separate process (its own PID; SIGKILL, SIGSTOP and SIGCONT
work as on any pyredis-server) running exactly what ``pyredis-server <args>`` runs.

Protocol, one JSON object per line: the harness writes ``{"args": [...], "cwd": dir, "log": path,
"fresh": bool}`` on
stdin and reads the child's PID back, one line.  The launcher reaps its children, and exits when its
stdin closes (the children keep running: the harness kills them by PID).
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _skip_writable_delay() -> None:
    """A node of a brand-new cluster: no earlier incarnation of it can have been replaced, which is all
    CLUSTER_WRITABLE_DELAY (2 s before a master serves) waits for.  Same as the in-process mode."""
    from ..cluster.state_eval import CLUSTER_WRITABLE_DELAY
    from ..server import node as node_mod
    from ..store.keyspace import now_ms

    init = node_mod.Node.__init__

    def fresh_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if self.cluster is not None:
            self.cluster.first_update_time = now_ms() - CLUSTER_WRITABLE_DELAY

    node_mod.Node.__init__ = fresh_init


def main() -> int:
    from ..cli import server_main
    from ..server import node  # noqa: F401  (the whole server, imported once)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the node
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.chdir(req["cwd"])
                fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                sys.stdin = open(os.devnull)
                if req.get("fresh"):
                    _skip_writable_delay()
                code = server_main.main(req["args"])
            except BaseException as e:  # noqa: BLE001 - the child must never return into this loop
                try:
                    os.write(2, ("launcher: %r\n" % (e,)).encode())
                except OSError:
                    pass
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
        sys.stdout.write("%d\n" % pid)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
