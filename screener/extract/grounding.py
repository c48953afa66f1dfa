"""Evidence grounding: is a quote the model returned really in the paper?

PDF text and model output differ in ways that do not change the words: ligatures (ﬁ), curly
quotes and dashes, line-break hyphenation, runs of whitespace, letter case. Both sides are
normalised the same way and compared as word sequences, so punctuation never decides a match.
A quote counts as found when a window of the document holds at least `threshold` of its words in
order (1.0 = verbatim after normalisation). The document index is built once per document; each
quote then costs one longest-match search plus a small local alignment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from screener.design import Evidence
from screener.document import Document

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
        "\u00ad": "",  # soft hyphen: invisible in print, present in extracted text
    }
)
# A hyphen between letters is dropped (optionally with the line break after it), so that
# "exam-\nple", "exam- ple" and "example" agree, and "pre-training" equals "pretraining".
_HYPHEN_JOIN = re.compile(r"(?<=[^\W\d_])-\s*(?=[^\W\d_])")
_WORD = re.compile(r"[^\W_]+")


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
        # Align the quote against a window around its longest exact run: the score is how many
        # of its words occur there in order, which tolerates a changed or dropped word or two.
        slack = max(3, len(needle) // 4)
        start = max(0, anchor.b - anchor.a - slack)
        end = min(len(self.tokens), anchor.b + (len(needle) - anchor.a) + slack)
        local = SequenceMatcher(None, needle, self.tokens[start:end], autojunk=False)
        matched = sum(block.size for block in local.get_matching_blocks())
        return self._match(matched / len(needle), anchor.b)

    def _match(self, score: float, token_position: int) -> Match:
        where, page = self._passages[self._owner[token_position]]
        return Match(score, page, where)


def ground_evidence(
    evidence: Evidence, index: DocumentIndex, threshold: float = DEFAULT_THRESHOLD
) -> Evidence:
    """The evidence with `grounded` set and, when found, page and section taken from the document."""
    if len(words(evidence.quote)) < MIN_QUOTE_WORDS:
        return evidence.model_copy(update={"grounded": False})
    match = index.find(evidence.quote)
    if match.score >= threshold:
        return evidence.model_copy(
            update={"grounded": True, "page": match.page or evidence.page, "section": match.section}
        )
    return evidence.model_copy(update={"grounded": False})
