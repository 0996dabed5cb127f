"""MODULE against redis-server 7.0, byte for byte: LIST (empty: no module is ever loaded here), HELP,
arity and unknown subcommands, LOAD / LOADEX / UNLOAD refused while enable-module-command is "no"
(the default), and failing as redis-server's do when it is "yes" and there is nothing to load.
(redis-py's test_module_list calls MODULE LIST.)"""

from __future__ import annotations

import shutil

import pytest
from conftest import Differ
from helpers import start_server

CASES = [
    ("MODULE", "LIST"), ("MODULE", "HELP"), ("MODULE",), ("MODULE", "LIST", "x"), ("MODULE", "HELP", "x"),
    ("MODULE", "foo"), ("MODULE", "LOAD"), ("MODULE", "UNLOAD"), ("MODULE", "LOADEX"),
    ("MODULE", "LOAD", "/nonexistent/mod.so"), ("MODULE", "LOAD", "/nonexistent/mod.so", "a", "b"),
    ("MODULE", "LOADEX", "/nonexistent/mod.so", "CONFIG", "n", "v", "ARGS", "x"), ("MODULE", "UNLOAD", "nomod"),
    ("COMMAND", "INFO", "MODULE|LIST"), ("COMMAND", "GETKEYS", "MODULE", "LIST"),  # (subcommand order: random)
]


def test_module_default_protected(diff):
    diff.run(*CASES)
    diff.both("HELLO", "3")  # (client ids differ)
    diff.run(("MODULE", "LIST"), ("MODULE", "HELP"))


@pytest.fixture(scope="module")
def module_enabled():
    args = ["--enable-module-command", "yes"]
    a = start_server("ours", args=args)
    b = start_server("redis", args=args)
    yield a, b
    for s in (a, b):
        s.stop()
        shutil.rmtree(s.workdir, ignore_errors=True)


def test_module_enabled_nothing_to_load(module_enabled):
    d = Differ(module_enabled[0].port, module_enabled[1].port)
    try:
        d.run(*CASES)
    finally:
        d.close()
