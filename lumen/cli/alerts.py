"""`lumen alerts list|check|evaluate|send`: INMET-criteria exceedances found in the data."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from lumen.cli.common import console, err_console, given, new_app
from lumen.config import get_settings

app = new_app("Alerts: INMET warning criteria exceeded in the data (not INMET's official warnings).")


@app.command("list")
def list_command(
    open_only: bool = typer.Option(False, "--open", help="Only episodes still open."),
    station: str = typer.Option("", help="Only these station codes, comma-separated."),
    rule: str = typer.Option("", help="Only this rule id."),
    limit: int = typer.Option(50, help="At most this many episodes (newest first; 0: all)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per episode, one per line."),
    deliveries: bool = typer.Option(False, "--deliveries", help="The outbox instead: messages pending or failed."),
) -> None:
    """Episodes, newest first (withdrawn ones only with --rule or --station)."""
    from lumen.alerts import listing
    from lumen.db import connect

    with connect("pipeline", get_settings()) as conn:
        if deliveries:
            _deliveries(listing.unsent(conn), as_json)
            return
        events, total = listing.episodes(conn, open_only, station, rule, limit)
    if as_json:
        for event in events:
            print(json.dumps(event, default=lambda v: v.isoformat()))
        return
    # readable at 80 columns: no borders, dates and texts wrap onto a second line instead of being cut
    table = Table(box=None, pad_edge=False, show_edge=False, collapse_padding=True)
    for name, width in (
        ("#", 1),
        ("station", 4),
        ("rule", 6),
        ("level", 6),
        ("start UTC", 10),
        ("end UTC", 10),
        ("peak", 5),
        ("status", 6),
        ("msgs", 4),
    ):  # msgs: the messages queued, per channel
        table.add_column(name, min_width=width, overflow="fold")
    for e in events:
        ended = f"{e['ended_at']:%Y-%m-%d %H:%M}" if e["ended_at"] else "—"
        table.add_row(
            str(e["event_id"]),
            e["station_code"],
            e["rule"],
            e["level"],
            f"{e['started_at']:%Y-%m-%d %H:%M}",
            ended,
            f"{e['peak_value']:g} {e['unit']}",
            e["status"],
            e["messages"] or ("—" if e["notify"] else "past: not sent"),
        )
    console.print(table)
    if limit > 0 and total > len(events):
        console.print(f"{len(events)} of {total} episodes shown, newest first (`--limit 0` shows all)")
    console.print("INMET's warning criteria exceeded in the data — not INMET's official warnings.")


def _deliveries(rows: list[dict], as_json: bool) -> None:
    from lumen.alerts.listing import DELIVERY_KEYS

    if as_json:
        for row in rows:
            print(json.dumps(row, default=lambda v: v.isoformat()))
        return
    table = Table(*DELIVERY_KEYS, box=None, pad_edge=False)
    for r in rows:
        table.add_row(*(str(v) if v is not None else "—" for v in r.values()))
    console.print(table if rows else "every queued alert message has been sent")


@app.command("check")
def check_command() -> None:
    """Check alerts/rules.yml and alerts/subscriptions.yml and show what they say."""
    from lumen.alerts import outbox, rules

    settings = get_settings()
    every = rules.load(settings.alert_rules_path)
    subs = outbox.load_subscriptions(settings.alert_subscriptions_path, every)
    table = Table("rule", "kind", "quantity", "yellow", "orange", "red", "clear (h)")
    for r in every:
        levels = [f"{r.levels[lv].text()} {r.unit}" if lv in r.levels else "—" for lv in rules.LEVELS]
        table.add_row(r.id, r.kind, r.quantity, *levels, str(r.clear_hours))
    console.print(table)
    ready, idle = outbox.active(subs, settings)
    console.print(
        f"{len(every)} rules; {len(ready)} subscription(s) with their channel set"
        + (f"; not set: {', '.join(idle)}" if idle else "")
    )


@app.command("evaluate")
def evaluate_command(
    start: str = typer.Option("", help="First day or hour, UTC (default: all of history)."),
    end: str = typer.Option("", help="Last day (included) or hour (excluded)."),
) -> None:
    """Evaluate every rule over a window (e.g. after loading history before alerts existed), then send."""
    from lumen.alerts import service
    from lumen.run.audit import audited
    from lumen.window import parse_window

    settings = get_settings()
    lo, hi = parse_window(start, end) if start or end else (None, None)
    checked = service.plan(settings, service.OBSERVED + service.FORECAST)
    with audited("alerts-evaluate", given(start=start, end=end), settings) as scope:  # behind the run lock
        result = service.run(settings, scope.run_id, lo, hi, checked)
        scope.result = result
    console.print(result["summary"])
    if result["warning"]:
        err_console.print("warning: " + result["warning"])


@app.command("send")
def send_command() -> None:
    """Send the messages that are due now (later runs do it too)."""
    from datetime import UTC, datetime

    from lumen.alerts import outbox

    report = outbox.deliver(get_settings(), datetime.now(UTC))
    console.print(f"alerts: {report.line()}")
