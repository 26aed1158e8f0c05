"""The pipeline's steps, each declared once: its number and notebook, its typed parameters, the task
it runs and the figures it returns.

The `lumen step` runner checks a step's parameters against its model before any kernel starts, the
notebooks' `parameters` cells hold exactly the model's fields (a test holds them to it), the Mage
blocks pass only those names, and the CLI commands build the same models. Adding a parameter to a
step touches its model (lumen/run/params.py) and its task (lumen/run/tasks.py), which takes the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lumen.errors import LumenError
from lumen.run.params import (
    CleanParams,
    ForecastParams,
    IngestParams,
    Params,
    PublishParams,
    TrainParams,
    ValidateParams,
)
from lumen.run.result import StepResult

__all__ = ["STEPS", "Step", "StepError", "StepResult", "notebook_step", "step"]


class StepError(LumenError):
    """A step could not start, or its notebook failed; the message is the step's own."""


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    params: type[Params]
    task: Callable[..., StepResult]

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.name}.ipynb"

    def check(self, raw: Mapping[str, object]) -> Params:
        """Typed parameters, or StepError naming what is wrong (before any kernel or connection)."""
        try:  # a value's own message (a code, an instant) comes through as it is: it names the value
            return self.params.model_validate(raw)
        except ValidationError as exc:
            raise StepError(f"step {self.name}: {_first_problem(self, exc)}") from None

    def asked(self, params: Params) -> dict[str, object]:
        """What the step was asked (ops.step_runs.parameters): the names given, not the defaults."""
        return params.model_dump(exclude_unset=True)

    def call(self, run_id: str, params: Params, **shown: object) -> StepResult:
        """Run the task in this process (the notebook's cell, or a CLI command inside its audit scope);
        `shown`: how it shows itself to a person (a progress bar), never what it does."""
        return self.task(run_id, params, **shown)


def _first_problem(step: Step, exc: ValidationError) -> str:
    """pydantic's errors as the runner has always said them: every unknown name, every missing one, or
    the first value of the wrong kind."""
    errors = exc.errors()
    names = [".".join(str(p) for p in e["loc"]) for e in errors]
    unknown = [n for n, e in zip(names, errors, strict=True) if e["type"] == "extra_forbidden"]
    if unknown:
        return f"unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(step.params.model_fields)}"
    missing = [n for n, e in zip(names, errors, strict=True) if e["type"] == "missing"]
    if missing:
        return f"missing parameter(s) {', '.join(missing)}"
    first = errors[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, LumenError):
        return str(cause)
    if first["type"] == "literal_error":
        return f"parameter {names[0]} must be {first['ctx']['expected']}, not {first.get('input')!r}"
    return f"parameter {names[0]}={first.get('input')!r}: {first['msg']}"


def _tasks() -> dict[str, Callable[..., StepResult]]:
    from lumen.run import tasks

    return {
        "ingest": tasks.ingest,
        "clean": tasks.clean,
        "validate": tasks.validate,
        "publish": tasks.publish,
        "train": tasks.train,
        "forecast": tasks.forecast,
    }


_TASKS = _tasks()
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(1, "ingest", IngestParams, _TASKS["ingest"]),
        Step(2, "clean", CleanParams, _TASKS["clean"]),
        Step(3, "validate", ValidateParams, _TASKS["validate"]),
        Step(4, "publish", PublishParams, _TASKS["publish"]),
        Step(5, "train", TrainParams, _TASKS["train"]),
        Step(6, "forecast", ForecastParams, _TASKS["forecast"]),
    )
}


def step(name: str) -> Step:
    if name not in STEPS:
        raise StepError(f"no step {name!r}; steps are {', '.join(STEPS)}")
    return STEPS[name]


def notebook_step(name: str, namespace: Mapping[str, Any]) -> StepResult:
    """A step notebook's one call: the step's parameters, taken by name from the notebook's own
    (its `parameters` cell, as Papermill filled it in), checked against the model, the task run,
    and its figures handed back to the runner through `result_path`."""
    declared = step(name)
    params = declared.check({k: namespace[k] for k in declared.params.model_fields if k in namespace})
    result = declared.call(str(namespace.get("run_id") or "notebook"), params)
    if namespace.get("result_path"):
        Path(str(namespace["result_path"])).write_text(json.dumps(result.figures(), default=str))
    return result
