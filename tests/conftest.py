"""Shared fixtures. Real papers come from the corpus folder named by SCREENER_CORPUS_DIR."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

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
