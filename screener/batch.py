"""`screener batch`: screen many papers (folders, arXiv bulk tars, arXiv metadata snapshots).

The main process reads the inputs as streams, hashes each paper before any parsing, skips what
the results store already holds, and hands the rest to a pool of workers (processes for the
offline stack; threads, capped by --llm-concurrency, for the I/O-bound LLM extractor). It is the
only process that writes the store, one transaction per paper, so a killed run loses nothing
that was finished and a re-run completes the rest without duplicates.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tarfile
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from screener.document import Document
from screener.errors import ScreenerError
from screener.pipeline import Record, screen_document, screen_file
from screener.results_store import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    ResultRow,
    ResultsStore,
    export_results,
)
from screener.settings import Settings, load_settings

FULLTEXT = "fulltext"
ABSTRACT = "abstract"
METADATA_PARSER = "arxiv-metadata"
_HASH_CHUNK = 1 << 20
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
_METADATA_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")

# arXiv identifiers in file names: new style 2401.01234v2, old style hep-th0701001v1.
_NEW_ID = re.compile(r"^(\d{4})\.(\d{4,5})(v\d+)?(?!\d)")
_OLD_ID = re.compile(r"^([a-z]+(?:-[a-z]+)*)(\.[A-Z]{2})?(\d{2})(\d{2})(\d{3})(v\d+)?(?!\d)")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# --- what flows from the inputs to the workers ----------------------------------------------


@dataclass
class PdfTask:
    """A PDF on disk (a temp file for tar members) to parse and screen."""

    key: str
    source: str
    path: Path
    arxiv_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    temporary: bool = False
    level: str = FULLTEXT
    crashes: int = 0


@dataclass
class MetadataTask:
    """A Document built from a metadata record (title and abstract only)."""

    key: str
    source: str
    document: Document
    arxiv_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    level: str = ABSTRACT
    crashes: int = 0


Task = PdfTask | MetadataTask


@dataclass
class TarMember:
    """A PDF read from a tar stream, kept in memory until we know it is new."""

    key: str
    source: str
    data: bytes
    arxiv_id: str | None
    meta: dict[str, str]
    level: str = FULLTEXT


# An input yields papers to screen (tasks, or tar members still in memory) and rows that are
# already final (skipped members, unreadable metadata lines).
Candidate = PdfTask | MetadataTask | TarMember | ResultRow


@dataclass(frozen=True)
class Filters:
    categories: frozenset[str] = frozenset()
    since: str | None = None  # YYYY-MM, inclusive
    until: str | None = None  # YYYY-MM, inclusive

    def accepts(self, meta: dict[str, str]) -> bool:
        """Whether a paper passes; facts that are unknown (a PDF's categories) do not exclude."""
        month = meta.get("month")
        if month and self.since and month < self.since:
            return False
        if month and self.until and month > self.until:
            return False
        categories = meta.get("categories")
        if self.categories and categories is not None:
            return bool(self.categories & set(categories.split()))
        return True


# --- arXiv facts ----------------------------------------------------------------------------


def arxiv_facts_from_name(name: str) -> dict[str, str]:
    """arXiv id, version, year and month from a file name like 2401.01234v2.pdf."""
    stem = PurePosixPath(name).name
    if match := _NEW_ID.match(stem):
        yymm, number, version = match.group(1), match.group(2), match.group(3)
        year, month = 2000 + int(yymm[:2]), int(yymm[2:])
        facts = {"arxiv_id": f"{yymm}.{number}"}
    elif match := _OLD_ID.match(stem):
        archive, subject, yy, mm, number, version = match.groups()
        year = (1900 if int(yy) >= 91 else 2000) + int(yy)
        month = int(mm)
        facts = {
            "arxiv_id": f"{archive}{subject or ''}/{yy}{mm}{number}",
            "categories": f"{archive}{subject or ''}",
        }
    else:
        return {}
    if not 1 <= month <= 12:
        return {}
    facts.update(year=str(year), month=f"{year:04d}-{month:02d}")
    if version:
        facts["arxiv_version"] = version
    return facts


def _metadata_month(record: dict[str, Any]) -> str | None:
    """YYYY-MM of the first version (what a survey means by the paper's date)."""
    versions = record.get("versions") or []
    if versions and isinstance(versions[0], dict) and versions[0].get("created"):
        with contextlib.suppress(TypeError, ValueError):
            created = email.utils.parsedate_to_datetime(versions[0]["created"])
            return f"{created.year:04d}-{created.month:02d}"
    update_date = record.get("update_date")
    if isinstance(update_date, str) and re.match(r"^\d{4}-\d{2}", update_date):
        return update_date[:7]
    return None


def _clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


def _authors(record: dict[str, Any]) -> tuple[str, ...]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list):
        names = []
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first = parts[0], parts[1] if len(parts) > 1 else ""
                names.append(" ".join(p for p in (first, last) if p).strip())
        return tuple(n for n in names if n)
    return ()


def metadata_document(record: dict[str, Any], sha256: str) -> Document:
    """A Document from one arXiv metadata record: title and abstract, no body."""
    arxiv_id = str(record["id"])
    meta = {"arxiv_id": arxiv_id, "level": ABSTRACT}
    if month := _metadata_month(record):
        meta.update(month=month, year=month[:4])
    if isinstance(record.get("categories"), str):
        meta["categories"] = " ".join(record["categories"].split())
    abstract = _clean(record.get("abstract"))
    return Document(
        source=f"arXiv:{arxiv_id}",
        sha256=sha256,
        parser=METADATA_PARSER,
        title=_clean(record.get("title")),
        authors=_authors(record),
        abstract=abstract,
        abstract_page=1 if abstract else None,
        pages=0,
        meta=meta,
    )


# --- inputs ---------------------------------------------------------------------------------


def input_kind(path: Path) -> str:
    """'folder', 'pdf', 'tar' or 'metadata'; raises ScreenerError for anything else."""
    name = path.name.lower()
    if not path.exists():
        raise ScreenerError(f"{path}: no such file or folder")
    if path.is_dir():
        return "folder"
    if name.endswith(".pdf"):
        return "pdf"
    if name.endswith(_TAR_SUFFIXES):
        return "tar"
    if name.endswith(_METADATA_SUFFIXES):
        return "metadata"
    raise ScreenerError(
        f"{path}: not a folder, PDF, tar archive or arXiv metadata file (.jsonl/.json[.gz])"
    )


def _skipped(source: str, reason: str, level: str = FULLTEXT) -> ResultRow:
    # Skipped inputs have no paper bytes worth keying; their key is derived from where they
    # were found so that a re-run recognises them.
    key = "skip:" + hashlib.sha256(source.encode("utf-8")).hexdigest()
    return ResultRow(sha256=key, source=source, status=STATUS_SKIPPED, error=reason, level=level)


def _unreadable(path: Path, reason: str, level: str = FULLTEXT) -> ResultRow:
    """A failed row for an input that could not be opened (retried with --retry-failed)."""
    key = "unreadable:" + hashlib.sha256(str(path).encode("utf-8")).hexdigest()
    return ResultRow(
        sha256=key, source=str(path), status=STATUS_FAILED, error=f"{path}: {reason}", level=level
    )


def _pdf_files(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs.sort()  # walk in a stable order so that --limit picks the same papers each run
        for name in sorted(files):
            if name.lower().endswith(".pdf") and not name.startswith("."):
                yield Path(root) / name


def count_pdfs(path: Path) -> int:
    return sum(1 for _ in _pdf_files(path)) if path.is_dir() else 1


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pdf_candidates(
    path: Path, filters: Filters, store: ResultsStore | None = None
) -> Iterator[Candidate]:
    """PDFs in a folder (recursive) or a single PDF, hashed before anything else."""
    files = _pdf_files(path) if path.is_dir() else iter([path])
    for pdf in files:
        facts = arxiv_facts_from_name(pdf.name)
        if not filters.accepts(facts):
            continue
        try:
            key = _cached_hash(pdf, store)
        except OSError as exc:
            yield _unreadable(pdf, f"cannot be read ({exc.strerror or exc})")
            continue
        yield PdfTask(
            key=key, source=str(pdf), path=pdf, arxiv_id=facts.get("arxiv_id"), meta=facts
        )


def _cached_hash(pdf: Path, store: ResultsStore | None) -> str:
    stat = pdf.stat()
    absolute = str(pdf.resolve())
    if store and (known := store.cached_hash(absolute, stat.st_size, stat.st_mtime_ns)):
        return known
    key = _hash_file(pdf)
    if store:
        store.remember_hash(absolute, stat.st_size, stat.st_mtime_ns, key)
    return key


def _unsafe_member_name(name: str) -> str | None:
    """Why a member name could escape a folder it is extracted into, or None when it cannot."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return "path traversal ('..')"
    if "\x00" in name:
        return "NUL byte in name"
    return None


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.ischr() or member.isblk():
        return "device"
    if member.isfifo():
        return "FIFO"
    return "special file"


def tar_candidates(path: Path, filters: Filters, max_bytes: int) -> Iterator[Candidate]:
    """PDF members of a tar, read in streaming mode ('r|*'): one member in memory at a time."""
    try:
        archive = tarfile.open(path, mode="r|*")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        yield _unreadable(path, f"not a readable tar archive ({exc})")
        return
    with archive:
        try:
            yield from _tar_members(path, archive, filters, max_bytes)
        except (tarfile.TarError, OSError, EOFError, zlib_error()) as exc:
            # A truncated download: what was read so far stays screened; say where it broke.
            yield _skipped(f"{path}:<rest of archive>", f"archive is damaged ({exc})")


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _tar_members(
    path: Path, archive: tarfile.TarFile, filters: Filters, max_bytes: int
) -> Iterator[Candidate]:
    for member in archive:
        source = f"{path}:{member.name}"
        if member.isdir():
            continue
        if reason := _unsafe_member_name(member.name):
            yield _skipped(source, f"unsafe member name: {reason}")
            continue
        if not member.isfile():
            yield _skipped(source, f"not a regular file ({_member_kind(member)})")
            continue
        if not member.name.lower().endswith(".pdf"):
            yield _skipped(source, "not a PDF")
            continue
        if member.size > max_bytes:
            yield _skipped(source, f"larger than the limit of {max_bytes / 1e6:.0f} MB")
            continue
        facts = arxiv_facts_from_name(member.name)
        if not filters.accepts(facts):
            continue
        handle = archive.extractfile(member)
        data = handle.read() if handle else b""
        key = hashlib.sha256(data).hexdigest()
        yield TarMember(
            key=key, source=source, data=data, arxiv_id=facts.get("arxiv_id"), meta=facts
        )


def _open_text(path: Path) -> TextIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def metadata_candidates(path: Path, filters: Filters) -> Iterator[Candidate]:
    """One task per record of an arXiv metadata snapshot (JSON lines, optionally gzipped)."""
    try:
        handle = _open_text(path)
    except OSError as exc:
        yield _unreadable(path, f"cannot be read ({exc.strerror or exc})", level=ABSTRACT)
        return
    with handle:
        try:
            yield from _metadata_lines(path, handle, filters)
        except (OSError, EOFError, UnicodeDecodeError, zlib_error()) as exc:
            yield _skipped(f"{path}:<rest of file>", f"file is damaged ({exc})", level=ABSTRACT)


def _metadata_lines(path: Path, handle: TextIO, filters: Filters) -> Iterator[Candidate]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _skipped(source, f"line {number} is not valid JSON ({exc.msg})", level=ABSTRACT)
            continue
        if not isinstance(record, dict) or not record.get("id"):
            yield _skipped(source, f"line {number} is not an arXiv metadata record", level=ABSTRACT)
            continue
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        key = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        document = metadata_document(record, key)
        if not filters.accepts(document.meta):
            continue
        yield MetadataTask(
            key=key,
            source=document.source,
            document=document,
            arxiv_id=document.meta["arxiv_id"],
            meta=dict(document.meta),
        )


def candidates(
    inputs: Sequence[Path], filters: Filters, settings: Settings, store: ResultsStore | None
) -> Iterator[Candidate]:
    max_bytes = int(settings.max_pdf_mb * 1e6)
    for path in inputs:
        kind = input_kind(path)
        if kind in ("folder", "pdf"):
            yield from pdf_candidates(path, filters, store)
        elif kind == "tar":
            yield from tar_candidates(path, filters, max_bytes)
        else:
            yield from metadata_candidates(path, filters)


# --- workers --------------------------------------------------------------------------------


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


class _LockedParser:
    """Serialises parsing in thread mode: MuPDF's global state is not thread-safe."""

    def __init__(self, parser: Any, lock: threading.Lock) -> None:
        self._parser, self._lock, self.name = parser, lock, parser.name

    def parse(self, path: Path) -> Document:
        with self._lock:
            return self._parser.parse(path)


_local = threading.local()
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


def _watch_parent(parent: int, interval_s: float = 0.5) -> None:
    """Exit when the batch process is gone (kill -9): orphaned workers would wait forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(spec: WorkerSpec) -> None:
    """Runs once per worker process (or thread): backends are built once, not per paper."""
    if not spec.threaded:
        # ^C is the parent's to handle (it stops the pool); workers would only print tracebacks.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _watch_parent(os.getppid())
    _local.spec = spec
    _local.backends = build_backends(spec)


def _screen_task(task: Task) -> ResultRow:
    """Screen one paper in a worker; never raises (the row carries the error)."""
    parser, extractor = _local.backends
    try:
        if isinstance(task, PdfTask):
            record, _ = screen_file(task.path, parser, extractor, _local.spec.settings)
            if record.error and task.temporary:
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
    strategies = (
        list(dict.fromkeys(use.strategy.value for use in design.strategies)) if design else []
    )
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
        threat_ids=[threat.id for threat in record.threats],
        extractor=record.extractor,
        parser=record.parser,
        rules_version=record.rules_version,
        record=record.model_dump_json(),
    )


# --- the run --------------------------------------------------------------------------------


@dataclass
class BatchOptions:
    inputs: list[Path]
    out: Path
    parser: str = "pymupdf"
    extractor: str = "heuristic"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    llm_concurrency: int = 4
    retry_failed: bool = False
    filters: Filters = field(default_factory=Filters)
    limit: int | None = None
    progress: bool | None = None  # None: on when stderr is a terminal
    settings: Settings = field(default_factory=load_settings)
    backends: dict[str, dict[str, str]] = field(default_factory=dict)


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


class _Progress:
    def __init__(self, enabled: bool, total: int | None) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="paper", file=sys.stderr, dynamic_ncols=True)

    def advance(self, summary: BatchSummary) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(
                ok=summary.screened, failed=summary.failed, done=summary.already_done, refresh=False
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Pool:
    """A worker pool that can be rebuilt when a worker process dies (e.g. a MuPDF crash)."""

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        self.spec, self.workers = spec, workers
        self.executor = self._start()

    def _start(self) -> Executor:
        if self.spec.threaded:
            return ThreadPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.spec,))
        return ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.spec,))

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()

    def submit(self, task: Task) -> Future[ResultRow]:
        return self.executor.submit(_screen_task, task)

    def shutdown(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


class BatchRun:
    """One `screener batch` run: feeds tasks to the pool and writes each result as it lands."""

    def __init__(self, options: BatchOptions, store: ResultsStore, temp_dir: Path) -> None:
        self.options, self.store, self.temp_dir = options, store, temp_dir
        self.summary = BatchSummary()
        self.pending: dict[Future[ResultRow], Task] = {}
        self.in_flight: set[str] = set()
        self.suspects: deque[Task] = deque()
        self.progress: _Progress | None = None

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

    def tasks(self, source: Iterable[Candidate]) -> Iterator[Task]:
        """New work only: final rows are written, done papers counted, tar members spilled."""
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
            yield self._materialise(candidate)

    def _write_final_row(self, row: ResultRow) -> None:
        known = self.store.status(row.sha256)
        if known == row.status or (known == STATUS_FAILED and not self.options.retry_failed):
            return
        self.store.put(row)
        if row.status == STATUS_SKIPPED:
            self.summary.skipped += 1
        else:
            self.summary.failed += 1

    def _materialise(self, candidate: PdfTask | MetadataTask | TarMember) -> Task:
        if not isinstance(candidate, TarMember):
            return candidate
        # The parser API reads paths: the member lives in our private temp dir until its result
        # is stored, under a name we chose (never the member's own name).
        path = self.temp_dir / f"{candidate.key}.pdf"
        path.write_bytes(candidate.data)
        return PdfTask(
            key=candidate.key,
            source=candidate.source,
            path=path,
            arxiv_id=candidate.arxiv_id,
            meta=candidate.meta,
            temporary=True,
        )

    def _advance(self) -> None:
        if self.progress:
            self.progress.advance(self.summary)

    def run(self, pool: _Pool, tasks: Iterator[Task]) -> None:
        max_in_flight = 2 * pool.workers
        exhausted = False
        while True:
            while not exhausted and len(self.pending) < max_in_flight:
                # After a worker crash the suspects run one at a time, to find the culprit.
                if self.suspects:
                    if self.pending:
                        break
                    self._submit(pool, self.suspects.popleft())
                    continue
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                self._submit(pool, task)
            if exhausted and self.suspects and not self.pending:
                self._submit(pool, self.suspects.popleft())
            if not self.pending:
                return
            finished, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            crashed = False
            for future in finished:
                crashed |= self._collect(future)
            if crashed:
                self._recover(pool)

    def _submit(self, pool: _Pool, task: Task) -> None:
        self.in_flight.add(task.key)
        self.pending[pool.submit(task)] = task

    def _collect(self, future: Future[ResultRow]) -> bool:
        """Store one finished paper; True when the pool broke under it (left pending)."""
        task = self.pending[future]
        try:
            row = future.result()
        except BrokenProcessPool:
            return True
        except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be pickled
            row = _failed_row(task, f"{type(exc).__name__}: {exc}")
        del self.pending[future]
        self._store(task, row)
        return False

    def _store(self, task: Task, row: ResultRow) -> None:
        self.store.put(row)
        self.in_flight.discard(task.key)
        if isinstance(task, PdfTask) and task.temporary:
            task.path.unlink(missing_ok=True)
        if row.status == STATUS_OK:
            self.summary.screened += 1
        else:
            self.summary.failed += 1
        self._advance()

    def _recover(self, pool: _Pool) -> None:
        """A worker died: alone in flight, its paper is the culprit; else all become suspects."""
        for future in [f for f in self.pending if f.done()]:
            if not isinstance(future.exception(), BrokenProcessPool):
                self._collect(future)
        broken = list(self.pending.values())
        self.pending.clear()
        for task in broken:
            task.crashes += 1
            if len(broken) == 1 or task.crashes >= 2:
                self._store(
                    task, _failed_row(task, "the worker process crashed while screening it")
                )
            else:
                self.suspects.append(task)
        pool.restart()


def _failed_row(task: Task, reason: str) -> ResultRow:
    return ResultRow(
        sha256=task.key,
        source=task.source,
        status=STATUS_FAILED,
        level=task.level,
        arxiv_id=task.arxiv_id,
        error=f"{task.source}: {reason}",
    )


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


def run_batch(
    options: BatchOptions, on_start: Callable[[int, str], None] | None = None
) -> BatchSummary:
    """Screen every input into options.out; raises ScreenerError for unusable inputs/options."""
    for path in options.inputs:
        input_kind(path)  # fail on a bad input before any work starts
    threaded = options.extractor == "llm"
    workers = max(1, options.llm_concurrency if threaded else options.workers)
    spec = WorkerSpec(
        options.parser, options.extractor, options.settings, options.backends, threaded
    )
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
            run = BatchRun(options, store, Path(temp))
            run.summary.workers = workers
            if on_start:
                on_start(workers, "threads" if threaded else "processes")
            run.progress = _Progress(_progress_enabled(options.progress), _total(options))
            pool = _Pool(spec, workers)
            try:
                source = candidates(options.inputs, options.filters, options.settings, store)
                run.run(pool, run.tasks(source))
            except KeyboardInterrupt:
                run.summary.interrupted = True
            finally:
                pool.shutdown(cancel=run.summary.interrupted)
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


# --- command line ---------------------------------------------------------------------------


def _month(text: str) -> str:
    if not _MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def configure_batch_parser(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="folder of PDFs (recursive), PDF, .tar/.tar.gz of PDFs, or arXiv metadata .jsonl[.gz]",
    )
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="results folder")
    command.add_argument(
        "--workers", type=_positive, default=None, help="worker processes (default: CPU count)"
    )
    from screener.cli import add_backend_options

    # --parser, --extractor, --grobid-url, and the LLM flags (--model, ..., --llm-concurrency)
    add_backend_options(command)
    command.add_argument(
        "--retry-failed", action="store_true", help="screen again the papers that failed before"
    )
    command.add_argument(
        "--categories",
        default=None,
        metavar="CATS",
        help="comma-separated arXiv categories, e.g. cs.LG,cs.CL (any match keeps a paper)",
    )
    command.add_argument("--since", type=_month, default=None, metavar="YYYY-MM")
    command.add_argument("--until", type=_month, default=None, metavar="YYYY-MM")
    command.add_argument(
        "--limit", type=_positive, default=None, help="take at most N papers from the inputs"
    )
    command.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: only on a terminal)",
    )
    return command


def add_batch_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `batch` on the CLI's subparsers; the handler is `args.handler(args)`."""
    command = subparsers.add_parser(
        "batch",
        help="screen many papers into a resumable results folder",
        description="Screen folders of PDFs, arXiv bulk tars and arXiv metadata snapshots into "
        "DIR/results.sqlite, then export results.parquet, results.csv and results.jsonl. "
        "A re-run skips papers already screened.",
    )
    configure_batch_parser(command)
    command.set_defaults(handler=run_batch_command)
    return command


def options_from_args(
    args: argparse.Namespace, backends: dict[str, dict[str, str]] | None = None
) -> BatchOptions:
    from screener.cli import settings_from_args

    settings = settings_from_args(args)
    categories = frozenset(c.strip() for c in (args.categories or "").split(",") if c.strip())
    if args.since and args.until and args.since > args.until:
        raise ScreenerError(f"--since {args.since} is after --until {args.until}")
    return BatchOptions(
        inputs=list(args.inputs),
        out=args.out,
        parser=settings.parser,
        extractor=settings.extractor,
        workers=args.workers or os.cpu_count() or 1,
        llm_concurrency=args.llm_concurrency or 4,
        retry_failed=args.retry_failed,
        filters=Filters(categories=categories, since=args.since, until=args.until),
        limit=args.limit,
        progress=args.progress,
        settings=settings,
        backends=backends or {},
    )


def run_batch_command(
    args: argparse.Namespace, backends: dict[str, dict[str, str]] | None = None
) -> int:
    """Run a batch; 0 when it completed (failed papers are rows), 2 on bad input, 130 on ^C."""
    try:
        options = options_from_args(args, backends)
        if options.filters.categories and any(
            input_kind(p) in ("folder", "pdf", "tar") for p in options.inputs
        ):
            print(
                "note: --categories only filters papers whose categories are known "
                "(metadata records, old-style arXiv file names); other PDFs are kept",
                file=sys.stderr,
            )

        def announce(workers: int, kind: str) -> None:
            print(f"screening into {options.out} with {workers} worker {kind}", file=sys.stderr)

        summary = run_batch(options, on_start=announce)
    except ScreenerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    print(f"results: {options.out}/results.parquet, results.csv, results.jsonl")
    return 130 if summary.interrupted else 0


def main(
    argv: Sequence[str] | None = None, backends: dict[str, dict[str, str]] | None = None
) -> int:
    """`python -m screener.batch ...` (the same flags as `screener batch`)."""
    parser = configure_batch_parser(
        argparse.ArgumentParser(prog="screener batch", description="Screen many papers.")
    )
    return run_batch_command(parser.parse_args(argv), backends)


if __name__ == "__main__":
    sys.exit(main())
