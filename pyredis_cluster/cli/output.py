"""What ``pyredis-cluster`` shows a person (and a script): log lines, prompts, a progress bar, JSON.

Human output copies ``redis-cli --cluster`` line for line (">>> ..." steps, "[OK]"/"[ERR]"/"[WARNING]"
verdicts, colours only on a terminal: Redis's clusterManagerLog), so whoever knows redis-cli can read it and
a test can compare the two tools' verdicts.  With ``--json`` those lines go to stderr and stdout gets one
JSON document describing the result, for scripts.
"""

from __future__ import annotations

import json
import os
import sys
import time

# clusterManagerLog levels and their colours (LOG_COLOR_* in redis-cli.c)
INFO, WARN, ERR, OK, PLAIN = "info", "warn", "err", "ok", "plain"
_COLORS = {INFO: "1", WARN: "33", ERR: "31", OK: "32"}


def _is_color_term(stream) -> bool:
    """isColorTerm(): colours only when writing to a terminal that is not "dumb"."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") not in ("", "dumb") and "NO_COLOR" not in os.environ
    except (AttributeError, ValueError):
        return False


class Reporter:
    """Prints log lines (to stdout, or stderr in JSON mode) and keeps the errors Check found.

    ``errors`` plays the role of ``cluster_manager.errors`` in redis-cli: Check appends to it and
    reshard/rebalance refuse to run when it is not empty.
    """

    def __init__(self, json_mode: bool = False, stream=None, stdin=None):
        self.json_mode = json_mode
        self.stream = stream or (sys.stderr if json_mode else sys.stdout)
        self.stdin = stdin or sys.stdin
        self.color = _is_color_term(self.stream)
        self.errors: list[str] = []
        self.log: list[dict] = []  # every line, for --json

    def write(self, text: str, level: str = PLAIN) -> None:
        if text.strip():
            self.log.append({"level": level, "text": text.rstrip("\n")})
        if self.color and level in _COLORS:
            text = "\033[%sm%s\033[0m" % (_COLORS[level], text)
        self.stream.write(text)
        self.stream.flush()

    def stderr(self, text: str, level: str | None = ERR) -> None:
        """What redis-cli prints with fprintf(stderr): always to stderr, whatever the mode."""
        if text.strip():
            self.log.append({"level": level or PLAIN, "text": text.rstrip("\n")})
        if level in _COLORS and _is_color_term(sys.stderr):
            text = "\033[%sm%s\033[0m" % (_COLORS[level], text)
        sys.stderr.write(text)
        sys.stderr.flush()

    def out(self, text: str = "") -> None:
        self.write(text + "\n")

    def info(self, text: str) -> None:
        self.write(text + "\n", INFO)

    def warn(self, text: str) -> None:
        self.write(text + "\n", WARN)

    def err(self, text: str) -> None:
        self.write(text + "\n", ERR)

    def ok(self, text: str) -> None:
        self.write(text + "\n", OK)

    def on_error(self, text: str) -> None:
        """clusterManagerOnError: remember a problem Check found and print it."""
        self.errors.append(text.rstrip("\n"))
        self.err(text)

    def ask(self, prompt: str) -> str | None:
        """Read one answer line from stdin; None at end of input (redis-cli would spin forever there)."""
        self.write(prompt)
        line = self.stdin.readline()
        if not line:
            self.write("\n")
            return None
        return line.rstrip("\r\n")

    def confirm(self, msg: str, assume_yes: bool) -> bool:
        """confirmWithYes: --yes answers for the user; otherwise only the word "yes" accepts."""
        if assume_yes:
            return True
        answer = self.ask("%s (type 'yes' to accept): " % msg)
        return answer is not None and answer[:3] == "yes"

    def progress(self, total: int, what: str) -> "Progress":
        return Progress(self, total, what)


class Progress:
    """A one-line progress bar for long migrations, drawn only on a terminal.

    Off a terminal (CI logs, pipes) the callers print redis-cli's own per-slot lines instead, so
    ``active`` tells them which of the two to do."""

    WIDTH = 30

    def __init__(self, reporter: Reporter, total: int, what: str):
        self.r = reporter
        self.total = max(total, 1)
        self.what = what
        self.done = 0
        self.keys = 0
        self.start = time.monotonic()
        self.active = reporter.stream.isatty() if hasattr(reporter.stream, "isatty") else False
        self._last = 0.0

    def advance(self, slots: int = 0, keys: int = 0, force: bool = False) -> None:
        self.done += slots
        self.keys += keys
        if not self.active:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        filled = int(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        line = "\r[%s] %d/%d %s, %d keys, %.1fs elapsed, eta %.1fs " % (
            bar, self.done, self.total, self.what, self.keys, elapsed, eta)
        self.r.stream.write(line)
        self.r.stream.flush()

    def finish(self) -> None:
        if self.active:
            self.advance(force=True)
            self.r.stream.write("\n")
            self.r.stream.flush()


def emit_json(result: dict, stream=None) -> None:
    (stream or sys.stdout).write(json.dumps(result, indent=2, sort_keys=False) + "\n")
