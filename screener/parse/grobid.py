"""GROBID backend: send the PDF to a GROBID service, read its TEI back into a `Document`.

We talk to GROBID's documented REST endpoints with httpx rather than through
`grobid-client-python`: that client is built to process whole folders into files on disk,
prints to stdout, retries 503 without bound and brings `requests` in; we need one PDF in,
one TEI string out, bounded retries, and a clean fallback.

When GROBID cannot be reached (or keeps failing) the paper is parsed with PyMuPDF and the
`Document` says so in its `parser` field and in its warnings, unless `no_fallback` is set.

Several URLs (comma-separated) make a fleet: each paper goes to the least busy URL with a free
slot (at most `concurrency` papers in flight per URL, counted across the whole batch, see
screener/limits.py), and a URL whose health check fails is left alone for a minute while the
others carry on.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from screener.document import Document
from screener.errors import InputError, ScreenerError
from screener.limits import slot, slot_pool
from screener.parse.tei import tei_to_document

DEFAULT_URL = "http://localhost:8070"
# Elements GROBID should give coordinates for: paragraphs, sentences and headings carry the
# page numbers of body text, figures and references those of captions and bibliography.
TEI_COORDINATES = ("p", "s", "head", "figure", "biblStruct")
# After GROBID was found down, later papers in the same run skip straight to the fallback for
# this long instead of each waiting through the retries again.
DOWN_MEMORY_S = 60.0
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF_S = 1.0  # waits 1, 2, 4 s between the 4 attempts
DEFAULT_CONCURRENCY = 4  # papers in flight per GROBID URL


class GrobidUnavailable(ScreenerError):
    """GROBID did not produce TEI for a paper (unreachable, busy, or failing)."""


@dataclass
class GrobidParser:
    url: str = DEFAULT_URL
    timeout_s: float = 120.0
    attempts: int = 4
    backoff_s: float = 1.0
    no_fallback: bool = False
    max_pdf_mb: float = 200.0
    concurrency: int = DEFAULT_CONCURRENCY
    settings: Any = None
    name: str = field(default="grobid", init=False)
    urls: tuple[str, ...] = field(default=(), init=False)
    # URL -> (until when it is taken for down, why)
    _down: dict[str, tuple[float, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.urls = tuple(u.strip().rstrip("/") for u in self.url.split(",") if u.strip())
        if not self.urls:
            raise ScreenerError("no GROBID URL given")
        for url in self.urls:
            if not url.startswith(("http://", "https://")):
                raise ScreenerError(
                    f"GROBID URL {_shown(url)!r} must start with http:// or https://"
                )
        self.url = ",".join(self.urls)
        slot_pool("grobid", self.concurrency)  # under Ray: the cluster-wide pool exists now

    @classmethod
    def from_settings(cls, settings: Any, *, no_fallback: bool | None = None) -> GrobidParser:
        """Build from `Settings` (`grobid_url`, `grobid_timeout_s`, `max_pdf_mb`).

        `no_fallback` comes from the `--no-fallback` flag; `grobid_no_fallback`,
        `grobid_attempts` and `grobid_backoff_s` are read when the settings have them.
        """
        if no_fallback is None:
            no_fallback = bool(getattr(settings, "grobid_no_fallback", False))
        return cls(
            url=settings.grobid_url or DEFAULT_URL,
            timeout_s=float(settings.grobid_timeout_s),
            attempts=int(getattr(settings, "grobid_attempts", DEFAULT_ATTEMPTS)),
            backoff_s=float(getattr(settings, "grobid_backoff_s", DEFAULT_BACKOFF_S)),
            no_fallback=no_fallback,
            max_pdf_mb=float(getattr(settings, "max_pdf_mb", 200.0)),
            concurrency=int(getattr(settings, "grobid_concurrency", DEFAULT_CONCURRENCY)),
            settings=settings,
        )

    def parse(self, path: Path) -> Document:
        path = Path(path)
        pdf = _read_pdf(path, self.max_pdf_mb)
        sha256 = hashlib.sha256(pdf).hexdigest()
        pages = _page_count(pdf)
        try:
            tei = self._fetch_tei(path, pdf)
        except GrobidUnavailable as error:
            if self.no_fallback:
                raise InputError(
                    str(path), f"GROBID failed ({error}) and fallback is off"
                ) from None
            return self._fallback(path, str(error))
        try:
            return tei_to_document(tei, str(path), sha256, pages)
        except InputError as error:
            if self.no_fallback:
                raise
            return self._fallback(path, f"GROBID returned unusable TEI: {error.reason}")

    # --- talking to GROBID --------------------------------------------------------------------

    def _fetch_tei(self, path: Path, pdf: bytes) -> bytes:
        """TEI from the least busy live URL; a URL found down hands the paper to the next."""
        down_reason = ""
        while True:
            now = time.monotonic()
            live = [u for u in self.urls if u not in self._down or self._down[u][0] <= now]
            if not live:
                raise GrobidUnavailable(down_reason or self._down[self.urls[0]][1])
            with (
                slot("grobid", self.concurrency, live) as url,
                httpx.Client(timeout=self.timeout_s) as client,
            ):
                try:
                    self._check_alive(client, url)
                except GrobidUnavailable as error:
                    # Only a failed health check means "down"; a slow paper says nothing of the
                    # next.
                    self._down[url] = (time.monotonic() + DOWN_MEMORY_S, str(error))
                    down_reason = str(error)
                    continue
                return self._process(client, url, path, pdf)

    def _check_alive(self, client: httpx.Client, url: str) -> None:
        def attempt() -> bytes | None:
            response = client.get(f"{url}/api/isalive", timeout=min(self.timeout_s, 10.0))
            return response.content if response.status_code == 200 else None

        self._retry(attempt, "health check", url)

    def _process(self, client: httpx.Client, url: str, path: Path, pdf: bytes) -> bytes:
        form = {"teiCoordinates": list(TEI_COORDINATES), "consolidateHeader": "0"}

        def attempt() -> bytes | None:
            response = client.post(
                f"{url}/api/processFulltextDocument",
                files={"input": (path.name, pdf, "application/pdf")},
                data=form,
                headers={"Accept": "application/xml"},
            )
            if response.status_code == 503:
                return None  # busy: GROBID's own signal to come back later
            if response.status_code != 200 or not response.content:
                raise GrobidUnavailable(
                    f"GROBID at {_shown(url)} could not process the paper "
                    f"(HTTP {response.status_code})"
                )
            return response.content

        return self._retry(attempt, "processFulltextDocument", url)

    def _retry(self, attempt: Any, what: str, url: str) -> bytes:
        """Run `attempt` up to `self.attempts` times with exponential backoff.

        `attempt` returns the body, or None for a busy answer worth retrying; timeouts and
        connection errors are retried too. Anything else stops at once.
        """
        reason = ""
        for number in range(self.attempts):
            if number:
                time.sleep(self.backoff_s * 2 ** (number - 1))
            try:
                body = attempt()
            except httpx.TimeoutException:
                reason = f"{what} timed out after {self.timeout_s:g} s"
                continue
            except httpx.TransportError as error:
                reason = f"{what} failed: {_describe(error)}"
                continue
            if body is not None:
                return body
            reason = f"{what} answered busy or not alive"
        attempts = f"({self.attempts} attempts)"
        raise GrobidUnavailable(f"unreachable at {_shown(url)}: {reason} {attempts}")

    # --- fallback -----------------------------------------------------------------------------

    def _fallback(self, path: Path, reason: str) -> Document:
        # Imported here: the PyMuPDF backend is only needed when GROBID lets us down.
        from screener.parse.pymupdf import PyMuPDFParser
        from screener.settings import load_settings

        parser = PyMuPDFParser.from_settings(self.settings or load_settings())
        document = parser.parse(path)
        detail = reason if reason.startswith("unreachable") else f"failed: {reason}"
        return document.model_copy(
            update={
                "parser": f"{document.parser} (fallback: grobid {detail})",
                "warnings": (
                    *document.warnings,
                    f"GROBID was not used (grobid {detail}); parsed with {document.parser} instead",
                ),
            }
        )


_UNREACHABLE = re.compile(r"\(fallback: grobid unreachable at (\S+?): ")


def fallback_notice(parser: str | None) -> str | None:
    """The once-per-run stderr line for a record whose `parser` says GROBID was not used."""
    if not parser or "(fallback: grobid" not in parser:
        return None
    hint = "parsing with PyMuPDF (use --no-fallback to fail instead)"
    if match := _UNREACHABLE.search(parser):
        return f"screener: GROBID unreachable at {match.group(1)}; {hint}"
    return f"screener: GROBID could not process some papers; {hint}"


def _read_pdf(path: Path, max_mb: float) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(str(path), f"cannot read file: {error.strerror or error}") from None
    if size > max_mb * 1024 * 1024:
        raise InputError(str(path), f"file is {size / 1e6:.1f} MB, over the {max_mb:g} MB limit")
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot read file: {error.strerror or error}") from None


def _page_count(pdf: bytes) -> int | None:
    """Pages of the PDF, or None when PyMuPDF cannot open it (the TEI then supplies a count)."""
    import pymupdf

    try:
        with pymupdf.open(stream=pdf, filetype="pdf") as document:
            return document.page_count
    except Exception:  # noqa: BLE001 - any PyMuPDF failure just means "count unknown"
        return None


def _shown(url: str) -> str:
    """The URL as it may appear in messages and records: without any user:password part."""
    return re.sub(r"//[^/@]*@", "//", url)


def _describe(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:200]
