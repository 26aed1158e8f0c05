"""`lumen stations`, `lumen ingest api|archive`, `lumen sample`: data into raw_data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from tqdm import tqdm

from lumen import ingest
from lumen.cli_common import console, new_app
from lumen.config import get_settings
from lumen.db import connect
from lumen.inmet.schema import state_codes, station_codes

app = new_app("Load INMET data into raw_data (as received).")


def _report(stats: list[ingest.LoadStats]) -> None:
    for code, st in sorted(ingest.per_station(stats).items()):
        console.print(f"  {code}: {st.new:,} new, {st.changed:,} changed, {st.unchanged:,} unchanged")
    console.print(f"ingested {ingest.summary_line(stats)}")


def stations_command(
    kind: str = typer.Option("T", help="T = automatic, M = manual stations."),
    file: Path | None = typer.Option(None, help="Read a saved /estacoes answer (JSON) instead of the API."),
    save: bool = typer.Option(False, help="Store the list in raw_data.inmet_stations."),
    uf: str | None = typer.Option(None, help="Only these states (comma-separated), e.g. PR,RJ."),
) -> None:
    """List INMET stations (from the open API, or a saved JSON file)."""
    settings = get_settings()
    if file is not None:
        stations, origin = json.loads(file.read_text(encoding="utf-8")), str(file)
    else:
        from lumen.inmet.api import client_from_settings

        client = client_from_settings(settings)
        stations, origin = client.stations(kind), f"{settings.inmet_api_url.rstrip('/')}/estacoes/{kind}"
    ufs = set(state_codes(uf))
    shown = [s for s in stations if not ufs or str(s.get("SG_ESTADO", "")).upper() in ufs]
    table = Table("code", "name", "UF", "status", "since")
    for st in sorted(shown, key=lambda s: str(s.get("CD_ESTACAO"))):
        started = str(st.get("DT_INICIO_OPERACAO") or "")[:10]
        table.add_row(str(st.get("CD_ESTACAO")), str(st.get("DC_NOME")), str(st.get("SG_ESTADO")),
                      str(st.get("CD_SITUACAO") or ""), started)  # fmt: skip
    console.print(table)
    console.print(f"{len(shown)} station(s)")
    if save:
        with connect("pipeline", settings) as conn:
            changed = ingest.load_api_stations(conn, shown, origin, ingest.new_run_id())
        console.print(f"raw_data.inmet_stations: {changed} new or changed")


@app.command("api")
def ingest_api(
    stations: str = typer.Option(..., help="Station codes, comma-separated: A001,A652."),
    start: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="First day (UTC). Default: watermark."),
    end: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="Last day (UTC). Default: today."),
    overlap_hours: int = typer.Option(3, help="Re-read this many hours before each watermark (late data)."),
) -> None:
    """Hourly observations from the INMET API (token form when INMET_TOKEN is set)."""
    settings = get_settings()
    codes = station_codes(stations)
    if not codes:
        raise typer.BadParameter("give at least one station code", param_hint="--stations")
    from lumen.inmet.api import client_from_settings

    last = (end or datetime.now(UTC)).date()
    with connect("pipeline", settings) as conn:
        stats = ingest.ingest_api(conn, client_from_settings(settings), codes, start.date() if start else None, last,
                                  ingest.new_run_id(), overlap_hours)  # fmt: skip
    _report(stats)


@app.command("archive")
def ingest_archive(
    source: str = typer.Argument(..., help="A year (downloaded into data/cache/), a .zip, a folder or a .CSV."),
    stations: str | None = typer.Option(None, help="Only these station codes, comma-separated."),
    uf: str | None = typer.Option(None, help="Only these states, comma-separated (PR,RJ)."),
) -> None:
    """A yearly historical archive (or station CSVs) into raw_data."""
    from lumen.inmet import archive

    settings = get_settings()
    path = Path(source)
    if not path.exists() and source.isdigit() and len(source) == 4:
        from lumen.inmet.download import fetch_year

        path = fetch_year(settings.inmet_archive_url, int(source), settings.root / "data" / "cache")
    files = list(archive.list_files(path, station_codes(stations), state_codes(uf)))
    if not files:
        raise typer.BadParameter(f"no station CSV in {path} matches", param_hint="SOURCE")
    run_id = ingest.new_run_id()
    with connect("pipeline", settings) as conn, tqdm(total=len(files), unit="file", disable=None) as bar:
        stats = ingest.load_archive(conn, files, run_id, progress=lambda *_: bar.update(1))
    _report(stats)


def sample_command(
    out: Path = typer.Option(Path("data/sample"), help="Where to write the sample."),
    start: datetime = typer.Option(datetime(2024, 11, 1), formats=["%Y-%m-%d"], help="First day (UTC)."),
    days: int = typer.Option(21, min=1, max=366, help="How many days."),
    stations: str | None = typer.Option(None, help="Sample stations (default: Z807,Z621,Z001,Z652)."),
    inject: list[str] = typer.Option([], help="Inject a named bad row (repeatable): rh_150, temp_99, …"),
) -> None:
    """Write the offline INMET-format sample (archive ZIP + API-shaped JSON), deterministic."""
    from lumen.sample import generate

    try:
        files = generate(out, start.date(), days, station_codes(stations) or None, inject)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"sample: {files.rows:,} station-hours, {files.start} … {files.end}")
    console.print(f"  archive: {files.archive_zip}")
    console.print(f"  API:     {files.stations_json.parent}/")
