"""Errors a person can act on: the CLI prints them as one line (traceback only with --debug)."""


class LumenError(Exception):
    """Base class for every error LÚMEN reports to a person."""


class ConfigError(LumenError):
    """A setting is missing or malformed; the message names the variable."""


class DatabaseError(LumenError):
    """The database cannot be reached or used as asked."""
