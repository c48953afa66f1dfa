"""Parser backends: each turns a paper file into a `Document`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from screener.document import Document


class Parser(Protocol):
    name: str

    def parse(self, path: Path) -> Document:
        """Read one paper; raise `InputError` naming the file and the reason when it cannot."""
        ...


# Name -> "module:Class"; each class has `from_settings(settings)`.
PARSERS: dict[str, str] = {
    "pymupdf": "screener.parse.pymupdf:PyMuPDFParser",
    "grobid": "screener.parse.grobid:GrobidParser",
}


def get_parser(name: str, settings: object) -> Parser:
    from screener.registry import load_backend

    return load_backend("parser", PARSERS, name, settings)
