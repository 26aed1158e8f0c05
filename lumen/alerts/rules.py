"""The alert rules: `alerts/rules.yml`, loaded and checked before anything is evaluated.

A rule names a quantity, how it is taken (each hour, the local day's aggregate, consecutive
hot days, or the next-hour forecast) and up to three levels, each one comparison. A mistake
stops the run with one line naming the rule and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lumen.alerts import AlertError
from lumen.clean.transform import COLUMNS

Level = Literal["yellow", "orange", "red"]
LEVELS: tuple[Level, ...] = ("yellow", "orange", "red")
LEVEL_PT = {"yellow": "amarelo", "orange": "laranja", "red": "vermelho"}
OPS = {"at_least": ">=", "above": ">", "at_most": "<=", "below": "<"}
SIGNS = {"at_least": "≥", "above": ">", "at_most": "≤", "below": "<"}
HOURLY_COLUMNS = sorted(COLUMNS)  # processed_data.observations' measured columns


def rank(level: str | None) -> int:
    """0 for none, 1 yellow, 2 orange, 3 red."""
    return LEVELS.index(level) + 1 if level else 0


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_least: float | None = None
    above: float | None = None
    at_most: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Threshold:
        given = [k for k in OPS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_least, above, at_most, below")
        return self

    @property
    def op(self) -> str:
        return next(k for k in OPS if getattr(self, k) is not None)

    @property
    def value(self) -> float:
        return float(getattr(self, self.op))

    @property
    def rising(self) -> bool:
        return self.op in ("at_least", "above")

    def sql(self, expr: str) -> str:
        return f"{expr} {OPS[self.op]} {self.value!r}"

    def met(self, x: float) -> bool:
        return {
            "at_least": x >= self.value,
            "above": x > self.value,
            "at_most": x <= self.value,
            "below": x < self.value,
        }[self.op]

    def text(self) -> str:
        return f"{SIGNS[self.op]} {self.value:g}"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=3)
    kind: Literal["hour", "local_day", "consecutive_days", "forecast"]
    quantity: str
    unit: str
    levels: dict[Level, Threshold]
    source: str = Field(min_length=3)
    clear_hours: int | None = Field(None, ge=1, le=24 * 14)
    aggregate: Literal["sum"] | None = None
    anomaly_c: float | None = Field(None, gt=0)
    min_normal_days: int = Field(28, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if not self.levels:
            raise ValueError("levels: give at least one of yellow, orange, red")
        levels = [lv for lv in LEVELS if lv in self.levels]
        if levels != list(LEVELS[: len(levels)]):
            raise ValueError("levels: use yellow, then orange, then red (no gaps)")
        steps = [self.levels[lv] for lv in levels]
        if len({t.rising for t in steps}) > 1:
            raise ValueError("levels: all at_least/above (rising) or all at_most/below (falling)")
        for lower, higher in zip(steps, steps[1:], strict=False):
            stricter = higher.value > lower.value if lower.rising else higher.value < lower.value
            if not stricter and not (
                higher.value == lower.value and higher.op in ("above", "below") and lower.op in ("at_least", "at_most")
            ):
                raise ValueError("levels: each level's threshold must be stricter than the one below it")
        if self.kind in ("hour", "local_day", "consecutive_days") and self.quantity not in HOURLY_COLUMNS:
            raise ValueError(f"quantity: {self.quantity!r} is not a column of processed_data.observations")
        if self.kind == "forecast" and self.quantity != "predicted_c":
            raise ValueError("quantity: a forecast rule reads predicted_c")
        if self.kind == "local_day" and self.aggregate is None:
            raise ValueError("aggregate: a local_day rule needs sum (the running total of the day)")
        if self.kind == "consecutive_days":
            if self.anomaly_c is None:
                raise ValueError("anomaly_c: a consecutive_days rule needs the °C above the monthly mean")
            if not steps[0].rising or any(t.value != int(t.value) or t.value < 1 for t in steps):
                raise ValueError("levels: a consecutive_days rule counts days: at_least whole numbers ≥ 1")
        return self

    def level_sql(self, expr: str) -> str:
        """SQL: the level `expr` reaches (NULL when none), strictest first."""
        whens = " ".join(
            f"WHEN {self.levels[lv].sql(expr)} THEN '{lv}'" for lv in reversed(LEVELS) if lv in self.levels
        )
        return f"CASE {whens} END"

    def any_level_sql(self, expr: str) -> str:
        return self.levels["yellow"].sql(expr)

    def level_of(self, x: float) -> str | None:
        for lv in reversed(LEVELS):
            if lv in self.levels and self.levels[lv].met(x):
                return lv
        return None

    @property
    def rising(self) -> bool:
        return self.levels["yellow"].rising


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    defaults: dict[Literal["clear_hours"], int] = Field(default_factory=dict)
    rules: list[dict]


def default_path(root: Path) -> Path:
    return root / "alerts" / "rules.yml"


def load(path: Path) -> list[Rule]:
    """Every rule of the file, checked; AlertError names the rule and field of the first mistake."""
    where = path.name if path.parent.name != "alerts" else f"alerts/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AlertError(f"{path}: no alert rules file (the project ships alerts/rules.yml)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise AlertError(f"{where}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    try:
        top = RuleFile.model_validate(data if isinstance(data, dict) else {"rules": data})
    except ValidationError as exc:
        raise AlertError(f"{where}: {_first(exc)}") from None
    rules: list[Rule] = []
    for i, raw in enumerate(top.rules):
        name = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        try:
            rule = Rule.model_validate(
                {"clear_hours": top.defaults.get("clear_hours", 6), **raw} if isinstance(raw, dict) else raw
            )
        except ValidationError as exc:
            raise AlertError(f"{where}: rule {name}: {_first(exc)} — fix it, then run again") from None
        if any(r.id == rule.id for r in rules):
            raise AlertError(f"{where}: rule {rule.id}: id: used by two rules — ids must be unique")
        rules.append(rule)
    return rules


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    msg = err["msg"].removeprefix("Value error, ")
    field = ".".join(str(p) for p in err["loc"])
    return f"{field}: {msg}" if field else msg  # a check across fields names its field itself
