"""What runs on a batch worker, whichever the engine: build the backends once, screen one paper
with the pipeline unchanged, and turn its record into the flat row the store keeps.

The per-paper time limit lives here too. A parser stuck in native code cannot be interrupted
from Python, so the limit is a watchdog thread: when a paper overruns, it reports the paper
(a marker file for the local engine, a Ray actor for the Ray engine) and ends the worker
process; the engine records the paper as timed out and replaces the worker.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.batch.inputs import PdfTask, Task
from screener.document import Document
from screener.errors import ScreenerError
from screener.pipeline import Record, screen_document, screen_file
from screener.results_store import STATUS_FAILED, STATUS_OK, ResultRow
from screener.settings import Settings

# Exit status of a worker process that the watchdog ended (a paper overran its time limit).
EXIT_TIMED_OUT = 75


@dataclass
class WorkerSpec:
    """What a worker needs to build its own parser and extractor (picklable)."""

    parser: str
    extractor: str
    settings: Settings
    # Extra registry entries {"parser"|"extractor": {name: "module:Class"}}: lets tests and
    # plug-ins add backends that exist only outside the package.
    backends: dict[str, dict[str, str]] = field(default_factory=dict)
    threaded: bool = False

    @property
    def timeout_s(self) -> float:
        return float(self.settings.paper_timeout_s)


class _LockedParser:
    """Serialises parsing in thread mode: MuPDF's global state is not thread-safe."""

    def __init__(self, parser: Any, lock: threading.Lock) -> None:
        self._parser, self._lock, self.name = parser, lock, parser.name

    def parse(self, path: Path) -> Document:
        with self._lock:
            return self._parser.parse(path)


_PARSE_LOCK = threading.Lock()


def build_backends(spec: WorkerSpec) -> tuple[Any, Any]:
    from screener.extract import EXTRACTORS
    from screener.parse import PARSERS
    from screener.registry import load_backend

    # The registries themselves are left alone: extra backends are seen by this run only.
    parsers = {**PARSERS, **spec.backends.get("parser", {})}
    extractors = {**EXTRACTORS, **spec.backends.get("extractor", {})}
    parser = load_backend("parser", parsers, spec.parser, spec.settings)
    extractor = load_backend("extractor", extractors, spec.extractor, spec.settings)
    if spec.threaded:
        parser = _LockedParser(parser, _PARSE_LOCK)
    return parser, extractor


def screen_task(task: Task, backends: tuple[Any, Any], settings: Settings) -> ResultRow:
    """Screen one paper; never raises (the row carries the error)."""
    parser, extractor = backends
    try:
        if isinstance(task, PdfTask):
            record, _ = screen_file(task.path, parser, extractor, settings)
            if record.error and str(task.path) != task.source:
                record.error = record.error.replace(str(task.path), task.source)
        else:
            record = Record(source=task.source)
            try:
                record = screen_document(task.document, extractor, record)
            except ScreenerError as exc:
                record.error = f"{task.source}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one odd paper must not stop the batch
        record = Record(source=task.source, error=f"{task.source}: {type(exc).__name__}: {exc}")
    record.source = task.source
    record.sha256 = task.key
    record.meta = {**record.meta, **task.meta}
    return row_from_record(record, task.level)


def row_from_record(record: Record, level: str) -> ResultRow:
    """The flat row the store, the exports and the survey use."""
    design, profile = record.design, record.profile
    # The verdict's strategies and threats: those of the headline strategies (the profile's
    # rows), as in the evaluation; strategies that are only also present stay in `record`.
    strategies = [row.strategy.value for row in profile.rows] if profile else []
    year = record.meta.get("year")
    categories = record.meta.get("categories", "")

    def level_of(name: str) -> str | None:
        value = getattr(profile, name) if profile else None
        return value.value if value is not None else None

    return ResultRow(
        sha256=record.sha256 or "",
        source=record.source,
        status=STATUS_FAILED if record.error else STATUS_OK,
        level=level,
        arxiv_id=record.meta.get("arxiv_id"),
        error=record.error,
        title=record.document.title,
        year=int(year) if year and year.isdigit() else None,
        categories=categories.split(),
        strategies=strategies,
        primary_strategy=design.primary_strategy.value
        if design and design.primary_strategy
        else None,
        in_scope=design.in_scope.value if design else None,
        statistical=level_of("statistical"),
        internal=level_of("internal"),
        external=level_of("external"),
        construct=level_of("construct"),
        threat_ids=[threat.id for threat in record.threats if threat.headline],
        extractor=record.extractor,
        parser=record.parser,
        rules_version=record.rules_version,
        record=record.model_dump_json(),
    )


def failed_row(task: Task | Any, reason: str) -> ResultRow:
    """A failed row for a paper the engine gave up on (crashed or timed-out worker)."""
    return ResultRow(
        sha256=task.key,
        source=task.source,
        status=STATUS_FAILED,
        level=task.level,
        arxiv_id=task.arxiv_id,
        error=f"{task.source}: {reason}",
    )


def timed_out_reason(timeout_s: float) -> str:
    return f"timed out after {timeout_s:g} s"


class Watchdog:
    """Ends this worker process when one paper takes longer than `timeout_s`.

    `on_timeout(key)` runs first, in the watchdog thread, to tell the engine which paper it was.
    """

    def __init__(self, timeout_s: float, on_timeout: Callable[[str], None]) -> None:
        self.timeout_s, self.on_timeout = timeout_s, on_timeout
        self._current: tuple[str, float] | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, name="paper-watchdog", daemon=True).start()

    def begin(self, key: str) -> None:
        with self._lock:
            self._current = (key, time.monotonic() + self.timeout_s)

    def end(self) -> None:
        with self._lock:
            self._current = None

    def _watch(self) -> None:
        interval = min(0.5, max(0.02, self.timeout_s / 20))
        while True:
            time.sleep(interval)
            with self._lock:
                current = self._current
            if current is not None and time.monotonic() > current[1]:
                try:
                    self.on_timeout(current[0])
                finally:
                    os._exit(EXIT_TIMED_OUT)
