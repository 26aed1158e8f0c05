"""A PostgreSQL that goes away mid-command gives the promised one line, not "unexpected" (#26): the
connection is really ended by the server (pg_terminate_backend), as a killed or restarted server does."""

import pytest
import sqlalchemy as sa

from lumen.cli.common import _unexpected
from lumen.db import connect
from lumen.db.engine import engine
from lumen.errors import database_down


def lost_connection_error(settings, through_sqlalchemy: bool) -> Exception:
    """The error a query raises after the server ended its connection: psycopg's own, or SQLAlchemy's wrapping
    of it as GX and pandas raise it."""
    with engine("admin", settings).connect() as conn, connect("admin", settings) as killer:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        try:
            conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            return exc if through_sqlalchemy else exc.orig  # type: ignore[return-value]
    raise AssertionError("the query on a terminated connection succeeded")


@pytest.mark.parametrize("through_sqlalchemy", [False, True], ids=["psycopg", "sqlalchemy"])
def test_a_terminated_connection_is_named_with_what_to_do(migrated_db, through_sqlalchemy):
    exc = lost_connection_error(migrated_db, through_sqlalchemy)
    assert database_down(exc)
    line = _unexpected(exc)
    assert line.startswith("the database connection failed (")
    assert "`lumen db start`" in line and "unexpected" not in line
    assert "\n" not in line


def test_other_errors_stay_unexpected():
    assert not database_down(ValueError("invalid literal for int()"))
    assert "unexpected: run again with --debug" in _unexpected(ValueError("boom"))
