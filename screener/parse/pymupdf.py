"""Default parser: PyMuPDF text layer -> `Document`, with layout heuristics.

The work is line-based: every page gives horizontal text lines with font size and weight;
margins, running headers/footers, page and line numbers are dropped; columns are detected per
page to put lines in reading order; lines are then grouped into headings and paragraphs.
Only `get_text("dict")` without images is read, and the per-line Python work is kept small:
the layout heuristics add about 40% to MuPDF's own extraction time.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from screener.document import Caption, Document, Paragraph, Reference, Section
from screener.errors import InputError
from screener.parse.text import clean, join_lines, vocabulary

# Damaged files are reported through InputError; MuPDF's own console messages would only
# add noise to the CLI's output.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

# Images are never decoded, ligatures are expanded by MuPDF itself.
_FLAGS = (pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES) | pymupdf.TEXT_MEDIABOX_CLIP
_BOLD_FONT = re.compile(r"bold|medi|black|heavy|semibold|demi|cmbx|bx\d|-b$|\.b$", re.I)
_ICON_FONT = re.compile(r"awesome|wingding|dingbat|symbolmt", re.I)
_PAGE_NUMBER = re.compile(
    r"^\W*(?:page\s*)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?\W*$", re.I
)
_LETTERS = re.compile(r"[^\W\d_]")
# A heading starts with a number, a capital letter or "Appendix".
_HEAD_START = re.compile(r"^(?:\d|[A-Z]|[IVX]+\.)")
_LOOKS_LIKE_HEADING = re.compile(
    r"^(\d+(\.\d+)*\.?\s|abstract$|introduction$|contents$|references$)", re.I
)
_DIGITS = re.compile(r"^\d{1,4}$")
_NUMBERED = re.compile(r"^((?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3}|[IVX]{1,5})(\.?)\s+(\S.*)$")
_APPENDIX_PREFIX = re.compile(r"^(?:appendix|appendices)\b[\s:.]*", re.I)
_KNOWN = re.compile(
    r"(abstract|introduction|related work|background|preliminaries|methods?|methodology|"
    r"approach|experiments?|experimental (?:setup|results)|evaluation|results|discussion|"
    r"analysis|conclusions?|conclusion and future work|conclusions and future work|"
    r"limitations|future work|broader impacts?|ethics statement|reproducibility statement|"
    r"acknowledge?ments?|references|bibliography|literature cited|appendix|appendices|"
    r"supplementary materials?|summary)",
    re.I,
)
_REFERENCES = re.compile(r"(references|bibliography|literature cited|works cited)", re.I)
_CAPTION = re.compile(
    r"^(figure|fig\.|table)\s*((?:[A-Z]\.?)?\d{1,3}(?:\.\d{1,2})?|[IVX]{1,5})\s*([:.|]|—|–)\s*",
    re.I,
)
_CAPTION_BARE = re.compile(
    r"^(figure|fig\.|table)\s*((?:[A-Z]\.?)?\d{1,3}(?:\.\d{1,2})?|[IVX]{1,5})\b\s*", re.I
)
# Footnote marks that open an author or affiliation note (an abstract never starts with one).
_FOOTNOTE_MARK = re.compile(r"^[∗*†‡§¶]")
_RUNIN_ABSTRACT = re.compile(r"^(abstract|summary)\s*[.:—–-]\s*", re.I)
_REF_LABEL = re.compile(r"^(\[[^\]\s][^\]]{0,24}\]|\d{1,3}\.\s|\(\d{1,3}\)\s)")
_BANNER = re.compile(
    r"^(arxiv|preprint|published as|under review|accepted|proceedings|in proceedings|"
    r"workshop|copyright|©|provided proper attribution|draft|technical report|journal of)",
    re.I,
)
_TITLE_MARKS = " ∗*†‡⋆§¶♠♢♣♥★✝,;:"
_AFFILIATION = re.compile(
    r"universit|institut|department|dept\.|school|college|laborator|\blab\b|research|"
    r"\binc\b|corp|company|google|microsoft|meta\b|deepmind|nvidia|openai|\bltd\b|"
    r"academy|faculty|center|centre|@|http|www\.|\d{4}",
    re.I,
)


@dataclass(slots=True)
class Line:
    """One printed line (pieces on the same baseline merged), in page coordinates."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float
    bold: bool
    col: int = 0  # 0 full width / single column, 1 left, 2 right
    lead: bool = False  # the first span is bold ("Figure 1" set in bold before the caption)

    @property
    def mid(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Block:
    """A heading or a paragraph being built from lines."""

    lines: list[Line]
    heading: bool = False
    number: str | None = None
    title: str = ""
    level: int = 1
    size: float = 0.0
    footnote: bool = False

    @property
    def page(self) -> int:
        return self.lines[0].page


class PyMuPDFParser:
    """Parse a PDF's text layer with PyMuPDF and layout heuristics."""

    name = "pymupdf"

    def __init__(
        self,
        max_pdf_mb: float | None = None,
        max_pages: int | None = None,
        max_page_chars: int | None = None,
    ) -> None:
        self.max_pdf_mb = max_pdf_mb
        self.limits = _Limits(max_pages, max_page_chars)

    @classmethod
    def from_settings(cls, settings: Any) -> PyMuPDFParser:
        return cls(
            max_pdf_mb=getattr(settings, "max_pdf_mb", None),
            max_pages=getattr(settings, "max_pages", None),
            max_page_chars=getattr(settings, "max_page_chars", None),
        )

    def parse(self, path: Path) -> Document:
        path = Path(path)
        data = _read_bytes(path, self.max_pdf_mb)
        doc = _open(path, data)
        # MuPDF rebuilds a damaged cross-reference table silently; read the flag before pages.
        repaired = bool(doc.is_repaired)
        try:
            self.limits.check_pages(path, doc.page_count)
            return _parse_open(path, data, doc, repaired, self.limits)
        except InputError:
            raise
        except Exception as exc:  # a broken file must never escape as a raw library error
            raise InputError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
        finally:
            doc.close()


# --------------------------------------------------------------------------- input checks


@dataclass(frozen=True, slots=True)
class _Limits:
    """Caps that keep one hostile or absurd file from costing seconds and hundreds of MB: a
    3,000-page file is refused before any page is read, a page with megabytes of tiny glyphs
    right after that page (the rest of the file is not read)."""

    max_pages: int | None = None
    max_page_chars: int | None = None

    def check_pages(self, path: Path, count: int) -> None:
        if self.max_pages is not None and count > self.max_pages:
            raise InputError(
                str(path),
                f"{count:,} pages, over the {self.max_pages:,}-page limit (SCREENER_MAX_PAGES)",
            )

    def check_page_chars(self, path: Path, number: int, lines: list[Line]) -> None:
        if self.max_page_chars is None:
            return
        chars = sum(len(line.text) for line in lines)
        if chars > self.max_page_chars:
            raise InputError(
                str(path),
                f"page {number} holds {chars:,} characters of text, over the "
                f"{self.max_page_chars:,} per-page limit (SCREENER_MAX_PAGE_CHARS)",
            )


def _read_bytes(path: Path, max_mb: float | None) -> bytes:
    source = str(path)
    if not path.exists():
        raise InputError(source, "file not found")
    if path.is_dir():
        raise InputError(source, "is a directory, not a PDF")
    try:
        size = path.stat().st_size
        if max_mb is not None and size > max_mb * 1024 * 1024:
            raise InputError(
                source, f"file is {size / 1048576:.1f} MB, over the {max_mb:g} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(source, f"cannot read file ({exc.strerror or exc})") from exc
    if not data:
        raise InputError(source, "empty file")
    head = data[:1024]
    if b"%PDF-" not in head:
        raise InputError(source, f"not a PDF (starts with {repr(data[:8])[1:]})")
    return data


def _open(path: Path, data: bytes) -> pymupdf.Document:
    source = str(path)
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf.FileDataError, RuntimeError, ValueError ...
        raise InputError(source, "corrupt PDF, cannot be opened") from exc
    if doc.needs_pass:
        doc.close()
        raise InputError(source, "encrypted, needs a password")
    try:
        count = doc.page_count
    except Exception as exc:
        doc.close()
        raise InputError(source, "corrupt PDF, no readable page tree") from exc
    if count == 0:
        doc.close()
        raise InputError(source, "corrupt PDF, no pages")
    return doc


# --------------------------------------------------------------------------- page lines


_FONT_KIND: dict[str, tuple[bool, bool]] = {}


def _font_kind(font: str) -> tuple[bool, bool]:
    """(bold, icon) for a font name; cached because the same few fonts repeat."""
    kind = _FONT_KIND.get(font)
    if kind is None:
        kind = (bool(_BOLD_FONT.search(font)), bool(_ICON_FONT.search(font)))
        _FONT_KIND[font] = kind
    return kind


def _page_lines(page: pymupdf.Page, number: int) -> tuple[list[Line], bool]:
    """Horizontal text lines of one page; second value says whether the page has images."""
    info = page.get_text("dict", flags=_FLAGS)
    out: list[Line] = []
    for block in info["blocks"]:
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            direction = line["dir"]
            if abs(direction[1]) > 0.05 or direction[0] < 0:
                continue  # rotated margin stamps, vertical axis labels
            pieces = []
            sizes: dict[float, int] = {}
            bold_chars = chars = 0
            lead_bold: bool | None = None
            for span in line["spans"]:
                text = span["text"]
                if text.isspace() or not text:
                    pieces.append(" ")
                    continue
                font = span["font"]
                kind = _FONT_KIND.get(font) or _font_kind(font)
                if kind[1]:
                    continue  # icon fonts (logos before titles)
                pieces.append(text)
                n = len(text)
                chars += n
                size = span["size"]
                sizes[size] = sizes.get(size, 0) + n
                bold = bool(kind[0] or span["flags"] & 16)
                if bold:
                    bold_chars += n
                if lead_bold is None:
                    lead_bold = bold
            if not chars:
                continue
            text = clean("".join(pieces))
            if not text:
                continue
            x0, y0, x1, y1 = line["bbox"]
            out.append(
                Line(
                    number,
                    x0,
                    y0,
                    x1,
                    y1,
                    text,
                    round(max(sizes, key=sizes.__getitem__), 1),
                    bold_chars >= 0.85 * chars,
                    0,
                    bool(lead_bold),
                )
            )
    # Images matter only for telling a scan from an empty page; listing them costs time.
    return out, not out and bool(page.get_images(full=False))


def _body_size(pages: list[list[Line]]) -> float:
    weights: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _neighbour(line: Line, lines: list[Line]) -> Line | None:
    """Another line on the same baseline just right of this one (e.g. "3" + "Subword ...")."""
    for other in lines:
        if (
            other is not line
            and abs(other.mid - line.mid) < 3
            and 0 <= other.x0 - line.x1 < 4 * line.size
        ):
            return other
    return None


def _drop_furniture(pages: list[list[Line]], heights: list[float], widths: list[float]) -> None:
    """Remove running headers/footers, page numbers and margin line numbers in place."""
    n = len(pages)
    keys: Counter[tuple[int, str]] = Counter()

    def key(line: Line) -> tuple[int, str]:
        return (round(line.y0 / 6), re.sub(r"\d+", "#", line.text.lower()))

    def in_band(line: Line, height: float) -> bool:
        return line.y1 < 0.13 * height or line.y0 > 0.9 * height

    for lines, height in zip(pages, heights, strict=True):
        seen = {key(line) for line in lines if in_band(line, height)}
        keys.update(seen)
    need = max(2, math.ceil(0.3 * n)) if n >= 2 else 10**9
    repeated = {k for k, count in keys.items() if count >= need}
    for i, (lines, height, width) in enumerate(zip(pages, heights, widths, strict=True)):
        kept = []
        for line in lines:
            band = in_band(line, height)
            if band and key(line) in repeated:
                continue
            if band and _PAGE_NUMBER.match(line.text):
                # A number with body text beside it is a section number, not a folio; beside
                # a running header it is the folio.
                beside = _neighbour(line, lines)
                if beside is None or (in_band(beside, height) and key(beside) in repeated):
                    continue
            if _DIGITS.match(line.text) and (line.x1 < 0.1 * width or line.x0 > 0.9 * width):
                continue  # review-copy line numbers in the margins
            kept.append(line)
        pages[i] = kept


# --------------------------------------------------------------------------- reading order


def _merge_row(lines: list[Line]) -> list[Line]:
    """Merge pieces printed on the same baseline (section number + title, split titles,
    reference labels set in a margin column), left to right."""
    lines.sort(key=lambda ln: (ln.y0, ln.x0))
    out: list[Line] = []
    row: list[Line] = []
    for line in lines:
        if row:
            head = row[0]
            tol = 0.5 * max(min(head.size, line.size), 4.0)
            if abs(head.mid - line.mid) < tol:
                row.append(line)
                continue
            out += _join_row(row)
        row = [line]
    if row:
        out += _join_row(row)
    return out


def _join_row(row: list[Line]) -> list[Line]:
    if len(row) == 1:
        return row
    row.sort(key=lambda ln: ln.x0)
    out = [row[0]]
    for line in row[1:]:
        prev = out[-1]
        if line.x0 >= prev.x1 - 1 and line.x0 - prev.x1 < 6 * prev.size:
            main = prev if len(prev.text) >= len(line.text) else line
            out[-1] = Line(
                prev.page,
                prev.x0,
                min(prev.y0, line.y0),
                line.x1,
                max(prev.y1, line.y1),
                f"{prev.text} {line.text}",
                main.size,
                prev.bold and line.bold,
                prev.col,
                prev.lead,
            )
        else:
            out.append(line)
    return out


def _order_page(lines: list[Line], width: float) -> list[Line]:
    """Lines in reading order: bands split by full-width lines, left column before right."""
    if not lines:
        return []
    long_lines = [ln for ln in lines if len(ln.text) > 25]
    left_edge = min((ln.x0 for ln in long_lines), default=0.0)
    right_edge = max((ln.x1 for ln in long_lines), default=width)
    mid = (left_edge + right_edge) / 2 if long_lines else width / 2
    n_left = sum(1 for ln in long_lines if ln.x1 < mid + 8)
    n_right = sum(1 for ln in long_lines if ln.x0 > mid - 8)
    two = n_left >= 4 and n_right >= 4 and n_left + n_right >= 0.5 * len(long_lines)
    if not two:
        return _merge_row(lines)
    for line in lines:
        # By edges, not centre: a section number sitting just right of the gutter is right.
        line.col = 2 if line.x0 > mid - 8 else 1 if line.x1 < mid + 8 else 0
    lines.sort(key=lambda ln: (ln.y0, ln.x0))
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for line in lines:
        if line.col == 0:
            out += _merge_row(left) + _merge_row(right)
            left, right = [], []
            out.append(line)
        elif line.col == 1:
            left.append(line)
        else:
            right.append(line)
    out += _merge_row(left) + _merge_row(right)
    return _merge_row_full(out)


def _merge_row_full(lines: list[Line]) -> list[Line]:
    """Merge consecutive full-width pieces on the same baseline (split titles, headings)."""
    out: list[Line] = []
    for line in lines:
        if out and line.col == 0 and out[-1].col == 0:
            prev = out[-1]
            if abs(prev.mid - line.mid) < 0.5 * prev.size and line.x0 >= prev.x1 - 1:
                out[-1] = Line(
                    prev.page,
                    prev.x0,
                    min(prev.y0, line.y0),
                    line.x1,
                    max(prev.y1, line.y1),
                    prev.text + " " + line.text,
                    prev.size,
                    prev.bold and line.bold,
                    0,
                    prev.lead,
                )
                continue
        out.append(line)
    return out


# --------------------------------------------------------------------------- title and front matter


def _find_title(
    lines: list[Line], height: float, meta_title: str, vocab: set[str], body: float
) -> tuple[str | None, list[Line]]:
    """The largest text near the top of page 1 (1-3 lines), else a real-looking metadata title."""
    candidates = [
        ln
        for ln in lines
        if ln.y0 < 0.55 * height
        and sum(ch.isalpha() for ch in ln.text) >= 3
        and not _BANNER.match(ln.text)
        and not _LOOKS_LIKE_HEADING.match(ln.text)
        and ln.size >= 6
    ]
    if candidates:
        top = max(ln.size for ln in candidates)
        chosen: list[Line] = []
        for ln in sorted(candidates, key=lambda ln: (ln.y0, ln.x0)):
            if ln.size >= top - 0.6:
                if chosen and ln.y0 - chosen[-1].y1 > 1.5 * top:
                    break
                chosen.append(ln)
                if len(chosen) == 4:
                    break
            elif chosen:
                break
        text = _tidy_title(join_lines([ln.text for ln in chosen], vocab))
        # A title stands out: larger than the body, or bold / capitals at body size.
        stands_out = top >= body + 0.9 or all(ln.bold or ln.text.isupper() for ln in chosen)
        if (
            stands_out
            and 4 <= len(text) <= 300
            and not text.lower().startswith(("abstract", "contents"))
        ):
            return text, chosen
    if _real_meta_title(meta_title):
        return clean(meta_title), []
    return None, []


def _tidy_title(text: str) -> str:
    text = re.sub(r"\s*[∗*†‡⋆§¶♠♢♣♥★✝]+(\s*[,\d]*[∗*†‡⋆§¶]*)*$", "", text)
    return text.strip(_TITLE_MARKS)


def _real_meta_title(title: str) -> bool:
    t = title.strip()
    if len(t) < 6 or " " not in t:
        return False
    low = t.lower()
    return not (
        low.endswith((".dvi", ".pdf", ".doc", ".docx", ".tex"))
        or low.startswith(("arxiv:", "microsoft word", "untitled"))
        or "writeup" in low
    )


def _find_authors(front: list[Line], title_lines: list[Line]) -> tuple[str, ...]:
    """Names in the lines right after the title, skipping affiliations and e-mails."""
    if not title_lines:
        return ()
    below = [ln for ln in front if ln.y0 >= title_lines[-1].y1 - 1][:30]
    if any(ln.bold for ln in below):
        below = [ln for ln in below if ln.bold]  # most templates set names in bold
    names: list[str] = []
    for line in below:
        text = line.text
        if _AFFILIATION.search(text) or _RUNIN_ABSTRACT.match(text) or _KNOWN.fullmatch(text):
            continue
        for part in re.split(r",|\band\b|&|\s{2,}|;", text):
            name = re.sub(r"[\d∗*†‡⋆§¶♠♢♣♥★✝]+", " ", part)
            name = " ".join(w for w in name.split() if len(w) > 1 or w.isalpha()).strip(" ,.")
            words = name.split()
            if 2 <= len(words) <= 5 and all(w[0].isupper() for w in words if w[0].isalpha()):
                names.append(name)
    return tuple(dict.fromkeys(names))[:60]


# --------------------------------------------------------------------------- headings and blocks


def _heading_info(line: Line, body: float) -> tuple[bool, str | None, str]:
    """(is heading, number, heading text without number) for one merged line."""
    text = line.text.strip().lstrip("§ ")
    if len(text) > 120 or text.endswith((",", ";")) or not _HEAD_START.match(text):
        return False, None, text
    letters = _LETTERS.findall(text)
    if len(letters) < 3 or len(text.split()) > 14:
        return False, None, text
    upper = len(letters) >= 4 and all(ch.isupper() for ch in letters)
    styled = (
        line.size >= body + 0.9
        or (line.bold and line.size >= body - 0.6)
        or (upper and line.size >= body - 0.8)
        # ICLR-style small capitals: "2.1 TASKS & TEMPLATES" is set smaller than the body.
        or (upper and text[0].isdigit() and line.size >= body - 2.5)
    )
    number = None
    appendix = _APPENDIX_PREFIX.match(text) is not None and len(text.split()) > 1
    rest = _APPENDIX_PREFIX.sub("", text) if appendix else text
    match = _NUMBERED.match(rest)
    if match and match.group(3)[:1].isupper():
        label = match.group(1)
        if label[0].isdigit() and int(label.split(".")[0]) > 30:
            return False, None, text  # a plot's tick value next to a legend entry
        # A lone capital ("A Glossary") is an appendix number only when styled as a heading.
        if label[0].isdigit() or match.group(2) or "." in label or appendix or styled:
            number, rest = label, match.group(3)
    rest = rest.rstrip(" .:")
    if not rest or not rest[0].isupper() or _CAPTION_BARE.match(rest):
        return False, None, text
    if not _WORD3.search(rest) or len(_LETTERS.findall(rest)) < 0.6 * len(rest.replace(" ", "")):
        return False, None, text  # formulas set in bold, table headers of numbers
    known = _KNOWN.fullmatch(rest) is not None
    if text.endswith(".") and not number and not known:
        return False, None, text
    if number is not None and rest[-1:].isdigit() and not styled:
        return False, None, text  # a table-of-contents row
    if known and (styled or number is not None or len(text) <= 40):
        return True, number, rest
    if number is not None and styled:
        return True, number, rest
    if (
        styled
        and number is None
        and len(rest.split()) <= 8
        and len(rest) <= 60
        and (line.bold or line.size >= body + 0.9)
    ):
        digits = sum(ch.isdigit() for ch in rest)
        if digits <= 4 and len(_LETTERS.findall(rest)) >= 0.6 * len(rest.replace(" ", "")):
            return True, None, rest
    return False, None, text


def _column_edges(
    lines: list[Line], leftmost: bool = False
) -> dict[tuple[int, int], tuple[float, float]]:
    """(left, right) text edge per page column; `leftmost` for hanging-indent lists."""
    groups: dict[tuple[int, int], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.page, line.col), []).append(line)
    edges = {}
    for k, group in groups.items():
        xs = Counter(round(ln.x0) for ln in group if len(ln.text) > 25)
        if leftmost:
            repeated = [x for x, count in xs.items() if count >= 2]
            left = min(repeated) if repeated else min(round(ln.x0) for ln in group)
        else:
            left = xs.most_common(1)[0][0] if xs else min(ln.x0 for ln in group)
        right = max(ln.x1 for ln in group)
        edges[k] = (float(left), right)
    return edges


def _ends_sentence(text: str) -> bool:
    return text.rstrip()[-1:] in ".!?:" or text.rstrip().endswith((".)", '."', ".”"))


def _typical_gap(lines: list[Line]) -> float:
    """Median space between consecutive lines of one column: the document's leading."""
    gaps = [
        b.y0 - a.y1
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page
        and a.col == b.col
        and abs(a.size - b.size) < 0.5
        and 0 <= b.y0 - a.y1 < a.size
    ]
    return statistics.median(gaps) if gaps else 1.0


def _blocks(lines: list[Line], body: float) -> list[Block]:
    """Group ordered lines into heading and paragraph blocks."""
    edges = _column_edges(lines)
    typical_gap = _typical_gap(lines)
    blocks: list[Block] = []
    current: Block | None = None
    prev: Line | None = None
    front = True  # page-1 front matter: bold author lines are not headings
    for line in lines:
        is_heading, number, title = _heading_info(line, body)
        if is_heading and front and line.page == 1:
            if number is None and _KNOWN.fullmatch(title) is None:
                is_heading = False
            else:
                front = False
        if is_heading:
            last = blocks[-1] if blocks else None
            if (
                last is not None
                and last is current
                and last.heading
                and prev is not None
                and len(last.lines) == 1
                and number is None
                and abs(prev.size - line.size) < 0.3
                and prev.bold == line.bold
                and 0 <= line.y0 - prev.y1 < 0.8 * line.size
                and prev.page == line.page
            ):
                last.lines.append(line)  # a heading wrapped over two lines
                last.title = f"{last.title} {title}"
                prev = line
                continue
            current = Block([line], heading=True, number=number, title=title, size=line.size)
            blocks.append(current)
            prev = line
            continue
        new_para = (
            current is None
            or current.heading
            or prev is None
            or prev.page != line.page
            or prev.col != line.col
            or abs(prev.size - line.size) > 0.7
        )
        if not new_para and prev is not None:
            left, right = edges[(line.page, line.col)]
            gap = line.y0 - prev.y1
            size = line.size
            if gap > max(0.45 * size, typical_gap + 0.3 * size) or gap < -2 * size:
                new_para = True
            elif 0.6 * size < line.x0 - left < 4 * size and prev.x0 - left < 0.6 * size:
                new_para = True  # first-line indent
            elif (
                prev.x1 < right - max(3 * size, 0.2 * (right - left))
                and _ends_sentence(prev.text)
                and abs(line.x0 - left) < 0.6 * size
            ):
                new_para = True  # previous line was a paragraph's short last line
        # A paragraph interrupted by a column or page break, footnotes or a figure goes on.
        broken = prev is not None and (prev.page != line.page or prev.col != line.col)
        resumes = broken or line.text[:1].islower()
        target = _last_body_block(blocks, body) if new_para and resumes else None
        if target is not None and _continues(blocks, line, body):
            target.lines.append(line)
            current = target
            prev = line
            continue
        if new_para or current is None:
            current = Block([line], size=line.size)
            blocks.append(current)
        else:
            current.lines.append(line)
        prev = line
    for block in blocks:
        if not block.heading:
            block.footnote = block.size < body - 0.6  # footnotes, affiliations, small print
    return blocks


def _last_body_block(blocks: list[Block], body: float) -> Block | None:
    """The paragraph a break may have interrupted (footnotes and figure labels skipped)."""
    for block in reversed(blocks[-12:]):
        if block.heading:
            return None
        if block.size >= body - 0.6 and (len(block.lines) > 1 or len(block.lines[0].text) > 50):
            return block
    return None


def _continues(blocks: list[Block], line: Line, body: float) -> bool:
    """A paragraph running over a column or page break: unfinished text, lower-case start."""
    target = _last_body_block(blocks, body)
    if target is None or abs(target.size - line.size) > 0.9 or target.size < body - 0.6:
        return False
    last = target.lines[-1].text
    return not _ends_sentence(last) and (line.text[:1].islower() or last.endswith("-"))


# --------------------------------------------------------------------------- assembly


def _references(lines: list[Line], vocab: set[str]) -> list[Reference]:
    """Split reference-list lines into entries by labels, hanging indents or gaps."""
    if not lines:
        return []
    edges = _column_edges(lines, leftmost=True)
    labelled = sum(1 for ln in lines if _REF_LABEL.match(ln.text))
    indented = sum(1 for ln in lines if ln.x0 - edges[(ln.page, ln.col)][0] > 0.8 * ln.size)
    entries: list[list[Line]] = []
    prev: Line | None = None
    for line in lines:
        left = edges[(line.page, line.col)][0]
        if labelled >= 0.15 * len(lines):
            start = bool(_REF_LABEL.match(line.text))
        elif indented >= 0.2 * len(lines):
            start = line.x0 - left < 0.5 * line.size
        else:
            start = prev is None or prev.page != line.page or prev.col != line.col
            start = (
                start
                or line.y0 - prev.y1 > 0.3 * line.size
                or prev.x1 < edges[(prev.page, prev.col)][1] - 4 * prev.size
            )
        if start or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
        prev = line
    return [
        Reference(text=join_lines([ln.text for ln in e], vocab), page=e[0].page) for e in entries
    ]


_WORDLIKE = re.compile(r"[A-Za-z][a-z]{2,}")
_WORD3 = re.compile(r"[^\W\d_]{3,}")


def _looks_like_prose(text: str) -> bool:
    """At least a few words, most of them words rather than numbers or symbols."""
    tokens = text.split()
    if len(tokens) < 4:
        return False
    if len(tokens) > 60:
        return True
    words = sum(1 for t in tokens if _WORDLIKE.match(t))
    return words >= 0.5 * len(tokens)


def _caption(block: Block, text: str) -> Caption | None:
    match = _CAPTION.match(text)
    if not match and block.lines[0].lead:
        match = (
            _CAPTION_BARE.match(text)
            if block.lines[0].text.split()[0].lower().startswith(("fig", "table"))
            else None
        )
    if not match:
        return None
    kind = "table" if match.group(1).lower().startswith("table") else "figure"
    label = f"{kind.capitalize()} {match.group(2)}"
    return Caption(kind=kind, label=label, text=text, page=block.page)


def _parse_open(
    path: Path, data: bytes, doc: pymupdf.Document, repaired: bool, limits: _Limits
) -> Document:
    source = str(path)
    warnings: list[str] = []
    pages: list[list[Line]] = []
    heights: list[float] = []
    widths: list[float] = []
    images = 0
    failed = 0
    for number in range(doc.page_count):
        try:
            page = doc.load_page(number)
            lines, has_images = _page_lines(page, number + 1)
            heights.append(page.rect.height or 792.0)
            widths.append(page.rect.width or 612.0)
        except Exception:
            failed += 1
            lines, has_images = [], False
            heights.append(792.0)
            widths.append(612.0)
        limits.check_page_chars(path, number + 1, lines)
        images += has_images
        pages.append(lines)
    total_chars = sum(len(ln.text) for lines in pages for ln in lines)
    if failed == doc.page_count:
        raise InputError(source, "corrupt PDF, no page could be read")
    if total_chars == 0:
        if images:
            raise InputError(source, "no text layer (scanned?)")
        if repaired:
            raise InputError(source, "corrupt PDF, no readable text after repair")
        raise InputError(source, "no extractable text (empty pages)")
    sample = "".join(ln.text for lines in pages for ln in lines[:40])[:20000]
    letters = len(_LETTERS.findall(sample))
    if letters < 0.3 * len(sample) and len(sample) > 200:
        raise InputError(source, "text layer is unreadable (no proper character mapping)")
    if failed:
        warnings.append(f"{failed} of {doc.page_count} pages could not be read")
    if repaired or doc.is_repaired:
        warnings.append("PDF was damaged and repaired while opening; text may be incomplete")
    if images:
        warnings.append(f"{images} of {doc.page_count} pages have only images, no text (scanned?)")

    body = _body_size(pages)
    _drop_furniture(pages, heights, widths)
    ordered: list[Line] = []
    for lines, width in zip(pages, widths, strict=True):
        ordered += _order_page(lines, width)

    meta = doc.metadata or {}
    first = [ln for ln in ordered if ln.page == 1]
    vocab = vocabulary(ln.text for ln in ordered)
    title, title_lines = _find_title(first, heights[0], meta.get("title") or "", vocab, body)
    if title is None:
        warnings.append("no title found")
    title_ids = {id(ln) for ln in title_lines}
    body_lines = [ln for ln in ordered if id(ln) not in title_ids]
    blocks = _blocks(body_lines, body)
    first_heading = next((i for i, b in enumerate(blocks) if b.heading), len(blocks))
    front = [ln for b in blocks[:first_heading] for ln in b.lines if ln.page == 1]
    authors = _find_authors(front, title_lines)
    document = _assemble(blocks, first_heading, body, vocab, warnings)
    if (
        (repaired or doc.is_repaired)
        and not document["abstract"]
        and not any(section.paragraphs for section in document["sections"])
    ):
        raise InputError(source, "corrupt PDF, almost no text could be recovered")
    return Document(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        parser=f"pymupdf {pymupdf.VersionBind}",
        title=title,
        authors=authors,
        pages=doc.page_count,
        meta={k: v for k, v in (("pdf_title", meta.get("title") or ""),) if v},
        warnings=tuple(warnings),
        **document,
    )


def _assemble(
    blocks: list[Block], first_heading: int, body: float, vocab: set[str], warnings: list[str]
) -> dict[str, Any]:
    sections: list[Section] = []
    captions: list[Caption] = []
    references: list[Reference] = []
    abstract: str | None = None
    abstract_page: int | None = None
    heading = Block([], heading=True, title="", number=None, level=1)
    paragraphs: list[Paragraph] = []
    ref_lines: list[Line] = []
    in_refs = False
    in_abstract = False
    seen_refs = False
    abstract_size = 0.0
    h1_sizes = [b.size for b in blocks if b.heading and b.number and "." not in b.number]
    h1 = statistics.median(h1_sizes) if h1_sizes else body + 2

    def flush() -> None:
        nonlocal paragraphs
        if heading.title or paragraphs:
            level = heading.level
            sections.append(
                Section(
                    heading=heading.title,
                    number=heading.number,
                    level=level,
                    paragraphs=tuple(paragraphs),
                )
            )
        paragraphs = []

    # A table of contents may list "References" too; the list itself follows the last one.
    ref_index = max(
        (i for i, b in enumerate(blocks) if b.heading and _REFERENCES.fullmatch(clean(b.title))),
        default=-1,
    )
    for index, block in enumerate(blocks):
        if block.heading:
            title = clean(block.title)
            if in_abstract:
                in_abstract = False
            if index == ref_index:
                flush()
                in_refs, seen_refs = True, True
                heading = Block([], heading=True, title="", level=1)
                continue
            if title.lower() == "abstract" and abstract is None:
                flush()
                heading = Block([], heading=True, title="", level=1)
                in_abstract, in_refs = True, False
                continue
            in_refs = False
            flush()
            if block.number:
                block.level = block.number.count(".") + 1
            else:
                block.level = 1 if block.size >= h1 - 0.3 or _KNOWN.fullmatch(title) else 2
            block.title = title
            heading = block
            continue
        if in_refs:
            ref_lines += block.lines
            continue
        text = join_lines([ln.text for ln in block.lines], vocab)
        caption = _caption(block, text)
        if caption is not None:
            captions.append(caption)
            continue
        if not _looks_like_prose(text):
            continue  # table cells, figure ticks and labels, stray symbols
        if in_abstract and not _FOOTNOTE_MARK.match(text):
            # An author note under the heading (at the foot of the title page, with the abstract
            # itself on the next page) never starts the abstract. Size cannot tell it: many
            # abstracts are set smaller than the body.
            if abstract is None:
                abstract, abstract_page, abstract_size = text, block.page, block.size
                continue
            if (
                not block.footnote
                and block.page == abstract_page
                and abs(block.size - abstract_size) < 0.6
            ):
                abstract += "\n\n" + text
                continue
        if index < first_heading:
            if block.page == 1 and len(text.split()) < 25:
                continue  # authors, affiliations, e-mails, dates
            run_in = _RUNIN_ABSTRACT.match(text)
            if abstract is None and run_in:
                abstract, abstract_page = text[run_in.end() :], block.page
                continue
        paragraphs.append(Paragraph(text=text, page=block.page))
    flush()
    if abstract is None:
        abstract, abstract_page = _fallback_abstract(sections)
        if abstract is None:
            warnings.append("no abstract found")
    if ref_lines:
        references = _references(ref_lines, vocab)
    elif not seen_refs:
        warnings.append("no references section found")
    return {
        "abstract": abstract,
        "abstract_page": abstract_page,
        "sections": tuple(sections),
        "captions": tuple(captions),
        "references": tuple(references),
    }


def _fallback_abstract(sections: list[Section]) -> tuple[str | None, int | None]:
    """Without an 'Abstract' heading: the first long paragraph before the first heading."""
    if not sections or sections[0].heading:
        return None, None
    for paragraph in sections[0].paragraphs:
        if len(paragraph.text.split()) >= 50 and (paragraph.page or 1) <= 2:
            kept = tuple(p for p in sections[0].paragraphs if p is not paragraph)
            sections[0] = sections[0].model_copy(update={"paragraphs": kept})
            return paragraph.text, paragraph.page
    return None, None


__all__ = ["PyMuPDFParser"]
