"""Extractor backends: each turns a `Document` into a `Design`."""

from __future__ import annotations

from typing import Protocol

from screener.design import Design
from screener.document import Document


class Extractor(Protocol):
    name: str

    def extract(self, document: Document) -> Design:
        """The research design of one paper; fields not found stay 'not detected'."""
        ...


# Name -> "module:Class"; each class has `from_settings(settings)`.
EXTRACTORS: dict[str, str] = {
    "heuristic": "screener.extract.heuristic:HeuristicExtractor",
    "llm": "screener.extract.llm:LLMExtractor",
}


def get_extractor(name: str, settings: object) -> Extractor:
    from screener.registry import load_backend

    return load_backend("extractor", EXTRACTORS, name, settings)
