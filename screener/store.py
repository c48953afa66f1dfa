"""The one place that touches SQLite: the LLM call log and the extraction cache.

Three tables in `<cache_dir>/screener.sqlite`:
- `llm_calls`: every HTTP request an extractor sent (messages and schema, never credentials),
  the response or error, token usage, latency, cost and status;
- `extractions`: finished designs keyed by everything that decides them (see `cache_key` in
  extract/llm.py), so that a re-run of a paper sends no request;
- `batch_documents`: papers written into an OpenAI Batch export, so that an import can find the
  document (for grounding) by its sha256.

Connections are opened per operation: cheap for SQLite, and safe when many threads or worker
processes screen papers. The connection policy (WAL, busy timeout, schema version) is
screener/sqlite.py's, shared with the batch results store.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from screener.sqlite import connect, open_database

DB_NAME = "screener.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    document_sha256 TEXT,
    cache_key TEXT,
    model TEXT,
    base_url TEXT,
    mode TEXT,
    attempt INTEGER,
    status TEXT NOT NULL,
    http_status INTEGER,
    request_json TEXT,
    response_json TEXT,
    error TEXT,
    tokens_in INTEGER DEFAULT 0,
    tokens_out INTEGER DEFAULT 0,
    cost_usd REAL DEFAULT 0,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS llm_calls_document ON llm_calls (document_sha256);
CREATE TABLE IF NOT EXISTS extractions (
    cache_key TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    document_sha256 TEXT NOT NULL,
    prompt_sha256 TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    model TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    design_json TEXT NOT NULL,
    usage_json TEXT NOT NULL,
    origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_documents (
    document_sha256 TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    source TEXT NOT NULL,
    cache_key TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """SQLite store under `cache_dir`; every method opens and closes its own connection."""

    def __init__(self, cache_dir: Path | str) -> None:
        self.path = Path(cache_dir).expanduser() / DB_NAME
        self._lock = threading.Lock()
        open_database(self.path, _SCHEMA, SCHEMA_VERSION, "cache database").close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = connect(self.path)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction: commit on success, roll back on error
                yield db
        finally:
            db.close()

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        # SQLite serialises writers anyway; the lock avoids busy-waiting between our own threads.
        for attempt in range(5):
            try:
                with self._lock, self._connect() as db:
                    return int(db.execute(sql, params).lastrowid or 0)
            except sqlite3.OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return 0

    # --- call log -------------------------------------------------------------------------

    def log_call(self, **fields: Any) -> int:
        """Append one request/response to the call log; JSON-able values are stored as JSON."""
        for name in ("request_json", "response_json"):
            if name in fields and not isinstance(fields[name], str | None):
                fields[name] = json.dumps(fields[name], ensure_ascii=False, default=str)
        fields.setdefault("created", _now())
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        return self._write(
            f"INSERT INTO llm_calls ({names}) VALUES ({marks})", tuple(fields.values())
        )

    def set_call_status(self, call_id: int, status: str, error: str | None = None) -> None:
        self._write(
            "UPDATE llm_calls SET status = ?, error = ? WHERE id = ?", (status, error, call_id)
        )

    def recent_calls(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM llm_calls ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [dict(row) for row in rows]

    def calls_for(self, document_sha256: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM llm_calls WHERE document_sha256 = ? ORDER BY id", (document_sha256,)
            ).fetchall()
        return [dict(row) for row in rows]

    # --- extraction cache -----------------------------------------------------------------

    def get_extraction(self, cache_key: str) -> dict[str, Any] | None:
        """The cached design and usage for a key, or None."""
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM extractions WHERE cache_key = ?", (cache_key,)
            ).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["design"] = json.loads(record.pop("design_json"))
        record["usage"] = json.loads(record.pop("usage_json"))
        record["settings"] = json.loads(record.pop("settings_json"))
        return record

    def put_extraction(
        self,
        cache_key: str,
        *,
        document_sha256: str,
        prompt_sha256: str,
        schema_version: str,
        model: str,
        settings: dict[str, Any],
        design: dict[str, Any],
        usage: dict[str, Any],
        origin: str,
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO extractions (cache_key, created, document_sha256,"
            " prompt_sha256, schema_version, model, settings_json, design_json, usage_json, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cache_key,
                _now(),
                document_sha256,
                prompt_sha256,
                schema_version,
                model,
                json.dumps(settings, sort_keys=True),
                json.dumps(design, ensure_ascii=False),
                json.dumps(usage),
                origin,
            ),
        )

    # --- batch export bookkeeping ---------------------------------------------------------

    def remember_batch_document(self, document_sha256: str, source: str, cache_key: str) -> None:
        self._write(
            "INSERT OR REPLACE INTO batch_documents (document_sha256, created, source, cache_key)"
            " VALUES (?, ?, ?, ?)",
            (document_sha256, _now(), source, cache_key),
        )

    def batch_document(self, document_sha256: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM batch_documents WHERE document_sha256 = ?", (document_sha256,)
            ).fetchone()
        return dict(row) if row else None
