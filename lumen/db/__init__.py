"""PostgreSQL: connection settings per role, the embedded server, versioned migrations."""

from lumen.db.engine import ROLES, Conn, connect, redact

__all__ = ["ROLES", "Conn", "connect", "redact"]
