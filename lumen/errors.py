"""Errors a person can act on: the CLI prints them as one line (traceback only with --debug)."""


class LumenError(Exception):
    """Base class for every error LÚMEN reports to a person."""


class ConfigError(LumenError):
    """A setting is missing or malformed; the message names the variable."""


class DatabaseError(LumenError):
    """The database cannot be reached or used as asked."""


# how psycopg and libpq say the server went away (a killed or restarted PostgreSQL)
_CONNECTION_LOST = (
    "server closed the connection", "terminating connection", "connection refused", "connection to server",
    "could not connect", "the connection is closed", "consuming input failed",
)  # fmt: skip


def database_down(exc: BaseException | None) -> bool:
    """The database went away under us: psycopg's or SQLAlchemy's OperationalError (GX and pandas wrap
    psycopg's) anywhere in the exception's chain, or their words for it."""
    seen = 0
    while exc is not None and seen < 10:
        text = str(exc).lower()
        if type(exc).__name__ in ("OperationalError", "InterfaceError") or any(w in text for w in _CONNECTION_LOST):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


DATABASE_DOWN = (
    "is PostgreSQL running? `lumen db start` starts the embedded one (`lumen db status` says where it is), "
    "then run the command again; --debug shows the traceback"
)
