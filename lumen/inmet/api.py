"""Client for INMET's API (`apitempo.inmet.gov.br`).

- `/estacoes/T` and `/estacoes/M`: the automatic and manual station lists (open);
- `/estacao/{ini}/{fim}/{CODE}`: hourly observations (open routes answer 204 today),
- `/token/estacao/{ini}/{fim}/{CODE}/{TOKEN}` with `INMET_TOKEN`.

Every value arrives as a string or null; `HR_MEDICAO` is "HHMM" UTC. A 204 (or an empty
body) means "no data". The API refuses clients without a browser-like User-Agent
(403). Retries with backoff on 5xx, connection errors and timeouts come from
urllib3's `Retry`; long ranges are split into chunks of ≤ 365 days, at most 4
requests in flight. The token never appears in a message or a log line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lumen.errors import LumenError
from lumen.inmet.schema import API_KNOWN_FIELDS

log = logging.getLogger("lumen.inmet")

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 lumen/0.1"
)
MAX_DAYS = 365
MAX_IN_FLIGHT = 4


class InmetApiError(LumenError):
    """INMET answered with something other than data (or did not answer)."""


class InmetAuthError(InmetApiError):
    """401/403: the token is missing or refused."""


@dataclass(frozen=True)
class Chunk:
    station_code: str
    start: date
    end: date
    origin: str  # the URL, token hidden
    records: list[dict]
    error: str | None = None  # why this station's answer could not be had (the others go on)


def chunk_ranges(start: date, end: date, max_days: int = MAX_DAYS) -> list[tuple[date, date]]:
    """[start, end] split into inclusive ranges of at most `max_days` days."""
    if end < start:
        raise InmetApiError(f"the range ends ({end}) before it starts ({start})")
    out = []
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=max_days - 1))
        out.append((cursor, stop))
        cursor = stop + timedelta(days=1)
    return out


def unknown_fields(records: Iterable[dict]) -> set[str]:
    """Fields this version of LÚMEN does not know (kept in raw, reported as a warning)."""
    return {key for rec in records for key in rec} - API_KNOWN_FIELDS


def _timed_out(exc: requests.RequestException) -> bool:
    """A timeout, also when urllib3 gave up retrying one (MaxRetryError wrapping a ReadTimeoutError)."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError))


def client_from_settings(settings) -> InmetClient:
    """A client configured from INMET_API_URL, INMET_TOKEN and INMET_TIMEOUT."""
    token = settings.inmet_token.get_secret_value() if settings.inmet_token else None
    return InmetClient(settings.inmet_api_url, token=token, timeout_s=settings.inmet_timeout_s)


class InmetClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_in_flight = max(1, min(max_in_flight, MAX_IN_FLIGHT))
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff_s,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=MAX_IN_FLIGHT)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # -------------------------------------------------------------- routes ----
    def stations(self, kind: str = "T") -> list[dict]:
        """`/estacoes/T` (automatic) or `/estacoes/M` (manual)."""
        if kind not in ("T", "M"):
            raise InmetApiError(f"station kind must be T (automatic) or M (manual), not {kind!r}")
        data = self._get_json(f"/estacoes/{kind}")
        if data is None:
            return []
        if not isinstance(data, list):
            raise InmetApiError(f"{self._shown(f'/estacoes/{kind}')}: expected a JSON list of stations")
        return data

    def observation_path(self, code: str, start: date, end: date) -> str:
        if self._token:
            return f"/token/estacao/{start:%Y-%m-%d}/{end:%Y-%m-%d}/{code}/{self._token}"
        return f"/estacao/{start:%Y-%m-%d}/{end:%Y-%m-%d}/{code}"

    def observations(self, code: str, start: date, end: date) -> Iterator[Chunk]:
        """Hourly records for one station, a chunk (≤ 365 days) at a time; a failed answer raises."""
        for chunk in self.observations_many([code], start, end):
            if chunk.error:
                raise InmetApiError(chunk.error)
            yield chunk

    def observations_many(self, codes: Iterable[str], start: date, end: date) -> Iterator[Chunk]:
        """Hourly records for many stations; at most 4 requests in flight, chunks in order.

        A station whose answer fails (after retries) comes back as a Chunk with `error` set and no
        records, so one station's fault never takes the others down; a refused token (401/403) is
        every station's fault and raises InmetAuthError."""
        jobs = [(code.strip().upper(), a, b) for code in codes for a, b in chunk_ranges(start, end)]
        with ThreadPoolExecutor(max_workers=self.max_in_flight) as pool:
            yield from pool.map(lambda job: self._chunk_or_error(*job), jobs)

    def _chunk_or_error(self, code: str, start: date, end: date) -> Chunk:
        try:
            return self._chunk(code, start, end)
        except InmetAuthError:
            raise
        except InmetApiError as exc:
            return Chunk(code, start, end, self._shown(self.observation_path(code, start, end)), [], str(exc))

    def _chunk(self, code: str, start: date, end: date) -> Chunk:
        path = self.observation_path(code, start, end)
        data = self._get_json(path)
        if data is None:
            data = []
        if not isinstance(data, list):
            raise InmetApiError(
                f"{self._shown(path)}: expected a JSON list of hourly records, got {type(data).__name__}"
            )
        if extra := unknown_fields(data):
            log.warning("%s: fields unknown to LÚMEN kept in raw_data.other: %s", code, ", ".join(sorted(extra)))
        return Chunk(code, start, end, self._shown(path), data)

    # ---------------------------------------------------------------- HTTP ----
    def _shown(self, path: str) -> str:
        url = self.base_url + path
        return url.replace(self._token, "***") if self._token else url

    def _get_json(self, path: str) -> list | dict | None:
        shown = self._shown(path)
        try:
            resp = self.session.get(self.base_url + path, timeout=self.timeout_s, stream=True)
            with resp:
                body = self._body(resp, shown) if resp.status_code < 300 else b""
        except requests.RequestException as exc:
            if not _timed_out(exc):
                reason = str(exc).replace(self._token, "***") if self._token else str(exc)
                raise InmetApiError(f"{shown}: cannot reach INMET ({type(exc).__name__}: {reason[:160]})") from None
            raise InmetApiError(f"{shown}: no answer within {self.timeout_s:g} s ({self.retries + 1} tries)") from None
        if resp.status_code == 204:
            return None
        if resp.status_code in (401, 403):
            hint = "set INMET_TOKEN in .env" if not self._token else "check INMET_TOKEN"
            raise InmetAuthError(f"INMET token missing or refused (HTTP {resp.status_code} for {shown}): {hint}")
        if resp.status_code == 404:
            raise InmetApiError(f"{shown}: HTTP 404, no such route (check INMET_API_URL and the station code)")
        if resp.status_code >= 400:
            raise InmetApiError(f"{shown}: HTTP {resp.status_code} after {self.retries + 1} tries")
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            kind = "an HTML page" if body.lstrip()[:1] == b"<" else "not valid JSON (truncated?)"
            raise InmetApiError(f"{shown}: the answer is {kind}; first bytes: {body[:80]!r}") from None

    def _body(self, resp: requests.Response, shown: str) -> bytes:
        """The whole body within INMET_TIMEOUT of the answer starting: a server that trickles
        (a byte every few seconds, each read inside the per-read timeout) is cut off, not waited on."""
        deadline = time.monotonic() + self.timeout_s
        parts = []
        while part := resp.raw.read1(64 << 10, decode_content=True):  # what has arrived (read() waits for all)
            parts.append(part)
            if time.monotonic() > deadline:
                raise InmetApiError(
                    f"{shown}: the answer did not arrive whole within {self.timeout_s:g} s (the server sends too "
                    "slowly; raise INMET_TIMEOUT or try later)"
                )
        return b"".join(parts)
