"""Write small fictional papers (and broken files) as PDFs for tests.

Every fixture is made from text the tests pass in, laid out with PyMuPDF the way journal
templates do: a title block, an abstract, numbered bold headings, justified-ish body text with
first-line indents, one or two columns, captions, a reference list with hanging indents, and
optional running header, page numbers, review line numbers and an arXiv-style margin stamp.

Conventions inside paragraph strings:
- a literal "-\\n" forces a hyphenated line break at that spot ("inter-\\nnational");
- a paragraph starting with "Figure N:" / "Table N:" is set as a caption (smaller, spaced).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

PAGE_W, PAGE_H = 612.0, 792.0
MARGIN_X, TOP, BOTTOM = 72.0, 72.0, 720.0
GUTTER = 24.0
BODY_FONT, BOLD_FONT = "tiro", "tibo"
BODY_SIZE, LEADING = 10.0, 12.5
_CAPTION = re.compile(r"^(Figure|Fig\.|Table)\s+\d+[:.]")

# A short fictional study used by default, so callers can write a paper in one line.
DEFAULT_TITLE = "Warm Restarts Do Not Explain the Gains of the Quillfeather Optimiser"
DEFAULT_ABSTRACT = (
    "We revisit the Quillfeather optimiser, a fictional adaptive method whose reported gains "
    "on small vision benchmarks were attributed to its warm-restart schedule. Across four "
    "seeds and three synthetic datasets we ablate the schedule, the momentum correction and the "
    "weight decay coupling. Removing warm restarts changes accuracy by less than half a point, "
    "while removing the momentum correction costs three points. We conclude that the original "
    "explanation was not supported by the evidence."
)
DEFAULT_SECTIONS: list[tuple[str, list[str]]] = [
    (
        "1 Introduction",
        [
            "Optimisers for deep networks are often compared on a handful of benchmarks with a "
            "single seed, which makes it hard to tell which component produces a gain. The "
            "Quillfeather optimiser is a convenient case because its authors named one component "
            "as the cause of its improvement over plain momentum.",
            "We test that claim with a factorial ablation on synthetic image data whose difficulty "
            "we control. Our contribution is a careful inter-\nnational replication protocol that "
            "other groups can reuse without access to our hardware.",
        ],
    ),
    (
        "2 Method",
        [
            "Each run trains a small residual network for thirty epochs with a batch size of one "
            "hundred and twenty eight. We vary one component at a time and keep every other "
            "setting fixed, including the data order within each seed.",
            "Figure 1: Accuracy of every ablated variant on the three synthetic datasets.",
            "The synthetic datasets differ in the number of classes and in label noise, so that a "
            "component that only helps on easy data would show an interaction with difficulty.",
        ],
    ),
    (
        "3 Results",
        [
            "Table 1: Mean accuracy and standard deviation over four seeds.",
            "Warm restarts made no reliable difference, while the momentum correction mattered on "
            "every dataset. The weight decay coupling helped only on the noisiest dataset.",
        ],
    ),
    (
        "4 Conclusion",
        [
            "The gain of the Quillfeather optimiser comes from its momentum correction rather "
            "than from its schedule. Claims about the cause of a gain need ablations with seeds.",
        ],
    ),
]
DEFAULT_REFERENCES = [
    "A. Birchwood and C. Dunmore. The Quillfeather optimiser: adaptive steps with warm restarts. "
    "In Proceedings of the Imaginary Conference on Learning, pages 1-9, 2031.",
    "E. Fairweather. Seeds, variance and the reporting of small gains. Journal of Invented "
    "Results, 4(2):10-20, 2030.",
    "G. Holloway, I. Juniper and K. Larkspur. Synthetic benchmarks with controlled difficulty. "
    "Made-up Workshop on Data, 2029.",
]


@dataclass
class _Cursor:
    """Where the next line goes: page, column and baseline."""

    doc: pymupdf.Document
    columns: int
    line_numbers: bool
    page: pymupdf.Page | None = None
    col: int = 0
    y: float = TOP
    top: float = TOP
    line_no: int = 0
    pages: list[pymupdf.Page] = field(default_factory=list)

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.pages.append(self.page)
        self.col, self.y, self.top = 0, TOP, TOP

    @property
    def width(self) -> float:
        if self.columns == 1:
            return PAGE_W - 2 * MARGIN_X
        return (PAGE_W - 2 * MARGIN_X - GUTTER) / 2

    @property
    def x(self) -> float:
        return MARGIN_X + self.col * (self.width + GUTTER)

    def need(self, height: float) -> None:
        if self.page is None:
            self.new_page()
        if self.y + height > BOTTOM:
            if self.col + 1 < self.columns:
                self.col += 1
                self.y = self.top
            else:
                self.new_page()

    def put(
        self, text: str, size: float, font: str, indent: float = 0.0, full: bool = False
    ) -> None:
        """One line of text at the cursor, moving it down."""
        self.need(size * 1.25)
        assert self.page is not None
        x = MARGIN_X + indent if full else self.x + indent
        self.y += size * 1.25
        self.page.insert_text((x, self.y), text, fontname=font, fontsize=size)
        if self.line_numbers and not full:
            self.line_no += 1
            self.page.insert_text(
                (MARGIN_X - 30, self.y), str(self.line_no), fontname=BODY_FONT, fontsize=7
            )

    def skip(self, height: float) -> None:
        self.y += height


def _wrap(text: str, width: float, size: float, font: str, first_indent: float = 0.0) -> list[str]:
    """Greedy word wrap; "-\\n" in the text forces a hyphenated break there."""
    lines: list[str] = []
    segments = text.split("-\n")
    for s_index, segment in enumerate(segments):
        words = segment.split()
        current = ""
        for word in words:
            trial = f"{current} {word}".strip()
            limit = width - (first_indent if not lines else 0.0)
            if current and pymupdf.get_text_length(trial, fontname=font, fontsize=size) > limit:
                lines.append(current)
                current = word
            else:
                current = trial
        if s_index < len(segments) - 1:
            lines.append(current + "-")  # the forced break: the next segment starts a new line
        elif current:
            lines.append(current)
    return lines


def _paragraph(cursor: _Cursor, text: str, indent_first: bool) -> None:
    if _CAPTION.match(text):
        cursor.skip(6)
        for line in _wrap(text, cursor.width, 9.0, BODY_FONT):
            cursor.put(line, 9.0, BODY_FONT)
        cursor.skip(6)
        return
    indent = 12.0 if indent_first else 0.0
    for i, line in enumerate(_wrap(text, cursor.width, BODY_SIZE, BODY_FONT, indent)):
        cursor.put(line, BODY_SIZE, BODY_FONT, indent if i == 0 else 0.0)


def _heading(cursor: _Cursor, heading: str) -> None:
    sub = re.match(r"^\d+\.\d+", heading) is not None
    size = 11.0 if sub else 12.0
    cursor.need(size * 1.25 + 3 * LEADING)  # keep a heading with its first lines
    cursor.skip(8)
    cursor.put(heading, size, BOLD_FONT)
    cursor.skip(3)


def write_paper(
    path: Path | str,
    title: str = DEFAULT_TITLE,
    abstract: str | None = DEFAULT_ABSTRACT,
    sections: Sequence[tuple[str, Sequence[str]]] = DEFAULT_SECTIONS,
    *,
    columns: int = 1,
    authors: Sequence[str] = ("Ada Fernhill", "Basil Quorn"),
    header: str | None = None,
    page_numbers: bool = True,
    references: Sequence[str] = DEFAULT_REFERENCES,
    line_numbers: bool = False,
    arxiv_stamp: str | None = None,
    metadata_title: str | None = None,
    appendix: Sequence[tuple[str, Sequence[str]]] = (),
) -> Path:
    """Write a fictional paper and return its path.

    `sections` are (heading as printed, paragraphs); a heading like "2.1 Setup" is a subsection.
    `appendix` sections (e.g. ("A Glossary", [...])) follow the reference list.
    """
    path = Path(path)
    doc = pymupdf.open()
    cursor = _Cursor(doc, columns, line_numbers)
    cursor.new_page()
    title_lines = _wrap(title, PAGE_W - 2 * MARGIN_X - 40, 17.0, BOLD_FONT)
    for line in title_lines:
        cursor.put(line, 17.0, BOLD_FONT, indent=20.0, full=True)
    if authors:
        cursor.skip(6)
        cursor.put(", ".join(authors), 11.0, BODY_FONT, indent=20.0, full=True)
        cursor.put(
            "Department of Imaginary Studies, Nowhere University",
            9.0,
            BODY_FONT,
            indent=20.0,
            full=True,
        )
    if abstract:
        cursor.skip(12)
        cursor.put("Abstract", 11.0, BOLD_FONT, indent=200.0, full=True)
        for line in _wrap(abstract, PAGE_W - 2 * MARGIN_X - 60, 9.5, BODY_FONT):
            cursor.put(line, 9.5, BODY_FONT, indent=30.0, full=True)
    cursor.skip(10)
    cursor.top = cursor.y  # columns start below the title block on page 1
    for heading, paragraphs in sections:
        _heading(cursor, heading)
        for i, text in enumerate(paragraphs):
            _paragraph(cursor, text, indent_first=i > 0 and not _CAPTION.match(paragraphs[i - 1]))
    if references:
        _heading(cursor, "References")
        for entry in references:
            for i, line in enumerate(_wrap(entry, cursor.width - 10, 9.0, BODY_FONT)):
                cursor.put(line, 9.0, BODY_FONT, indent=0.0 if i == 0 else 10.0)
            cursor.skip(2)
    for heading, paragraphs in appendix:
        _heading(cursor, heading)
        for i, text in enumerate(paragraphs):
            _paragraph(cursor, text, indent_first=i > 0)
    for number, page in enumerate(doc, start=1):
        if header:
            page.insert_text((MARGIN_X, 45), header, fontname=BODY_FONT, fontsize=8)
        if page_numbers:
            page.insert_text((PAGE_W / 2 - 3, 755), str(number), fontname=BODY_FONT, fontsize=9)
    if arxiv_stamp:
        doc[0].insert_text((30, 560), arxiv_stamp, fontname=BODY_FONT, fontsize=18, rotate=90)
    if metadata_title is not None:
        doc.set_metadata({"title": metadata_title})
    doc.save(path)
    doc.close()
    return path


def write_text_pdf(path: Path | str, text: str = "A single line of fictional text.") -> Path:
    """A one-page PDF holding one line of text (for corruption tests)."""
    path = Path(path)
    doc = pymupdf.open()
    doc.new_page(width=PAGE_W, height=PAGE_H).insert_text(
        (72, 100), text, fontname=BODY_FONT, fontsize=11
    )
    doc.save(path)
    doc.close()
    return path


def write_encrypted_pdf(path: Path | str, password: str = "quillfeather") -> Path:
    """A paper that needs a user password to open."""
    path = Path(path)
    tmp = write_paper(path.with_suffix(".plain.pdf"))
    doc = pymupdf.open(tmp)
    doc.save(
        path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner"
    )
    doc.close()
    tmp.unlink()
    return path


def write_scanned_pdf(path: Path | str, pages: int = 2) -> Path:
    """Pages that carry only an image (a grey bitmap), no text layer: what a scan looks like."""
    path = Path(path)
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 60, 80), False)
    pix.clear_with(200)
    png = pix.tobytes("png")
    for _ in range(pages):
        page = doc.new_page(width=PAGE_W, height=PAGE_H)
        page.insert_image(pymupdf.Rect(72, 72, PAGE_W - 72, PAGE_H - 72), stream=png)
    doc.save(path)
    doc.close()
    return path


def write_truncated_pdf(path: Path | str, keep: float = 0.05, source: Path | None = None) -> Path:
    """The first `keep` fraction of a valid paper's bytes (a download cut short).

    The default cut leaves nothing readable (a bad input); with keep=0.5 MuPDF repairs the
    file and the first page's text survives.
    """
    path = Path(path)
    if source is None:
        source = write_paper(path.with_suffix(".full.pdf"))
    data = Path(source).read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path
