"""What PyMuPDF and GROBID each recover from the same paper.

Usage: python eval/compare_parsers.py [--corpus DIR] [--out eval/results/parser-comparison.md]

For every TEI file in the corpus's tei/manifest.csv that names a `matching_pdf`, the TEI
(GROBID's output for that PDF) is read with `screener.parse.tei` and the PDF with the PyMuPDF
backend, and the two Documents are compared by counts only: no text from the paper is written
out, papers are named by file name.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from screener.document import Document
from screener.parse.pymupdf import PyMuPDFParser
from screener.parse.tei import tei_to_document
from screener.settings import load_settings

ROWS = [
    ("parser", "parser (version)"),
    ("title", "title found"),
    ("same_title", "title agrees with the other parser"),
    ("authors", "authors"),
    ("abstract_chars", "abstract characters"),
    ("abstract_page", "abstract page known"),
    ("sections", "sections"),
    ("headings_shared", "headings also found by the other parser"),
    ("paragraphs", "body paragraphs"),
    ("paged", "paragraphs with a page number"),
    ("body_words", "words in body"),
    ("vocab_shared", "body words (tokens) also in the other parser's body"),
    ("figures", "figure captions"),
    ("tables", "table captions"),
    ("references", "references"),
    ("warnings", "parser warnings"),
]


@dataclass(frozen=True)
class Pair:
    name: str
    pdf: Path
    tei: Path


def find_pairs(corpus: Path) -> list[Pair]:
    manifest = corpus / "tei" / "manifest.csv"
    pairs = []
    with open(manifest, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("matching_pdf") or not row["name"].endswith(".xml"):
                continue
            pdf = next(
                (
                    corpus / folder / row["matching_pdf"]
                    for folder in ("tei", "pdfs")
                    if (corpus / folder / row["matching_pdf"]).is_file()
                ),
                None,
            )
            if pdf is not None:
                pairs.append(
                    Pair(name=row["matching_pdf"], pdf=pdf, tei=corpus / "tei" / row["name"])
                )
    return pairs


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _norm(text: str | None) -> str:
    return " ".join(_words(text or ""))


def _body(document: Document) -> str:
    return " ".join(p.text for _, p in document.paragraphs())


def measure(document: Document, other: Document) -> dict[str, str]:
    """Counts for one parser's Document, some relative to the other parser's."""
    paragraphs = [p for _, p in document.paragraphs()]
    paged = sum(1 for p in paragraphs if p.page is not None)
    own_headings = {_norm(s.heading) for s in document.sections if s.heading}
    other_headings = {_norm(s.heading) for s in other.sections if s.heading}
    mine = Counter(_words(_body(document)))
    theirs = Counter(_words(_body(other)))
    shared = sum((mine & theirs).values())
    total = sum(mine.values())
    return {
        "parser": document.parser,
        "title": "yes" if document.title else "no",
        "same_title": "yes" if _norm(document.title) == _norm(other.title) else "no",
        "authors": str(len(document.authors)),
        "abstract_chars": str(len(document.abstract or "")),
        "abstract_page": "yes" if document.abstract_page else "no",
        "sections": str(len(document.sections)),
        "headings_shared": f"{len(own_headings & other_headings)} of {len(own_headings)}",
        "paragraphs": str(len(paragraphs)),
        "paged": f"{paged} ({_percent(paged, len(paragraphs))})",
        "body_words": str(document.body_words()),
        "vocab_shared": _percent(shared, total),
        "figures": str(sum(1 for c in document.captions if c.kind == "figure")),
        "tables": str(sum(1 for c in document.captions if c.kind == "table")),
        "references": str(len(document.references)),
        "warnings": str(len(document.warnings)),
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def printed_counts(pdf: Path) -> dict[str, int]:
    """Rough counts of what the PDF itself prints, as a yardstick for both parsers.

    Figure and table labels at the start of a line ("Fig. 3", "Table 2") and the longest run
    1, 2, 3, ... of numbered entries ("12." or "[12]") after the last "References" line.
    """
    with pymupdf.open(pdf) as document:
        text = "\n".join(page.get_text() for page in document)
    figures = set(re.findall(r"^\s*(?:Fig\.|Figure)\s*(\d+)", text, re.M))
    tables = set(re.findall(r"^\s*Table\s*(\d+)", text, re.M))
    heads = list(re.finditer(r"^\s*(?:References|Bibliography)\s*$", text, re.M | re.I))
    numbers = re.findall(r"^\s*\[?(\d{1,3})[\].]\s", text[heads[-1].end() :] if heads else "", re.M)
    run = 0
    for number in numbers:
        if int(number) == run + 1:
            run += 1
    return {"figures": len(figures), "tables": len(tables), "references": run}


def notes(mupdf: dict[str, str], grobid: dict[str, str], printed: dict[str, int]) -> list[str]:
    """Sentences computed from the numbers (the same script, rerun, rewrites them)."""
    return [
        f"- References: the PDF numbers {printed['references']} entries; GROBID kept "
        f"{grobid['references']}, PyMuPDF {mupdf['references']}.",
        f"- Captions: {printed['figures']} figure and {printed['tables']} table labels start a "
        f"line in the PDF; GROBID kept {grobid['figures']} figure and {grobid['tables']} table "
        f"captions, PyMuPDF {mupdf['figures']} and {mupdf['tables']}.",
        f"- Authors: GROBID {grobid['authors']}, PyMuPDF {mupdf['authors']}. Sections: GROBID "
        f"{grobid['sections']}, PyMuPDF {mupdf['sections']}; "
        f"{grobid['headings_shared']} GROBID headings are also PyMuPDF headings.",
        f"- Body: GROBID {grobid['body_words']} words in {grobid['paragraphs']} paragraphs, "
        f"PyMuPDF {mupdf['body_words']} in {mupdf['paragraphs']}; {grobid['vocab_shared']} of "
        f"GROBID's body tokens also occur in PyMuPDF's body, {mupdf['vocab_shared']} the "
        "other way.",
        f"- Pages: PyMuPDF knows the page of {mupdf['paged']} paragraphs, GROBID of "
        f"{grobid['paged']}. " + _coords_note(printed["tei_p_coords"], grobid["parser"]),
    ]


def _coords_note(paragraph_coords: int, parser: str) -> str:
    if paragraph_coords:
        return f"This TEI ({parser}) has coordinates on {paragraph_coords} paragraphs."
    return (
        f"This TEI ({parser}) has no coordinates on paragraphs (it was made without "
        "`teiCoordinates=p`), so a paragraph's page comes from a reference inside it or from "
        "neighbours on the same page; `GrobidParser` asks for `p` coordinates, which give "
        "every paragraph its own."
    )


def compare(pair: Pair) -> tuple[dict[str, str], dict[str, str]]:
    pdf_bytes = pair.pdf.read_bytes()
    mupdf = PyMuPDFParser.from_settings(load_settings()).parse(pair.pdf)
    grobid = tei_to_document(
        pair.tei.read_bytes(),
        str(pair.pdf),
        hashlib.sha256(pdf_bytes).hexdigest(),
        pages=mupdf.pages,
    )
    return measure(mupdf, grobid), measure(grobid, mupdf)


def render(results: list[tuple[Pair, dict[str, str], dict[str, str], dict[str, int]]]) -> str:
    lines = [
        "# PyMuPDF vs GROBID on the same paper",
        "",
        "Generated by `python eval/compare_parsers.py`. For each corpus paper that has both a PDF",
        "and GROBID's TEI of that PDF (`tei/manifest.csv`, column `matching_pdf`), the PDF is",
        "parsed by the PyMuPDF backend and the TEI by `screener.parse.tei`; the table counts what",
        "each recovered. Papers are named by file name; no text from them is reproduced.",
        "",
    ]
    for pair, mupdf, grobid, printed in results:
        lines += [f"## {pair.name}", "", "| | PyMuPDF | GROBID (TEI) |", "|---|---|---|"]
        lines += [f"| {label} | {mupdf[key]} | {grobid[key]} |" for key, label in ROWS]
        lines += ["", *notes(mupdf, grobid, printed), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--corpus", type=Path, default=None, help="default: SCREENER_CORPUS_DIR")
    cli.add_argument("--out", type=Path, default=Path("eval/results/parser-comparison.md"))
    args = cli.parse_args(argv)
    corpus = (args.corpus or load_settings().corpus_dir).resolve()
    pairs = find_pairs(corpus)
    if not pairs:
        print(f"no PDF with a matching TEI under {corpus / 'tei'}", file=sys.stderr)
        return 1
    results = []
    for pair in pairs:
        counts = printed_counts(pair.pdf)
        counts["tei_p_coords"] = len(re.findall(rb"<p [^>]*coords=", pair.tei.read_bytes()))
        results.append((pair, *compare(pair), counts))
    report = render(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
