"""JupyterLab as a person opens it, the exploration and report notebooks under nbval, and read-only lab access."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT
from tests.e2e import browser
from tests.e2e.conftest import free_port, lumen

pytestmark = pytest.mark.slow
TOKEN = "lab-Token-0123456789abcdef"


@pytest.fixture()
def demo_env(env):
    """The demo's data (sample → mage run backfill) in the test database."""
    home = Path(env["LUMEN_HOME"])
    assert lumen(env, "sample", "--out", str(home / "s")).returncode == 0
    assert lumen(env, "stations", "--file", str(home / "s/api/estacoes_T.json"), "--save").returncode == 0
    run = lumen(
        env,
        "pipeline",
        "run",
        "backfill",
        "--archive",
        str(home / "s/archive/2024.zip"),
        "--start",
        "2024-11-01",
        "--end",
        "2024-11-21",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {**env, "JUPYTER_TOKEN": TOKEN}


def test_notebooks_run_under_nbval(demo_env):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-q",
            str(ROOT / "notebooks" / "explore"),
            str(ROOT / "notebooks" / "reports"),
        ],
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-4000:]
    assert " passed" in out.stdout and "failed" not in out.stdout


def test_a_write_through_the_lab_connections_is_refused(demo_env, tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(src)
            for src in (
                "%load_ext sql\nfrom lumen.run.lab import engines\nreader, audit = engines()",
                "%sql reader",
                "%sql INSERT INTO processed_data.quarantine (station_code, observed_at, source, rule, column_name, run_id) "
                "VALUES ('Z807', now(), 'api', 'x', 'y', 'lab')",
            )
        ]
    )
    with pytest.raises(Exception, match="permission denied for table quarantine"):
        _run(NotebookClient(nb, kernel_name="lumen", resources={"metadata": {"path": str(tmp_path)}}), demo_env)
    nb2 = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(src)
            for src in (
                "%load_ext sql\nfrom lumen.run.lab import engines\nreader, audit = engines()",
                "%sql audit",
                "%sql DELETE FROM raw_data.inmet_observations",
            )
        ]
    )
    with pytest.raises(Exception, match="read-only transaction"):
        _run(NotebookClient(nb2, kernel_name="lumen", resources={"metadata": {"path": str(tmp_path)}}), demo_env)


def _run(client: NotebookClient, env: dict) -> None:
    import os

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_jupyterlab_needs_its_token_and_shows_the_lab(demo_env):
    port = free_port()
    started = lumen(demo_env, "lab", "start", "--port", str(port))
    assert started.returncode == 0, started.stderr
    assert TOKEN not in started.stdout + started.stderr
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=5) as resp:
                    assert resp.status == 200 and b"started" in resp.read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/status", timeout=5)
        assert refused.value.code == 403
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/api/status?token=wrong-token", timeout=5)
        page = browser.dom(f"{base}/lab?token={TOKEN}", wait_ms=15000)
        assert "JupyterLab" in page
        shot = browser.screenshot(
            f"{base}/lab/tree/explore/01_explore_schemas.ipynb?token={TOKEN}",
            ROOT / "runs" / "screenshots" / "jupyterlab.png",
            wait_ms=15000,
        )
        assert shot.stat().st_size > 20_000
    finally:
        stopped = lumen(demo_env, "lab", "stop")
    assert "jupyterlab: stopped" in stopped.stdout
