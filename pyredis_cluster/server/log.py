"""Redis-style log lines: ``pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`` (server.c serverLogRaw)."""

from __future__ import annotations

import os
import sys
import time

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
_MARKS = ".-*#"

# asciilogo.h, as redis-server 7.0 prints it (version, sha1/dirty, bits, mode, port, pid)
ASCII_LOGO = (
    '                _._                                                  \n'
    "           _.-``__ ''-._                                             \n"
    "      _.-``    `.  `_.  ''-._           Redis %s (%s/%d) %s bit\n"
    "  .-`` .-```.  ```\\/    _.,_ ''-._                                  \n"
    " (    '      ,       .-`  | `,    )     Running in %s mode\n"
    " |`-._`-...-` __...-.``-._|'` _.-'|     Port: %d\n"
    " |    `-._   `._    /     _.-'    |     PID: %d\n"
    "  `-._    `-._  `-./  _.-'    _.-'                                   \n"
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n"
    " |    `-._`-._        _.-'_.-'    |           https://redis.io       \n"
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n"
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n"
    " |    `-._`-._        _.-'_.-'    |                                  \n"
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n"
    "      `-._    `-.__.-'    _.-'                                       \n"
    "          `-._        _.-'                                           \n"
    "              `-.__.-'                                               \n"
    '\n'
)


class Log:
    def __init__(self, level: str = "notice", logfile: str = "", role: str = "M"):
        self.level = LEVELS.get(level, 2)
        self.logfile = logfile
        self.role = role
        self._stream = None

    @property
    def debug_enabled(self) -> bool:
        return self.level == 0

    def set_level(self, level: str) -> None:
        self.level = LEVELS.get(level, 2)

    def _write(self, lvl: int, msg: str) -> None:
        if lvl < self.level:
            return
        now = time.time()
        ts = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now)) + ".%03d" % int((now % 1) * 1000)
        self._emit("%d:%s %s %s %s\n" % (os.getpid(), self.role, ts, _MARKS[lvl], msg))

    def raw(self, lvl: int, text: str) -> None:
        """serverLogRaw with LL_RAW: the text as is, without the pid/time/level prefix (the ASCII logo)."""
        if lvl >= self.level:
            self._emit(text)

    def _emit(self, text: str) -> None:
        try:
            if self.logfile:
                with open(self.logfile, "a") as f:
                    f.write(text)
            else:
                sys.stdout.write(text)
                sys.stdout.flush()
        except OSError:
            pass

    def debug(self, msg: str) -> None:
        self._write(0, msg)

    def verbose(self, msg: str) -> None:
        self._write(1, msg)

    def notice(self, msg: str) -> None:
        self._write(2, msg)

    def warning(self, msg: str) -> None:
        self._write(3, msg)
