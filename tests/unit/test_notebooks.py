"""Notebooks in git: no outputs, parameters cell first, the lumen kernel, no secret parameters."""

import json
import subprocess

import pytest

from tests.conftest import ROOT

TRACKED = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout.split()


def test_there_are_notebooks_to_check():
    assert {
        "notebooks/pipeline/01_ingest.ipynb",
        "notebooks/reports/weather_report.ipynb",
        "notebooks/explore/01_explore_schemas.ipynb",
    } <= set(TRACKED)


@pytest.mark.parametrize("path", TRACKED)
def test_committed_without_outputs(path):
    nb = json.loads((ROOT / path).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"{path}: strip it (make strip)"
    assert nb["metadata"]["kernelspec"]["name"] == "lumen"


@pytest.mark.parametrize(
    "path",
    [p for p in TRACKED if not p.startswith("notebooks/explore/")] + ["notebooks/explore/01_explore_schemas.ipynb"],
)
def test_first_cell_is_parameters_without_secrets(path):
    first = json.loads((ROOT / path).read_text())["cells"][0]
    assert first["cell_type"] == "code" and "parameters" in first["metadata"].get("tags", [])
    names = [line.split("=")[0].strip().lower() for line in "".join(first["source"]).splitlines() if "=" in line]
    assert names and not [n for n in names if any(w in n for w in ("password", "token", "secret", "url"))]
