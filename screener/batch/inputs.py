"""What `screener batch` reads: folders of PDFs, arXiv bulk tars and arXiv metadata snapshots.

Every input is read as a stream and every paper is keyed by the sha256 of what will be screened
(a PDF's bytes, a metadata record's canonical JSON) before any parsing, so that the driver can
skip what the results store already holds without holding the inputs in memory.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import json
import os
import re
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from screener.document import Document
from screener.errors import ScreenerError
from screener.results_store import STATUS_FAILED, STATUS_SKIPPED, ResultRow, ResultsStore
from screener.settings import Settings

FULLTEXT = "fulltext"
ABSTRACT = "abstract"
METADATA_PARSER = "arxiv-metadata"
_HASH_CHUNK = 1 << 20
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
_METADATA_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")

# arXiv identifiers in file names: new style 2401.01234v2, old style hep-th0701001v1.
_NEW_ID = re.compile(r"^(\d{4})\.(\d{4,5})(v\d+)?(?!\d)")
_OLD_ID = re.compile(r"^([a-z]+(?:-[a-z]+)*)(\.[A-Z]{2})?(\d{2})(\d{2})(\d{3})(v\d+)?(?!\d)")


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


def spill(task: Any, data: bytes, folder: Path) -> PdfTask:
    """A paper whose bytes arrived in memory (a tar member), written where the parser can read
    it: under a name we chose (never the member's own), removed after screening."""
    path = folder / f"{task.key}.pdf"
    path.write_bytes(data)
    return PdfTask(
        key=task.key,
        source=task.source,
        path=path,
        arxiv_id=task.arxiv_id,
        meta=task.meta,
        temporary=True,
    )


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
