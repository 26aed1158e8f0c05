"""Load INMET data into raw_data, exactly as received, idempotently.

One transaction per batch — a station CSV, a whole new year of them, or API answers up
to 50,000 rows: a crash mid-batch leaves nothing of that batch, and re-running it is safe.
Every batch records where its rows came from in raw_data.loads; each row points at its load.
"""

from lumen.ingest.api_load import (
    after_watermark,
    api_rows,
    api_windows,
    ingest_api,
    load_api_answers,
    load_api_observations,
    load_api_stations,
    watermarks,
)
from lumen.ingest.archive_load import load_archive
from lumen.ingest.batches import IngestError, LoadStats, per_station, refusals, summary_line, total

__all__ = [
    "IngestError",
    "LoadStats",
    "after_watermark",
    "api_rows",
    "api_windows",
    "ingest_api",
    "load_api_answers",
    "load_api_observations",
    "load_api_stations",
    "load_archive",
    "per_station",
    "refusals",
    "summary_line",
    "total",
    "watermarks",
]
