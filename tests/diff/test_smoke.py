"""The differential harness itself: ours and redis-server answer the same bytes."""


def test_ping_echo_get_set(diff):
    diff.run(
        ("PING",), ("PING", "hello"), ("ECHO", "x y"), ("SET", "k", "v"), ("GET", "k"), ("GET", "missing"),
        ("DEL", "k", "missing"), ("DBSIZE",),
    )


def test_errors(diff):
    diff.run(("GET",), ("NOSUCHCOMMAND", "a", "b"), ("COMMAND", "NOPE"), ("CONFIG",), ("SELECT", "x"),
             ("SELECT", "99"))


def test_command_info_is_byte_identical(diff):
    for name in ("get", "set", "ping", "del", "command", "hello"):
        diff.same("COMMAND", "INFO", name)
    diff.same("COMMAND", "INFO", "nosuch")
    diff.same("COMMAND", "GETKEYS", "SET", "a", "b")
    diff.same("COMMAND", "GETKEYS", "PING")
