"""The one SQLite connection policy of screener: the LLM cache and call log (store.py) and the
batch results (results_store.py) both open their files here.

- WAL journal: readers (a survey, `screener llm-log`) never block the writer, and a killed
  process loses at most the transaction it was in.
- synchronous=NORMAL: durable across a killed process in WAL mode (only a power cut can lose the
  last commits) and much faster than FULL for one commit per paper.
- A busy timeout, so that two processes (batch workers writing the LLM cache) wait for each other
  instead of failing.
- A schema version in `user_version`: a file written by a newer screener is refused with one
  clear sentence instead of being misread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from screener.errors import ScreenerError

BUSY_TIMEOUT_S = 30.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the busy timeout and durability settings (the schema is not touched)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def open_database(path: Path, schema: str, version: int, what: str) -> sqlite3.Connection:
    """Open (creating if needed) a database file in WAL mode with `schema` at `version`.

    `what` names the file in errors ("results store", "cache database"). Raises ScreenerError
    for a file that is not SQLite or that a newer screener wrote.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise ScreenerError(f"{path}: cannot open the {what} ({exc})") from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        if found > version:
            raise ScreenerError(
                f"{path}: the {what} has schema version {found}, newer than this screener's "
                f"({version}); upgrade screener or use another folder"
            )
        db.executescript(schema)
        if found < version:
            db.execute(f"PRAGMA user_version={int(version)}")
        db.commit()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ScreenerError(f"{path}: not a usable {what} ({exc})") from exc
    except ScreenerError:
        db.close()
        raise
    return db
