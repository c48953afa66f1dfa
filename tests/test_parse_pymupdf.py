"""The PyMuPDF parser on fixture papers we write ourselves, on bad input, and on the corpus."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.document import Document
from screener.errors import InputError
from screener.parse import get_parser
from screener.parse.pymupdf import PyMuPDFParser
from screener.parse.text import join_lines, normalize_chars, normalize_title
from screener.settings import load_settings
from tests import pdfmaker

ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
]


def _filler(tag: str, n: int) -> list[str]:
    """Paragraphs that say which one they are, so reading order can be checked."""
    return [
        f"Marker {tag}{i:02d} opens the {ORDINALS[i % 10]} paragraph of this part. The fictional "
        "optimiser was run with four seeds on every synthetic dataset and the spread of the "
        "accuracy was recorded next to its mean, because a single seed hides the variance that "
        "decides whether a small gain is real or an accident of initialisation."
        for i in range(n)
    ]


def _long_sections() -> list[tuple[str, list[str]]]:
    return [
        ("1 Introduction", _filler("I", 6)),
        ("2 Related Work", _filler("R", 4)),
        ("3 Method", _filler("M", 5)),
        ("3.1 Proxy Tasks", ["Figure 2: Loss curves for every ablated variant.", *_filler("P", 4)]),
        ("4 Results", ["Table 3: Accuracy.", *_filler("S", 8)]),
        ("5 Conclusion", _filler("C", 2)),
    ]


@pytest.fixture(scope="module")
def parser() -> PyMuPDFParser:
    return PyMuPDFParser()


@pytest.fixture(scope="module", params=[1, 2], ids=["one-column", "two-column"])
def long_paper(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, Document]:
    columns = request.param
    path = pdfmaker.write_paper(
        tmp_path_factory.mktemp("papers") / f"long{columns}.pdf",
        sections=_long_sections(),
        columns=columns,
        header="Proceedings of the Imaginary Conference on Learning 2031",
        arxiv_stamp="arXiv:3101.00001v2 [cs.LG] 9 Jan 2031",
        line_numbers=columns == 1,
    )
    return columns, PyMuPDFParser().parse(path)


def _markers(document: Document) -> list[str]:
    return [m for _, p in document.paragraphs() for m in re.findall(r"Marker (\w+)", p.text)]


def test_title_authors_abstract(long_paper: tuple[int, Document]) -> None:
    _, doc = long_paper
    assert doc.title == pdfmaker.DEFAULT_TITLE
    assert doc.authors == ("Ada Fernhill", "Basil Quorn")
    assert doc.abstract is not None and doc.abstract.startswith(
        "We revisit the Quillfeather optimiser"
    )
    assert doc.abstract.endswith("not supported by the evidence.")
    assert doc.abstract_page == 1
    assert doc.pages >= 2 and doc.parser.startswith("pymupdf ")
    assert len(doc.sha256) == 64


def test_headings_numbers_and_levels(long_paper: tuple[int, Document]) -> None:
    _, doc = long_paper
    heads = [(s.number, s.heading, s.level) for s in doc.sections if s.heading]
    assert heads == [
        ("1", "Introduction", 1),
        ("2", "Related Work", 1),
        ("3", "Method", 1),
        ("3.1", "Proxy Tasks", 2),
        ("4", "Results", 1),
        ("5", "Conclusion", 1),
    ]


def test_paragraphs_in_reading_order_with_pages(long_paper: tuple[int, Document]) -> None:
    columns, doc = long_paper
    expected = [
        f"{tag}{i:02d}"
        for tag, n in [("I", 6), ("R", 4), ("M", 5), ("P", 4), ("S", 8), ("C", 2)]
        for i in range(n)
    ]
    assert _markers(doc) == expected  # each paragraph once, in order, none merged or split
    pages = [p.page for _, p in doc.paragraphs()]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] >= 2
    for _, paragraph in doc.paragraphs():
        assert paragraph.text.endswith("accident of initialisation."), (columns, paragraph.text)


def test_furniture_dropped(long_paper: tuple[int, Document]) -> None:
    _, doc = long_paper
    text = doc.text()
    assert "Imaginary Conference" not in text
    assert "arXiv:3101" not in text
    assert not re.search(r"(^|\s)\d{1,3}(\s|$)", " ".join(p.text for _, p in doc.paragraphs()))


def test_captions_and_references(long_paper: tuple[int, Document]) -> None:
    _, doc = long_paper
    assert [(c.kind, c.label) for c in doc.captions] == [
        ("figure", "Figure 2"),
        ("table", "Table 3"),
    ]
    assert doc.captions[0].text == "Figure 2: Loss curves for every ablated variant."
    assert all(c.page for c in doc.captions)
    assert [r.text for r in doc.references] == pdfmaker.DEFAULT_REFERENCES
    assert not any("Figure 2" in p.text for _, p in doc.paragraphs())


def test_dehyphenation_and_short_paper(tmp_path: Path, parser: PyMuPDFParser) -> None:
    doc = parser.parse(pdfmaker.write_paper(tmp_path / "short.pdf"))
    intro = next(s for s in doc.sections if s.heading == "Introduction")
    assert "careful international replication protocol" in intro.paragraphs[1].text
    assert [c.label for c in doc.captions] == ["Figure 1", "Table 1"]
    assert len(doc.references) == 3


def test_metadata_title_fallback(tmp_path: Path, parser: PyMuPDFParser) -> None:
    path = pdfmaker.write_paper(
        tmp_path / "notitle.pdf", title="", authors=(), metadata_title="Seeds Matter For Optimisers"
    )
    assert parser.parse(path).title == "Seeds Matter For Optimisers"


def test_text_helpers() -> None:
    assert normalize_chars("e\ufb03cient \ufb01ne St\u00b4ephane") == "efficient fine Stéphane"
    assert join_lines(["an inter-", "national study"]) == "an international study"
    assert join_lines(["a state-of-the-", "art model"]) == "a state-of-the-art model"
    assert join_lines(["self-", "attention layers"]) == "self-attention layers"
    assert join_lines(["pre-", "training runs"], {"pretraining"}) == "pretraining runs"
    assert join_lines(["GPT-", "4 runs"]) == "GPT-4 runs"


# --------------------------------------------------------------------------- bad input


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    (tmp / "folder.pdf").mkdir()
    (tmp / "empty.pdf").write_bytes(b"")
    (tmp / "html.pdf").write_text("<html><body>not a paper</body></html>")
    return {
        "missing": (tmp / "missing.pdf", "file not found"),
        "directory": (tmp / "folder.pdf", "is a directory"),
        "empty": (tmp / "empty.pdf", "empty file"),
        "not pdf": (tmp / "html.pdf", "not a PDF"),
        "encrypted": (
            pdfmaker.write_encrypted_pdf(tmp / "locked.pdf"),
            "encrypted, needs a password",
        ),
        "scanned": (pdfmaker.write_scanned_pdf(tmp / "scan.pdf"), "no text layer"),
        "truncated": (pdfmaker.write_truncated_pdf(tmp / "cut.pdf"), "corrupt"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "directory", "empty", "not pdf", "encrypted", "scanned", "truncated"]
)
def test_bad_input_is_input_error(case: str, tmp_path: Path, parser: PyMuPDFParser) -> None:
    path, reason = _bad_inputs(tmp_path)[case]
    with pytest.raises(InputError) as caught:
        parser.parse(path)
    assert path.name in str(caught.value)
    assert reason in caught.value.reason


def test_truncated_but_repairable_parses_with_warning(
    tmp_path: Path, parser: PyMuPDFParser
) -> None:
    source = pdfmaker.write_paper(tmp_path / "full.pdf", sections=_long_sections())
    data = source.read_bytes()
    cut = tmp_path / "tail-cut.pdf"
    cut.write_bytes(data[: len(data) - 200])  # lose the xref table and trailer only
    try:
        doc = parser.parse(cut)
    except InputError as exc:
        assert "cut" in str(exc)
        return
    assert doc.title == pdfmaker.DEFAULT_TITLE
    assert any("repaired" in w for w in doc.warnings)


def test_size_limit_from_settings(tmp_path: Path) -> None:
    path = pdfmaker.write_paper(tmp_path / "big.pdf")
    small = get_parser("pymupdf", load_settings(max_pdf_mb=0.001))
    with pytest.raises(InputError, match="limit"):
        small.parse(path)
    assert get_parser("pymupdf", load_settings()).parse(path).title == pdfmaker.DEFAULT_TITLE


def _seed_pdf() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return pdfmaker.write_paper(Path(tmp) / "seed.pdf", columns=2).read_bytes()


_VALID = _seed_pdf()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=30),
    junk=st.binary(max_size=64),
)
def test_mutated_pdfs_give_document_or_input_error(
    cut: float, flips: list[tuple[int, int]], junk: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = bytearray(_VALID)
    for index, value in flips:
        data[index] = value
    data = bytes(data[: int(len(data) * cut)]) + junk
    path = tmp_path_factory.mktemp("fuzz") / "mutant.pdf"
    path.write_bytes(data)
    try:
        result = PyMuPDFParser().parse(path)
    except InputError as exc:
        assert "mutant.pdf" in str(exc)
    else:
        assert isinstance(result, Document)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048), pdf_header=st.booleans())
def test_random_bytes_give_input_error(
    data: bytes, pdf_header: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("rand") / "noise.pdf"
    path.write_bytes(b"%PDF-1.7\n" + data if pdf_header else data)
    try:
        PyMuPDFParser().parse(path)
    except InputError as exc:
        assert "noise.pdf" in str(exc)


# --------------------------------------------------------------------------- corpus


def titles_match(found: str | None, expected: str) -> bool:
    """Equal after normalising, or one contains the other and is >= 80% of its length."""
    if not found:
        return False
    a, b = sorted([normalize_title(found), normalize_title(expected)], key=len)
    if not a:
        return False
    return a == b or (a in b and len(a) >= 0.8 * len(b))


def test_titles_match_helper() -> None:
    assert titles_match("ATTENTION  is all you need!", "Attention Is All You Need")
    assert titles_match("Attention Is All You Need*", "Attention Is All You Need")
    assert not titles_match("Attention", "Attention Is All You Need")
    assert not titles_match(None, "Anything")


def _corpus_pdf(corpus: Path, row: dict[str, str]) -> Path:
    return corpus / "pdfs" / f"{row['id']}.pdf"


@pytest.fixture(scope="module")
def corpus_documents(
    corpus: Path, manifest: list[dict[str, str]]
) -> list[tuple[dict[str, str], Document]]:
    parser = PyMuPDFParser()
    return [(row, parser.parse(_corpus_pdf(corpus, row))) for row in manifest]


@pytest.mark.corpus
def test_corpus_every_pdf_parses(
    corpus: Path, corpus_documents: list[tuple[dict[str, str], Document]]
) -> None:
    # Body text is what is left after title, authors, references, captions and table cells:
    # at least a fifth of the words on the pages, and some prose on every page. (A fixed word
    # count would fail short papers: the corpus holds 5- and 6-page ones.)
    thin = []
    for row, doc in corpus_documents:
        assert doc.pages == int(row["pages"]), row["id"]
        assert doc.sha256 == row["sha256"], row["id"]
        assert doc.sections, row["id"]
        with pymupdf.open(_corpus_pdf(corpus, row)) as pdf:
            printed = sum(len(page.get_text().split()) for page in pdf)
        if doc.body_words() < max(0.2 * printed, 50 * doc.pages):
            thin.append((row["id"], doc.body_words(), printed))
    assert not thin, thin


@pytest.mark.corpus
def test_corpus_titles(corpus_documents: list[tuple[dict[str, str], Document]]) -> None:
    misses = [
        (row["id"], doc.title)
        for row, doc in corpus_documents
        if not titles_match(doc.title, row["title"])
    ]
    assert len(misses) <= 0.05 * len(corpus_documents), misses


@pytest.mark.corpus
def test_corpus_ml_abstracts(corpus_documents: list[tuple[dict[str, str], Document]]) -> None:
    ml = [(row, doc) for row, doc in corpus_documents if row["arxiv_id"] and row["year"] >= "2015"]
    assert len(ml) >= 30
    missing = [row["id"] for row, doc in ml if not doc.abstract or len(doc.abstract.split()) < 50]
    assert not missing, missing


def test_pymupdf_version_in_parser_name(tmp_path: Path, parser: PyMuPDFParser) -> None:
    doc = parser.parse(
        pdfmaker.write_text_pdf(tmp_path / "one.pdf", "A Single Fictional Line For Testing")
    )
    assert doc.parser == f"pymupdf {pymupdf.VersionBind}"
    # One line in body type is not a title: better none than a wrong one.
    assert doc.title is None and "no title found" in doc.warnings


def test_capitalised_headings_and_appendix(tmp_path: Path, parser: PyMuPDFParser) -> None:
    sections = [
        ("1 INTRODUCTION", _filler("I", 2)),
        ("2 EXPERIMENTAL SETUP", _filler("E", 2)),
    ]
    appendix = [("A Glossary", _filler("G", 2)), ("A.1 Seeds", _filler("H", 1))]
    path = pdfmaker.write_paper(tmp_path / "caps.pdf", sections=sections, appendix=appendix)
    doc = parser.parse(path)
    assert [(s.number, s.heading, s.level) for s in doc.sections if s.heading] == [
        ("1", "INTRODUCTION", 1),
        ("2", "EXPERIMENTAL SETUP", 1),
        ("A", "Glossary", 1),
        ("A.1", "Seeds", 2),
    ]
    # The reference list stops at the appendix heading.
    assert [r.text for r in doc.references] == pdfmaker.DEFAULT_REFERENCES
    assert _markers(doc)[-3:] == ["G00", "G01", "H00"]


def test_author_note_under_the_abstract_heading_is_not_the_abstract(tmp_path: Path) -> None:
    # A long author list fills the title page: the "Abstract" heading sits at its foot above
    # an author note, and the abstract itself starts on page 2.
    abstract = (
        "We ask whether the Quillfeather optimiser keeps its advantage when the batch size "
        "grows, training small fictional networks with four batch sizes on synthetic data. "
        "The gain shrinks from three points to less than one as the batch grows, which we "
        "trace to the momentum correction rather than to the warm-restart schedule."
    )
    body = "Optimisers are compared at one batch size far too often, and so on. " * 8
    pdf = pymupdf.open()
    first = pdf.new_page()
    first.insert_text((72, 90), "Batch Size and the Quillfeather Optimiser", fontsize=16)
    names = ", ".join(f"Author Number{i}" for i in range(60))
    first.insert_textbox(pymupdf.Rect(72, 110, 540, 600), names, fontsize=10)
    first.insert_text((72, 640), "Abstract", fontsize=12, fontname="hebo")
    first.insert_text((72, 700), "*See Section 7 for author contributions.", fontsize=8)
    second = pdf.new_page()
    second.insert_textbox(pymupdf.Rect(72, 72, 540, 200), abstract, fontsize=10)
    second.insert_text((72, 240), "1 Introduction", fontsize=12, fontname="hebo")
    second.insert_textbox(pymupdf.Rect(72, 255, 540, 500), body, fontsize=10)
    path = tmp_path / "note-before-abstract.pdf"
    pdf.save(path)
    doc = PyMuPDFParser().parse(path)
    assert doc.abstract is not None and doc.abstract.startswith("We ask whether")
    assert doc.abstract_page == 2
