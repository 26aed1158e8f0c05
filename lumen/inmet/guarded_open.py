"""Opening a station CSV, on disk or inside a ZIP, within limits that fit INMET's files: a member that
declares, or once read grows, beyond them is refused within seconds, naming it; a damaged member
says to download the archive again."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lumen.config import Settings
from lumen.errors import LumenError

# What fits INMET: a station-year CSV is < 1 MiB and compresses 4-20×, a dead station's empty rows
# ~60× at most. A member declaring (or, read, growing) beyond these is refused within seconds: a
# 1.5 MB ZIP of blank lines inflating to 1.5 GiB was accepted after 132 s (#26). Both are settings
# (LUMEN_ARCHIVE_MAX_MEMBER_MB, LUMEN_ARCHIVE_MAX_RATIO), whose defaults (16 MiB, 200×) live in config.py.
MAX_MEMBER_BYTES = int(Settings.model_fields["archive_max_member_mb"].default * (1 << 20))
MAX_RATIO = float(Settings.model_fields["archive_max_ratio"].default)


class ArchiveError(LumenError):
    """An archive or CSV that is not what INMET publishes; the message names the file and line."""


@dataclass(frozen=True)
class Limits:
    """How large a station CSV may be, uncompressed, and how much a ZIP member may inflate."""

    max_member_bytes: int = MAX_MEMBER_BYTES
    max_ratio: float = MAX_RATIO

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(int(settings.archive_max_member_mb * (1 << 20)), settings.archive_max_ratio)


class _Capped(io.RawIOBase):
    """A stream that raises ArchiveError once more than `limit` bytes have come out of it: a member
    whose declared size lies still stops at the limit."""

    def __init__(self, stream: BinaryIO, limit: int, origin: str) -> None:
        self._stream, self._left, self._limit, self._origin = stream, limit, limit, origin

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._stream.read(min(len(buffer), self._left + 1))
        except (zlib.error, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ArchiveError(
                f"{self._origin}: the ZIP member is damaged ({exc}): download the archive again"
            ) from None
        if len(data) > self._left:
            raise ArchiveError(
                f"{self._origin}: larger than {self._limit >> 20} MiB uncompressed (a station-year CSV is < 1 MiB): "
                "not an INMET station file; refused (LUMEN_ARCHIVE_MAX_MEMBER_MB raises the limit)"
            )
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def file_opener(path: Path, limits: Limits) -> Callable[[], BinaryIO]:
    def open_file() -> BinaryIO:
        size = path.stat().st_size
        if size > limits.max_member_bytes:
            raise ArchiveError(
                f"{path}: {size:,} bytes, more than {limits.max_member_bytes >> 20} MiB (a station-year CSV is "
                "< 1 MiB): not an INMET station file; refused (LUMEN_ARCHIVE_MAX_MEMBER_MB raises the limit)"
            )
        return io.BufferedReader(_Capped(path.open("rb"), limits.max_member_bytes, str(path)))

    return open_file


def zip_opener(path: Path, info: zipfile.ZipInfo, limits: Limits) -> Callable[[], BinaryIO]:
    origin = f"{path}!{info.filename}"

    def open_member() -> BinaryIO:
        if info.file_size > limits.max_member_bytes:
            raise ArchiveError(
                f"{origin}: declares {info.file_size:,} bytes uncompressed, more than "
                f"{limits.max_member_bytes >> 20} MiB (a station-year CSV is < 1 MiB): refused "
                "(LUMEN_ARCHIVE_MAX_MEMBER_MB raises the limit)"
            )
        ratio = info.file_size / max(1, info.compress_size)
        if ratio > limits.max_ratio:
            raise ArchiveError(
                f"{origin}: inflates {ratio:,.0f}× (INMET's files: 4-60×): a ZIP bomb or not a station file; "
                "refused (LUMEN_ARCHIVE_MAX_RATIO raises the limit)"
            )
        try:
            archive = zipfile.ZipFile(path)
            member = archive.open(info.filename)
        except (zipfile.BadZipFile, OSError, KeyError, zlib.error) as exc:
            raise ArchiveError(f"{origin}: cannot read it from the ZIP ({exc}): download the archive again") from None
        return io.BufferedReader(_Capped(member, limits.max_member_bytes, origin))  # type: ignore[arg-type]

    return open_member
