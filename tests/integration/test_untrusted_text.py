"""Text from users and data is never a path or code (#26 defects 5, 6): run ids, the lab's parameters."""

import json
import shutil

import pytest

from lumen import vocabulary
from tests.conftest import ROOT, lumen_cli
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow

CLIMBERS = [
    "../../notebooks/pipeline",
    "../../../elsewhere/x",
    "a/b",
    "..",
    "x..y",
    ".hidden",
    "-rf",
    "a b",
    "é",
    "x" * 65,
    "",
]


@pytest.mark.parametrize("bad", CLIMBERS)
def test_a_run_id_that_is_not_a_plain_name_is_refused(bad):
    with pytest.raises(vocabulary.VocabularyError, match="run id .* is not valid"):
        vocabulary.run_id(bad)


@pytest.mark.parametrize("good", ["backfill-20240101T0000Z-1a2b3c", "20240101T0300Z-1a2b3c", "A.b_c-9", "x" * 64])
def test_plain_run_ids_pass(good):
    assert vocabulary.run_id(good) == good


def test_lumen_step_never_writes_outside_runs(migrated_db, tmp_path):
    """Before: `--run-id ../../notebooks/pipeline` overwrote the tracked 02_clean.ipynb (#26 defect 5)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "pyproject.toml").write_text("")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")  # a copy: a regression must not reach the checkout
    before = {p: p.read_bytes() for p in (home / "notebooks").rglob("*.ipynb")}
    env = {**cli_env(migrated_db), "LUMEN_HOME": str(home)}
    for bad in ("../../notebooks/pipeline", "../../../elsewhere/x"):
        out = lumen_cli("step", "clean", "--run-id", bad, "-p", "start=2024-11-01", "-p", "end=2024-11-02", env=env)
        assert out.returncode == 1
        assert out.stderr.startswith("lumen: error: run id ") and len(out.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in (home / "notebooks").rglob("*.ipynb")} == before
    assert not (tmp_path / "elsewhere").exists() and not (home / "runs").exists()


def test_the_explore_notebook_checks_its_station_parameter():
    """Its `station` parameter reached SQL as '{{station}}' (#26 defect 6): now it is checked as a code first."""
    nb = json.loads((ROOT / "notebooks/explore/01_explore_schemas.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "{{station}}" not in code and "'{station}'" not in code  # never pasted into SQL
    assert "station = station_codes(station)[0]" in code and ":station" in code
