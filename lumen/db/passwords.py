"""Passwords as PostgreSQL stores them: whether ours can be read, and whether a stored SCRAM verifier
matches a password (so `lumen db start` can tell a wrong .env from a right one without changing it)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import psycopg

from lumen.db.engine import one


def can_read_authid(conn: psycopg.Connection) -> bool:
    return bool(one(conn.execute("SELECT has_table_privilege('pg_authid', 'SELECT')"))[0])


def scram_matches(stored: str | None, password: str) -> bool:
    """Check a password against PostgreSQL's SCRAM-SHA-256 verifier (RFC 5802 / 7677)."""
    if not stored or not stored.startswith("SCRAM-SHA-256$"):
        return False
    try:
        head, keys = stored[len("SCRAM-SHA-256$") :].split("$")
        iterations, salt = head.split(":")
        stored_key, server_key = keys.split(":")
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        expected = base64.b64encode(hashlib.sha256(client_key).digest()).decode()
        expected_server = base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode()
    except ValueError:
        return False
    return hmac.compare_digest(expected, stored_key) and hmac.compare_digest(expected_server, server_key)
