"""Every error string a client can see, byte for byte as redis-server 7.0 words it.

Handlers raise :class:`CommandError` (or return an :class:`ErrorReply` inside an array, as EXEC does);
the connection turns it into ``-<message>\\r\\n``.  The message starts with the error *code* (``ERR``,
``WRONGTYPE``, ``MOVED`` ...): Redis clients dispatch on that first word.
"""


class CommandError(Exception):
    """A command failed; ``message`` is the error line without the leading ``-``."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return self.message.split(" ", 1)[0]


class ProtocolError(Exception):
    """The request stream is malformed: reply ``-ERR Protocol error: ...`` and close the connection."""


# Generic (server.c shared objects and addReplyErrorFormat sites)
SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NO_SUCH_KEY = "ERR no such key"
OUT_OF_RANGE = "ERR index out of range"
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
SELECT_NOT_ALLOWED_IN_CLUSTER = "ERR SELECT is not allowed in cluster mode"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
NOPROTO = "NOPROTO unsupported protocol version"
BUSYKEY = "BUSYKEY Target key name already exists."
READONLY = "READONLY You can't write against a read only replica."
LOADING = "LOADING Redis is loading the dataset in memory"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."


def unknown_command(argv: list) -> str:
    """Redis: processCommand's "unknown command": the name cut to 128 bytes, then quoted arguments
    until 128 bytes of them are shown."""
    args = ""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += "'%s' " % _text(a[: 128 - len(args)])
    return "ERR unknown command '%s', with args beginning with: %s" % (_text(argv[0][:128]), args)


def unknown_subcommand(container: bytes, sub: bytes) -> str:
    return "ERR unknown subcommand '%s'. Try %s HELP." % (_text(sub[:128]), _text(container.upper()))


def wrong_arity(fullname: str) -> str:
    """``fullname`` is the lower-case command name, ``container|sub`` for subcommands."""
    return "ERR wrong number of arguments for '%s' command" % fullname


def _text(arg: bytes) -> str:
    """Client bytes inside an error message.  Error text is carried as latin-1 so that any byte
    survives the round trip; like addReplyErrorLength, CR and LF become spaces."""
    return arg.decode("latin-1").replace("\r", " ").replace("\n", " ")
