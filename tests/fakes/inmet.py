"""The INMET API's real shapes, rebuilt from the real samples in ../shared/inmet-samples."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def api_records_from_pandas_csv(path: Path) -> list[dict]:
    """The A621 month as the API sent it: JSON keys in the API's order, every value a string, null for missing.

    The file is `pd.DataFrame(response.json()).to_csv()`: the first, unnamed column is
    the pandas index, and JSON nulls became empty fields.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)[1:]
        return [{k: (v if v != "" else None) for k, v in zip(header, row[1:], strict=True)} for row in reader]


def compact(obj) -> bytes:
    """The live API answers compact JSON."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serve_sample(fake, sample, token: str | None = None) -> None:
    """Make a FakeServer answer as the INMET API would for a generated sample (lumen.sample):
    the station list, and each station's records per day range (204 when there are none). With
    `token`, also the token form `/token/estacao/…/CODE/TOKEN` (401 for another token)."""
    import re
    from datetime import date

    route = re.compile(r"^(?:/token)?/estacao/(\d{4}-\d\d-\d\d)/(\d{4}-\d\d-\d\d)/([A-Z]\d{3})(?:/([^/]+))?$")
    records = {code: json.loads(path.read_text()) for code, path in sample.api_json.items()}

    def answer(handler):
        match = route.match(handler.path)
        if not match or handler.path.startswith("/token/") != (match[4] is not None):
            return 404, {}, b"<html>404</html>"
        if match[4] is not None and match[4] != token:
            return 401, {}, b'{"message": "token invalido"}'
        first, last, code = date.fromisoformat(match[1]), date.fromisoformat(match[2]), match[3]
        rows = [r for r in records.get(code, []) if first <= date.fromisoformat(r["DT_MEDICAO"]) <= last]
        return (200, {"Content-Type": "application/json"}, compact(rows)) if rows else (204, {}, b"")

    fake.fallback = answer
    fake.routes["/estacoes/T"] = lambda _h: (200, {}, compact(json.loads(sample.stations_json.read_text())))
