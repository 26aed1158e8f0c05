"""Episodes: one per station and rule, from the first exceeding unit to the last, closed once
the condition has been clear for the rule's clear_hours. Kept in analytics.alert_events.

A run evaluates its window: each rule's units are recomputed over the window plus the
lookback and lookahead the rule needs, widened to whole episodes already recorded there, so
the region starts and ends where no episode spans. The recomputed episodes are then matched
to the recorded ones by overlap: a match is updated in place (same event_id, so its
deliveries stay valid) only where a figure changed, a new one is inserted, and a recorded
episode the data no longer supports is marked withdrawn (kept, with the reason). The result
is a function of the data alone: re-running a window changes nothing.

An episode is *fresh* when it reached its level within `max_age` of the evaluation: only
fresh openings and escalations are queued for delivery; the rest (a backfill of past years)
are recorded with notify = false.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from lumen.alerts import units
from lumen.alerts.rules import Rule, rank
from lumen.db import one

FIGURES = (
    "started_at",
    "last_exceeded_at",
    "ended_at",
    "status",
    "level",
    "level_at",
    "threshold",
    "peak_value",
    "peak_at",
)


@dataclass
class Episode:
    rule: str
    station_code: str
    started_at: datetime
    last_exceeded_at: datetime
    level: str
    level_at: datetime
    peak_value: float
    peak_at: datetime
    threshold: float = 0.0
    status: str = "open"
    ended_at: datetime | None = None
    event_id: int | None = None
    notify: bool = False

    def figures(self) -> tuple:
        return tuple(getattr(self, f) for f in FIGURES)


@dataclass
class Change:
    """An episode opened or escalated to `level` by this run (what deliveries are queued for)."""

    event_id: int
    rule: str
    station_code: str
    level: str
    peak_value: float = 0.0  # the episode's figures, as the message states them
    peak_at: datetime | None = None
    started_at: datetime | None = None

    @classmethod
    def of(cls, ep: Episode) -> Change:
        return cls(ep.event_id, ep.rule, ep.station_code, ep.level, ep.peak_value, ep.peak_at, ep.started_at)  # type: ignore[arg-type]


@dataclass
class Evaluation:
    rules: list[str] = field(default_factory=list)
    opened: int = 0
    escalated: int = 0
    updated: int = 0
    closed: int = 0
    withdrawn: int = 0
    historical: int = 0  # opened or escalated too long ago to be sent (a backfill): recorded only
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        old = f"; {self.historical} from the past recorded without messages" if self.historical else ""
        return (
            f"alerts ({len(self.rules)} rule(s)): {self.opened} episode(s) opened, {self.escalated} escalated, "
            f"{self.closed} closed, {self.updated} updated, {self.withdrawn} withdrawn{old}"
        )


def evaluate(
    conn: psycopg.Connection,
    rules: list[Rule],
    run_id: str,
    lo: datetime | None,
    hi: datetime | None,
    now: datetime,
    max_age: timedelta,
) -> Evaluation:
    """Evaluate the rules over the UTC window [lo, hi) (None: all of history), in the caller's transaction."""
    t0 = time.monotonic()
    result = Evaluation(rules=[r.id for r in rules])
    if not rules:
        return result
    by_id = {r.id: r for r in rules}
    regions = {r.id: region(conn, r, lo, hi) for r in rules}
    units.create_table(conn)
    units.write(conn, rules, regions)
    fresh = islands(conn, rules)
    recorded = _recorded(conn, rules, regions)
    in_region = {e.event_id for found in recorded.values() for e in found}
    open_elsewhere = [e for e in _open(conn, rules) if e.event_id not in in_region]
    seen = {s for _, s in fresh} | {s for _, s in recorded} | {e.station_code for e in open_elsewhere}
    hz_obs = units.horizons(conn, sorted(seen), forecast=False)
    hz_fc = units.horizons(conn, sorted(seen), forecast=True) if any(r.kind == "forecast" for r in rules) else {}

    def settle(ep: Episode) -> None:
        rule = by_id[ep.rule]
        ep.threshold = rule.levels[ep.level].value  # type: ignore[index]
        seen_to = (hz_fc if rule.kind == "forecast" else hz_obs).get(ep.station_code)
        done = seen_to is not None and seen_to >= ep.last_exceeded_at + timedelta(hours=rule.clear_hours or 6)
        ep.status, ep.ended_at = ("closed", ep.last_exceeded_at) if done else ("open", None)

    inserts: list[Episode] = []
    updates: list[tuple[Episode, Episode]] = []  # (recorded, recomputed)
    withdrawals: list[tuple[Episode, str]] = []
    for key in sorted(set(fresh) | set(recorded)):
        matched: set[int] = set()
        for ep in fresh.get(key, []):
            settle(ep)
            hits = [
                e
                for e in recorded.get(key, [])
                if e.event_id not in matched
                and e.started_at < ep.last_exceeded_at
                and ep.started_at < e.last_exceeded_at
            ]
            if not hits:
                inserts.append(ep)
                continue
            keep, *merged = hits
            matched.update(e.event_id for e in hits)  # type: ignore[misc]
            ep.event_id, ep.notify = keep.event_id, keep.notify
            updates.append((keep, ep))
            withdrawals += [(e, f"merged into episode {keep.event_id}") for e in merged]
        withdrawals += [
            (e, "the data no longer meets the rule (re-cleaned or corrected)")
            for e in recorded.get(key, [])
            if e.event_id not in matched
        ]
    for e in open_elsewhere:
        before = e.figures()
        settle(e)
        if e.figures() != before:
            updates.append((Episode(**{**e.__dict__, "status": "open", "ended_at": None}), e))

    is_fresh = lambda ep: ep.level_at >= now - max_age  # noqa: E731
    for ep in inserts:
        ep.notify = is_fresh(ep)
    _insert(conn, inserts, by_id, run_id)
    result.opened = len(inserts)
    result.changes += [Change.of(ep) for ep in inserts if ep.notify]
    result.historical += sum(not ep.notify for ep in inserts)
    changed = [(old, new) for old, new in updates if old.figures() != new.figures()]
    for old, new in changed:
        if rank(new.level) > rank(old.level):
            result.escalated += 1
            if is_fresh(new):
                new.notify = True
                result.changes.append(Change.of(new))
            else:
                result.historical += 1
        elif old.status == "open" and new.status == "closed":
            result.closed += 1
        else:
            result.updated += 1
    _update(conn, [new for _, new in changed], run_id)
    _withdraw(conn, withdrawals, run_id)
    result.withdrawn = len(withdrawals)
    result.seconds = round(time.monotonic() - t0, 3)
    return result


def region(conn: psycopg.Connection, rule: Rule, lo: datetime | None, hi: datetime | None) -> units.Region:
    """The window plus the rule's reach and clear period, widened to whole recorded episodes."""
    clear = timedelta(hours=rule.clear_hours or 6)
    back, ahead = units.reach(rule)
    a = lo - back - clear if lo else None
    b = hi + ahead + clear if hi else None
    live = "FROM analytics.alert_events WHERE rule = %s AND status <> 'withdrawn'"
    if a is not None:
        (first,) = one(
            conn.execute(
                f"SELECT min(started_at) {live} AND started_at < %s AND last_exceeded_at + %s > %s",
                (rule.id, a, clear, a),
            )
        )
        a = min(a, first) if first else a
    if b is not None:
        (last,) = one(
            conn.execute(
                f"SELECT max(last_exceeded_at) + %s {live} AND started_at < %s AND last_exceeded_at + %s > %s",
                (clear, rule.id, b, clear, b),
            )
        )
        b = max(b, last) if last else b
    return units.Region(a, b)


def islands(conn: psycopg.Connection, rules: list[Rule]) -> dict[tuple[str, str], list[Episode]]:
    """alert_units grouped into episodes: a gap of clear_hours or more between units starts a new one."""
    rows = conn.execute(
        f"""
        WITH r AS (SELECT * FROM unnest(%s::text[], %s::int[], %s::bool[]) AS r(rule, clear_h, rising)),
        u AS (
            SELECT u.*, r.rising, CASE u.level WHEN 'yellow' THEN 1 WHEN 'orange' THEN 2 ELSE 3 END AS rk,
                   CASE WHEN u.unit_start - lag(u.unit_end) OVER w < make_interval(hours => r.clear_h)
                        THEN 0 ELSE 1 END AS brk
            FROM {units.UNITS} u JOIN r USING (rule)
            WINDOW w AS (PARTITION BY u.rule, u.station_code ORDER BY u.unit_start)
        ), g AS (
            SELECT *, sum(brk) OVER (PARTITION BY rule, station_code ORDER BY unit_start ROWS UNBOUNDED PRECEDING) AS ep
            FROM u
        ), t AS (
            SELECT *, max(rk) OVER e AS top,
                   CASE WHEN rising THEN max(value) OVER e ELSE min(value) OVER e END AS peak
            FROM g WINDOW e AS (PARTITION BY rule, station_code, ep)
        )
        SELECT rule, station_code, min(began_at), max(unit_end), (ARRAY['yellow', 'orange', 'red'])[max(top)],
               min(unit_start) FILTER (WHERE rk = top), max(peak), min(unit_start) FILTER (WHERE value = peak)
        FROM t GROUP BY rule, station_code, ep ORDER BY rule, station_code, 3
        """,
        ([r.id for r in rules], [r.clear_hours or 6 for r in rules], [r.rising for r in rules]),
    ).fetchall()
    out: dict[tuple[str, str], list[Episode]] = defaultdict(list)
    for row in rows:
        out[(row[0], row[1])].append(Episode(*row))
    return out


_COLUMNS = (
    "event_id, rule, station_code, started_at, last_exceeded_at, level, level_at, peak_value, peak_at, "
    "threshold, status, ended_at, notify"
)


def _episode(row: tuple) -> Episode:
    event_id, *rest, notify = row
    return Episode(*rest, event_id=event_id, notify=notify)  # type: ignore[misc]  # the row's middle is positional


def _recorded(
    conn: psycopg.Connection, rules: list[Rule], regions: dict[str, units.Region]
) -> dict[tuple[str, str], list[Episode]]:
    out: dict[tuple[str, str], list[Episode]] = defaultdict(list)
    for r in rules:
        a, b = regions[r.id].bounds()
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM analytics.alert_events WHERE rule = %s AND status <> 'withdrawn' "
            "AND started_at >= %s::timestamptz AND started_at < %s::timestamptz ORDER BY station_code, started_at",
            (r.id, a, b),
        ).fetchall()
        for row in rows:
            out[(row[1], row[2])].append(_episode(row))
    return out


def _open(conn: psycopg.Connection, rules: list[Rule]) -> list[Episode]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM analytics.alert_events WHERE status = 'open' AND rule = ANY(%s)",
        ([r.id for r in rules],),
    ).fetchall()
    return [_episode(row) for row in rows]


def _insert(conn: psycopg.Connection, episodes: list[Episode], rules: dict[str, Rule], run_id: str) -> None:
    cols = ("station_code", "rule", "rule_name", "level", "level_at", "threshold", "unit", "started_at",
            "last_exceeded_at", "ended_at", "peak_value", "peak_at", "status", "notify", "opened_run_id",
            "updated_run_id")  # fmt: skip
    with conn.cursor() as cur, cur.copy(f"COPY analytics.alert_events ({', '.join(cols)}) FROM STDIN") as copy:
        for e in episodes:
            r = rules[e.rule]
            copy.write_row(
                (
                    e.station_code,
                    e.rule,
                    r.name,
                    e.level,
                    e.level_at,
                    e.threshold,
                    r.unit,
                    e.started_at,
                    e.last_exceeded_at,
                    e.ended_at,
                    e.peak_value,
                    e.peak_at,
                    e.status,
                    e.notify,
                    run_id,
                    run_id,
                )
            )
    told = [e for e in episodes if e.notify]
    if told:
        ids = dict(
            ((r, s, t), i)
            for i, r, s, t in conn.execute(
                "SELECT event_id, rule, station_code, started_at FROM analytics.alert_events WHERE opened_run_id = %s "
                "AND notify AND (rule, station_code, started_at) IN (SELECT * FROM unnest(%s::text[], %s::text[], "
                "%s::timestamptz[]))",
                (run_id, [e.rule for e in told], [e.station_code for e in told], [e.started_at for e in told]),
            ).fetchall()
        )
        for e in told:
            e.event_id = ids[(e.rule, e.station_code, e.started_at)]


def _update(conn: psycopg.Connection, episodes: list[Episode], run_id: str) -> None:
    if not episodes:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE analytics.alert_events SET started_at = %s, last_exceeded_at = %s, ended_at = %s, status = %s, "
            "level = %s, level_at = %s, threshold = %s, peak_value = %s, peak_at = %s, notify = notify OR %s, "
            "updated_run_id = %s, updated_at = now() WHERE event_id = %s",
            [(*e.figures(), e.notify, run_id, e.event_id) for e in episodes],
        )


def _withdraw(conn: psycopg.Connection, withdrawals: list[tuple[Episode, str]], run_id: str) -> None:
    if not withdrawals:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE analytics.alert_events SET status = 'withdrawn', ended_at = coalesce(ended_at, last_exceeded_at), "
            "note = %s, updated_run_id = %s, updated_at = now() WHERE event_id = %s",
            [(note, run_id, e.event_id) for e, note in withdrawals],
        )
