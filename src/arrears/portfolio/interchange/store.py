"""Bulk reads and writes of portfolio tables: set-based, never one query per row.

Writes go through a staging path per backend: PostgreSQL COPYs rows into a temporary table and upserts from it
in one statement; SQLite upserts with `executemany`. Values are canonicalised (fen integers, rate millionths,
ISO dates, canonical JSON) so that comparing a file with the database finds exactly the rows that changed.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
from django.db import connection

from arrears.portfolio.interchange.spec import FileSpec, Kind
from arrears.portfolio.interchange.text import rate_text
from arrears.portfolio.schedules import RATE_SCALE

FETCH = 100_000
COPY_CHUNK = 200_000
SQLITE_BATCH = 50_000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


# --- reading ----------------------------------------------------------------------------------------------


def _fetch(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            frames.append(pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None))
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical_relaxed")


def distinct_values(table: str, column: str) -> pl.Series:
    frame = _fetch(f"SELECT DISTINCT {q(column)} FROM {q(table)}", [], {column: pl.String})
    return frame[column].cast(pl.String)


def table_is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {q(table)} LIMIT 1")
        return cursor.fetchone() is None


def target_dtypes(spec: FileSpec) -> dict[str, Any]:
    kinds = {
        Kind.MONEY: pl.Int64,
        Kind.RATE: pl.Int64,
        Kind.DATE: pl.Date,
        Kind.INT: pl.Int64,
        Kind.BOOL: pl.Boolean,
    }
    dtypes: dict[str, Any] = {c.target: kinds.get(c.kind, pl.String) for c in spec.columns}
    dtypes["extra"] = pl.String
    for name in spec.derived:
        dtypes[name] = pl.Boolean
    return dtypes


def read_rows(spec: FileSpec) -> pl.DataFrame:
    """Every row of a portfolio table in the canonical form that `to_target` gives an import."""
    dtypes = target_dtypes(spec)
    rate_columns = {c.target for c in spec.columns if c.kind == Kind.RATE}
    select = []
    for name in dtypes:
        if name in rate_columns:
            select.append(f"CAST(ROUND({q(name)} * {RATE_SCALE}) AS BIGINT)")
        elif name == "extra" and is_postgres():
            select.append(f"CAST({q(name)} AS TEXT)")
        else:
            select.append(q(name))
    if spec.has_surrogate_id:
        select.append(q("id"))
        dtypes = {**dtypes, "id": pl.Int64}
    frame = _fetch(f"SELECT {', '.join(select)} FROM {q(spec.table)}", [], dtypes)
    casts = []
    for name, dtype in dtypes.items():
        if dtype == pl.Date and frame.schema[name] == pl.String:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d"))
        else:
            casts.append(pl.col(name).cast(dtype))
    frame = frame.with_columns(casts)
    return frame.with_columns(
        pl.when(pl.col("extra") == "{}")
        .then(pl.col("extra"))
        .otherwise(pl.col("extra").map_elements(canonical_json, return_dtype=pl.String))
        .alias("extra")
    )


def canonical_json(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def to_target(spec: FileSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Validated import rows renamed to table columns, in the canonical form of `read_rows`."""
    dtypes = target_dtypes(spec)
    renamed = frame.rename({c.name: c.target for c in spec.columns if c.name != c.target})
    if "extra" in renamed.columns:
        renamed = renamed.with_columns(pl.col("extra").fill_null("{}"))
    else:  # no extra columns: "{}" is added chunk by chunk when written (`_db_ready`), not for every row here
        dtypes.pop("extra")
    return renamed.select([pl.col(n).cast(t) for n, t in dtypes.items()])


# --- change detection -------------------------------------------------------------------------------------


def key_columns(spec: FileSpec) -> list[str]:
    return [spec.column(k).target for k in spec.key]


def classify(spec: FileSpec, new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
    """`new` with a `_change` column: created, updated or unchanged (compared with `old`)."""
    keys = key_columns(spec)
    if "extra" not in new.columns:
        new = new.with_columns(pl.lit("{}").alias("extra"))
    values = [c for c in new.columns if c not in keys]
    joined = new.join(
        old.select([*keys, *values]).with_columns(pl.lit(True).alias("_found")),
        on=keys,
        how="left",
        suffix="_old",
        maintain_order="left",
    )
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in values])
    return joined.with_columns(
        pl.when(pl.col("_found").is_null())
        .then(pl.lit("created"))
        .when(differs)
        .then(pl.lit("updated"))
        .otherwise(pl.lit("unchanged"))
        .alias("_change")
    ).drop([f"{c}_old" for c in values] + ["_found"])


def changed_fields(
    spec: FileSpec, updated: pl.DataFrame, old: pl.DataFrame
) -> Iterator[tuple[str, dict, dict]]:
    """(object id, before, after) with only the fields that changed: the audit trail of an update."""
    keys = key_columns(spec)
    values = [c for c in updated.columns if c not in keys and c != "_change"]
    joined = updated.join(old, on=keys, how="left", suffix="_old")
    for row in joined.iter_rows(named=True):
        object_id = "/".join(str(row[k]) for k in keys)
        before, after = {}, {}
        for column in values:
            if row[column] != row[f"{column}_old"]:
                before[column] = _jsonable(row[f"{column}_old"])
                after[column] = _jsonable(row[column])
        yield object_id, before, after


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- writing ----------------------------------------------------------------------------------------------


def _db_ready(spec: FileSpec, frame: pl.DataFrame) -> pl.DataFrame:
    if "extra" not in frame.columns:
        frame = frame.with_columns(pl.lit("{}").alias("extra"))
    rates = {c.target for c in spec.columns if c.kind == Kind.RATE}
    return frame.with_columns(rate_text(pl.col(name), trim=False).alias(name) for name in rates)


def _text_dates(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))


def upsert(spec: FileSpec, frame: pl.DataFrame, *, insert_only: bool = False) -> None:
    """Insert or update `frame`'s rows (table columns) in one set-based pass."""
    if frame.height == 0:
        return
    if "extra" not in frame.columns:
        frame = frame.with_columns(pl.lit("{}").alias("extra"))
    upsert_table(
        spec.table,
        frame,
        key_columns(spec),
        insert_only=insert_only,
        prepare=lambda chunk: _db_ready(spec, chunk),
    )


def upsert_table(
    table: str,
    frame: pl.DataFrame,
    keys: list[str],
    *,
    insert_only: bool = False,
    prepare: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> None:
    """Insert or update the rows of `frame` (named like the table's columns) keyed by `keys`, chunk by chunk:
    COPY into a temporary table and one `INSERT … ON CONFLICT` on PostgreSQL, `executemany` on SQLite. `prepare`
    turns a chunk into database values (dates become ISO text here)."""
    if frame.height == 0:
        return
    columns = frame.columns
    updates = [c for c in columns if c not in keys]
    conflict = (
        ""
        if insert_only
        else f" ON CONFLICT ({', '.join(map(q, keys))}) DO "
        + ("UPDATE SET " + ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in updates) if updates else "NOTHING")
    )
    column_list = ", ".join(map(q, columns))

    def chunks(size: int) -> Iterator[pl.DataFrame]:
        for start in range(0, frame.height, size):
            chunk = frame.slice(start, size)
            yield _text_dates(prepare(chunk) if prepare else chunk)

    if is_postgres():
        _pg_upsert(table, chunks(COPY_CHUNK), column_list, conflict, insert_only)
    else:
        sql = f"INSERT INTO {q(table)} ({column_list}) VALUES ({', '.join('?' * len(columns))}){conflict}"
        raw = connection.connection
        for chunk in chunks(SQLITE_BATCH):
            raw.executemany(sql, chunk.with_columns(pl.col(pl.Boolean).cast(pl.Int8)).iter_rows())


def _pg_upsert(
    table: str, chunks: Iterator[pl.DataFrame], column_list: str, conflict: str, insert_only: bool
) -> None:
    with connection.cursor() as cursor:
        target = table
        if not insert_only:
            target = f"_import_{table}"
            cursor.execute(
                f"CREATE TEMP TABLE {q(target)} ON COMMIT DROP AS SELECT {column_list} FROM {q(table)} WITH NO DATA"
            )
        copy_sql = f"COPY {q(target)} ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with cursor.cursor.copy(copy_sql) as copy:
            for chunk in chunks:
                buffer = io.BytesIO()
                chunk.write_csv(buffer, include_header=False, null_value="\\N")
                copy.write(buffer.getvalue())
        if not insert_only:
            cursor.execute(
                f"INSERT INTO {q(table)} ({column_list}) SELECT {column_list} FROM {q(target)}{conflict}"
            )
            cursor.execute(f"DROP TABLE {q(target)}")


def update_rows(table: str, frame: pl.DataFrame, key: str = "id") -> None:
    """Set the columns of `frame` on the rows of `table` matched by `key` (rows that do not exist are ignored):
    on PostgreSQL COPY into a temporary table and one `UPDATE … FROM`; on SQLite one prepared UPDATE run over
    every row. Unlike `upsert_table` it needs only the columns that change."""
    if frame.height == 0:
        return
    columns = [c for c in frame.columns if c != key]
    if is_postgres():
        staging = f"_update_{table}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {q(staging)} ON COMMIT DROP AS SELECT {q(key)}, "
                f"{', '.join(map(q, columns))} FROM {q(table)} WITH NO DATA"
            )
        _pg_upsert(staging, (_text_dates(frame.slice(s, COPY_CHUNK)).select(key, *columns)
                             for s in range(0, frame.height, COPY_CHUNK)),
                   ", ".join(map(q, [key, *columns])), "", insert_only=True)  # fmt: skip
        with connection.cursor() as cursor:
            assignments = ", ".join(f"{q(c)} = s.{q(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {q(table)} SET {assignments} FROM {q(staging)} s WHERE {q(table)}.{q(key)} = s.{q(key)}"
            )
            cursor.execute(f"DROP TABLE {q(staging)}")
        return
    sql = f"UPDATE {q(table)} SET {', '.join(f'{q(c)} = ?' for c in columns)} WHERE {q(key)} = ?"
    rows = _text_dates(frame.select(*columns, key)).with_columns(pl.col(pl.Boolean).cast(pl.Int8))
    connection.ensure_connection()
    for start in range(0, rows.height, SQLITE_BATCH):
        connection.connection.executemany(sql, rows.slice(start, SQLITE_BATCH).iter_rows())


def delete_ids(table: str, ids: list[int]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            cursor.execute(f"DELETE FROM {q(table)} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)


# --- bulk loading -----------------------------------------------------------------------------------------

BULK_ROWS = 50_000
SQLITE_BULK_CACHE_KIB = -512_000  # negative: KiB, i.e. 512 MB of page cache while bulk loading  # below this, maintaining indexes row by row is cheaper than rebuilding them


@contextlib.contextmanager
def bulk_load(table: str, rows: int, *, keep_unique: bool) -> Iterator[None]:
    """Load many rows into `table` the way databases like it: drop the secondary indexes (and, on PostgreSQL, the
    foreign keys, whose per-row deferred triggers would fire millions of times at commit), load, then rebuild
    them in one pass each. Re-adding a foreign key validates every row with one join, so integrity is checked
    as strictly as before; so does re-adding a unique constraint, which an upsert needs (`keep_unique`) and a plain
    insert into an empty table does not. Runs inside the caller's transaction: a failure restores everything."""
    if rows < BULK_ROWS:
        yield
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = ANY(%s) ORDER BY contype DESC",
                [table, ["f"] if keep_unique else ["f", "u"]],
            )
            foreign_keys = cursor.fetchall()  # unique constraints first when re-adding (ORDER BY ... DESC)
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        else:
            foreign_keys = []
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(
                f"PRAGMA cache_size = {SQLITE_BULK_CACHE_KIB}"
            )  # rebuilding indexes sorts in cache
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "AND (sql NOT LIKE 'CREATE UNIQUE%%' OR %s)",
                [table, not keep_unique],
            )
            indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {q(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        if not is_postgres():
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
        for name, definition in reversed(foreign_keys):
            cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
