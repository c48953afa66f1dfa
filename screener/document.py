"""What a parser returns: one paper as structured text with page numbers.

The model is frozen: later stages read it, never change it. Every paragraph knows its
page so that extracted evidence can point back to where it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paragraph(_Frozen):
    text: str
    page: int | None = Field(default=None, description="1-based page number; None when unknown")


class Section(_Frozen):
    heading: str = Field(
        description="heading as printed, without its number; '' for text before the first heading"
    )
    number: str | None = Field(default=None, description="section number as printed, e.g. '3.1'")
    level: int = Field(default=1, ge=1, description="1 for a section, 2 for a subsection, ...")
    paragraphs: tuple[Paragraph, ...] = ()


class Caption(_Frozen):
    kind: Literal["figure", "table"]
    label: str | None = Field(default=None, description="e.g. 'Figure 3'")
    text: str
    page: int | None = None


class Reference(_Frozen):
    text: str
    page: int | None = None


class Document(_Frozen):
    source: str = Field(description="path or name the document was read from")
    sha256: str = Field(
        description="sha256 of the source file's bytes (or of the record for metadata input)"
    )
    parser: str = Field(description="parser that produced this document, with its version")
    title: str | None = None
    authors: tuple[str, ...] = ()
    abstract: str | None = None
    abstract_page: int | None = None
    sections: tuple[Section, ...] = ()
    captions: tuple[Caption, ...] = ()
    references: tuple[Reference, ...] = ()
    pages: int = Field(default=0, ge=0, description="number of pages in the source")
    meta: dict[str, str] = Field(
        default_factory=dict,
        description="extra facts known about the source (arXiv id, year, categories)",
    )
    warnings: tuple[str, ...] = Field(
        default=(), description="what the parser had to guess or gave up on"
    )

    def paragraphs(self) -> Iterator[tuple[Section, Paragraph]]:
        """Every body paragraph in reading order, with the section it belongs to."""
        for section in self.sections:
            for paragraph in section.paragraphs:
                yield section, paragraph

    def passages(self) -> Iterator[tuple[str, str, int | None]]:
        """Every piece of text an extractor may quote: (where, text, page).

        `where` is 'title', 'abstract', 'caption', or the heading of a body section.
        """
        if self.title:
            yield "title", self.title, 1 if self.pages else None
        if self.abstract:
            yield "abstract", self.abstract, self.abstract_page
        for section, paragraph in self.paragraphs():
            yield section.heading or "body", paragraph.text, paragraph.page
        for caption in self.captions:
            yield "caption", caption.text, caption.page

    def body_words(self) -> int:
        return sum(len(p.text.split()) for _, p in self.paragraphs())

    def text(self) -> str:
        """All quotable text joined by blank lines (what evidence must be found in)."""
        return "\n\n".join(text for _, text, _ in self.passages())
