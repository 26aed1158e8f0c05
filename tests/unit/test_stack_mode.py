"""Which stack make up/down/logs/clean drive (scripts/stack_mode.py): what runs and what was
recorded decide, never merely whether a Docker engine answers."""

import importlib.util

import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("stack_mode", ROOT / "scripts" / "stack_mode.py")
stack_mode = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stack_mode)


def engine_answers() -> bool:
    return True


def no_engine() -> bool:
    return False


def asked() -> bool:
    raise AssertionError("down/logs/clean must not ask whether a Docker engine answers")


@pytest.mark.parametrize("action", ["down", "logs", "clean"])
def test_a_native_stack_stops_natively_even_where_docker_answers(action):
    assert stack_mode.modes(action, None, None, native=True, engine=asked) == ["native"]
    assert stack_mode.modes(action, None, "native", native=True, engine=asked) == ["native"]
    assert stack_mode.modes(action, None, "docker", native=True, engine=asked) == ["native", "docker"]  # both
    assert stack_mode.modes(action, None, "docker", native=False, engine=asked) == ["docker"]
    assert stack_mode.modes(action, None, None, native=False, engine=asked) == ["native"]


def test_up_prefers_what_runs_then_an_engine_and_can_be_forced():
    assert stack_mode.modes("up", None, None, native=True, engine=engine_answers) == ["native"]
    assert stack_mode.modes("up", None, "native", native=False, engine=engine_answers) == ["docker"]
    assert stack_mode.modes("up", None, None, native=False, engine=no_engine) == ["native"]
    assert stack_mode.modes("up", "0", None, native=False, engine=asked) == ["native"]
    assert stack_mode.modes("down", "docker", None, native=True, engine=asked) == ["docker"]


def test_make_up_in_docker_mode_needs_only_docker_and_python3(tmp_path):
    """No virtual environment is built: `.env` comes from a stdlib script, then compose starts the stack.
    (The compose stand-in records its arguments: the stack itself is the Docker smoke test's job.)"""
    import os
    import shutil
    import subprocess
    import sys

    for rel in ("Makefile", "scripts", ".env.example", "lumen/envfile.py"):
        src, dst = ROOT / rel, tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    (tmp_path / "docker-compose.yml").write_text('services:\n  db:\n    ports: ["127.0.0.1:${POSTGRES_PORT}:5432"]\n')
    compose = tmp_path / "compose"
    compose.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "compose.log"}\n')
    compose.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMEN_")} | {"LUMEN_DOCKER": "1"}
    done = subprocess.run(
        ["make", "up", f"COMPOSE={compose}", f"PYTHON={sys.executable}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "compose.log").read_text().splitlines() == ["ps -q", "up -d --build"]  # ports checked between
    assert not (tmp_path / ".venv").exists() and not (tmp_path / ".venv-mage").exists()
    generated = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if "=" in line)
    assert (
        generated["LUMEN_PIPELINE_PASSWORD"] not in ("", "generate")
        and (tmp_path / ".lumen" / "mode").read_text().strip() == "docker"
    )


def test_make_up_names_the_host_port_another_program_holds(tmp_path):
    """Before compose starts anything: one line naming the taken port and what to do."""
    import socket
    import subprocess
    import sys

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '"127.0.0.1:${POSTGRES_PORT}:5432"' in compose  # the mapping the check reads
    (tmp_path / "c.yml").write_text(compose)
    (tmp_path / ".env").write_text(f"POSTGRES_PORT={port}\n")
    script = [sys.executable, str(ROOT / "scripts" / "ports_free.py"), str(tmp_path / "c.yml"), str(tmp_path / ".env")]
    with holder:
        held = subprocess.run(script, capture_output=True, text=True, timeout=30)
    assert held.returncode == 1
    assert (
        held.stderr
        == f"make up: port {port} on 127.0.0.1 is taken by another program: set POSTGRES_PORT in .env to a free port\n"
    )
    assert subprocess.run(script, capture_output=True, text=True, timeout=30).returncode in (
        0,
        1,
    )  # the UI ports may be in use here
