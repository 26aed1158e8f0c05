"""A step is declared once (lumen/run/registry.py, #27): its notebook's `parameters` cell holds exactly
the model's fields with the model's defaults, its call cell goes through the registry, and the Mage
blocks pass no name the model does not know."""

from __future__ import annotations

import ast

import nbformat
import pytest
from pydantic_core import PydanticUndefined

from lumen.errors import LumenError
from lumen.run.registry import STEPS, StepError, step
from tests.conftest import ROOT

RUNNER = {"run_id", "result_path"}  # set by `lumen step` itself


def assignments(source: str) -> dict[str, object]:
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


@pytest.mark.parametrize("name", list(STEPS))
def test_the_parameters_cell_is_the_model(name):
    declared = STEPS[name]
    nb = nbformat.read(ROOT / "notebooks" / "pipeline" / declared.notebook, as_version=4)
    assert nb.cells[0].metadata.get("tags") == ["parameters"]
    cell = assignments(nb.cells[0].source)
    assert set(cell) == set(declared.params.model_fields) | RUNNER
    for field, info in declared.params.model_fields.items():
        if info.default is not PydanticUndefined:
            assert cell[field] == info.default, (
                f"{declared.notebook}: {field} = {cell[field]!r}, model {info.default!r}"
            )
    calls = [c.source for c in nb.cells if c.cell_type == "code" and "notebook_step(" in c.source]
    assert len(calls) == 1 and f'notebook_step("{name}", globals())' in calls[0]


def mage_calls() -> list[tuple[str, str, set[str]]]:
    """(block, step, parameter names) of every run_step("step", run, {…}) call in the Mage blocks."""
    found = []
    for path in sorted((ROOT / "mage_project" / "custom").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_step":
                name = ast.literal_eval(node.args[0])
                params = node.args[2]
                keys = {ast.literal_eval(k) for k in params.keys} if isinstance(params, ast.Dict) else set()
                if isinstance(params, ast.Name):  # a dict built above: its literal keys
                    keys = {
                        ast.literal_eval(k)
                        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                        if isinstance(n, ast.Assign)
                        and getattr(n.targets[0], "id", None) == params.id
                        and isinstance(n.value, ast.Dict)
                        for k in n.value.keys
                        if k is not None
                    }
                found.append((path.name, name, keys))
    return found


def test_every_mage_block_passes_only_what_its_step_takes():
    calls = mage_calls()
    assert {name for _, name, _ in calls} == set(STEPS)
    for block, name, keys in calls:
        assert keys and keys <= set(STEPS[name].params.model_fields), (block, keys)


def test_bad_parameters_are_named_before_anything_runs():
    with pytest.raises(StepError, match=r"^step clean: unknown parameter\(s\) ends; it takes start, end, stations$"):
        STEPS["clean"].check({"start": "2024-11-01", "ends": "x"})
    with pytest.raises(StepError, match=r"^step validate: missing parameter\(s\) end$"):
        STEPS["validate"].check({"start": "2024-11-01"})
    with pytest.raises(StepError, match=r"source must be 'api' or 'archive', not 'ftp'"):
        STEPS["ingest"].check({"source": "ftp"})
    with pytest.raises(LumenError, match=r"^'A80' is not an INMET station code"):  # the value's own message
        STEPS["forecast"].check({"stations": "A807,a80"})
    with pytest.raises(StepError, match=r"^no step 'cleen'; steps are ingest, clean, validate, publish, train"):
        step("cleen")
    params = STEPS["ingest"].check({"source": "api", "stations": " a807 , A652", "overlap_hours": "5"})
    assert (params.stations, params.overlap_hours) == ("A807,A652", 5)  # type: ignore[attr-defined]
    assert STEPS["ingest"].asked(params) == {"source": "api", "stations": "A807,A652", "overlap_hours": 5}


def test_each_task_takes_its_model_and_returns_the_one_result_type():
    """The window and the codes are parsed once, in the model; no task takes loose text parameters."""
    import typing

    from lumen.run.result import StepResult

    for s in STEPS.values():
        hints = typing.get_type_hints(s.task)
        taken = [name for name in hints if name not in ("return", "run_id", "progress")]
        assert [hints[n] for n in taken] == [s.params], (s.name, hints)
        assert hints["return"] is StepResult, s.name
