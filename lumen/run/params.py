"""Each step's parameters as one typed model (#27): what `lumen step -p …`, the notebooks' `parameters`
cells, the Mage blocks and the CLI commands all give, checked before any kernel starts; the tasks take
the checked model and read the window and the codes from it, parsed here once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from lumen.vocabulary import state_codes, station_codes
from lumen.window import parse_instant, parse_window


class Params(BaseModel):
    """What every step's parameters share: no unknown names, text is stripped, codes are codes."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Window(Params):
    """A window of UTC days or hours (`2024-01-01`, `2024-01-01T03:00`); empty where the step allows it."""

    start: str = ""
    end: str = ""

    @field_validator("start", "end")
    @classmethod
    def _instant(cls, value: str, info: ValidationInfo) -> str:
        if value:
            parse_instant(value, end=info.field_name == "end")  # a LumenError naming the value
        return value

    def span(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC (a date end is included whole)."""
        return parse_window(self.start, self.end)

    def span_or_all(self) -> tuple[datetime | None, datetime | None]:
        """The window, or (None, None) where the step allows none (all of history, the newest hour)."""
        return self.span() if self.start or self.end else (None, None)


class Stations(Window):
    stations: str = ""

    @field_validator("stations")
    @classmethod
    def _codes(cls, value: str) -> str:
        return ",".join(station_codes(value))  # no text that is not a station code reaches SQL or a URL

    def codes(self) -> list[str]:
        return station_codes(self.stations)


class IngestParams(Stations):
    source: Literal["api", "archive"] = "archive"
    archive: str = ""
    uf: str = ""
    overlap_hours: int = 3

    @field_validator("uf")
    @classmethod
    def _states(cls, value: str) -> str:
        return ",".join(state_codes(value))

    def states(self) -> list[str]:
        return state_codes(self.uf)


class CleanParams(Stations):
    start: str
    end: str


class ValidateParams(Window):
    start: str
    end: str


class PublishParams(Window):
    pass


class TrainParams(Stations):
    start: str
    end: str
    test_from: str = ""
    neighbours: Literal["compare", "on", "off"] = "compare"  # keep the neighbour features only if they help
    when_short: Literal["fail", "wait"] = "fail"  # too few hours: fail (a person asked), or wait (the schedule)

    @field_validator("test_from")
    @classmethod
    def _cut(cls, value: str) -> str:
        if value:
            parse_instant(value)
        return value

    def cutoff(self) -> datetime | None:
        return parse_instant(self.test_from) if self.test_from else None


class ForecastParams(Stations):
    pass
