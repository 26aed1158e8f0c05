"""`lumen stations`, `lumen ingest api|archive`, `lumen sample`: data into raw_data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from lumen import ingest
from lumen.cli.common import console, given, new_app
from lumen.config import get_settings
from lumen.db import connect
from lumen.vocabulary import state_codes, station_codes

app = new_app("Load INMET data into raw_data (as received).")


def _show(result: dict) -> None:
    """The per-station lines and the summary; exit 1 (after the others loaded) when a file was refused."""
    for line in result["per_station"]:
        console.print(f"  {line}")
    console.print(f"ingested {result['summary']}")
    if refused := result.get("refused"):
        more = f" (and {len(refused) - 1} more, listed above)" if len(refused) > 1 else ""
        raise ingest.IngestError(
            f"{len(refused)} file(s) refused, nothing of them loaded (the rest was): {refused[0]}{more}"
        )


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
        table.add_row(
            str(st.get("CD_ESTACAO")),
            str(st.get("DC_NOME")),
            str(st.get("SG_ESTADO")),
            str(st.get("CD_SITUACAO") or ""),
            started,
        )
    console.print(table)
    console.print(f"{len(shown)} station(s)")
    if save:
        from lumen.run.audit import audited

        with audited("stations", given(uf=uf, kind=kind), settings) as scope, connect("pipeline", settings) as conn:
            changed = ingest.load_api_stations(conn, shown, origin, scope.run_id)
            scope.result = {"rows_out": changed, "summary": f"raw_data.inmet_stations: {changed} new or changed"}
        console.print(f"raw_data.inmet_stations: {changed} new or changed")


@app.command("api")
def ingest_api(
    stations: str = typer.Option(..., help="Station codes, comma-separated: A001,A652."),
    start: str = typer.Option("", help="First day (UTC), YYYY-MM-DD. Default: each station's watermark."),
    end: str = typer.Option("", help="Last day (UTC, included). Default: today."),
    overlap_hours: int = typer.Option(3, help="Re-read this many hours before each watermark (late data)."),
) -> None:
    """Hourly observations from the INMET API (token form when INMET_TOKEN is set); refreshes the station list."""
    from lumen.run.steps import run_here

    _show(
        run_here(
            "ingest", given(source="api", start=start, end=end, stations=stations, overlap_hours=overlap_hours)
        ).figures()
    )


@app.command("archive")
def ingest_archive(
    source: str = typer.Argument(..., help="A year (downloaded into data/cache/), a .zip, a folder or a .CSV."),
    stations: str | None = typer.Option(None, help="Only these station codes, comma-separated."),
    uf: str | None = typer.Option(None, help="Only these states, comma-separated (PR,RJ)."),
) -> None:
    """A yearly historical archive (or station CSVs) into raw_data."""
    from lumen.run.steps import run_here

    _show(
        run_here("ingest", given(source="archive", archive=source, stations=stations, uf=uf), progress=True).figures()
    )


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
