"""Which text of a paper the LLM sees: the parts that state the design, within a token budget.

The codebook labels a paper from its title, abstract, introduction, conclusion (whose claims,
with the abstract's, decide which strategies count), method/setup sections, limitations, main
results and captions; those are chosen here by heading, in that order of priority.
Sections whose headings say nothing (or papers without headings) are ranked by the density of
design cues (training, seeds, baselines, scale...). The chosen paragraphs are printed in reading
order with page markers, so that the model can cite pages.

Tokens are counted offline by `count_tokens`, an approximation of OpenAI's cl100k/o200k
tokenizers (no vocabulary download): text is cut into the pieces those tokenizers pre-split into
and each piece is charged a calibrated number of tokens.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from screener.document import Document, Section

CONTEXT_VERSION = "2"
# Prompt v2 and the response schema take about 5,800 tokens; this leaves the paper about 10,000.
DEFAULT_TOKEN_BUDGET = 16_000
# The paper never gets less than this, even when the prompt alone nearly fills the budget.
MIN_PAPER_TOKENS = 1_000

# --- token counting -----------------------------------------------------------------------

# The pre-split of GPT tokenizers: letter runs (with one leading space), digit groups of up to
# three, punctuation runs, whitespace.
_PIECES = re.compile(r" ?[^\W\d_]+| ?\d{1,3}| ?[^\w\s]+|\s+")
# Tokens per ASCII letter run by its length (1..12), then characters per token beyond; fitted
# on half of the screener corpus against cl100k_base (measured error in the README section).
_WORD_COST = (1.0, 1.01, 1.08, 1.12, 1.23, 1.26, 1.29, 1.34, 1.37, 1.37, 1.39, 1.51)
_LONG_WORD_CHARS_PER_TOKEN = 8.0


def _piece_cost(piece: str) -> float:
    body = piece.lstrip(" ")
    if not body:
        return 1.0  # spaces alone
    first = body[0]
    if first.isspace():
        return 1.0
    if first.isalpha():
        if not body.isascii():
            return float(len(body))  # accented and non-Latin words split about per character
        if len(body) <= len(_WORD_COST):
            return _WORD_COST[len(body) - 1]
        return max(_WORD_COST[-1], len(body) / _LONG_WORD_CHARS_PER_TOKEN)
    if first.isdigit():
        return 1.0  # digit groups of up to three are one token
    if not body.isascii():
        return 1.2 * len(body)  # math symbols, arrows, Greek punctuation
    return (1.0, 1.05, 1.27)[len(body) - 1] if len(body) <= 3 else len(body) / 2.0


def count_tokens(text: str) -> int:
    """Approximate tokenizer count of `text` (no network, no vocabulary file)."""
    return math.ceil(sum(_piece_cost(piece) for piece in _PIECES.findall(text)))


# --- choosing sections --------------------------------------------------------------------

# Heading patterns by priority (0 = most important). Matched against the lower-cased heading.
_HEADING_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("introduction", re.compile(r"\bintro|\bmotivation|\boverview\b")),
    (
        "method",
        re.compile(
            r"method|approach|setup|set-up|experiment|training|pre-?training|fine-?tuning|"
            r"\bdata|corpus|model(s|ing)?\b|architecture|implementation|evaluation|protocol|"
            r"design|procedure|framework|hyper-?param|scal|ablation|benchmark"
        ),
    ),
    ("conclusion", re.compile(r"conclu|summary|closing remarks")),
    (
        "limitations",
        re.compile(r"limitation|discussion|threats? to validity|broader|caveat"),
    ),
    ("results", re.compile(r"result|finding|analys|empirical|study|observation")),
)
_SKIP_HEADING = re.compile(
    r"related work|background|prior work|literature|acknowledg|reference|bibliograph|"
    r"ethic|author contribution|funding|reproducibility statement|impact statement|checklist"
)
_APPENDIX = re.compile(r"^appendix|^supplementary|^[a-h]\s*$")
# Share of the paper budget a class may take before the leftover is handed out.
_CLASS_SHARE = {
    "introduction": 0.2,
    "conclusion": 0.1,
    "method": 0.35,
    "limitations": 0.08,
    "results": 0.12,
}
_CAPTION_SHARE = 0.1

# Words whose density marks a paragraph that states the design when headings do not help.
_CUES = re.compile(
    r"\b(train(ed|ing)?|fine-?tun\w*|pre-?train\w*|seeds?|runs?|ablat\w*|baselines?|"
    r"experiments?|evaluat\w*|parameters?|scal(e|es|ing)|dataset|corpus|tokens?|held-?out|"
    r"random(ly|ised|ized)?|control|compare[ds]?|extrapolat\w*|predict\w*|checkpoints?|"
    r"limitations?|confidence interval|significan\w*|regression|correlat\w*|models?)\b"
)


def cue_density(text: str) -> float:
    """Design cues per word."""
    n_words = len(text.split())
    return len(_CUES.findall(text.lower())) / n_words if n_words else 0.0


def classify_heading(heading: str) -> str:
    """'introduction', 'conclusion', 'method', 'limitations', 'results', 'skip', 'appendix' or
    'other'."""
    lowered = heading.strip().lower()
    if not lowered:
        return "other"
    if _APPENDIX.search(lowered):
        return "appendix"
    if _SKIP_HEADING.search(lowered):
        return "skip"
    for name, pattern in _HEADING_CLASSES:
        if pattern.search(lowered):
            return name
    return "other"


@dataclass
class _Chunk:
    order: int  # reading order
    kind: str  # class of its section, or "caption"
    heading: str
    text: str
    page: int | None
    tokens: int
    density: float = 0.0


@dataclass(frozen=True)
class Context:
    """The text the model sees, and what it was chosen from."""

    text: str
    tokens: int
    document_tokens: int
    sections: tuple[str, ...] = ()
    truncated: bool = False
    notes: tuple[str, ...] = field(default=())


def _section_label(section: Section) -> str:
    number = f"{section.number} " if section.number else ""
    return f"{number}{section.heading}".strip() or "(untitled)"


def _chunks(document: Document) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    for section in document.sections:
        kind = classify_heading(section.heading)
        for paragraph in section.paragraphs:
            text = " ".join(paragraph.text.split())
            if not text:
                continue
            chunk = _Chunk(
                len(chunks),
                kind,
                _section_label(section),
                text,
                paragraph.page,
                count_tokens(text) + 8,
            )
            chunk.density = cue_density(text)
            chunks.append(chunk)
    for caption in document.captions:
        label = caption.label or caption.kind.capitalize()
        text = f"{label}: {' '.join(caption.text.split())}"
        chunks.append(
            _Chunk(len(chunks), "caption", "captions", text, caption.page, count_tokens(text) + 6)
        )
    return chunks


def _headings_useful(chunks: list[_Chunk]) -> bool:
    """Whether headings tell sections apart (else cue density decides)."""
    sections = {(c.heading, c.kind) for c in chunks if c.kind != "caption"}
    known = sum(1 for _, kind in sections if kind != "other")
    return known >= 2 or (bool(sections) and known / len(sections) >= 0.5)


def _pick(chunks: list[_Chunk], budget: int) -> tuple[set[int], bool]:
    """Orders of the chunks that fit, filled by priority class, then by leftover."""
    chosen: set[int] = set()
    spent = 0

    def take(candidates: list[_Chunk], limit: int) -> None:
        nonlocal spent
        used = 0
        for chunk in candidates:
            if chunk.order in chosen:
                continue
            if used + chunk.tokens > limit or spent + chunk.tokens > budget:
                continue  # a shorter paragraph further on may still fit
            chosen.add(chunk.order)
            used += chunk.tokens
            spent += chunk.tokens

    if _headings_useful(chunks):
        for name, share in _CLASS_SHARE.items():
            take([c for c in chunks if c.kind == name], int(budget * share))
        take([c for c in chunks if c.kind == "caption"], int(budget * _CAPTION_SHARE))
        # Leftover: the same classes in priority order, then untitled sections by cue density.
        ranked = [c for name in _CLASS_SHARE for c in chunks if c.kind == name]
        ranked += [c for c in chunks if c.kind == "caption"]
        ranked += sorted((c for c in chunks if c.kind == "other"), key=lambda c: -c.density)
        ranked += sorted((c for c in chunks if c.kind == "appendix"), key=lambda c: -c.density)
        take(ranked, budget)
    else:
        # No usable headings: the opening paragraphs (usually the introduction), then by cues.
        body = [c for c in chunks if c.kind not in ("caption", "skip", "appendix")]
        take(body[:4], int(budget * 0.25))
        take([c for c in chunks if c.kind == "caption"], int(budget * _CAPTION_SHARE))
        take(sorted(body, key=lambda c: -c.density), budget)
    wanted = [c for c in chunks if c.kind not in ("skip",)]
    return chosen, len(chosen) < len(wanted)


def _render(document: Document, chunks: list[_Chunk], chosen: set[int]) -> tuple[str, list[str]]:
    lines: list[str] = []
    if document.title:
        lines.append(f"TITLE: {' '.join(document.title.split())}")
    if document.abstract:
        page = f" (p. {document.abstract_page})" if document.abstract_page else ""
        lines.append(f"ABSTRACT{page}: {' '.join(document.abstract.split())}")
    headings: list[str] = []
    current: str | None = None
    skipped = False
    for chunk in chunks:
        if chunk.order not in chosen:
            skipped = True
            continue
        if chunk.heading != current:
            current = chunk.heading
            headings.append(current)
            lines.append(
                f"\n## {'Figure and table captions' if chunk.kind == 'caption' else current}"
            )
            skipped = False
        if skipped:
            lines.append("[...]")
            skipped = False
        page = f"[p. {chunk.page}] " if chunk.page else ""
        lines.append(f"{page}{chunk.text}")
    return "\n".join(lines).strip(), headings


def select_context(document: Document, budget: int = DEFAULT_TOKEN_BUDGET) -> Context:
    """The title, abstract and the most design-relevant paragraphs that fit in `budget` tokens."""
    chunks = _chunks(document)
    head = count_tokens((document.title or "") + " " + (document.abstract or "")) + 20
    # 3% margin: headings and markers are charged roughly per paragraph.
    chosen, truncated = _pick(chunks, max(0, int((budget - head) * 0.97)))
    text, headings = _render(document, chunks, chosen)
    document_tokens = head + sum(c.tokens for c in chunks)
    notes: list[str] = []
    if not _headings_useful(chunks) and chunks:
        notes.append("headings not usable: paragraphs chosen by design-cue density")
    return Context(
        text=text,
        tokens=count_tokens(text),
        document_tokens=document_tokens,
        sections=tuple(headings),
        truncated=truncated,
        notes=tuple(notes),
    )
