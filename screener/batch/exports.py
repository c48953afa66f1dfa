"""The files a batch leaves behind: results.parquet, results.csv and results.jsonl, written from
the results store; and the Parquet shards in which the Ray engine's workers hand back results.

A shard holds complete result rows (the full record included) of one batch of papers. The
driver writes it to DIR/.shards/ before merging it into the store, and removes it after the
merge committed, so results that reached the driver are never lost between the two steps: a run
killed in between merges the leftover shards first when it starts again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from screener.results_store import (
    EXPORT_COLUMNS,
    LIST_COLUMNS,
    ResultRow,
    ResultsStore,
    export_columns,
)

SHARD_DIR = ".shards"
_ROW_FIELDS = tuple(f.name for f in fields(ResultRow))


def _arrow_type(name: str) -> Any:
    import pyarrow as pa

    if name in LIST_COLUMNS:
        return pa.list_(pa.string())
    return {"year": pa.int32(), "in_scope": pa.bool_()}.get(name, pa.string())


def _export_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(name)) for name in EXPORT_COLUMNS])


# --- shards ---------------------------------------------------------------------------------


def shard_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(name)) for name in _ROW_FIELDS])


def rows_to_table(rows: Iterable[ResultRow]) -> Any:
    """An Arrow table of complete result rows (what a Ray worker returns for its batch)."""
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name in _ROW_FIELDS}
    for row in rows:
        for name in _ROW_FIELDS:
            columns[name].append(getattr(row, name))
    return pa.Table.from_pydict(columns, schema=shard_schema())


def table_to_rows(table: Any) -> list[ResultRow]:
    return [
        ResultRow(**{**data, **{name: list(data[name] or []) for name in LIST_COLUMNS}})
        for data in table.to_pylist()
    ]


def write_shard(table: Any, folder: Path, name: str) -> Path:
    """Write a shard atomically (a temporary name renamed into place)."""
    import pyarrow.parquet as pq

    shards = folder / SHARD_DIR
    shards.mkdir(exist_ok=True)
    path = shards / f"{name}.parquet"
    partial = shards / f".{name}.partial"
    pq.write_table(table, partial)
    os.replace(partial, path)
    return path


def merge_shard(store: ResultsStore, path: Path) -> list[ResultRow]:
    """Put a shard's rows into the store (one transaction), then delete the shard."""
    import pyarrow.parquet as pq

    rows = table_to_rows(pq.read_table(path, schema=shard_schema()))
    store.put_many(rows)
    path.unlink()
    return rows


def leftover_shards(folder: Path) -> list[Path]:
    """Shards a killed run wrote but did not merge; half-written ones are removed."""
    shards = folder / SHARD_DIR
    if not shards.is_dir():
        return []
    for partial in shards.glob(".*.partial"):
        partial.unlink(missing_ok=True)
    return sorted(shards.glob("*.parquet"))


# --- the exports ----------------------------------------------------------------------------


def _chunks(rows: Iterator[ResultRow], size: int) -> Iterator[list[ResultRow]]:
    chunk: list[ResultRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_table(table: Any) -> Any:
    """The CSV form of a chunk: list columns joined with ';' (empty list: empty cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in LIST_COLUMNS:
        index = table.schema.get_field_index(name)
        joined = pc.fill_null(pc.binary_join(table[name], ";"), "")
        table = table.set_column(index, pa.field(name, pa.string()), joined)
    return table


def _write_tables(store: ResultsStore, parquet: Path, csv: Path, chunk_rows: int) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    schema = _export_schema()
    csv_schema = _csv_table(schema.empty_table()).schema
    # Chunks keep memory flat however many papers the store holds.
    with (
        pq.ParquetWriter(parquet, schema) as parquet_writer,
        pcsv.CSVWriter(csv, csv_schema) as csv_writer,
    ):
        for chunk in _chunks(store.rows(), chunk_rows):
            table = pa.Table.from_pydict(export_columns(chunk), schema=schema)
            parquet_writer.write_table(table)
            csv_writer.write_table(_csv_table(table))


def export_results(store: ResultsStore, folder: Path, chunk_rows: int = 5000) -> dict[str, Path]:
    """Write results.parquet, results.csv (one row per paper) and results.jsonl (full records).

    Each file is written under a temporary name and renamed into place, so a reader (or a
    crash) never sees half a file.
    """
    paths = {kind: folder / f"results.{kind}" for kind in ("parquet", "csv", "jsonl")}
    partial = {kind: path.with_name(f".{path.name}.partial") for kind, path in paths.items()}
    _write_tables(store, partial["parquet"], partial["csv"], chunk_rows)
    with open(partial["jsonl"], "w", encoding="utf-8") as handle:
        for record in store.records():
            handle.write(record + "\n")
    for kind, path in paths.items():
        os.replace(partial[kind], path)
    return paths
