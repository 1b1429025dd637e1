"""Open a portfolio container and hand out one lazy, all-strings frame per file.

Containers: a directory of CSV files, a .zip of one, or an .xlsx workbook (one sheet per file). CSV encodings:
UTF-8, UTF-8 with BOM, and GB18030/GBK (what Chinese Excel writes), detected from the bytes. Large files are never
loaded whole: CSV is scanned lazily, GB18030 is transcoded to UTF-8 in a streaming pass, zip members are
extracted in chunks.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from arrears.portfolio.interchange.spec import FILES_BY_NAME

ROW = "_row"  # the line number a person sees in the file (header = 1)
SNIFF_BYTES = 1 << 20
CHUNK = 1 << 22


class ContainerError(Exception):
    """The portfolio as a whole cannot be read (not a directory/zip/xlsx, empty, unreadable)."""


@dataclass
class SourceFile:
    name: str  # file name without extension, e.g. "loans"
    display: str  # as shown in errors, e.g. "loans.csv"
    frame: pl.LazyFrame | None  # None: present but empty (0 bytes)
    columns: list[str]


def detect_encoding(path: Path) -> str:
    """'utf-8' (with or without BOM) or 'gb18030'. UTF-8 is tried first: valid GB18030 text is rarely valid UTF-8."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        try:
            codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        except UnicodeDecodeError as exc:
            raise ContainerError(f"{path.name}: not UTF-8 or GB18030 text") from exc
        return "gb18030"
    return "utf-8"


def _transcode_to_utf8(path: Path, workdir: Path) -> Path:
    target = workdir / f"{path.stem}.utf8.csv"
    with (
        path.open("r", encoding="gb18030", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        shutil.copyfileobj(src, dst, CHUNK)
    return target


def _normalise_header(names: list[str]) -> list[str]:
    return [n.strip().lower() for n in names]


def _scan_csv(path: Path, workdir: Path) -> tuple[pl.LazyFrame, list[str]]:
    if detect_encoding(path) == "gb18030":
        path = _transcode_to_utf8(path, workdir)
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise ContainerError(f"{path.name}: cannot be read as CSV ({exc})") from exc
    columns = _normalise_header(header)
    frame = pl.scan_csv(
        path,
        infer_schema=False,
        new_columns=columns,
        row_index_name=ROW,
        row_index_offset=2,
    )
    return frame, columns


def _cell_to_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> Iterator[SourceFile]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise ContainerError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    for sheet_name in workbook.sheet_names:
        name = sheet_name.strip().lower().removesuffix(".csv")
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        display = f"{path.name}[{sheet_name}]"
        if not rows:
            yield SourceFile(name, display, None, [])
            continue
        columns = _normalise_header([str(c or "") for c in rows[0]])
        body = [[_cell_to_text(v) for v in row] for row in rows[1:]]
        data = {col: [r[i] if i < len(r) else None for r in body] for i, col in enumerate(columns)}
        frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)).with_row_index(ROW, offset=2)
        yield SourceFile(name, display, frame.lazy(), columns)


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _extract_csv_members(path: Path, workdir: Path) -> Path:
    """Extract the .csv members (flattened to their base names, so no path can escape `workdir`)."""
    target = workdir / "unzipped"
    target.mkdir()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            base = Path(info.filename).name
            if info.is_dir() or not base.lower().endswith(".csv") or base.startswith("._"):
                continue
            with zf.open(info) as src, (target / base).open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
    return target


def _read_directory(directory: Path, workdir: Path) -> Iterator[SourceFile]:
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        name = path.stem.strip().lower()
        if name not in FILES_BY_NAME:
            continue
        if path.stat().st_size == 0:
            yield SourceFile(name, path.name, None, [])
            continue
        frame, columns = _scan_csv(path, workdir)
        yield SourceFile(name, path.name, frame, columns)


@contextlib.contextmanager
def open_portfolio(source: Path) -> Iterator[list[SourceFile]]:
    """The files of a portfolio, whatever the container. Temporary files live until the block ends."""
    if not source.exists():
        raise ContainerError(f"{source}: no such file or directory")
    with tempfile.TemporaryDirectory(prefix="arrears-import-") as tmp:
        workdir = Path(tmp)
        if source.is_dir():
            yield list(_read_directory(source, workdir))
            return
        if source.stat().st_size == 0:
            raise ContainerError(f"{source.name}: the file is empty")
        with source.open("rb") as fh:
            magic = fh.read(4)
        if magic == b"PK\x03\x04":
            if _is_xlsx(source):
                yield list(_read_xlsx(source))
            else:
                try:
                    yield list(_read_directory(_extract_csv_members(source, workdir), workdir))
                except zipfile.BadZipFile as exc:
                    raise ContainerError(f"{source.name}: damaged zip archive ({exc})") from exc
            return
        if source.suffix.lower() == ".csv":
            raise ContainerError(
                f"{source.name}: a portfolio is several files (borrowers.csv, loans.csv, …); "
                "give the directory that holds them, a .zip of it, or an .xlsx workbook"
            )
        raise ContainerError(
            f"{source.name}: not a portfolio; expected a directory of CSV files, a .zip or an .xlsx workbook"
        )
