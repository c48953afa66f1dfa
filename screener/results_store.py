"""The batch results store: one SQLite file per output folder, one row per paper.

Rows are keyed by the sha256 of what was screened (a PDF's bytes, a metadata record's
canonical JSON), so a paper seen twice under two names is screened once. The batch driver
is the only writer and commits once per paper (or once per shard of a Ray batch) in WAL mode:
a `kill -9` loses at most the papers that were still in flight, and a re-run picks those up
again. The connection policy is screener/sqlite.py's, shared with the LLM cache (store.py).

The files written from the store (results.parquet, .csv, .jsonl) are screener/batch/exports.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from screener.sqlite import open_database

STORE_NAME = "results.sqlite"
SCHEMA_VERSION = 1

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT PRIMARY KEY,
    arxiv_id TEXT,
    level TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
    error TEXT,
    title TEXT,
    year INTEGER,
    categories TEXT NOT NULL DEFAULT '[]',
    strategies TEXT NOT NULL DEFAULT '[]',
    primary_strategy TEXT,
    in_scope INTEGER,
    statistical TEXT,
    internal TEXT,
    external TEXT,
    construct TEXT,
    threat_ids TEXT NOT NULL DEFAULT '[]',
    extractor TEXT,
    parser TEXT,
    rules_version TEXT,
    record TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS results_arxiv ON results (arxiv_id, level);
CREATE INDEX IF NOT EXISTS results_status ON results (status);
-- Hashing a large folder again on every re-run is the slow part of a resume; this remembers
-- which bytes a (path, size, mtime) had so that unchanged files are not read twice.
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""

# Columns whose values are JSON lists in SQLite and Python lists everywhere else.
LIST_COLUMNS = ("categories", "strategies", "threat_ids")


@dataclass
class ResultRow:
    """The flat, survey-facing facts of one screened (or skipped, or failed) paper."""

    sha256: str
    source: str
    status: str
    level: str = "fulltext"
    arxiv_id: str | None = None
    error: str | None = None
    title: str | None = None
    year: int | None = None
    categories: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    primary_strategy: str | None = None
    in_scope: bool | None = None
    statistical: str | None = None
    internal: str | None = None
    external: str | None = None
    construct: str | None = None
    threat_ids: list[str] = field(default_factory=list)
    extractor: str | None = None
    parser: str | None = None
    rules_version: str | None = None
    record: str | None = field(default=None, repr=False)


_COLUMNS = tuple(ResultRow.__dataclass_fields__)


class ResultsStore:
    """SQLite file `DIR/results.sqlite`; open it with `ResultsStore.open(DIR)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_database(path, _SCHEMA, SCHEMA_VERSION, "results store")

    @classmethod
    def open(cls, folder: Path) -> ResultsStore:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / STORE_NAME)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reads ------------------------------------------------------------------------------

    def status(self, sha256: str) -> str | None:
        row = self._db.execute("SELECT status FROM results WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def status_by_arxiv_id(self, arxiv_id: str, level: str) -> str | None:
        """The best status of any row for this arXiv id at this level ('ok' wins)."""
        rows = self._db.execute(
            "SELECT status FROM results WHERE arxiv_id = ? AND level = ?", (arxiv_id, level)
        ).fetchall()
        statuses = {row[0] for row in rows}
        for status in (STATUS_OK, STATUS_SKIPPED, STATUS_FAILED):
            if status in statuses:
                return status
        return None

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, COUNT(*) FROM results GROUP BY status")
        return {status: count for status, count in rows}

    def rows(self, with_record: bool = False) -> Iterator[ResultRow]:
        """Every row in insertion order, list columns decoded."""
        columns = _COLUMNS if with_record else tuple(c for c in _COLUMNS if c != "record")
        cursor = self._db.execute(f"SELECT {', '.join(columns)} FROM results ORDER BY rowid")
        for values in cursor:
            data = dict(zip(columns, values, strict=True))
            for name in LIST_COLUMNS:
                data[name] = json.loads(data[name])
            if data["in_scope"] is not None:
                data["in_scope"] = bool(data["in_scope"])
            yield ResultRow(**data)

    def records(self) -> Iterator[str]:
        """The full Record JSON of every row that has one, in insertion order."""
        cursor = self._db.execute(
            "SELECT record FROM results WHERE record IS NOT NULL ORDER BY rowid"
        )
        for (record,) in cursor:
            yield record

    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        row = self._db.execute(
            "SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
            (path, size, mtime_ns),
        ).fetchone()
        return row[0] if row else None

    # --- writes (one transaction each) -------------------------------------------------------

    def put(self, row: ResultRow) -> None:
        """Insert or replace the row for `row.sha256` and commit."""
        self.put_many([row])

    def put_many(self, rows: Iterable[ResultRow]) -> None:
        """Insert or replace several rows in one transaction (a Ray shard)."""
        names = ", ".join(_COLUMNS)
        slots = ", ".join(f":{name}" for name in _COLUMNS)
        with self._db:
            # REPLACE rewrites the row (a retried failure becomes its result) but keeps one
            # row per key, which is what makes a re-run after a kill lossless and duplicate-free.
            self._db.executemany(
                f"INSERT OR REPLACE INTO results ({names}) VALUES ({slots})",
                [_encoded(row) for row in rows],
            )

    def remember_hash(self, path: str, size: int, mtime_ns: int, sha256: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, sha256)"
                " VALUES (?, ?, ?, ?)",
                (path, size, mtime_ns, sha256),
            )


def _encoded(row: ResultRow) -> dict[str, Any]:
    data = asdict(row)
    for name in LIST_COLUMNS:
        data[name] = json.dumps(data[name])
    if data["in_scope"] is not None:
        data["in_scope"] = int(data["in_scope"])
    return data


# --- the export row shape (the files themselves: screener/batch/exports.py) -----------------

# One row per paper, in this order, in results.parquet and results.csv.
EXPORT_COLUMNS = (
    "sha256",
    "id",
    "source",
    "level",
    "title",
    "year",
    "categories",
    "strategies",
    "primary_strategy",
    "in_scope",
    "statistical",
    "internal",
    "external",
    "construct",
    "threat_ids",
    "extractor",
    "parser",
    "rules_version",
    "error",
    "status",
)


def export_columns(rows: Iterable[ResultRow]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in EXPORT_COLUMNS}
    for row in rows:
        for name in EXPORT_COLUMNS:
            columns[name].append(getattr(row, "arxiv_id" if name == "id" else name))
    return columns
