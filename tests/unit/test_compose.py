"""docker-compose.yml, checked statically (no Docker engine runs on these machines)."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = {m.group(1) for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)}


def test_the_whole_stack_is_there_without_a_top_level_name():
    assert set(SERVICES) == {"postgres", "migrate", "mage", "mlflow", "jupyterlab", "metabase", "metabase-setup"}
    assert "name" not in COMPOSE  # Debian's docker-compose 1.29 rejects it


def test_images_are_pinned_and_overridable():
    """Every upstream image is a pinned tag behind a variable (a local stand-in may replace it); lumen's
    images are built FROM an overridable python base, Mage from PyPI (no mageai/mageai 0.9.80 image)."""
    default = re.compile(r"^\$\{LUMEN_[A-Z]+_IMAGE:-([^}]+)\}$")
    for name, svc in SERVICES.items():
        image = svc.get("image", "")
        if image.startswith("lumen"):  # built here
            assert re.fullmatch(r"lumen(-mage)?:\d+\.\d+\.\d+", image), name
            continue
        match = default.match(image)
        assert match, f"{name}: {image} is not behind an overridable variable"
        assert re.search(r":v?\d+(\.\d+)+", match.group(1)), f"{name}: {match.group(1)} is not a pinned version"
    for dockerfile in ("docker/lumen.Dockerfile", "docker/mage.Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.M).group(1)
        assert re.search(r":\d+(\.\d+)+", base) and "FROM ${PYTHON_IMAGE}" in text, dockerfile
    mage = (ROOT / "docker/mage.Dockerfile").read_text()
    assert "mageai/mageai" not in mage.split("FROM")[1] and "-c mage_project/constraints.lock" in mage
    for svc in ("migrate", "mage"):
        assert SERVICES[svc]["build"]["args"]["PYTHON_IMAGE"] == "${LUMEN_PYTHON_IMAGE:-python:3.11.10-slim-bookworm}"


def test_healthchecks_and_dependencies():
    for name in ("postgres", "mage", "mlflow", "jupyterlab", "metabase"):
        assert SERVICES[name]["healthcheck"]["test"], name
        assert SERVICES[name]["restart"] == "unless-stopped", name
    assert SERVICES["metabase"]["healthcheck"]["test"][1].find("/api/health") > 0
    assert SERVICES["metabase-setup"]["depends_on"]["metabase"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("mage", "mlflow", "jupyterlab", "metabase-setup"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    # healthy only once PostgreSQL answers over TCP (the image's init server answers on its socket only),
    # and migrate still waits for it (a first boot restarts the server once after the init scripts)
    assert "-h 127.0.0.1" in SERVICES["postgres"]["healthcheck"]["test"][1]
    assert SERVICES["migrate"]["command"][-2:] == ["--wait", "120"]


def test_the_steps_in_containers_get_the_alert_channels():
    env = SERVICES["mage"]["environment"]
    for var in ("LUMEN_ALERT_WEBHOOK_URL", "LUMEN_SMTP_HOST", "LUMEN_SMTP_PASSWORD", "LUMEN_ALERT_EMAIL_TO"):
        assert env[var] == "${" + var + "}", var


def test_mlflow_has_its_own_database_allowed_hosts_and_a_volume():
    mlflow = SERVICES["mlflow"]
    cmd = mlflow["command"]
    assert cmd[:2] == ["mlflow", "server"] and "--allowed-hosts" in cmd and "--serve-artifacts" in cmd
    assert "mlflow:5000" in cmd[cmd.index("--allowed-hosts") + 1]  # how the pipeline reaches it
    assert mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"].endswith("/${LUMEN_MLFLOW_DATABASE}")
    assert any(v.startswith("mlflow_artifacts:") for v in mlflow["volumes"])
    assert "/health" in mlflow["healthcheck"]["test"][1]
    assert SERVICES["mage"]["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert SERVICES["mage"]["environment"]["LUMEN_MLFLOW_URI"] == "http://mlflow:5000"


def _env_items():
    for name, svc in SERVICES.items():
        env = svc.get("environment") or {}
        for key, value in env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env):
            yield name, key, str(value)


def test_no_literal_secrets_and_every_variable_documented():
    for service, key, value in _env_items():
        if re.search(r"PASS|TOKEN|SECRET", key):
            assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", value), f"{service}: {key} holds a literal value"
        if "@" in value:  # a URL with credentials: the password from .env (the user too, or one of our roles)
            assert re.match(r"[\w+]+://(\$\{[A-Z0-9_]+\}|lumen_\w+):\$\{[A-Z0-9_]+\}@", value), f"{service}: {key}"
        for var in re.findall(r"\$\{([A-Z0-9_]+)", value):
            assert var in ENV_EXAMPLE, f"{service}: ${{{var}}} is not documented in .env.example"
    text = (ROOT / "docker-compose.yml").read_text()
    for var in re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text):
        assert var in ENV_EXAMPLE, f"${{{var}}} is not documented in .env.example"


def test_mage_never_gets_db_variables_and_metabase_uses_its_own_db():
    mage_env = SERVICES["mage"]["environment"]
    assert not [k for k in mage_env if k.startswith("DB_")]  # they would hijack Mage's metadata database
    assert SERVICES["metabase"]["environment"]["MB_DB_DBNAME"] == "${METABASE_APP_DB_NAME}"
    assert SERVICES["metabase"]["environment"]["MB_ANON_TRACKING_ENABLED"] == "false"
    init = (ROOT / "docker/postgres/10-metabase-appdb.sh").read_text()
    assert "CREATE DATABASE" in init and "METABASE_APP_DB_PASSWORD" in init


def test_mage_and_jupyterlab_images_install_the_same_lumen_package():
    for dockerfile in ("docker/lumen.Dockerfile", "docker/mage.Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        assert "-c requirements/lumen.lock" in text and re.search(r"-e (\.|'\.\[lab\]')", text), dockerfile
        assert "ipykernel install" in text and "--name lumen" in text
    assert SERVICES["jupyterlab"]["image"] == SERVICES["migrate"]["image"] == "lumen:0.1.0"
    assert "LUMEN_BIN=/opt/lumen/bin/lumen" in (ROOT / "docker/mage.Dockerfile").read_text()


def test_jupyter_token_is_never_disabled():
    cmd = " ".join(SERVICES["jupyterlab"]["command"])
    assert "token=''" not in cmd and "token=" not in cmd.lower()
    assert SERVICES["jupyterlab"]["environment"]["JUPYTER_TOKEN"] == "${JUPYTER_TOKEN}"


def test_docker_compose_config_validates(tmp_path):
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip("Debian's docker-compose is not installed (.ci/run installs it)")
    env_file = tmp_path / ".env"
    ports = {k: "5432" for k in ENV_EXAMPLE if k.endswith("_PORT")}  # published ports must be numbers
    env_file.write_text("\n".join(f"{k}={ports.get(k, 'x-' + k.lower())}" for k in sorted(ENV_EXAMPLE)) + "\n")
    out = subprocess.run(
        [exe, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr


def test_the_build_context_leaves_out_secrets_environments_and_local_state():
    """`COPY . .` in the Dockerfiles: .env (every secret), the venvs and .lumen/ (the embedded database)
    must never reach an image. Checked against .dockerignore with Docker's own matching rules
    (last matching line wins, `!` re-includes), on the paths a developer's checkout holds."""
    import fnmatch

    lines = [
        ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip() and not ln.startswith("#")
    ]

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in lines:
            negate = pattern.startswith("!")
            pat = pattern.lstrip("!").removeprefix("**/")
            parts = path.split("/")
            hit = any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern.lstrip("!")) for i in range(len(parts))) or any(
                fnmatch.fnmatch(p, pat) for p in parts if pattern.lstrip("!").startswith("**/")
            )
            if hit:
                verdict = not negate
        return verdict

    for path in (
        ".env",
        ".env.local",
        ".venv/bin/python",
        ".venv-mage/bin/mage",
        ".lumen/postgres/PG_VERSION",
        "runs/2026-12-01/x.ipynb",
        ".git/config",
        "lumen/__pycache__/x.pyc",
        "benchmarks/data/x.csv",
    ):
        assert ignored(path), path
    for path in (".env.example", "lumen/config.py", "alerts/rules.yml", "dbt/dbt_project.yml", "pyproject.toml"):
        assert not ignored(path), path


def test_the_shared_runs_volume_has_one_owner():
    """Mage and JupyterLab both write executed notebooks into the `runs` volume: both images run as the
    same user (uid 1000), who owns /app (and so the new volume's /app/runs)."""
    for dockerfile in ("docker/lumen.Dockerfile", "docker/mage.Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        assert "useradd --create-home --uid 1000 lumen" in text and "chown -R lumen /app" in text, dockerfile
        assert text.rstrip().splitlines()[-2:][0].startswith("USER lumen") or "\nUSER lumen\n" in text, dockerfile
    for svc in ("mage", "jupyterlab"):
        assert "runs:/app/runs" in SERVICES[svc]["volumes"], svc
