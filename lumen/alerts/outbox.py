"""The delivery outbox, ops.alert_deliveries: who gets which message, and sending it.

Queued in the same transaction as the episodes (one row per episode level and subscription,
the message as queued), sent after it commits. A send that fails stays pending with its
error and is retried by later runs with backoff; after LUMEN_ALERT_MAX_ATTEMPTS it is marked
failed. Sending never raises: a broken channel is skipped for the rest of the round, so a
dead webhook costs one timeout per run, and the data pipeline goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import psycopg
import requests
import yaml
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lumen.alerts import AlertError, channels, messages
from lumen.alerts.episodes import Change
from lumen.alerts.rules import Rule, rank
from lumen.config import Settings
from lumen.db import connect, one

MAX_BACKOFF = timedelta(hours=6)


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    channel: Literal["webhook", "email"]
    min_level: Literal["yellow", "orange", "red"] = "yellow"
    stations: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    to: list[str] = Field(default_factory=list)

    def wants(self, change: Change, uf: str | None) -> bool:
        where = (
            (not self.stations and not self.states)
            or change.station_code in self.stations
            or (uf is not None and uf.upper() in {s.upper() for s in self.states})
        )
        return where and rank(change.level) >= rank(self.min_level) and (not self.rules or change.rule in self.rules)


class SubscriptionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriptions: list[Subscription] = Field(default_factory=list)


def load_subscriptions(path: Path, rules: list[Rule]) -> list[Subscription]:
    """The subscriptions file, checked (none when it does not exist)."""
    if not path.exists():
        return []
    try:
        found = SubscriptionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {}).subscriptions
    except yaml.YAMLError as exc:
        raise AlertError(f"{path.name}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        who = f"subscription #{int(loc[1]) + 1}: " if len(loc) > 1 and loc[0] == "subscriptions" else ""
        raise AlertError(f"{path.name}: {who}{'.'.join(str(p) for p in loc[2:]) or 'file'}: {err['msg']}") from None
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise AlertError(f"{path.name}: two subscriptions share a name — names must be unique")
    known = {r.id for r in rules}
    for s in found:
        if unknown := [r for r in s.rules if r not in known]:
            raise AlertError(f"{path.name}: subscription {s.name}: rules: no rule {unknown[0]!r} in the rules file")
    return found


def recipients(sub: Subscription, settings: Settings) -> list[str]:
    return sub.to or [a.strip() for a in settings.alert_email_to.split(",") if a.strip()]


def active(subs: list[Subscription], settings: Settings) -> tuple[list[Subscription], list[str]]:
    """The subscriptions whose channel is set in .env, and a note for each that is not."""
    ready, idle = [], []
    for s in subs:
        if s.channel == "webhook" and not channels.webhook_configured(settings):
            idle.append(f"{s.name} (LUMEN_ALERT_WEBHOOK_URL not set)")
        elif s.channel == "email" and not (channels.email_configured(settings) and recipients(s, settings)):
            idle.append(f"{s.name} (LUMEN_SMTP_HOST or recipients not set)")
        else:
            ready.append(s)
    return ready, idle


def queue(
    conn: psycopg.Connection,
    changes: list[Change],
    rules: list[Rule],
    subs: list[Subscription],
    settings: Settings,
    run_id: str,
    now: datetime,
) -> int:
    """One delivery per change and subscription that wants it (never twice: the outbox's key)."""
    if not changes or not subs:
        return 0
    by_id = {r.id: r for r in rules}
    codes = sorted({c.station_code for c in changes})
    stations = {
        row[0]: {"name": row[1], "uf": row[2], "time_zone": row[3]}
        for row in conn.execute(
            "SELECT station_code, name, uf, time_zone FROM processed_data.stations WHERE station_code = ANY(%s)",
            (codes,),
        ).fetchall()
    }
    rows = []
    for c in changes:
        station = stations.get(c.station_code, {})
        for s in subs:
            if s.wants(c, station.get("uf")):
                message = messages.payload(by_id[c.rule], c.level, c.__dict__, station)
                to = ", ".join(recipients(s, settings)) if s.channel == "email" else None
                rows.append((c.event_id, c.level, s.name, s.channel, to, Jsonb(message), run_id, now))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ops.alert_deliveries (event_id, level, subscription, channel, recipients, payload, run_id, "
            "next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (event_id, level, subscription) "
            "DO NOTHING",
            rows,
        )
    return len(rows)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this round, will be tried again
    failed: int = 0  # gave up this round (attempts exhausted)
    skipped: int = 0  # due, not tried: their channel broke earlier this round
    pending: int = 0  # still pending after the round (any reason)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.sent} message(s) sent"
        if self.pending or self.failed:
            text += f", {self.pending} pending, {self.failed} failed"
        if self.errors:
            text += f" ({'; '.join(sorted(set(self.errors))[:3])})"
        return text


def deliver(settings: Settings, now: datetime) -> DeliveryReport:
    """Send every due delivery once. Never raises for a channel's failure."""
    report = DeliveryReport()
    broken: set[str] = set()
    mailer, session = channels.Mailer(settings), requests.Session()
    try:
        with connect("pipeline", settings) as conn:
            due = [
                r[0]
                for r in conn.execute(
                    "SELECT delivery_id FROM ops.alert_deliveries WHERE status = 'pending' AND next_attempt_at <= %s "
                    "ORDER BY delivery_id",
                    (now,),
                ).fetchall()
            ]
            conn.commit()
            for delivery_id in due:
                _one(conn, delivery_id, settings, now, broken, mailer, session, report)
            report.pending = one(conn.execute("SELECT count(*) FROM ops.alert_deliveries WHERE status = 'pending'"))[0]
    finally:
        mailer.close()
        session.close()
    return report


def _one(
    conn: psycopg.Connection,
    delivery_id: int,
    settings: Settings,
    now: datetime,
    broken: set[str],
    mailer: channels.Mailer,
    session: requests.Session,
    report: DeliveryReport,
) -> None:
    with conn.transaction():
        row = conn.execute(
            "SELECT channel, recipients, payload, attempts FROM ops.alert_deliveries "
            "WHERE delivery_id = %s AND status = 'pending' FOR UPDATE SKIP LOCKED",
            (delivery_id,),
        ).fetchone()
        if row is None:
            return  # sent meanwhile by another round
        channel, to, payload, attempts = row
        if channel in broken:
            report.skipped += 1
            return
        configured = (
            channels.webhook_configured(settings) if channel == "webhook" else channels.email_configured(settings)
        )
        try:
            if not configured:
                raise channels.SendError(f"{channel} is no longer set in .env")
            if channel == "webhook":
                channels.send_webhook(settings, payload, session)
            else:
                mailer.send(payload, [a.strip() for a in (to or "").split(",") if a.strip()])
        except channels.SendError as exc:
            broken.add(channel)
            reason = channels.scrub(str(exc), settings)
            report.errors.append(reason)
            tries = attempts + 1
            gave_up = tries >= settings.alert_max_attempts
            wait = min(timedelta(minutes=settings.alert_retry_minutes * 2 ** (tries - 1)), MAX_BACKOFF)
            conn.execute(
                "UPDATE ops.alert_deliveries SET attempts = %s, last_error = %s, status = %s, next_attempt_at = %s "
                "WHERE delivery_id = %s",
                (tries, reason, "failed" if gave_up else "pending", now + wait, delivery_id),
            )
            if gave_up:
                report.failed += 1
            else:
                report.retrying += 1
            return
        conn.execute(
            "UPDATE ops.alert_deliveries SET attempts = attempts + 1, status = 'sent', sent_at = now(), "
            "last_error = NULL WHERE delivery_id = %s",
            (delivery_id,),
        )
        report.sent += 1
