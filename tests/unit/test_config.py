from pathlib import Path

import pytest

from lumen.config import load_settings
from lumen.envfile import ensure_env_file
from lumen.errors import ConfigError
from tests.conftest import make_settings


def test_defaults_need_nothing():
    s = make_settings()
    assert s.database_url is None
    assert s.on_invalid == "fail"
    assert s.lumen_dir.name == ".lumen"


def test_bad_choice_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("LUMEN_ON_INVALID", "ignore")
    with pytest.raises(ConfigError) as exc:
        load_settings(env_file=tmp_path / "none")
    msg = str(exc.value)
    assert msg.startswith("LUMEN_ON_INVALID:")
    assert "'ignore'" in msg and "\n" not in msg


def test_bad_url_names_the_variable_without_echoing_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LUMEN_DATABASE_URL", "mysql://u:s3cret@h/db")
    with pytest.raises(ConfigError) as exc:
        load_settings(env_file=tmp_path / "none")
    assert str(exc.value).startswith("LUMEN_DATABASE_URL:")
    assert "s3cret" not in str(exc.value)


def test_bad_number_from_env_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("LUMEN_CONNECT_TIMEOUT=soon\n")
    with pytest.raises(ConfigError, match="^LUMEN_CONNECT_TIMEOUT:"):
        load_settings(env_file=env)


def test_secrets_never_in_repr():
    s = make_settings(LUMEN_READER_PASSWORD="hunter2-xyz", INMET_TOKEN="tok-abc")
    assert "hunter2-xyz" not in repr(s) and "tok-abc" not in repr(s)
    assert set(s.secret_values()) == {"hunter2-xyz", "tok-abc"}


def test_env_file_generated_once_and_completed(tmp_path: Path):
    example = tmp_path / ".env.example"
    example.write_text("# comment\nA_PASSWORD=generate\nB=plain\n")
    target = tmp_path / ".env"
    assert ensure_env_file(example, target) == ["A_PASSWORD", "B"]
    first = target.read_text()
    secret = [line for line in first.splitlines() if line.startswith("A_PASSWORD=")][0].split("=", 1)[1]
    assert secret != "generate" and len(secret) >= 20
    assert target.stat().st_mode & 0o077 == 0
    assert ensure_env_file(example, target) == []  # idempotent
    assert target.read_text() == first
    example.write_text(example.read_text() + "C_NEW=1\n")
    assert ensure_env_file(example, target) == ["C_NEW"]
    assert secret in target.read_text()  # existing values kept


def test_empty_values_mean_default(tmp_path):
    env = tmp_path / ".env"
    env.write_text("LUMEN_STATE_DIR=\nLUMEN_DATABASE_URL=\nLUMEN_DATABASE_NAME=\nINMET_TOKEN=\n")
    s = load_settings(env_file=env)
    assert s.database_url is None and s.inmet_token is None
    assert s.database_name == "lumen"
    assert s.lumen_dir == s.root / ".lumen"


def test_importing_lumen_keeps_jsonschemas_iri_grammar_out_and_formats_working():
    """lumen/__init__.py marks rfc3987-syntax absent (1.4–1.8 s of every GX and dbt start-up)."""
    import subprocess
    import sys

    code = (
        "import lumen, sys, jsonschema; "
        "c = jsonschema.FormatChecker(); "
        "print(sys.modules.get('rfc3987_syntax'), c.conforms('2024-11-01', 'date'), c.conforms('x', 'date'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "True", "False"]
