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
