"""Evidence grounding: is a quote the model returned really in the paper?

PDF text and model output differ in ways that do not change the words: ligatures (ﬁ), curly
quotes and dashes, line-break hyphenation, runs of whitespace, letter case. Both sides are
normalised the same way and compared as word sequences, so punctuation never decides a match.
A quote counts as found when its words, in order, cover at least `threshold` of both the quote
and the stretch of document they fall in (1.0 = verbatim after normalisation; at 0.9 a 20-word
quote may differ by about two words). The document index is built once per document; each
quote then costs one longest-match search plus a small local alignment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from screener.design import CODEBOOK_CLAIMS, DETAIL_CLAIMS, Design, Evidence
from screener.document import Document
from screener.parse.text import INVISIBLE

DEFAULT_THRESHOLD = 0.9
# Shorter quotes match too easily by chance ("we train", "the model") to count as evidence.
MIN_QUOTE_WORDS = 3

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
    # Invisible characters print as nothing: they must not split a word, pad a quote to the
    # minimum length or hide a word from the match (model output and TEI text keep them).
    | dict.fromkeys(map(ord, INVISIBLE), None)
)
_INVISIBLE_MAP = dict.fromkeys(map(ord, INVISIBLE), None)
# A hyphen between letters is dropped (optionally with the line break after it), so that
# "exam-\nple", "exam- ple" and "example" agree, and "pre-training" equals "pretraining".
_HYPHEN_JOIN = re.compile(r"(?<=[^\W\d_])-\s*(?=[^\W\d_])")
_WORD = re.compile(r"[^\W_]+")


def strip_invisible(text: str) -> str:
    """The text without invisible format characters (see INVISIBLE)."""
    return text.translate(_INVISIBLE_MAP)


def normalise(text: str) -> str:
    """Lower-case text with ligatures, quotes, dashes and hyphenation folded."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP).lower()
    return _HYPHEN_JOIN.sub("", text)


def words(text: str) -> list[str]:
    """The normalised word sequence of a text (punctuation and spacing ignored)."""
    return _WORD.findall(normalise(text))


@dataclass(frozen=True)
class Match:
    score: float  # fraction of the quote's words found in order within one window
    page: int | None
    section: str | None


class DocumentIndex:
    """All quotable text of one document as one word sequence, each word knowing its passage."""

    def __init__(self, document: Document) -> None:
        self.tokens: list[str] = []
        self._owner: list[int] = []
        self._passages: list[tuple[str, int | None]] = []
        for where, text, page in document.passages():
            index = len(self._passages)
            self._passages.append((where, page))
            passage_words = words(text)
            self.tokens.extend(passage_words)
            self._owner.extend([index] * len(passage_words))
        # The long side is fixed: SequenceMatcher caches its index of seq2 across quotes.
        # autojunk stays off, otherwise frequent words ("the", "of") could never match.
        self._matcher = SequenceMatcher(None, autojunk=False)
        self._matcher.set_seq2(self.tokens)

    def find(self, quote: str) -> Match:
        """Where the quote stands best in the document, and how completely."""
        needle = words(quote)
        if not needle or not self.tokens:
            return Match(0.0, None, None)
        self._matcher.set_seq1(needle)
        anchor = self._matcher.find_longest_match(0, len(needle), 0, len(self.tokens))
        if anchor.size == 0:
            return Match(0.0, None, None)
        if anchor.size == len(needle):
            return self._match(1.0, anchor.b)
        # Align the quote against a window around its longest exact run. The score is the words
        # matched in order over the longer of the quote and the stretch of document they cover,
        # so a changed word costs as much as a word left out or one slipped in.
        slack = max(3, len(needle) // 4)
        start = max(0, anchor.b - anchor.a - slack)
        end = min(len(self.tokens), anchor.b + (len(needle) - anchor.a) + slack)
        local = SequenceMatcher(None, needle, self.tokens[start:end], autojunk=False)
        blocks = [block for block in local.get_matching_blocks() if block.size]
        matched = sum(block.size for block in blocks)
        span = blocks[-1].b + blocks[-1].size - blocks[0].b
        return self._match(matched / max(len(needle), span), anchor.b)

    def _match(self, score: float, token_position: int) -> Match:
        where, page = self._passages[self._owner[token_position]]
        return Match(score, page, where)


def ground_evidence(
    evidence: Evidence, index: DocumentIndex, threshold: float = DEFAULT_THRESHOLD
) -> Evidence:
    """The evidence with `grounded` set; when found, with the document's page and section."""
    if len(words(evidence.quote)) < MIN_QUOTE_WORDS:
        return evidence.model_copy(update={"grounded": False})
    match = index.find(evidence.quote)
    if match.score >= threshold:
        return evidence.model_copy(
            update={"grounded": True, "page": match.page or evidence.page, "section": match.section}
        )
    return evidence.model_copy(update={"grounded": False})


def ground_design(
    design: Design, index: DocumentIndex, threshold: float = DEFAULT_THRESHOLD
) -> tuple[Design, list[tuple[str, str]]]:
    """Every quote of the design checked against the document: the checked design, and the
    (field, quote) pairs that were not found."""
    failed: list[tuple[str, str]] = []

    def check(field_name: str, evidence: list[Evidence]) -> list[Evidence]:
        checked = [ground_evidence(e, index, threshold) for e in evidence]
        failed.extend((field_name, e.quote) for e in checked if not e.grounded)
        return checked

    update: dict[str, object] = {}
    for name in CODEBOOK_CLAIMS + DETAIL_CLAIMS:
        claim = getattr(design, name)
        if claim.evidence:
            update[name] = claim.model_copy(update={"evidence": check(name, claim.evidence)})
    for group, label in (
        ("strategies", "strategy"),
        ("identification", "method"),
        ("proxies", "kind"),
    ):
        items = getattr(design, group)
        update[group] = [
            item.model_copy(
                update={"evidence": check(f"{group}:{getattr(item, label).value}", item.evidence)}
            )
            for item in items
        ]
    return design.model_copy(update=update), failed


def flag_ungrounded(design: Design, failed: list[tuple[str, str]]) -> Design:
    """Record in the design which quotes could not be found, so that reports can show it."""
    if not failed:
        return design
    update: dict[str, object] = {}
    for name in {field for field, _ in failed}:
        if name in CODEBOOK_CLAIMS + DETAIL_CLAIMS:
            claim = getattr(design, name)
            missing = sum(1 for e in claim.evidence if e.grounded is False)
            note = f"ungrounded: {missing} of {len(claim.evidence)} quotes not found in the paper"
            update[name] = claim.model_copy(
                update={"note": f"{claim.note}; {note}" if claim.note else note}
            )
    listed = "; ".join(f'{field}: "{_shorten(quote)}"' for field, quote in failed)
    summary = f"ungrounded evidence (quotes not found in the paper): {listed}"
    update["notes"] = f"{design.notes}\n{summary}".strip()
    return design.model_copy(update=update)


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
