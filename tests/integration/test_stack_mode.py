"""`make down` and `make clean` with a real native stack (the embedded PostgreSQL) running."""

import os
import subprocess

import pytest

from lumen.db import server
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.slow


def test_make_down_stops_the_native_server_and_clean_stops_it_before_deleting(tmp_path):
    state = tmp_path / "s"  # a short path: the server's socket lives in it
    settings = make_settings(LUMEN_STATE_DIR=str(state), LUMEN_DATABASE_NAME="lumen")
    server.up(settings)
    env = {k: v for k, v in os.environ.items() if k != "LUMEN_DOCKER"}
    env.update(LUMEN_STATE_DIR=str(state), LUMEN_ENV_FILE=os.devnull)
    (state / "mode").write_text("docker\n")  # even a recorded Docker stack does not hide the native one
    mode = subprocess.run(
        ["python3", "scripts/stack_mode.py", "down"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert mode.stdout.split() == ["native", "docker"]
    (state / "mode").unlink()
    down = subprocess.run(["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert down.returncode == 0, down.stderr
    assert server.status(settings) is None and "docker" not in down.stdout + down.stderr
    server.up(settings)
    mode = subprocess.run(
        ["python3", "scripts/stack_mode.py", "clean"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert mode.stdout.split() == ["native"]
    server.down(settings)


def _engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not _engine_answers(), reason="no Docker engine answers here (.ci/run starts one as root)")
def test_with_a_real_docker_engine_answering_make_down_after_a_native_demo_stops_the_native_stack(tmp_path):
    """#14 (3) as it happened: Docker answers, `make demo` ran natively (it records no mode), then
    `make down` ran `docker compose down` and left the embedded PostgreSQL running."""
    state = tmp_path / "s"
    settings = make_settings(LUMEN_STATE_DIR=str(state), LUMEN_DATABASE_NAME="lumen")
    env = {k: v for k, v in os.environ.items() if k != "LUMEN_DOCKER"}
    env.update(LUMEN_STATE_DIR=str(state), LUMEN_ENV_FILE=os.devnull)

    def mode(action: str) -> list[str]:
        out = subprocess.run(
            ["python3", "scripts/stack_mode.py", action], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.split()

    state.mkdir()
    assert mode("lab") == ["docker"]  # nothing runs here: the answering engine is what `up` would use
    server.up(settings)
    try:
        assert not (state / "mode").exists()
        assert mode("up") == ["native"] and mode("down") == ["native"] and mode("clean") == ["native"]
        down = subprocess.run(
            ["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert down.returncode == 0, down.stderr
        assert server.status(settings) is None
        assert "compose" not in down.stdout + down.stderr
    finally:
        server.down(settings)
