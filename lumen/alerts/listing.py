"""What `lumen alerts list` shows: the episodes (newest first) and the outbox's unsent messages."""

from __future__ import annotations

import psycopg

from lumen.db import one
from lumen.vocabulary import station_codes

EVENT_KEYS = (
    "event_id",
    "station_code",
    "rule",
    "level",
    "started_at",
    "ended_at",
    "peak_value",
    "peak_at",
    "status",
    "unit",
    "rule_name",
    "notify",
)
DELIVERY_KEYS = (
    "delivery_id",
    "event_id",
    "level",
    "subscription",
    "channel",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
)


def episodes(
    conn: psycopg.Connection, open_only: bool = False, station: str = "", rule: str = "", limit: int = 0
) -> tuple[list[dict], int]:
    """Episodes newest first (withdrawn ones only when a station or rule is asked for), each with its
    messages (`sent:webhook …`); and how many match in all, so a limit never cuts silently."""
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
    matching = f"FROM analytics.alert_events e WHERE {' AND '.join(where)}"
    total = int(one(conn.execute(f"SELECT count(*) {matching}", params))[0])
    rows = conn.execute(
        f"SELECT {', '.join(EVENT_KEYS)}, (SELECT string_agg(DISTINCT d.status || ':' || d.channel, ' ') "
        f"FROM ops.alert_deliveries d WHERE d.event_id = e.event_id) {matching} "
        "ORDER BY started_at DESC, event_id DESC" + (f" LIMIT {int(limit)}" if limit > 0 else ""),
        params,
    ).fetchall()
    return [dict(zip((*EVENT_KEYS, "messages"), row, strict=True)) for row in rows], total


def unsent(conn: psycopg.Connection) -> list[dict]:
    """The outbox's messages not sent yet: pending (retried later) or failed (gave up), oldest first."""
    rows = conn.execute(
        f"SELECT {', '.join(DELIVERY_KEYS)} FROM ops.alert_deliveries WHERE status <> 'sent' ORDER BY delivery_id"
    ).fetchall()
    return [dict(zip(DELIVERY_KEYS, row, strict=True)) for row in rows]
