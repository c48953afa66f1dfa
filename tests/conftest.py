"""Shared fixtures. Real papers come from the corpus folder named by SCREENER_CORPUS_DIR."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from screener.llm_local import LocalServer
    from tests.recording_proxy import RecordingProxy

REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    return Path(os.environ.get("SCREENER_CORPUS_DIR", REPO.parent / "shared" / "corpus")).resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder; tests marked `corpus` are skipped when it is absent (CI has it)."""
    path = corpus_dir()
    if not (path / "pdfs").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {path} (set SCREENER_CORPUS_DIR)")
        pytest.skip(f"corpus not found at {path}")
    return path


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> list[dict[str, str]]:
    with open(corpus / "manifest.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """llama.cpp's OpenAI-compatible server with SmolLM2-135M (`make llm-local`), one per run.

    Skipped with the reason when the llm-local extra is missing; CI installs it, so there a
    missing extra fails instead of quietly skipping the real-server tests.
    """
    from screener.llm_local import LocalServer, missing

    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with LocalServer(log_path=log) as server:
        yield server


@pytest.fixture
def llama(llama_server: LocalServer) -> Iterator[RecordingProxy]:
    """The llama.cpp server behind a proxy that counts and records every request of one test."""
    from tests.recording_proxy import RecordingProxy

    with RecordingProxy(llama_server.base_url) as proxy:
        yield proxy
