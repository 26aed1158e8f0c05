"""The compose stack on a real Docker engine, as a user runs it (`make test-docker`; #18).

No image can be pulled here, so upstream images are local stand-ins named through compose's
variables (scripts/docker_standins.sh): PostgreSQL from Debian's packages with an entrypoint of
ours, this machine's CPython as the python base, and the project's fake Metabase API behind the
real service name and port. LÚMEN's own images are built from the Dockerfiles as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PROJECT = "lumensmoke"
STANDINS = {
    "LUMEN_POSTGRES_IMAGE": "lumen-standin/postgres:15",
    "LUMEN_METABASE_IMAGE": "lumen-standin/metabase:fake",
    "LUMEN_PYTHON_IMAGE": "lumen-standin/python:3.11",
}
SERVICES = ("postgres", "mage", "mlflow", "jupyterlab", "metabase")


def run(args: list[str], cwd: Path, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}: {(done.stdout + done.stderr)[-3000:]}"
    return done


def compose(project: Path, env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return run(["docker-compose", *args], project, env, timeout)


def dotenv(project: Path) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in (project / ".env").read_text().splitlines() if "=" in ln and ln[0] != "#")


def state(project: Path, env: dict) -> dict[str, str]:
    """service → health (or exit code of a one-shot)."""
    ids = compose(project, env, "ps", "-q").stdout.split()
    out = {}
    for cid in ids:
        info = json.loads(run(["docker", "inspect", cid], project, env).stdout)[0]
        name = info["Config"]["Labels"]["com.docker.compose.service"]
        health = (info["State"].get("Health") or {}).get("Status")
        out[name] = health or (f"exit {info['State']['ExitCode']}" if info["State"]["Status"] == "exited" else "up")
    return out


def wait_healthy(project: Path, env: dict, timeout_s: float = 600) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        now = state(project, env)
        if all(now.get(s) == "healthy" for s in SERVICES) and now.get("metabase-setup", "").startswith("exit"):
            return time.monotonic() - t0
        time.sleep(5)
    pytest.fail(f"not healthy within {timeout_s:g} s: {state(project, env)}")


def counts(project: Path, env: dict) -> dict[str, int]:
    """Rows per schema: raw_data as the admin, processed_data and analytics as the reader role."""
    secrets = dotenv(project)
    out = {}
    for who, password, table in (
        (secrets["POSTGRES_ADMIN_USER"], secrets["POSTGRES_ADMIN_PASSWORD"], "raw_data.inmet_observations"),
        ("lumen_reader", secrets["LUMEN_READER_PASSWORD"], "processed_data.observations"),
        ("lumen_reader", secrets["LUMEN_READER_PASSWORD"], "analytics.daily_station_summary"),
    ):
        sql = f"SELECT count(*) FROM {table}"
        done = compose(
            project,
            env,
            "exec",
            "-T",
            "-e",
            f"PGPASSWORD={password}",
            "postgres",
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            who,
            "-d",
            "lumen",
            "-tAc",
            sql,
        )
        out[table.split(".")[0]] = int(done.stdout.strip())
    return out


@pytest.fixture()
def project(tmp_path):
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("no Docker engine answers (scripts/docker_engine.sh start)")
    missing = [
        i
        for i in (*STANDINS.values(), "lumen:0.1.0", "lumen-mage:0.1.0")
        if subprocess.run(["docker", "image", "inspect", i], capture_output=True).returncode != 0
    ]
    if missing:
        pytest.skip(f"stand-in images missing: {missing} (scripts/docker_standins.sh)")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    home = tmp_path / "lumen"
    for rel in files:
        if (ROOT / rel).is_file():
            (home / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, home / rel)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LUMEN_", "COMPOSE_"))}
    # the images were built from the Dockerfiles by scripts/docker_standins.sh (BuildKit, the CA as a secret)
    env.update(STANDINS, LUMEN_DOCKER="1", COMPOSE_PROJECT_NAME=PROJECT, LUMEN_COMPOSE_BUILD="0")
    yield home, env
    subprocess.run(["docker-compose", "down", "-v"], cwd=home, env=env, capture_output=True, timeout=300)


def test_make_up_runs_the_stack_the_pipeline_in_mage_and_keeps_the_data(project, capsys):
    home, env = project
    t0 = time.monotonic()
    run(["make", "up"], home, env, timeout=1800)
    healthy = wait_healthy(home, env)
    up_s = time.monotonic() - t0
    assert state(home, env)["metabase-setup"] == "exit 0" and state(home, env)["migrate"] == "exit 0"
    provisioned = compose(home, env, "logs", "--no-color", "metabase-setup").stdout
    assert "dashboard" in provisioned.lower(), provisioned[-2000:]

    # the backfill pipeline on the offline sample, inside the Mage container (mage run → lumen step)
    mage = ["exec", "-T", "-e", "LUMEN_MAGE_BIN=mage", "mage", "/opt/lumen/bin/lumen"]
    compose(home, env, *mage, "sample", "--out", "/app/runs/sample", "--days", "3")
    done = compose(
        home,
        env,
        *mage,
        "pipeline",
        "run",
        "backfill",
        "--archive",
        "/app/runs/sample/archive/2024.zip",
        "--start",
        "2024-11-01",
        "--end",
        "2024-11-03",
        timeout=1200,
    )
    assert "publish" in done.stdout
    rows = counts(home, env)
    assert all(n > 0 for n in rows.values()), rows

    # the UIs answer: Mage's login page, JupyterLab with its token (and not without)
    with urllib.request.urlopen("http://127.0.0.1:6789/", timeout=10) as page:
        assert page.status == 200
    token = dotenv(home)["JUPYTER_TOKEN"]
    with urllib.request.urlopen(f"http://127.0.0.1:8888/api/status?token={token}", timeout=10) as page:
        assert page.status == 200
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen("http://127.0.0.1:8888/api/status", timeout=10)
    if shutil.which("chromium"):
        from tests.e2e import browser

        shots = ROOT / "runs" / "screenshots"
        assert browser.screenshot("http://127.0.0.1:6789/", shots / "docker_mage.png", wait_ms=4000).stat().st_size
        assert (
            browser.screenshot(f"http://127.0.0.1:8888/lab?token={token}", shots / "docker_lab.png", wait_ms=4000)
            .stat()
            .st_size
        )

    # down and up again: the data is still there; clean removes the volumes
    run(["make", "down"], home, env, timeout=600)
    run(["make", "up"], home, env, timeout=1800)
    wait_healthy(home, env)
    assert counts(home, env) == rows
    run(["make", "clean"], home, env, timeout=600)
    volumes = run(["docker", "volume", "ls", "-q", "--filter", f"name={PROJECT}_"], home, env).stdout.split()
    assert volumes == []
    with capsys.disabled():
        print(f"\ncompose smoke: make up to all healthy {up_s:.0f} s (health wait {healthy:.0f} s); rows {rows}")


def test_no_image_holds_an_env_file_or_a_secret_value(tmp_path):
    """Every layer of LÚMEN's images, read as tar: no `.env`, and none of a generated .env's secrets."""
    images = ("lumen:0.1.0", "lumen-mage:0.1.0")
    if shutil.which("docker") is None or any(
        subprocess.run(["docker", "image", "inspect", i], capture_output=True).returncode for i in images
    ):
        pytest.skip("LÚMEN's images are not built here (scripts/docker_standins.sh)")
    secrets = (
        [
            v
            for k, v in (
                ln.split("=", 1) for ln in (ROOT / ".env").read_text().splitlines() if "=" in ln and ln[0] != "#"
            )
            if v and len(v) >= 12 and any(w in k for w in ("PASSWORD", "TOKEN"))
        ]
        if (ROOT / ".env").exists()
        else []
    )
    saved = tmp_path / "images.tar"
    subprocess.run(["docker", "save", *images, "-o", str(saved)], check=True, timeout=600)
    found = []
    with tarfile.open(saved) as outer:
        for member in outer:
            if not member.name.endswith("layer.tar"):
                continue
            with tarfile.open(fileobj=outer.extractfile(member)) as layer:
                for f in layer:
                    if Path(f.name).name == ".env":
                        found.append(f"{f.name}: an .env file")
                    elif f.isfile() and f.size < 50_000_000 and secrets:
                        data = layer.extractfile(f).read()
                        found += [f"{f.name}: a secret value" for s in secrets if s.encode() in data]
    assert found == [] and secrets, found[:5]
