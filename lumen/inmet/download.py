"""Download INMET's yearly archive ZIPs into `data/cache/` — resumable, and reused once complete."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from tqdm import tqdm

from lumen.errors import LumenError
from lumen.inmet.api import USER_AGENT

BLOCK = 64 << 10  # a broken connection loses at most one block
ATTEMPTS = 4  # tries per download (each resumes the last), 1 s, 2 s, 4 s apart


class DownloadError(LumenError):
    """The archive could not be fetched (the partial file is kept for the next try)."""


FIRST_YEAR = 2000  # INMET's automatic stations, and so its yearly archives, begin in 2000


def check_year(year: int, today: date | None = None) -> int:
    """A year INMET's archive can hold (2000 … this year), or DownloadError before any request."""
    today = today or datetime.now(UTC).date()
    if not FIRST_YEAR <= year <= today.year:
        raise DownloadError(
            f"{year}: INMET's yearly archives cover {FIRST_YEAR} … {today.year} (the automatic stations began in "
            f"{FIRST_YEAR}); give a year in that range, or a ZIP, folder or CSV path"
        )
    return year


def archive_url(base_url: str, year: int) -> str:
    return f"{base_url.rstrip('/')}/{year}.zip"


def fetch_year(base_url: str, year: int, cache_dir: Path, timeout_s: float = 60.0, progress: bool = True) -> Path:
    """`{cache_dir}/{year}.zip`, downloading (or resuming) it when not complete already. A broken
    connection or a 5xx is retried (resuming where it stopped) with backoff, ATTEMPTS tries in all."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{year}.zip"
    if target.exists() and zipfile.is_zipfile(target):
        return target
    part = target.with_suffix(".zip.part")
    url = archive_url(base_url, year)
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=1, max=30),
        retry=retry_if_exception_type(Interrupted),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                _fetch(url, part, year, timeout_s, progress)
    except Interrupted as exc:
        raise DownloadError(f"{url}: {exc} after {ATTEMPTS} tries; run again to resume") from None
    if not zipfile.is_zipfile(part):
        raise DownloadError(f"{url}: the download is not a ZIP archive (kept as {part} for inspection)")
    part.rename(target)
    return target


class Interrupted(Exception):
    """One try broke off (connection, timeout, 5xx): the next resumes from the partial file."""


def _fetch(url: str, part: Path, year: int, timeout_s: float, progress: bool) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, **({"Range": f"bytes={have}-"} if have else {})}
    try:
        with requests.get(url, headers=headers, stream=True, timeout=timeout_s) as resp:
            if resp.status_code == 416:  # the partial file is already whole
                return
            if resp.status_code >= 500:
                raise Interrupted(f"HTTP {resp.status_code}")
            if resp.status_code not in (200, 206):
                raise DownloadError(f"{url}: HTTP {resp.status_code}")
            if resp.status_code == 200:
                have = 0  # the server ignored Range: start over
            total = int(resp.headers.get("Content-Length", 0)) + have or None
            with (
                part.open("ab" if have else "wb") as out,
                tqdm(
                    total=total, initial=have, unit="B", unit_scale=True, desc=f"{year}.zip", disable=not progress
                ) as bar,
            ):
                for block in resp.iter_content(BLOCK):
                    out.write(block)
                    bar.update(len(block))
    except requests.RequestException as exc:
        raise Interrupted(f"download interrupted ({type(exc).__name__})") from None
