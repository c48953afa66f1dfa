"""One paper through every stage: parse, extract, judge. Used by the CLI, batch and the app.

A screening never raises for a bad paper: the record carries the error instead, so that one
broken file never costs the others their results.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from screener.design import Design
from screener.document import Document
from screener.errors import ScreenerError
from screener.extract import Extractor, get_extractor
from screener.parse import Parser, get_parser
from screener.profile import Profile, SecondaryStrategy, Threat
from screener.rules import RULES_VERSION, judge
from screener.settings import Settings, load_settings


class DocumentSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    abstract: str | None = None
    pages: int = 0


class Usage(BaseModel):
    """What an LLM extraction cost (zero for offline extractors)."""

    model_config = ConfigDict(extra="forbid")

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    requests: int = 0
    cached: bool = False


class Record(BaseModel):
    """The result of screening one paper: what `--json` prints, one per line."""

    model_config = ConfigDict(extra="forbid")

    source: str
    sha256: str | None = None
    document: DocumentSummary = Field(default_factory=DocumentSummary)
    design: Design | None = None
    profile: Profile | None = None
    threats: list[Threat] = Field(default_factory=list)
    also_present: list[SecondaryStrategy] = Field(
        default_factory=list,
        description="strategies the paper also uses that no headline claim rests on",
    )
    rules_version: str = RULES_VERSION
    parser: str | None = None
    extractor: str | None = None
    error: str | None = None
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    meta: dict[str, str] = Field(default_factory=dict)
    extraction: dict[str, Any] = Field(
        default_factory=dict,
        description="what produced the design beyond its name: model, prompt name and "
        "sha256, cache key",
    )

    @property
    def ok(self) -> bool:
        return self.error is None


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def screen_document(
    document: Document, extractor: Extractor, record: Record | None = None
) -> Record:
    """Extract and judge an already parsed document."""
    record = record or Record(source=document.source)
    record.sha256 = document.sha256
    record.parser = record.parser or document.parser
    record.meta = dict(document.meta)
    record.document = DocumentSummary(
        title=document.title, abstract=document.abstract, pages=document.pages
    )
    start = time.perf_counter()
    design = extractor.extract(document)
    record.timings_ms["extract"] = _elapsed_ms(start)
    # An extractor that fell back to another one says so through `last_name` (see extract/llm.py).
    record.extractor = getattr(extractor, "last_name", None) or extractor.name
    usage = getattr(extractor, "last_usage", None)
    if isinstance(usage, dict):
        record.usage = Usage(**usage)
    info = getattr(extractor, "last_info", None)
    if isinstance(info, dict):
        record.extraction = dict(info)
    record.design = design
    start = time.perf_counter()
    judgment = judge(design)
    record.timings_ms["judge"] = _elapsed_ms(start)
    record.profile = judgment.profile
    record.threats = list(judgment.threats)
    record.also_present = list(judgment.also_present)
    record.rules_version = judgment.rules_version
    return record


def screen_file(
    path: Path | str,
    parser: Parser | None = None,
    extractor: Extractor | None = None,
    settings: Settings | None = None,
) -> tuple[Record, Document | None]:
    """Screen one file. Errors end up in `record.error` as one sentence naming the file."""
    settings = settings or load_settings()
    path = Path(path)
    record = Record(source=str(path))
    try:
        parser = parser or get_parser(settings.parser, settings)
        extractor = extractor or get_extractor(settings.extractor, settings)
        start = time.perf_counter()
        document = parser.parse(path)
        record.timings_ms["parse"] = _elapsed_ms(start)
        record.parser = document.parser
        return screen_document(document, extractor, record), document
    except ScreenerError as exc:
        record.error = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
    except Exception as exc:  # a bug must cost one paper, not the batch: record it, go on
        record.error = f"{path}: unexpected error ({type(exc).__name__}: {exc})"
    return record, None


def record_json(record: Record) -> dict[str, Any]:
    return record.model_dump(mode="json")
