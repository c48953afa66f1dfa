"""One `screener batch` run, whichever the engine: the driver's side.

The driver reads the inputs as streams, skips what the results store already holds (by sha256,
and by arXiv id at the same level), hands the rest to an engine (a local process pool, or Ray),
and is the only writer of the store: one transaction per paper (or per Ray shard), so a killed
run loses nothing that was finished and a re-run completes the rest without duplicates.
"""

from __future__ import annotations

import fcntl
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from screener.batch.exports import export_results, leftover_shards, merge_shard
from screener.batch.inputs import (
    Candidate,
    Filters,
    MetadataTask,
    PdfTask,
    TarMember,
    candidates,
    count_pdfs,
    input_kind,
)
from screener.batch.worker import WorkerSpec, build_backends
from screener.errors import ScreenerError
from screener.parse.grobid import fallback_notice
from screener.results_store import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    ResultRow,
    ResultsStore,
)
from screener.settings import Settings, load_settings

ENGINES = ("local", "ray")

# What the driver hands an engine: a paper to screen (a tar member still in memory).
Work = PdfTask | MetadataTask | TarMember


@dataclass
class BatchOptions:
    inputs: list[Path]
    out: Path
    parser: str = "pymupdf"
    extractor: str = "heuristic"
    workers: int = field(default_factory=lambda: _cpu_count())
    llm_concurrency: int = 4
    retry_failed: bool = False
    filters: Filters = field(default_factory=Filters)
    limit: int | None = None
    progress: bool | None = None  # None: on when stderr is a terminal
    settings: Settings = field(default_factory=load_settings)
    backends: dict[str, dict[str, str]] = field(default_factory=dict)
    engine: str = "local"
    ray_address: str | None = None  # None: start a local Ray (or use the one this process has)
    batch_size: int = 8  # papers per Ray task


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


@dataclass
class BatchSummary:
    screened: int = 0
    failed: int = 0
    skipped: int = 0
    already_done: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    workers: int = 0

    @property
    def papers_per_second(self) -> float:
        done = self.screened + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        head = "interrupted" if self.interrupted else "done"
        return [
            f"{head}: {self.screened} screened, {self.failed} failed, {self.skipped} skipped, "
            f"{self.already_done} already done",
            f"time: {self.seconds:.2f} s with {self.workers} workers "
            f"({self.papers_per_second:.2f} papers/s)",
        ]


class Progress:
    def __init__(self, enabled: bool, total: int | None) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="paper", file=sys.stderr, dynamic_ncols=True)

    def advance(self, summary: BatchSummary, papers: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(papers)
            self._bar.set_postfix(
                ok=summary.screened, failed=summary.failed, done=summary.already_done, refresh=False
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Engine(Protocol):
    """Screens the driver's work and reports every result through `BatchRun.store_rows`."""

    workers: int
    kind: str  # how the workers are shown: "processes", "threads", "Ray CPUs"

    def run(self, run: BatchRun, work: Iterator[Work]) -> None: ...

    def shutdown(self, cancel: bool) -> None: ...


class BatchRun:
    """The driver's bookkeeping: what is new, what is in flight, what was stored."""

    def __init__(
        self,
        options: BatchOptions,
        store: ResultsStore,
        temp_dir: Path,
        notices: Callable[[str], None] | None = None,
    ) -> None:
        self.options, self.store, self.temp_dir = options, store, temp_dir
        self.summary = BatchSummary()
        self.in_flight: set[str] = set()
        self.progress: Progress | None = None
        self._notices = notices or (lambda line: print(line, file=sys.stderr, flush=True))
        self._noticed: set[str] = set()

    def is_done(self, key: str, arxiv_id: str | None, level: str) -> bool:
        if key in self.in_flight:
            return True
        status = self.store.status(key)
        if status in (STATUS_OK, STATUS_SKIPPED):
            return True
        if status == STATUS_FAILED:
            return not self.options.retry_failed
        # Another file of the same arXiv paper (another version or copy) already screened.
        return bool(arxiv_id) and self.store.status_by_arxiv_id(arxiv_id, level) == STATUS_OK

    def work(self, source: Iterable[Candidate]) -> Iterator[Work]:
        """New work only: final rows are written, done papers counted, the rest claimed."""
        taken = 0
        for candidate in source:
            if isinstance(candidate, ResultRow):
                self._write_final_row(candidate)
                continue
            if self.options.limit is not None and taken >= self.options.limit:
                return
            taken += 1
            if self.is_done(candidate.key, candidate.arxiv_id, candidate.level):
                self.summary.already_done += 1
                self._advance()
                continue
            self.in_flight.add(candidate.key)
            yield candidate

    def _write_final_row(self, row: ResultRow) -> None:
        known = self.store.status(row.sha256)
        if known == row.status or (known == STATUS_FAILED and not self.options.retry_failed):
            return
        self.store.put(row)
        if row.status == STATUS_SKIPPED:
            self.summary.skipped += 1
        else:
            self.summary.failed += 1

    def store_rows(self, rows: list[ResultRow]) -> None:
        """Write screened papers (one transaction) and count them."""
        self.store.put_many(rows)
        self.count_rows(rows)

    def count_rows(self, rows: Iterable[ResultRow]) -> None:
        """Count rows that are in the store now (written here, or merged from a shard)."""
        for row in rows:
            self.in_flight.discard(row.sha256)
            if row.status == STATUS_OK:
                self.summary.screened += 1
            else:
                self.summary.failed += 1
            self._notice(row)
            self._advance()

    def _notice(self, row: ResultRow) -> None:
        """Say once per run (per GROBID URL) that GROBID was unreachable and PyMuPDF used."""
        line = fallback_notice(row.parser)
        if line and line not in self._noticed:
            self._noticed.add(line)
            self._notices(line)

    def _advance(self) -> None:
        if self.progress:
            self.progress.advance(self.summary)


def _lock_output(out: Path) -> TextIO:
    """Refuse a second concurrent run on the same folder (they would race on the exports).

    A POSIX record lock (lockf), not flock: forked workers do not inherit it, so orphaned
    workers of a killed run cannot keep the folder locked.
    """
    handle = open(out / ".batch.lock", "w")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise ScreenerError(f"{out}: another batch run is writing to this folder") from exc
    return handle


def _clear_stale_temp(out: Path) -> None:
    """Temp dirs of runs that were killed (the lock guarantees none of them is alive)."""
    for stale in out.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def worker_spec(options: BatchOptions) -> WorkerSpec:
    threaded = options.extractor == "llm" and options.engine == "local"
    return WorkerSpec(
        options.parser, options.extractor, options.settings, options.backends, threaded
    )


def _engine(options: BatchOptions, spec: WorkerSpec, temp_dir: Path) -> Engine:
    if options.engine == "ray":
        from screener.batch.ray_engine import RayEngine

        return RayEngine(options, spec, temp_dir)
    if options.engine != "local":
        raise ScreenerError(f"unknown engine {options.engine!r} (choose from {', '.join(ENGINES)})")
    from screener.batch.local import LocalEngine

    return LocalEngine(options, spec, temp_dir)


def run_batch(
    options: BatchOptions, on_start: Callable[[int, str], None] | None = None
) -> BatchSummary:
    """Screen every input into options.out; raises ScreenerError for unusable inputs/options."""
    for path in options.inputs:
        input_kind(path)  # fail on a bad input before any work starts
    if options.engine == "ray":
        from screener.batch.ray_engine import require_ray

        require_ray()  # without the extra: one sentence saying how to install it
    spec = worker_spec(options)
    build_backends(spec)  # a misconfigured backend is one clear error here, not N failed rows
    options.out.mkdir(parents=True, exist_ok=True)
    lock = _lock_output(options.out)
    started = time.perf_counter()
    try:
        _clear_stale_temp(options.out)
        with (
            ResultsStore.open(options.out) as store,
            tempfile.TemporaryDirectory(prefix=".tmp-", dir=options.out) as temp,
        ):
            for shard in leftover_shards(options.out):
                merge_shard(store, shard)  # results of a killed Ray run that reached the driver
            run = BatchRun(options, store, Path(temp))
            engine = _engine(options, spec, Path(temp))
            run.summary.workers = engine.workers
            if on_start:
                on_start(engine.workers, engine.kind)
            run.progress = Progress(_progress_enabled(options.progress), _total(options))
            try:
                source = candidates(options.inputs, options.filters, options.settings, store)
                engine.run(run, run.work(source))
            except KeyboardInterrupt:
                run.summary.interrupted = True
            finally:
                engine.shutdown(cancel=run.summary.interrupted)
                run.progress.close()
            run.summary.seconds = time.perf_counter() - started
            export_results(store, options.out)
            return run.summary
    finally:
        lock.close()


def _progress_enabled(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def _total(options: BatchOptions) -> int | None:
    """Papers to expect, when it is cheap to know (folders and PDFs, not streams)."""
    kinds = [input_kind(path) for path in options.inputs]
    if all(kind in ("folder", "pdf") for kind in kinds):
        total = sum(count_pdfs(path) for path in options.inputs)
        return min(total, options.limit) if options.limit is not None else total
    return options.limit
