"""The database back into the interchange format: a directory of CSV files, a .zip, or an .xlsx workbook.

What was handed in comes back out: generated schedules are left out (the loan's terms regenerate them), extra
columns are expanded back into columns, amounts are yuan strings with two decimals.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import polars as pl

from arrears.portfolio.interchange import store
from arrears.portfolio.interchange.spec import FILES, FileSpec, Kind
from arrears.portfolio.interchange.text import rate_text, yuan_text


def to_interchange(spec: FileSpec, rows: pl.DataFrame) -> pl.DataFrame:
    """Table rows (canonical form) as the strings of the file."""
    exprs = []
    for column in spec.columns:
        match column.kind:
            case Kind.MONEY:
                expr = yuan_text(pl.col(column.target))
            case Kind.RATE:
                expr = rate_text(pl.col(column.target))
            case Kind.DATE:
                expr = pl.col(column.target).dt.to_string("%Y-%m-%d")
            case Kind.BOOL:
                expr = pl.col(column.target).cast(pl.Int8).cast(pl.String)
            case _:
                expr = pl.col(column.target).cast(pl.String)
        exprs.append(expr.alias(column.name))
    frame = rows.select(*exprs, pl.col("extra"))
    extras = [e for e in frame["extra"].unique().to_list() if e and e != "{}"]
    if extras:
        decoded = frame["extra"].str.json_decode(infer_schema_length=None)
        if isinstance(decoded.dtype, pl.Struct):
            unpacked = decoded.struct.unnest()
            frame = pl.concat([frame, unpacked.cast(pl.String)], how="horizontal")
    return frame.drop("extra").sort(list(spec.key))


def portfolio_frames() -> dict[str, pl.DataFrame]:
    frames = {}
    generated: pl.Series | None = None
    for spec in FILES:
        rows = store.read_rows(spec)
        if spec.name == "loans":
            generated = rows.filter(pl.col("schedule_generated"))["loan_id"]
        if spec.name == "schedules" and generated is not None:
            rows = rows.filter(~pl.col("loan_id").is_in(generated.implode()))
        frames[spec.name] = to_interchange(spec, rows)
    return frames


def write_frames(frames: dict[str, pl.DataFrame], out: Path) -> Path:
    """Write to `out`: an .xlsx workbook, a .zip of CSV files, or else a directory of CSV files."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(str(out)) as workbook:
            for name, frame in frames.items():
                frame.write_excel(workbook, worksheet=name, autofit=False, dtype_formats={pl.String: "@"})
        return out
    if suffix == ".zip":
        with tempfile.TemporaryDirectory() as tmp:
            directory = write_frames(frames, Path(tmp) / out.stem)
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(directory.iterdir()):
                    zf.write(path, arcname=f"{out.stem}/{path.name}")
        return out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.write_csv(out / f"{name}.csv")
    return out


def export_portfolio(out: Path) -> dict[str, int]:
    frames = portfolio_frames()
    write_frames(frames, out)
    return {name: frame.height for name, frame in frames.items()}
