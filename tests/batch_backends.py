"""Extractors that misbehave on purpose, to test how `screener batch` copes.

Each wraps the real heuristic extractor and adds one failure mode, switched by an environment
variable so that worker processes (which inherit the environment) see the same switch.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from screener.design import Design
from screener.document import Document
from screener.errors import ExtractionError
from screener.extract.heuristic import HeuristicExtractor

SLOW_SECONDS = "SCREENER_TEST_SLOW_SECONDS"
FAIL_MARKER = "SCREENER_TEST_FAIL_MARKER"
CRASH_TITLE = "SCREENER_TEST_CRASH_TITLE"


class _Wrapped:
    name = "heuristic"

    def __init__(self) -> None:
        self._inner = HeuristicExtractor.from_settings(None)

    @classmethod
    def from_settings(cls, settings: object) -> _Wrapped:
        return cls()


class SlowExtractor(_Wrapped):
    """Takes a while per paper, so a test can kill a run in the middle."""

    def extract(self, document: Document) -> Design:
        time.sleep(float(os.environ.get(SLOW_SECONDS, "0.1")))
        return self._inner.extract(document)


class FlakyExtractor(_Wrapped):
    """Fails every paper while the marker file exists (a transient outage)."""

    def extract(self, document: Document) -> Design:
        marker = os.environ.get(FAIL_MARKER)
        if marker and Path(marker).exists():
            raise ExtractionError("the extraction service is unavailable")
        return self._inner.extract(document)


class CrashingExtractor(_Wrapped):
    """Kills its worker process on one paper, as a segfault in a native library would."""

    def extract(self, document: Document) -> Design:
        if document.title == os.environ.get(CRASH_TITLE):
            os._exit(70)
        return self._inner.extract(document)


BACKENDS = {
    "extractor": {
        "slow": "tests.batch_backends:SlowExtractor",
        "flaky": "tests.batch_backends:FlakyExtractor",
        "crashing": "tests.batch_backends:CrashingExtractor",
    }
}


class ConcurrencyProbe(_Wrapped):
    """Counts how many papers are being extracted at the same moment (thread mode only)."""

    lock = threading.Lock()
    active = 0
    peak = 0
    seen_threads: set[int] = set()

    def extract(self, document: Document) -> Design:
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
            cls.seen_threads.add(threading.get_ident())
        try:
            time.sleep(0.05)
            return self._inner.extract(document)
        finally:
            with cls.lock:
                cls.active -= 1


# --- stand-ins switched by files in the run's cache_dir ---------------------------------------
# Ray workers do not see environment variables set after the cluster started; the settings
# travel with the work, so these read their switches from `settings.cache_dir`.

TRIPWIRE = "Tripwire"  # papers whose title holds this word misbehave


class _Switched:
    name = "heuristic"

    def __init__(self, settings: object) -> None:
        self.switches = Path(getattr(settings, "cache_dir", "."))
        self._inner = HeuristicExtractor.from_settings(None)

    @classmethod
    def from_settings(cls, settings: object) -> _Switched:
        return cls(settings)


class DiesOnceExtractor(_Switched):
    """Kills its worker process the first time it meets a tripwire paper (a lost worker)."""

    def extract(self, document: Document) -> Design:
        if TRIPWIRE in (document.title or ""):
            marker = self.switches / f"died-{document.sha256}"
            if not marker.exists():
                marker.touch()
                os._exit(70)
        return self._inner.extract(document)


class DiesAlwaysExtractor(_Switched):
    """Kills its worker process on every tripwire paper (a paper that crashes a library)."""

    def extract(self, document: Document) -> Design:
        if TRIPWIRE in (document.title or ""):
            os._exit(70)
        return self._inner.extract(document)


class SleepyParser:
    """PyMuPDF, except that a tripwire paper hangs while the file `cache_dir/hang` exists."""

    name = "pymupdf"

    def __init__(self, settings: object) -> None:
        from screener.parse.pymupdf import PyMuPDFParser

        self.switch = Path(getattr(settings, "cache_dir", ".")) / "hang"
        self._inner = PyMuPDFParser.from_settings(settings)

    @classmethod
    def from_settings(cls, settings: object) -> SleepyParser:
        return cls(settings)

    def parse(self, path: Path) -> Document:
        document = self._inner.parse(path)
        while TRIPWIRE in (document.title or "") and self.switch.exists():
            time.sleep(0.05)  # a parser spinning on a hostile PDF
        return document


class HangingExtractor(_Switched):
    """The heuristic extractor, except that a tripwire paper hangs while `cache_dir/hang`
    exists (an LLM call that never returns)."""

    def extract(self, document: Document) -> Design:
        while TRIPWIRE in (document.title or "") and (self.switches / "hang").exists():
            time.sleep(0.05)
        return self._inner.extract(document)


SWITCHED = {
    "extractor": {
        "dies-once": "tests.batch_backends:DiesOnceExtractor",
        "dies-always": "tests.batch_backends:DiesAlwaysExtractor",
    },
    "parser": {"sleepy": "tests.batch_backends:SleepyParser"},
}
