"""`lumen alerts list|check|evaluate|send`: INMET-criteria exceedances found in the data."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from lumen.cli.common import console, err_console, given, new_app
from lumen.config import get_settings

app = new_app("Alerts: INMET warning criteria exceeded in the data (not INMET's official warnings).")

EVENT_KEYS = ("event_id", "station_code", "rule", "level", "started_at", "ended_at", "peak_value", "peak_at",
              "status", "unit", "rule_name", "notify")  # fmt: skip


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
    from lumen.db import connect
    from lumen.vocabulary import station_codes

    with connect("pipeline", get_settings()) as conn:
        if deliveries:
            _deliveries(conn, as_json)
            return
        where: list[str] = ["(status <> 'withdrawn' OR %s)"]
        params: list[object] = [bool(station or rule)]
        if open_only:
            where.append("status = 'open'")
        if station:
            where.append("station_code = ANY(%s)")
            params.append(station_codes(station))
        if rule:
            where.append("rule = %s")
            params.append(rule)
        rows = conn.execute(
            f"SELECT {', '.join(EVENT_KEYS)}, (SELECT string_agg(DISTINCT d.status || ':' || d.channel, ' ') "
            "FROM ops.alert_deliveries d WHERE d.event_id = e.event_id) "
            f"FROM analytics.alert_events e WHERE {' AND '.join(where)} ORDER BY started_at DESC, event_id DESC"
            + (f" LIMIT {int(limit)}" if limit > 0 else ""),
            params,
        ).fetchall()
    if as_json:
        for row in rows:
            event = dict(zip((*EVENT_KEYS, "messages"), row, strict=True))
            print(json.dumps(event, default=lambda v: v.isoformat()))
        return
    table = Table("#", "station", "rule", "level", "started (UTC)", "ended (UTC)", "peak", "status", "messages")
    for r in rows:
        table.add_row(str(r[0]), r[1], r[2], r[3], f"{r[4]:%Y-%m-%d %H:%M}", f"{r[5]:%Y-%m-%d %H:%M}" if r[5] else "—",
                      f"{r[6]:g} {r[9]}", r[8], r[12] or ("—" if r[11] else "past: not sent"))  # fmt: skip
    console.print(table)
    console.print("Exceedances of INMET's warning criteria in the data — not INMET's official warnings.")


def _deliveries(conn, as_json: bool) -> None:
    rows = conn.execute(
        "SELECT delivery_id, event_id, level, subscription, channel, status, attempts, last_error, next_attempt_at "
        "FROM ops.alert_deliveries WHERE status <> 'sent' ORDER BY delivery_id"
    ).fetchall()
    keys = ("delivery_id", "event_id", "level", "subscription", "channel", "status", "attempts", "last_error",
            "next_attempt_at")  # fmt: skip
    if as_json:
        for row in rows:
            print(json.dumps(dict(zip(keys, row, strict=True)), default=lambda v: v.isoformat()))
        return
    table = Table(*keys)
    for r in rows:
        table.add_row(*(str(v) if v is not None else "—" for v in r))
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
    console.print(f"{len(every)} rules; {len(ready)} subscription(s) with their channel set"
                  + (f"; not set: {', '.join(idle)}" if idle else ""))  # fmt: skip


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
