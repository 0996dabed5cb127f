"""The redis.conf parser and the typed settings (pyredis_cluster/config.py), without sockets.

The expected error texts were taken from Debian's redis-server 7.0.15 run on the same lines (see
tests/integration/test_cli.py, which re-checks them against the real binary when it is installed)."""

from __future__ import annotations

import io
import os

import pytest

from pyredis_cluster.config import (
    ALIASES,
    DIRECTIVES,
    Config,
    ConfigError,
    format_memory,
    memtoull,
    parse_command_line,
    repr_arg,
    string2ll,
)


def load(text: str, tmp_path=None, **kw) -> Config:
    cfg = Config()
    if tmp_path is not None:
        cfg.values["dir"] = str(tmp_path)
    cfg.load_string(text, "/etc/test.conf", **kw)
    return cfg


def error_of(text: str, tmp_path=None) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        load(text, tmp_path)
    return ei.value


# -- the line format ----------------------------------------------------------------------------


def test_directives_comments_blank_lines_and_case():
    cfg = load("# a comment\n\n   \t\nPORT 7000\r\n  maxmemory 5mb  \n# port 1\nAppendOnly YES\n")
    assert cfg["port"] == 7000
    assert cfg["maxmemory"] == 5 * 1024 * 1024
    assert cfg["appendonly"] is True


def test_double_quotes_with_escapes():
    cfg = load('requirepass "a b\\x41\\n\\t\\"q\\"\\\\"\n')
    assert cfg["requirepass"] == 'a bA\n\t"q"\\'


def test_single_quotes_and_adjacent_words():
    cfg = load("masterauth 'it\\'s here'\nreplica-announce-ip ab'cd'\n")
    assert cfg["masterauth"] == "it's here"
    assert cfg["replica-announce-ip"] == "abcd"


def test_empty_quoted_argument():
    cfg = load('logfile ""\nsave ""\n')
    assert cfg["logfile"] == ""
    assert cfg["save"] == ()


@pytest.mark.parametrize("line", ['port "7000', "port '7000", 'requirepass "abc"def', "masterauth 'x'y"])
def test_unbalanced_quotes(line):
    e = error_of("port 1\n" + line + "\n")
    assert e.reason == "Unbalanced quotes in configuration line"
    assert (e.line_no, e.line) == (2, line)


def test_yes_no_case_insensitive_and_bad():
    assert load("daemonize Yes\n")["daemonize"] is True
    assert load("protected-mode NO\n")["protected-mode"] is False
    assert error_of("daemonize maybe\n").reason == "argument must be 'yes' or 'no'"


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("100", 100), ("1k", 1000), ("1kb", 1024), ("1K", 1000), ("1KB", 1024), ("5mb", 5 * 1024**2),
    ("5m", 5_000_000), ("1gb", 1024**3), ("1Gb", 1024**3), ("2g", 2_000_000_000), ("100b", 100), ("", 0),
    ("kb", 0), ("18446744073709551615", 2**64 - 1), ("18446744073709551616", 2**64 - 1),
    ("20000000000gb", (20000000000 * 1024**3) % 2**64),
])
def test_memtoull(text, value):
    assert memtoull(text) == value


@pytest.mark.parametrize("text", ["-1", "1.5gb", "10x", " 5", "+5", "5 mb", "1tb"])
def test_memtoull_rejects(text):
    assert memtoull(text) is None


def test_memory_directives():
    cfg = load("maxmemory 1gb\nrepl-backlog-size 1mb\nclient-query-buffer-limit 2GB\nhash-max-listpack-value 1kb\n")
    assert cfg["maxmemory"] == 1024**3
    assert cfg["repl-backlog-size"] == 1024**2
    assert cfg["client-query-buffer-limit"] == 2 * 1024**3
    assert cfg["hash-max-listpack-value"] == 1024
    assert error_of("maxmemory 10x\n").reason == "argument must be a memory value"
    assert error_of("maxmemory -1\n").reason == "argument must be a memory value"


@pytest.mark.parametrize("text,value", [("0", 0), ("7", 7), ("-7", -7), ("9223372036854775807", 2**63 - 1)])
def test_string2ll(text, value):
    assert string2ll(text) == value


@pytest.mark.parametrize("text", ["", "-", "-0", "007", "+5", " 5", "5 ", "0x10", "1.0", "9223372036854775808"])
def test_string2ll_rejects(text):
    assert string2ll(text) is None


@pytest.mark.parametrize("line,reason", [
    ("foo bar", "Bad directive or wrong number of arguments"),
    ("port", "wrong number of arguments"),
    ("port 1 2", "wrong number of arguments"),
    ("port abc", "argument couldn't be parsed into an integer"),
    ("port 007", "argument couldn't be parsed into an integer"),
    ("port 70000", "argument must be between 0 and 65535 inclusive"),
    ("timeout -1", "argument must be between 0 and 2147483647 inclusive"),
    ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
    ("loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning"),
    ("appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"),
    ("save 900", "Invalid save parameters"),
    ("save 0 1", "Invalid save parameters"),
    ("save abc 1", "Invalid save parameters"),
    ("dir /nonexistent/dir", "No such file or directory"),
    ("unixsocketperm 999", "argument couldn't be parsed as an octal number"),
    ("shutdown-on-sigint save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
    ("maxmemory-clients 200%", "percentage argument must be less or equal to 100"),
    ("maxmemory-clients abc", "argument must be a memory or percent value"),
    ("notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    ("client-output-buffer-limit foo 1 2 3", "Invalid client class specified in buffer limit configuration."),
    ("client-output-buffer-limit normal 1 2", "Wrong number of arguments in buffer limit configuration."),
    ("client-output-buffer-limit normal 1 2 x",
     "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("oom-score-adj-values 1 2", "wrong number of arguments"),
    ("replicaof localhost", "wrong number of arguments"),
    ("replicaof localhost abc", "Invalid master port"),
    ("dbfilename /a/b", "dbfilename can't be a path, just a filename"),
    ('appendfilename ""', "appendfilename can't be empty"),
    ("latency-tracking-info-percentiles 50 200",
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
    ("sentinel monitor x", "sentinel directive while not in sentinel mode"),
    ("cluster-announce-hostname a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots"),
    ("proc-title-template {bad}", "template format is invalid or contains unknown variables"),
    ("rename-command NOSUCH foo", "No such command in rename-command"),
    ("activedefrag yes", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
                         "modified Jemalloc like the one shipped by default with the Redis source distribution"),
])
def test_bad_values_are_fatal_with_redis_reason(line, reason):
    e = error_of("# comment\nport 6379\n" + line + "\n")
    assert e.reason == reason
    assert e.line_no == 3
    assert e.line == line
    assert e.file == "/etc/test.conf"


def test_fatal_report_format():
    e = error_of("# comment\nport 6379\nport abc\n")
    assert e.report() == (
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        "Reading the configuration file, at line 3\n"
        ">>> 'port abc'\n"
        "argument couldn't be parsed into an integer\n"
        "(in file '/etc/test.conf', line 3)\n"
    )


def test_errors_without_a_line():
    e = error_of("logfile /nonexistent/dir/x.log\n")
    assert e.reason == "Can't open the log file: No such file or directory"
    assert e.report() == ("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
                          "Can't open the log file: No such file or directory\n")
    e = error_of("cluster-enabled yes\nreplicaof 127.0.0.1 7000\n")
    assert e.reason == "replicaof directive not allowed in cluster mode"


def test_accepted_oddities_like_redis():
    cfg = load("list-max-ziplist-entries 5\nlua-replicate-commands yes\nsentinel\nhz 1000000\n"
               "bind\nreplicaof no one\nrename-command FLUSHDB \"\"\n")
    assert cfg["hz"] == 500  # hz is a hint, capped
    assert cfg["bind"] == ""
    assert cfg["replicaof"] is None
    assert cfg.renamed == [("FLUSHDB", "")]
    assert error_of('rename-command FLUSHDB ""\nrename-command flushdb x\n').reason == \
        "No such command in rename-command"
    assert error_of("rename-command get set\n").reason == "Target command name already exists"


def test_aliases_set_the_same_directive():
    cfg = load("slaveof 10.0.0.1 6380\nslave-priority 7\nhash-max-ziplist-entries 99\nlua-time-limit 100\n")
    assert cfg["replicaof"] == ("10.0.0.1", 6380)
    assert cfg["replica-priority"] == cfg["slave-priority"] == 7
    assert cfg["hash-max-listpack-entries"] == 99
    assert cfg["busy-reply-threshold"] == 100
    assert ALIASES["slaveof"] == "replicaof"


def test_multi_arg_directives():
    cfg = load("save 900 1\nsave 300 10\nbind 127.0.0.1 -::1\nclient-output-buffer-limit replica 1mb 2mb 3\n"
               "oom-score-adj-values 0 100 900\nshutdown-on-sigterm now save\nnotify-keyspace-events KEA\n"
               "latency-tracking-info-percentiles 50 99.99\n")
    assert cfg["save"] == ((900, 1), (300, 10))
    assert cfg["bind"] == "127.0.0.1 -::1"
    assert cfg["client-output-buffer-limit"][1] == (1024**2, 2 * 1024**2, 3)
    assert cfg.format("client-output-buffer-limit") == \
        "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60"
    assert cfg.format("oom-score-adj-values") == "0 100 900"
    assert cfg["shutdown-on-sigterm"] == "save now"
    assert cfg.format("notify-keyspace-events") == "AKE"
    assert cfg.format("latency-tracking-info-percentiles") == "50 99.99"
    # one quoted argument holding several (what --save "900 1 300 10" produces)
    assert load('save "900 1 300 10"\n')["save"] == ((900, 1), (300, 10))


def test_save_lines_replace_the_default_then_accumulate():
    assert Config()["save"] == ((3600, 1), (300, 100), (60, 10000))
    assert load("port 1\n")["save"] == ((3600, 1), (300, 100), (60, 10000))
    assert load('save ""\nsave 60 5\n')["save"] == ((60, 5),)


# -- include --------------------------------------------------------------------------------------


def test_include_absolute_and_relative_to_the_working_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.conf").write_text("port 7001\n")
    (tmp_path / "sub" / "b.conf").write_text("maxmemory 1mb\n")
    cfg = load("include %s\ninclude sub/b.conf\n" % (tmp_path / "a.conf"), tmp_path)
    assert cfg["port"] == 7001
    assert cfg["maxmemory"] == 1024**2


def test_include_follows_dir_changes(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.conf").write_text("port 7002\n")
    cfg = load("dir sub\ninclude c.conf\n", tmp_path)
    assert cfg["port"] == 7002
    assert cfg["dir"] == os.path.realpath(tmp_path / "sub")


def test_include_glob(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "1.conf").write_text("port 7003\n")
    (tmp_path / "conf.d" / "2.conf").write_text("port 7004\n")
    assert load("include conf.d/*.conf\n", tmp_path)["port"] == 7004
    assert load("include empty.d/*.conf\n", tmp_path)["port"] == 6379  # no match: ignored


def test_missing_include_is_fatal(tmp_path):
    e = error_of("include nope.conf\n", tmp_path)
    assert e.log
    assert e.reason == "Fatal error, can't open config file 'nope.conf': No such file or directory"


def test_error_in_an_included_file_names_it_with_its_own_line(tmp_path):
    inc = tmp_path / "inc.conf"
    inc.write_text("# x\nport 1\nmaxmemory lots\n")
    e = error_of("port 2\n\ninclude %s\n" % inc, tmp_path)
    assert (e.file, e.line_no, e.line) == (str(inc), 3, "maxmemory lots")
    assert "(in file '%s', line 3)" % inc in e.report()


# -- the command line -------------------------------------------------------------------------------


def test_command_line_options_become_lines():
    cl = parse_command_line(["/etc/r.conf", "--port", "7000", "--save", "900", "1", "300", "10", "--save", "",
                             "--requirepass", 'a "b"'])
    assert cl.config_file == "/etc/r.conf"
    assert cl.options == 'port "7000" \nsave "900" "1" "300" "10" \nsave "" \nrequirepass "a \\"b\\"" '


def test_command_line_special_cases():
    assert parse_command_line(["--save", "--port", "1"]).options == 'save ""\nport "1" '
    assert parse_command_line(["--port", "1", "--save"]).options == 'port "1" \nsave ""'
    assert parse_command_line(["--port 7000"]).options == "port 7000 "
    cl = parse_command_line(["-", "--port", "1"])
    assert cl.from_stdin and cl.config_file is None
    cl = parse_command_line(["r.conf", "--port", "1", "-"])
    assert cl.from_stdin and cl.config_file == os.path.abspath("r.conf")
    # an option whose value starts with "--" (the previous option had no value yet)
    assert parse_command_line(["--requirepass", "--x"]).options == 'requirepass "--x" '


def test_from_args_line_numbers_continue_after_the_file(tmp_path):
    f = tmp_path / "r.conf"
    f.write_text("port 6400\n")
    cfg = Config.from_args([str(f), "--maxmemory", "2mb", "--save", "60", "1"])
    assert cfg["port"] == 6400 and cfg["maxmemory"] == 2 * 1024**2 and cfg["save"] == ((60, 1),)
    assert cfg.config_file == str(f)
    with pytest.raises(ConfigError) as ei:
        Config.from_args([str(f), "--port", "abc"])
    e = ei.value
    assert (e.line_no, e.line, e.file) == (3, 'port "abc"', "<command line>")  # the file ends with "\n"
    with pytest.raises(ConfigError) as ei:
        Config.from_args(["--port", "abc"])
    assert ei.value.line_no == 2


def test_from_args_reads_stdin():
    cfg = Config.from_args(["-", "--port", "7007"], stdin=io.StringIO("maxmemory 3mb\nport 1\n"))
    assert cfg["maxmemory"] == 3 * 1024**2 and cfg["port"] == 7007
    with pytest.raises(ConfigError) as ei:
        Config.from_args(["-"], stdin=io.StringIO("port 1\nport x\n"))
    assert (ei.value.file, ei.value.line_no) == ("<stdin>", 2)


def test_missing_config_file():
    with pytest.raises(ConfigError) as ei:
        Config.from_args(["/nonexistent/redis.conf"])
    assert ei.value.log
    assert ei.value.reason == \
        "Fatal error, can't open config file '/nonexistent/redis.conf': No such file or directory"


def test_repr_arg():
    assert repr_arg('a "b"\\\n\x01\xe9') == '"a \\"b\\"\\\\\\n\\x01\\xc3\\xa9"'


# -- CONFIG GET / SET on the Config object ----------------------------------------------------------


def test_defaults_match_redis_7_0():
    cfg = Config()
    got = dict(cfg.get_pairs(["*"]))
    assert len(got) == 192  # what redis-server 7.0.15 answers to CONFIG GET *
    assert got["save"] == "3600 1 300 100 60 10000"
    assert got["bind"] == "127.0.0.1"  # ours; Redis: "* -::*"
    assert got["client-output-buffer-limit"] == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    assert got["proto-max-bulk-len"] == "536870912"
    assert got["maxmemory-policy"] == "noeviction"
    assert got["latency-tracking-info-percentiles"] == "50 99 99.9"
    assert got["unixsocketperm"] == "0"
    assert "use-exit-on-panic" not in got and "pyredis-admin-commands" not in got  # hidden
    assert cfg.get_pairs(["use-exit-on-panic"]) == [("use-exit-on-panic", "no")]


def test_get_pairs_names_aliases_and_patterns():
    cfg = Config()
    assert cfg.get_pairs(["MAXMEMORY"]) == [("MAXMEMORY", "0")]
    assert cfg.get_pairs(["port", "PORT", "port*"]) == [("port", "6379")]
    assert dict(cfg.get_pairs(["*max-*-entries*"])) == {
        "hash-max-listpack-entries": "512", "hash-max-ziplist-entries": "512", "set-max-intset-entries": "512",
        "zset-max-listpack-entries": "128", "zset-max-ziplist-entries": "128"}
    assert cfg.get_pairs(["nosuch"]) == []


def err(cfg, *pairs, protected_ok=False):
    with pytest.raises(ValueError) as ei:
        cfg.set_many([(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)], protected_ok=protected_ok)
    return str(ei.value)


def test_set_many_errors_in_redis_order():
    cfg = Config()
    assert err(cfg, "nosuch", "1") == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    assert err(cfg, "DAEMONIZE", "yes") == \
        "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"
    assert err(cfg, "dir", "/tmp") == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    assert err(cfg, "maxmemory", "1", "MAXMEMORY", "2") == \
        "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"
    assert err(cfg, "daemonize", "yes", "nosuch", "1").endswith("can't set immutable config")
    assert err(cfg, "nosuch", "1", "daemonize", "yes").startswith("ERR Unknown option")
    assert err(cfg, "MAXMEMORY", "abc") == \
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
    assert err(cfg, "slave-priority", "x") == ("ERR CONFIG SET failed (possibly related to argument "
                                               "'slave-priority') - argument couldn't be parsed into an integer")


def test_set_many_is_all_or_nothing():
    cfg = Config()
    err(cfg, "maxmemory", "10mb", "timeout", "abc")
    assert cfg["maxmemory"] == 0 and cfg["timeout"] == 0
    cfg.set_many([("maxmemory", "10mb"), ("timeout", "5"), ("save", "900 1 300 10")])
    assert (cfg["maxmemory"], cfg["timeout"], cfg["save"]) == (10 * 1024**2, 5, ((900, 1), (300, 10)))
    cfg.set_many([("save", "")])
    assert cfg["save"] == ()
    assert err(cfg, "save", "900  1").endswith("Invalid save parameters")  # split on single spaces


def test_set_many_apply_failure_restores_everything():
    cfg = Config()
    calls = []

    def on_change(name, old, new):
        calls.append((name, old, new))
        if name == "maxclients" and new == 7:
            raise ValueError("The operating system is not able to handle the specified number of clients, try with 5")

    cfg.on_change = on_change
    assert err(cfg, "timeout", "9", "maxclients", "7") == (
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to "
        "handle the specified number of clients, try with 5")
    assert cfg["timeout"] == 0 and cfg["maxclients"] == 10000
    assert calls[0] == ("timeout", 0, 9) and calls[-2:] == [("timeout", None, 0), ("maxclients", None, 10000)]


def test_set_protected_and_hz_cap():
    cfg = Config()
    cfg.set_many([("dbfilename", "x.rdb")], protected_ok=True)
    assert cfg["dbfilename"] == "x.rdb"
    cfg.set_many([("hz", "1000")])
    assert cfg["hz"] == 500
    cfg.set_many([("hz", "0")])
    assert cfg["hz"] == 1
    cfg.set_many([("maxmemory-clients", "10%"), ("oom-score-adj", "relative")])
    assert cfg.format("maxmemory-clients") == "10%" and cfg["oom-score-adj"] == "yes"


def test_every_directive_formats():
    cfg = Config()
    for name in list(DIRECTIVES) + list(ALIASES):
        assert isinstance(cfg.format(name), str)


def test_format_memory():
    assert [format_memory(n) for n in (0, 1024, 1536, 1024**2, 3 * 1024**3, 100, 2**64 - 1)] == \
        ["0", "1kb", "1536", "1mb", "3gb", "100", "-1"]


# -- CONFIG REWRITE -------------------------------------------------------------------------------------


def test_rewrite_keeps_comments_and_unknown_lines(tmp_path):
    f = tmp_path / "r.conf"
    f.write_text(
        "# top comment\n"
        "port 6414\n"
        "save 900 1\n"
        "save 300 10\n"
        "\n"
        "rename-command FLUSHDB \"\"\n"
        "maxmemory 100mb\n"
        "slaveof 127.0.0.1 9999\n"
        "slave-priority 50\n"
        "loglevel notice\n"
        "loglevel warning\n"
        "requirepass \"a b\"\n"
    )
    cfg = Config.from_args([str(f)])
    cfg.values["dir"] = str(tmp_path)
    cfg.set_many([("maxmemory-policy", "allkeys-lru"), ("hz", "20"), ("notify-keyspace-events", "KEg"),
                  ("client-output-buffer-limit", "pubsub 64mb 16mb 120"), ("maxmemory-clients", "10%"),
                  ("bind", "127.0.0.1 -::1")])
    cfg.rewrite()
    # What redis-server 7.0.15 writes for the same file and CONFIG SETs (its appended lines come in
    # its hash-table order, ours in the table's order).
    assert f.read_text() == (
        "# top comment\n"
        "port 6414\n"
        "save 900 1\n"
        "save 300 10\n"
        "\n"
        "rename-command FLUSHDB \"\"\n"
        "maxmemory 100mb\n"
        "replicaof 127.0.0.1 9999\n"
        "replica-priority 50\n"
        "loglevel warning\n"
        "\n"
        "requirepass \"a b\"\n"
        "\n"
        "# Generated by CONFIG REWRITE\n"
        "maxmemory-policy allkeys-lru\n"
        "hz 20\n"
        "maxmemory-clients 10%%\n"
        "dir \"%s\"\n"
        "client-output-buffer-limit pubsub 64mb 16mb 120\n"
        "notify-keyspace-events \"gKE\"\n"
        "bind 127.0.0.1 -::1\n"
        "latency-tracking-info-percentiles 50 99 99.9\n"
        "user default on #c8687a08aa5d6ed2044328fa6a697ab8e96dc34291e8c2034ae8c38e6fcc6d65 ~* &* +@all\n"
        % tmp_path
    )


def test_rewrite_reuses_the_first_line_of_a_directive_like_redis(tmp_path):
    # Redis quirk kept: the "normal" class (at its default) takes over the old pubsub line, and the
    # pubsub limit, which differs from the default, is appended.
    f = tmp_path / "r3.conf"
    f.write_text("port 6414\nclient-output-buffer-limit pubsub 64mb 16mb 120\n# end\n")
    cfg = Config.from_args([str(f)])
    cfg.values["dir"] = str(tmp_path)
    cfg.rewrite()
    assert f.read_text() == (
        "port 6414\n"
        "client-output-buffer-limit normal 0 0 0\n"
        "# end\n"
        "\n"
        "# Generated by CONFIG REWRITE\n"
        "dir \"%s\"\n"
        "save 3600 1\n"
        "save 300 100\n"
        "save 60 10000\n"
        "client-output-buffer-limit pubsub 64mb 16mb 120\n"
        "latency-tracking-info-percentiles 50 99 99.9\n"
        "user default on nopass ~* &* +@all\n" % tmp_path
    )


def test_rewrite_blanks_orphans_and_comments_out_unparsable_lines(tmp_path):
    f = tmp_path / "r.conf"
    f.write_text("port 6414\nsave 3600 1\nsave 300 100\nsave 60 10000\n")
    cfg = Config.from_args([str(f)])
    cfg.values["dir"] = str(tmp_path)
    cfg.set_many([("save", "")])
    f.write_text(f.read_text() + "bogus directive\nport \"x\n")
    cfg.rewrite()
    lines = f.read_text().split("\n")
    assert lines[:5] == ["port 6414", 'save ""', "", "# ??? bogus directive", "# ??? port \"x"]


def test_rewrite_without_a_config_file():
    with pytest.raises(ValueError) as ei:
        Config().rewrite()
    assert str(ei.value) == "ERR The server is running without a config file"
