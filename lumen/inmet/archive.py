"""Reader for INMET's yearly historical archives (`dadoshistoricos/{YYYY}.zip`) and station CSVs.

A station CSV is 8 `LABEL:;value` metadata lines, one header line, then one row per
UTC hour: `;`-separated, decimal comma, a trailing `;`. Three eras exist:

- ≤2018: `DATA (YYYY-MM-DD);HORA (UTC)` → `2018-01-01;00:00`, `-9999` for missing;
- 2019:  `Data;Hora UTC` → `2019/01/01;0000 UTC`, empty for missing, `?` in labels;
- 2020+: as 2019, with ASCII labels.

Rows are never parsed value by value here: each chunk of lines is rewritten in one
regex pass into PostgreSQL COPY text (station, UTC timestamp, then the line exactly
as received), so values reach raw_data byte for byte and memory stays flat.
"""

from __future__ import annotations

import io
import logging
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, NoReturn

from lumen.inmet.guarded_open import ArchiveError, Limits, file_opener, zip_opener
from lumen.inmet.schema import ARCHIVE_LABELS, ARCHIVE_META_PREFIXES, fold
from lumen.vocabulary import STATION_CODE

log = logging.getLogger("lumen.ingest")
META_LINES = 8
CHUNK_BYTES = 256 << 10  # psycopg queues up to 1,024 writes: this bounds the queue at ~256 MiB
FILE_NAME = re.compile(
    r"INMET_(?P<region>[A-Z]{1,2})_(?P<uf>[A-Z]{2})_(?P<code>[A-Z][0-9]{3})_(?P<name>.*)_"
    r"(?P<start>\d\d-\d\d-\d{4})_A_(?P<end>\d\d-\d\d-\d{4})\.CSV$",
    re.IGNORECASE,
)
MAX_LINE_BYTES = 2048  # INMET's lines are < 500 bytes: a longer one is not INMET's (or has lost its newlines)
# date;hour at the start of each data line, for each era: whole UTC hours only (00–23, minutes 00)
_HOUR = rb"(?:[01]\d|2[0-3])"
_ROW_FORMATS = {
    "dash": rb"\d{4}-\d\d-\d\d;" + _HOUR + rb":00;",  # ≤2018: 2018-01-01;00:00;
    "slash": rb"\d{4}/\d\d/\d\d;" + _HOUR + rb"00 UTC;",  # 2019+: 2019/01/01;0000 UTC;
}
# the same shapes with any hour, to tell a bad hour from a line that is no row at all
_ANY_HOUR = re.compile(rb"^(?:\d{4}-\d\d-\d\d;(\d\d:\d\d);|\d{4}/\d\d/\d\d;(\d{4} UTC);)")
_ROW_START = {era: re.compile(rb"^" + fmt) for era, fmt in _ROW_FORMATS.items()}
# a whole chunk of such lines (one match per chunk: 4× faster than searching for a bad line)
_ROWS = {era: re.compile(rb"(?:" + fmt + rb"[^\n]*\n)*") for era, fmt in _ROW_FORMATS.items()}


class NotAStationFile(ArchiveError):
    """A CSV that does not start like an INMET station file at all (an API export, a spreadsheet)."""


@dataclass(frozen=True)
class ArchiveFile:
    """One station CSV: on disk, or a member of a ZIP (opened lazily, never extracted)."""

    name: str
    origin: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)

    def period(self) -> tuple[date, date] | None:
        """The period the file name claims (`…_01-01-2024_A_31-12-2024.CSV`)."""
        match = FILE_NAME.search(self.name)
        if not match:
            return None
        start, end = (datetime.strptime(match.group(g), "%d-%m-%Y").date() for g in ("start", "end"))
        return start, end

    def code(self) -> str | None:
        """The station code the file name claims (`INMET_S_PR_A807_…`)."""
        match = FILE_NAME.search(self.name)
        return match.group("code").upper() if match else None


@dataclass(frozen=True)
class Header:
    """What the 9 header lines say."""

    station_code: str
    meta: dict[str, str]  # region, uf, name, station_code, latitude, … exactly as written
    labels: dict[str, str]  # the metadata lines: label as written → value
    columns: tuple[str, ...]  # raw_data columns of the measurement fields, in file order
    trailing_separator: bool
    encoding: str  # "utf-8" or "latin-1"


def list_files(
    path: Path,
    stations: Iterable[str] = (),
    ufs: Iterable[str] = (),
    limits: Limits | None = None,
    skipped: list[str] | None = None,
) -> Iterator[ArchiveFile]:
    """Station CSVs in a ZIP, a folder or a single file, optionally only some stations or states.

    Filters match the file name (`INMET_S_PR_A807_…`, which INMET's archives always follow),
    so nothing outside the selection is decompressed; a CSV named otherwise is kept (its header
    decides). In a folder only regular files are read: a FIFO or a folder named `….CSV` is
    skipped, and said in `skipped` and a warning. A member too large, or inflating more than
    INMET's files do, is refused when it is opened, naming it (the others still load)."""
    limits = limits or Limits()
    wanted_codes = {s.strip().upper() for s in stations if s.strip()}
    wanted_ufs = {u.strip().upper() for u in ufs if u.strip()}

    def keep(name: str) -> bool:
        match = FILE_NAME.search(name)
        if match is None:
            return True
        if wanted_codes and match.group("code").upper() not in wanted_codes:
            return False
        return not (wanted_ufs and match.group("uf").upper() not in wanted_ufs)

    def skip(why: str) -> None:
        log.warning("%s", why)
        if skipped is not None:
            skipped.append(why)

    if not path.exists():
        raise ArchiveError(f"{path}: no such file or folder")
    if path.is_dir():
        for csv in sorted(p for p in path.rglob("*") if p.suffix.lower() == ".csv"):
            if not keep(csv.name):
                continue
            mode = csv.lstat().st_mode if not csv.is_symlink() else csv.stat().st_mode
            if not stat.S_ISREG(mode):
                skip(f"{csv}: skipped, not a regular file (a folder, a FIFO or a device)")
                continue
            yield ArchiveFile(csv.name, str(csv), file_opener(csv, limits))
        return
    if not stat.S_ISREG(path.stat().st_mode):
        raise ArchiveError(f"{path}: not a regular file (a FIFO or a device): give a ZIP, a folder or a CSV")
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArchiveError(f"{path}: not a readable ZIP archive ({exc})") from None
        with archive:
            members = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")]
        for info in members:
            name = info.filename.rsplit("/", 1)[-1]
            if keep(name):
                yield ArchiveFile(name, f"{path.name}!{info.filename}", zip_opener(path, info, limits))
        return
    if keep(path.name):
        yield ArchiveFile(path.name, str(path), file_opener(path, limits))


def read_header(stream: BinaryIO, origin: str) -> Header:
    """Consume and check the 8 metadata lines and the column header line."""
    first = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    if first[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in first:
        raise ArchiveError(
            f"{origin}: the file is UTF-16 (or another two-byte encoding); INMET's files are latin-1 or UTF-8: "
            "save it again as UTF-8 (or download it again) and load it"
        )
    raw_lines = [stream.readline(MAX_LINE_BYTES + 1) for _ in range(META_LINES + 1)]
    for lineno, raw_line in enumerate(raw_lines, start=1):
        if len(raw_line) > MAX_LINE_BYTES:
            raise ArchiveError(f"{origin}: line {lineno} is longer than {MAX_LINE_BYTES:,} bytes: not an INMET CSV")
    first_label = fold(raw_lines[0].decode("latin-1").partition(";")[0])
    if not first_label.startswith("REGI"):
        raise NotAStationFile(
            f"{origin}: not an INMET station file (its first line is "
            f"{raw_lines[0].decode('latin-1').strip()[:60]!r}, not `REGIAO:;…`)"
        )
    if not raw_lines[-1]:
        raise ArchiveError(f"{origin}: too short for an INMET station CSV (fewer than {META_LINES + 1} lines)")
    try:
        text = [raw.decode("utf-8") for raw in raw_lines]
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = [raw.decode("latin-1") for raw in raw_lines]
        encoding = "latin-1"
    labels: dict[str, str] = {}
    meta: dict[str, str] = {}
    for lineno, line in enumerate(text[:META_LINES], start=1):
        label, sep, value = line.rstrip("\r\n").partition(";")
        key = next((k for prefix, k in ARCHIVE_META_PREFIXES if fold(label).startswith(prefix)), None)
        if not sep or key is None or key in meta:
            raise ArchiveError(
                f"{origin}: line {lineno}: expected a `LABEL:;value` metadata line "
                f"(REGIAO, UF, ESTACAO, CODIGO (WMO), LATITUDE, LONGITUDE, ALTITUDE, DATA DE FUNDACAO), "
                f"found {line.strip()[:60]!r}"
            )
        labels[label] = value.rstrip(";")
        meta[key] = value.rstrip(";").strip()
    code = meta["station_code"].upper()
    if not STATION_CODE.match(code):
        raise ArchiveError(f"{origin}: line 4: {meta['station_code']!r} is not an automatic-station code (A807…)")
    fields = text[META_LINES].rstrip("\r\n").split(";")
    trailing = fields[-1] == ""
    if trailing:
        fields = fields[:-1]
    if len(fields) < 3 or not (fold(fields[0]).startswith("DATA") and fold(fields[1]).startswith("HORA")):
        raise ArchiveError(
            f"{origin}: line {META_LINES + 1}: expected the column header (Data;Hora UTC;…), "
            f"found {text[META_LINES].strip()[:60]!r}"
        )
    columns = []
    for label in fields[2:]:
        code_ = ARCHIVE_LABELS.get(fold(label))
        if code_ is None:
            raise ArchiveError(f"{origin}: line {META_LINES + 1}: unknown column {label!r} (not an INMET hourly field)")
        columns.append(code_.lower())
    if len(set(columns)) != len(columns):
        raise ArchiveError(f"{origin}: line {META_LINES + 1}: a column appears twice")
    return Header(code, meta, labels, tuple(columns), trailing, encoding)


def copy_escape(value: str, encoding: str = "utf-8") -> bytes:
    """A constant for COPY text format with `;` as delimiter, in the stream's encoding."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace("\n", "\\n").replace("\r", "\\r")
    return escaped.encode(encoding, errors="replace")


def copy_chunks(stream: BinaryIO, header: Header, prefix: bytes, origin: str) -> Iterator[bytes]:
    """COPY text rows: `prefix` + the UTC hour + `;` + the data line as received.

    The hour is written the way PostgreSQL reads it whatever the session's DateStyle and
    TimeZone, and parses fastest: `2019/01/01 0000+00` (2019+) or `2018-01-01 00:00+00`.
    The stream must be positioned after the header. Raises ArchiveError at the first line
    that is not an hourly row (with its line number in the file). Per chunk: one regex match
    in C checks every line, one split drops the trailing `;`, one list comprehension of
    slices writes the rows (a regex template would call back into Python for each line).
    """
    era: str | None = None
    lineno = META_LINES + 1  # lines consumed so far
    end = b";\n" if header.trailing_separator else b"\n"
    carry = b""
    while True:
        data = stream.read(CHUNK_BYTES)
        if data:
            data = carry + data
            cut = data.rfind(b"\n") + 1
            chunk, carry = data[:cut], data[cut:]
            if len(carry) > MAX_LINE_BYTES:
                at = lineno + chunk.count(b"\n") + 1
                raise ArchiveError(
                    f"{origin}: line {at} is longer than {MAX_LINE_BYTES:,} bytes "
                    "(INMET rows are < 500): not an hourly row, or the file lost its line ends"
                )
            if not chunk:
                continue
        elif carry:
            _check_last_line(carry, header, lineno + 1, origin)
            chunk, carry = carry + b"\n", b""
        else:
            break
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n")
        if era is None:
            chunk = chunk.lstrip(b"\n")
            if not chunk:
                continue
            era = next((e for e, start in _ROW_START.items() if start.match(chunk)), None)
            if era is None:
                _raise_bad_line(chunk, None, lineno, origin)
        if not _ROWS[era].fullmatch(chunk):
            chunk = re.sub(rb"(?m)^\n", b"", chunk)  # blank lines carry no hour
            if not _ROWS[era].fullmatch(chunk):
                _raise_bad_line(chunk, era, lineno, origin)
            if not chunk:
                continue
        rows = chunk.split(end)
        rows.pop()  # after the last line end
        lineno += len(rows)
        if era == "slash":  # 2019/01/01;0000 UTC; → 2019/01/01 0000+00
            stamped = [b"%b %b+00;%b" % (r[:10], r[11:15], r) for r in rows]
        else:  # 2018-01-01;00:00; → 2018-01-01 00:00+00
            stamped = [b"%b %b+00;%b" % (r[:10], r[11:16], r) for r in rows]
        yield prefix + (b"\n" + prefix).join(stamped) + b"\n"


def iso_hour(stamp: str) -> str:
    """A stamp written by copy_chunks as ISO 8601 UTC: `2019-01-01 00:00:00+00`."""
    day, hour = stamp[:10].replace("/", "-"), stamp[11:16].replace(":", "")
    return f"{day} {hour[:2]}:{hour[2:4]}:00+00"


def _check_last_line(line: bytes, header: Header, lineno: int, origin: str) -> None:
    """A file that ends without a line end: its last line must still be whole."""
    want = 2 + len(header.columns) + header.trailing_separator
    got = line.rstrip(b"\r").count(b";") + 1
    if line.strip() and got < want:
        raise ArchiveError(
            f"{origin}: line {lineno} is cut short ({got} of {want} fields, and the file ends there): "
            "a truncated file? download it again"
        )


_ERA_SHAPES = {"dash": "YYYY-MM-DD;HH:MM (≤2018)", "slash": "YYYY/MM/DD;HHMM UTC (2019 on)"}


def _raise_bad_line(chunk: bytes, era: str | None, first: int, origin: str) -> NoReturn:
    for offset, line in enumerate(chunk.split(b"\n")):
        if era is None or not _ROW_START[era].match(line):
            shown = line.decode("latin-1")[:70]
            other = next((e for e, start in _ROW_START.items() if e != era and start.match(line)), None)
            if era is not None and other is not None:
                raise ArchiveError(
                    f"{origin}: line {first + offset + 1}: the date and hour are written {_ERA_SHAPES[other]}, "
                    f"the rows before it {_ERA_SHAPES[era]}: a file mixing two formats (re-saved by hand?); "
                    f"found {shown!r}"
                )
            if bad := _ANY_HOUR.match(line):
                hour = (bad.group(1) or bad.group(2)).decode()
                raise ArchiveError(
                    f"{origin}: line {first + offset + 1}: hour {hour!r} is not a whole UTC hour "
                    f"(00-23, minutes 00), found {shown!r}"
                )
            raise ArchiveError(
                f"{origin}: line {first + offset + 1}: not an hourly row "
                f"(expected `YYYY/MM/DD;HHMM UTC;…` or `YYYY-MM-DD;HH:MM;…`), found {shown!r}"
            )
    raise ArchiveError(f"{origin}: unreadable rows after line {first}")  # pragma: no cover


def check_identity(file: ArchiveFile, header: Header) -> None:
    """The station the file name names must be the one its header names."""
    named = file.code()
    if named is not None and named != header.station_code:
        raise ArchiveError(
            f"{file.origin}: the file name says station {named}, its header (CODIGO (WMO)) says "
            f"{header.station_code}: nothing of it was loaded"
        )


def read_records(file: ArchiveFile) -> tuple[Header, list[dict[str, str]]]:
    """Every row of one station CSV as {column: text as received}, through the same transform
    the loader uses (for tests, notebooks and small files; the loader streams instead)."""
    with file.opener() as raw:
        stream = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
        header = read_header(stream, file.origin)
        check_identity(file, header)
        names = ["station_code", "observed_at", "dt_medicao", "hr_medicao", *header.columns]
        prefix = copy_escape(header.station_code) + b";"
        rows = []
        for chunk in copy_chunks(stream, header, prefix, file.origin):
            for line in chunk.decode(header.encoding).splitlines():
                values = line.split(";")
                if len(values) != len(names):
                    raise ArchiveError(f"{file.origin}: a row has {len(values) - 4} values, expected {len(names) - 4}")
                row = dict(zip(names, values, strict=True))
                row["observed_at"] = iso_hour(row["observed_at"])
                rows.append(row)
    return header, rows
