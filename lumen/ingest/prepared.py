"""Station CSVs read and rewritten into COPY rows, a few files ahead of the one loading."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lumen.errors import LumenError
from lumen.ingest.batches import LoadStats
from lumen.inmet import archive

PREFETCH_FILES = 2  # station CSVs read ahead of the one loading


@dataclass
class Job:
    """A station CSV to load, and the raw_data.loads id its rows will carry."""

    file: archive.ArchiveFile
    load_id: int


@dataclass
class Prepared:
    """One station CSV read and rewritten into COPY rows (or the error that stopped it)."""

    job: Job
    header: archive.Header | None = None
    chunks: list[bytes] = field(default_factory=list)
    error: Exception | None = None

    @property
    def rows(self) -> int:
        return sum(chunk.count(b"\n") for chunk in self.chunks)

    @property
    def origin(self) -> str:
        return self.job.file.origin

    def checked(self) -> archive.Header:
        """The file's header; the error met while reading it ahead is raised now, at its turn."""
        if self.error is not None:
            raise self.error
        assert self.header is not None
        return self.header

    def verdict(self) -> LoadStats | None:
        """None when the file can load; else its stats saying why it is refused (a bad file) or skipped
        (a CSV in a folder or ZIP that is not an INMET station file at all)."""
        if self.error is None:
            return None
        code = self.job.file.code() or "?"
        if isinstance(self.error, archive.NotAStationFile) and self.job.file.code() is None:
            return LoadStats(code, self.origin, skipped=f"{self.error}: skipped")
        if isinstance(self.error, LumenError):
            return LoadStats(code, self.origin, refused=str(self.error))
        message = str(self.error).strip().splitlines()[0][:200] if str(self.error).strip() else ""
        return LoadStats(
            code, self.origin, refused=f"{self.origin}: unreadable ({type(self.error).__name__}: {message})"
        )

    def columns(self) -> tuple[str, ...]:
        assert self.header is not None
        return ("source", "station_code", "load_id", "observed_at", "dt_medicao", "hr_medicao", *self.header.columns)


def prepare(job: Job) -> Prepared:
    try:
        period = job.file.period()
        if period is not None and period[0] > datetime.now(UTC).date():
            raise archive.ArchiveError(
                f"{job.file.origin}: its name's period starts {period[0]:%d-%m-%Y}, in the future: not a file INMET "
                "has published; refused"
            )
        with job.file.opener() as raw:
            stream = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
            header = archive.read_header(stream, job.file.origin)
            archive.check_identity(job.file, header)
            prefix = (
                b";".join((b"archive", archive.copy_escape(header.station_code, header.encoding), b"%d" % job.load_id))
                + b";"
            )
            return Prepared(job, header, list(archive.copy_chunks(stream, header, prefix, job.file.origin)))
    except Exception as exc:  # raised when this file's turn to load comes, like a reading error would be
        return Prepared(job, error=exc)


def prefetched(jobs: list[Job]) -> Iterator[Prepared]:
    """The jobs, prepared in order by a thread that keeps PREFETCH_FILES files ahead, so
    Python's work and PostgreSQL's overlap. Memory holds those few files (a station-year is
    ~1.9 MB of COPY rows), whatever the number of files. Errors come back inside Prepared."""
    pending = iter(jobs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lumen-read") as reader:
        ahead: deque[Future[Prepared]] = deque()

        def read_next() -> None:
            job = next(pending, None)
            if job is not None:
                ahead.append(reader.submit(prepare, job))

        for _ in range(max(1, PREFETCH_FILES)):
            read_next()
        try:
            while ahead:
                prepared = ahead.popleft().result()
                read_next()
                yield prepared
        finally:
            for future in ahead:
                future.cancel()
