"""PostgreSQL: connection settings per role, the embedded server, versioned migrations."""

from lumen.db.engine import ROLES, Conn, connect, one, redact

__all__ = ["ROLES", "Conn", "connect", "one", "redact"]
