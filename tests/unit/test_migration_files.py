import base64
import hashlib
import hmac

import pytest

from lumen.db.migrate import SQL_DIR, discover
from lumen.db.passwords import scram_matches
from lumen.errors import DatabaseError


def test_migrations_are_numbered_without_gaps():
    versions = [m.version for m in discover()]
    assert versions == list(range(1, len(versions) + 1))
    assert discover()[0].path.name == "V001__ops_schema.sql"


def test_no_password_in_any_migration():
    for path in SQL_DIR.glob("*.sql"):
        code = "\n".join(line.split("--")[0] for line in path.read_text().splitlines())
        assert "PASSWORD" not in code.upper(), path.name


def test_bad_names_and_duplicates_are_refused(tmp_path):
    (tmp_path / "V001__a.sql").write_text("select 1")
    (tmp_path / "V001__b.sql").write_text("select 1")
    with pytest.raises(DatabaseError, match="share version 1"):
        discover(tmp_path)
    (tmp_path / "V001__b.sql").unlink()
    (tmp_path / "2_bad.sql").write_text("select 1")
    with pytest.raises(DatabaseError, match="V###__snake_name"):
        discover(tmp_path)


def _verifier(password: str, salt: bytes = b"0123456789abcdef", iterations: int = 4096) -> str:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = base64.b64encode(hashlib.sha256(client).digest()).decode()
    server = base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode()
    return f"SCRAM-SHA-256${iterations}:{base64.b64encode(salt).decode()}${stored}:{server}"


def test_scram_verifier():
    v = _verifier("right")
    assert scram_matches(v, "right")
    assert not scram_matches(v, "wrong")
    assert not scram_matches(None, "right")
    assert not scram_matches("md5abc", "right")
