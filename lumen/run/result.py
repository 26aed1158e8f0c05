"""What a step hands back: one type for every step (its own figures beside the common ones)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StepResult(BaseModel):
    """What a step hands back to its runner and ops.step_runs: the figures every step has, plus its own."""

    model_config = ConfigDict(extra="allow")

    summary: str
    rows_in: int | None = None
    rows_out: int | None = None
    warning: str = ""
    seconds: float | None = None

    def figures(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
