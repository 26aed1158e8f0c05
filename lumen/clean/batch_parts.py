"""The clean step's batch computed on every core: station groups side by side, one transaction.

Typing and checking a year's raw rows is CPU work inside PostgreSQL, and one query runs
on one core (the planner will not spread this one: it underrates the cost of the casts).
So each group of stations is computed by a connection of its own, in a read-only
transaction, and streamed in binary COPY into the clean step's own temporary batch
table, on the clean step's connection and inside its transaction. Nothing is written
anywhere else: quarantine, rule failure, the upsert and "nothing half-published" stay
exactly as in one query, because everything after the batch still happens in that one
transaction. A failing group fails the whole batch (the transaction rolls back).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterator

import psycopg

# rows below which one query is faster than opening connections and streaming
MIN_ROWS = 200_000
PARTS = max(1, min(4, os.cpu_count() or 1))
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TRAILER = b"\xff\xff"
_BLOCK_ROWS = 2000  # rows joined into one write: one queue hand-over per block, not per row
_DONE = object()


def worthwhile(rows: int) -> bool:
    """Side by side only for a large window, on a machine with cores to spare."""
    return PARTS > 1 and rows >= MIN_ROWS


def outside_transaction(conn: psycopg.Connection) -> bool:
    """The caller's connection has no transaction open (the groups could not see its uncommitted rows)."""
    return conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def groups(codes: list[str], parts: int = PARTS) -> list[list[str]]:
    """Contiguous runs of sorted station codes, about as many each (raw_data's year tables are split
    by code ranges too, so a group reads few of them)."""
    codes = sorted(codes)
    n = max(1, min(parts, len(codes)))
    return [codes[len(codes) * i // n : len(codes) * (i + 1) // n] for i in range(n)]


def fill(conn: psycopg.Connection, table: str, select: str, params: dict, codes: list[str]) -> None:
    """Append to `table` (on `conn`, in its transaction) the rows of `select` for every group of
    `codes`; `select` filters stations with `%(stations)s`. Raises the first group's failure."""
    blocks: queue.Queue = queue.Queue(maxsize=64)
    stop = threading.Event()
    failures: list[BaseException] = []
    parts = groups(codes)

    def work(group: list[str]) -> None:
        try:
            with psycopg.connect(conn.info.dsn, password=conn.info.password) as own:
                own.read_only = True
                with (
                    own.cursor() as cur,
                    cur.copy(f"COPY ({select}) TO STDOUT (FORMAT binary)", {**params, "stations": group}) as out,
                ):
                    for block in _rows(out, stop):
                        _put(blocks, block, stop)
        except BaseException as exc:
            failures.append(exc)
            stop.set()
        finally:
            _put(blocks, _DONE, stop, force=True)

    threads = [
        threading.Thread(target=work, args=(g,), name=f"lumen-clean-{i}", daemon=True) for i, g in enumerate(parts)
    ]
    for t in threads:
        t.start()
    try:
        with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as into:
            into.write(_SIGNATURE + bytes(8))  # no flags, no header extension
            finished = 0
            while finished < len(threads):
                block = blocks.get()
                if block is _DONE:
                    finished += 1
                elif not stop.is_set():
                    into.write(block)
            if failures:
                raise failures[0]
            into.write(_TRAILER)
    finally:
        stop.set()
        while any(t.is_alive() for t in threads):  # a group may wait to hand over its end marker
            with contextlib.suppress(queue.Empty):
                blocks.get(timeout=0.1)


def _rows(out: psycopg.Copy, stop: threading.Event) -> Iterator[bytes]:
    """A binary COPY's rows in blocks, without the stream's header and trailer (the caller's own
    stream has one of each)."""
    block: list[bytes] = []
    first = True
    for data in out:
        if stop.is_set():
            raise _Stopped
        data = bytes(data)
        if first:
            if data[:11] != _SIGNATURE:
                raise ValueError("not a binary COPY stream")
            data = data[19 + int.from_bytes(data[15:19], "big") :]
            first = False
        block.append(data)
        if len(block) >= _BLOCK_ROWS:
            yield b"".join(block)
            block.clear()
    tail = b"".join(block)
    if not tail.endswith(_TRAILER):
        raise ValueError("a binary COPY stream without its end")
    if tail[:-2]:
        yield tail[:-2]


class _Stopped(Exception):
    """Another group failed: this one stops reading."""


def _put(blocks: queue.Queue, item: object, stop: threading.Event, force: bool = False) -> None:
    """Hand a block over; gives up when the batch is abandoned (unless `force`: the end marker)."""
    while True:
        try:
            blocks.put(item, timeout=0.5)
            return
        except queue.Full:
            if stop.is_set() and not force:
                raise _Stopped from None
