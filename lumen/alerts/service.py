"""Alerts in a pipeline run: evaluate the rules over the run's window, queue what is new, send
what is due — the one path behind the publish step (observation rules), the forecast step
(the forecast rule) and `lumen alerts evaluate|send`.

Evaluation and queueing share one transaction (an episode and its deliveries commit
together, or neither does). Sending comes after and never fails the step: what it could not
send stays pending and shows in the step's summary, `lumen status` and `lumen alerts list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lumen.alerts import episodes, outbox, rules
from lumen.config import Settings
from lumen.db import connect

OBSERVED = ("hour", "local_day", "consecutive_days")
FORECAST = ("forecast",)
LOCK = "SELECT pg_advisory_xact_lock(hashtext('lumen.alerts'))"  # one evaluation at a time


@dataclass
class Plan:
    """The checked rules and subscriptions, loaded before anything else runs."""

    rules: list[rules.Rule]
    subscriptions: list[outbox.Subscription]
    idle: list[str]  # subscriptions whose channel is not set in .env


def plan(settings: Settings, kinds: tuple[str, ...]) -> Plan:
    """Load and check the rules and subscriptions (AlertError names the rule or field)."""
    every = rules.load(settings.alert_rules_path)
    subs, idle = outbox.active(outbox.load_subscriptions(settings.alert_subscriptions_path, every), settings)
    return Plan([r for r in every if r.kind in kinds], subs, idle)


def run(
    settings: Settings,
    run_id: str,
    lo: datetime | None,
    hi: datetime | None,
    checked: Plan,
    now: datetime | None = None,
) -> dict:
    """Evaluate, queue, send. Returns the figures for the step's record."""
    now = now or datetime.now(UTC)
    with connect("pipeline", settings) as conn:
        conn.execute(LOCK)
        ev = episodes.evaluate(conn, checked.rules, run_id, lo, hi, now, timedelta(hours=settings.alert_max_age_hours))
        queued = outbox.queue(conn, ev.changes, checked.rules, checked.subscriptions, settings, run_id, now)
        conn.commit()
    sent = outbox.deliver(settings, now)
    channels = (
        f"{queued} message(s) queued, {sent.line()}"
        if checked.subscriptions
        else "no subscription has its channel set in .env: nothing to send"
    )
    trouble = ""
    if sent.pending or sent.failed:
        trouble = (
            f"alert messages: {sent.pending} pending, {sent.failed} failed"
            + (f" ({'; '.join(sorted(set(sent.errors))[:3])})" if sent.errors else "")
            + " — `lumen alerts list --deliveries` shows them; later runs retry"
        )
    return {
        "opened": ev.opened,
        "escalated": ev.escalated,
        "closed": ev.closed,
        "updated": ev.updated,
        "withdrawn": ev.withdrawn,
        "historical": ev.historical,
        "queued": queued,
        "sent": sent.sent,
        "pending": sent.pending,
        "failed": sent.failed,
        "evaluate_s": ev.seconds,
        "summary": f"{ev.line()}; {channels}",
        "warning": trouble,
    }
