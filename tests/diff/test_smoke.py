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
    # (containers like COMMAND are left out: Redis lists their subcommands in hash-table order,
    # which changes from one redis-server start to the next)
    for name in ("get", "set", "ping", "del", "hello", "config|get", "command|info"):
        diff.same("COMMAND", "INFO", name)
    diff.same("COMMAND", "INFO", "nosuch")
    diff.same("COMMAND", "GETKEYS", "SET", "a", "b")
    diff.same("COMMAND", "GETKEYS", "PING")
