"""Text clean-up shared by the parsers: characters, whitespace and hyphenated line breaks.

Everything here is pure string work with no knowledge of PDFs, so any backend (PyMuPDF,
GROBID's TEI) can reuse it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Typographic ligatures PDF text layers keep as single code points.
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
    "\u0152": "OE",
    "\u0153": "oe",
}

# Characters that print as nothing: soft hyphen, zero-width spaces and joiners, bidi marks,
# embeddings, overrides and isolates, invisible operators, word joiner, BOM. Dropped by the
# parsers and by quote grounding alike (a hostile paper can hide them inside words).
INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE), None)
_SPACES = dict.fromkeys(
    map(
        ord,
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t",
    ),
    " ",
)
_TABLE = {**{ord(k): v for k, v in LIGATURES.items()}, **_INVISIBLE, **_SPACES}

# LaTeX sometimes prints accents as separate spacing characters before or after the letter
# ("St´ephane"); map them to combining marks so NFC can rebuild the accented letter.
_SPACING_ACCENTS = {
    "\u00b4": "\u0301",
    "`": "\u0300",
    "\u00a8": "\u0308",
    "\u02c6": "\u0302",
    "\u02dc": "\u0303",
    "\u02c7": "\u030c",
}
_ACCENT_BEFORE = re.compile("([\u00b4\u00a8\u02c6\u02dc\u02c7])([A-Za-z])")

_WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]")

# Left parts that usually keep their hyphen when a compound breaks at the line end.
_HYPHEN_PREFIXES = frozenset(
    [
        "self",
        "non",
        "multi",
        "cross",
        "well",
        "long",
        "short",
        "low",
        "high",
        "fine",
        "zero",
        "few",
        "one",
        "two",
        "three",
        "four",
        "five",
        "semi",
        "state",
        "end",
        "real",
        "open",
        "large",
        "small",
        "task",
        "data",
        "model",
        "human",
    ]
)


def normalize_chars(text: str) -> str:
    """Expand ligatures, drop invisible characters, unify spaces, compose accents."""
    text = text.translate(_TABLE)
    if _ACCENT_BEFORE.search(text):
        text = _ACCENT_BEFORE.sub(lambda m: m.group(2) + _SPACING_ACCENTS[m.group(1)], text)
        text = unicodedata.normalize("NFC", text)
    return text


def collapse_ws(text: str) -> str:
    """Single spaces, no leading or trailing whitespace."""
    return " ".join(text.split())


def clean(text: str) -> str:
    return collapse_ws(normalize_chars(text))


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Lower-cased words (hyphenated ones kept whole) seen in a document.

    Used to decide whether a hyphen at a line break belongs to the word.
    """
    words: set[str] = set()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text))
    return words


def keep_hyphen(left: str, right: str, vocab: set[str] | None = None) -> bool:
    """Whether "left-" at a line end followed by "right" is a real hyphen.

    `left` is the word fragment before the hyphen, `right` the first word on the next line.
    The document's own vocabulary decides when it can (the joined or hyphenated form seen
    elsewhere); otherwise compounds in progress, capitals, digits and common prefixes keep it.
    """
    lw = re.sub(r"^.*[^A-Za-z0-9-]", "", left)
    rw = re.match(r"[A-Za-z0-9-]*", right)
    rword = rw.group(0) if rw else ""
    if not lw or not rword:
        return True
    if vocab:
        hyphenated = f"{lw}-{rword}".lower()
        joined = f"{lw}{rword}".lower()
        if hyphenated in vocab and joined not in vocab:
            return True
        if joined in vocab and hyphenated not in vocab:
            return False
    if not rword[0].islower():
        return True  # "GPT-\n4", "Johnson-\nLindenstrauss"
    if "-" in lw or any(ch.isdigit() for ch in lw):
        return True  # "state-of-the-\nart", "3-\nlayer"
    return lw.lower() in _HYPHEN_PREFIXES


def join_lines(lines: Iterable[str], vocab: set[str] | None = None) -> str:
    """Join printed lines into running text, undoing hyphenation at line breaks."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            left = out[:-1].rsplit(" ", 1)[-1]
            if keep_hyphen(left, line, vocab):
                out += line
            else:
                out = out[:-1] + line
        else:
            out += " " + line
    return collapse_ws(out)


_NORM_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalize_title(text: str) -> str:
    """A comparison key for titles: casefolded, no punctuation, single spaces."""
    text = normalize_chars(text).casefold()
    text = _NORM_PUNCT.sub("", text).replace("_", "")
    return collapse_ws(text)
