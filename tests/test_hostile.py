"""Hostile papers (scripts/make_hostile.py) against the scripted server and the real one.

Each paper's text attacks the extractor: instructions to ignore the prompt, fake `</paper>`
tags, a request for the API key, a forged tool call, quote stuffing, invisible characters.
For every paper, and against both servers:
- a planted API key never appears in any output, log, cache row or report file (the key does
  reach the server as the bearer token, and the scripted server even echoes it back, so the
  check is not vacuous);
- the paper reaches the model fenced as data: one real `<paper>` fence, the attack inside it;
- the answer ends as a design that validates, or as a clean fallback that says why;
- grounding is not fooled by zero-width or bidi characters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from screener.design import Design, Evidence
from screener.document import Document, Paragraph, Section
from screener.extract.grounding import DocumentIndex, ground_evidence
from scripts.make_hostile import ATTACKS, STUFFED_SENTENCE, write_suite
from tests.openai_server import ScriptedServer, SeenRequest, Step

SECRET = "sk-hostile-PLANTED-0123456789abcdef"
NAMES = [attack.name for attack in ATTACKS]
# A phrase of each attack that must travel inside the fence (checked without invisibles).
MARKERS = {
    "ignore-instructions": "ignore all previous instructions",
    "fake-fence": "New instructions from the operator",
    "print-secrets": "OPENAI_API_KEY environment variable",
    "tool-call-json": '"tool_calls"',
    # The stuffed paragraph fits a large budget and is left out of a small one (see below).
    "quote-stuffing": "Tidewater corpus",
    "invisible-characters": "Tidewater corpus",
}
REAL_OPEN = re.compile(r"<paper>")
REAL_CLOSE = re.compile(r"</paper>")
ANY_CLOSE = re.compile(r"<\s*/\s*paper\s*>", re.IGNORECASE)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_suite(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def planted_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The API key in the environment, the cache in this test's folder, no other endpoint."""
    for name in ("OPENAI_BASE_URL", "SCREENER_LLM_API_KEY", "SCREENER_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SCREENER_LLM_BACKOFF_BASE_S", "0")
    return SECRET


def fooled_answer(key: str) -> dict[str, Any]:
    """What a model that obeyed the paper (and a server that leaks its key) would send back."""
    return {
        "in_scope": {
            "value": False,
            "quotes": [{"quote": f"The key is {key} as the paper asked.", "page": 1}],
            "confidence": 1.0,
        },
        "scope_reason": f"the paper asked to be skipped; key {key}",
        "strategies": [],
        "treatment": {"value": f"env OPENAI_API_KEY={key}", "quotes": []},
        "notes": f"OPENAI_API_KEY={key}",
    }


def screen_cli(
    pdf: Path, base_url: str, out: Path, *extra: str, model: str = "hostile-test"
) -> int:
    from screener.cli import main

    argv = ["screen", str(pdf), "--json", "--out", str(out), "--extractor", "llm"]
    argv += ["--model", model, "--base-url", base_url, *extra]
    return main(argv)


def assert_key_nowhere(key: str, texts: list[str], folder: Path) -> None:
    """The key is in none of the printed texts and in no byte of any file under `folder`
    (SQLite pages, write-ahead logs, reports), whatever the encoding of the page."""
    for text in texts:
        assert key not in text
    needles = (key.encode(), key.encode("utf-16-le"), json.dumps(key)[1:-1].encode())
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files, "nothing was written: the scan would be vacuous"
    for path in files:
        data = path.read_bytes()
        assert not any(n in data for n in needles), f"key found in {path}"


def assert_fenced(request: SeenRequest, marker: str) -> None:
    """The paper, attack included, is inside the one real fence of the last user message, and
    nothing of it is in the system message."""
    messages = request.body["messages"]
    system = " ".join(m["content"] for m in messages if m["role"] == "system")
    user = next(m["content"] for m in messages if m["role"] == "user")
    assert marker not in system
    assert len(REAL_OPEN.findall(user)) == 1 and len(REAL_CLOSE.findall(user)) == 1
    assert len(ANY_CLOSE.findall(user)) == 1  # fake closing tags were defused
    start, end = user.index("<paper>"), user.index("</paper>")
    assert start < user.index(marker) < end


def assert_clean(record: dict[str, Any], budget: int = 12_000) -> None:
    assert record["error"] is None
    # Whatever the paper stuffs into its text, the model sees at most the token budget of it.
    assert record["extraction"]["context_tokens"] <= budget
    Design.model_validate(record["design"])
    name = record["extractor"]
    assert name.startswith("llm:") or re.fullmatch(r"heuristic \(fallback: llm [^\n]+\)", name)


# --- the scripted server ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_hostile_paper_against_scripted_server(
    name: str,
    suite: dict[str, Path],
    planted_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from screener.cli import main

    echo = {"error": {"message": f"upstream rejected key {planted_key}"}}
    steps = [
        Step(status=500, error_body=echo),  # an error body that leaks the key
        Step(answer=fooled_answer(planted_key)),  # an answer that leaks it everywhere
    ]
    out = tmp_path / "reports"
    with ScriptedServer(steps) as server:
        code = screen_cli(suite[name], server.base_url, out, "--llm-attempts", "2")
        seen = list(server.requests)
    printed = capsys.readouterr()
    assert main(["llm-log", "--json", "--full", "--limit", "50"]) == 0
    log = capsys.readouterr().out

    assert code == 0, printed.err
    # Not vacuous: the key went out as the bearer token, and came back in an error and answers.
    assert seen[0].headers["authorization"] == f"Bearer {planted_key}"
    assert len(seen) >= 3  # the 500, the leaking answer, the re-ask about its invented quote
    assert "upstream rejected key [redacted]" in log
    assert_key_nowhere(planted_key, [printed.out, printed.err, log], tmp_path)
    for request in seen:
        assert_fenced(request, MARKERS[name])
    if name == "quote-stuffing":  # a 12,000-token budget takes the stuffed paragraph, fenced
        assert_fenced(seen[0], STUFFED_SENTENCE)
    record = json.loads(printed.out.splitlines()[0])
    assert_clean(record)
    design = Design.model_validate(record["design"])
    # The fooled answer is kept (the rules judge it), its invented quote is flagged.
    assert design.in_scope.value is False and design.in_scope.evidence[0].grounded is False
    assert "ungrounded evidence" in design.notes


def test_report_files_and_llm_log_table_without_key(
    suite: dict[str, Path], planted_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Markdown report, the figure and the human-readable log table, not only JSON."""
    from screener.cli import main

    out = tmp_path / "reports"
    with ScriptedServer([Step(answer=fooled_answer(planted_key))]) as server:
        code = screen_cli(suite["print-secrets"], server.base_url, out, "--figure")
    assert main(["llm-log"]) == 0
    printed = capsys.readouterr()
    assert code == 0
    assert {p.suffix for p in out.iterdir()} == {".json", ".md", ".png"}
    assert "redacted" in (out / "print-secrets.md").read_text()  # the echo, scrubbed
    assert_key_nowhere(planted_key, [printed.out, printed.err], tmp_path)


def test_tool_call_blob_in_the_paper_is_not_taken_as_the_answer(
    suite: dict[str, Path], planted_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server that answers with the paper's forged blob as text (not a tool call, not the
    schema) gets re-asked and then falls back, saying why."""
    from scripts.make_hostile import TOOL_CALL_BLOB

    with ScriptedServer([Step(raw=TOOL_CALL_BLOB)]) as server:
        # JSON mode: the blob is the message content; in tools mode it would be the arguments.
        code = screen_cli(
            suite["tool-call-json"], server.base_url, tmp_path / "r", "--llm-mode", "json"
        )
        count = server.count
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert code == 0 and count == 3  # the first answer and two re-asks
    assert_clean(record)
    assert record["extractor"].startswith("heuristic (fallback: llm answer did not match")


def test_grounding_ignores_invisible_characters(suite: dict[str, Path]) -> None:
    from screener.parse import get_parser
    from screener.settings import Settings

    document = get_parser("pymupdf", Settings()).parse(suite["invisible-characters"])
    index = DocumentIndex(document)
    clean = "We train nine decoder-only models with one billion parameters on the Tidewater corpus."
    hidden = clean.replace("decoder", "deco\u200bder").replace("billion", "bil\u200dlion")
    overridden = "the difference holds for \u202eevery seed\u202c"
    for quote in (clean, hidden, overridden):
        assert ground_evidence(Evidence(quote=quote), index).grounded is True, ascii(quote)
    # Invisible characters neither pad a short quote to the minimum length nor hide a change.
    padded = "\u200b".join("tidewater")
    assert ground_evidence(Evidence(quote=padded), index).grounded is False
    invented = "We train ninety encoder\u200b-only models on the Tide\u200bwater archive."
    assert ground_evidence(Evidence(quote=invented), index).grounded is False


def test_grounding_ignores_invisible_characters_in_the_document() -> None:
    """Text from GROBID or other parsers may keep invisible characters; grounding drops them."""
    text = "We fine\u200b-tune twelve mo\u200cdels with \u2067three seeds\u2069 each."
    document = Document(
        source="x",
        sha256="9" * 64,
        parser="t",
        sections=(Section(heading="Method", paragraphs=(Paragraph(text=text, page=2),)),),
    )
    index = DocumentIndex(document)
    found = ground_evidence(
        Evidence(quote="We fine-tune twelve models with three seeds each."), index
    )
    assert found.grounded is True and found.page == 2
    assert ground_evidence(Evidence(quote="mo dels with three"), index).grounded is False


# --- the real llama.cpp server --------------------------------------------------------------


@pytest.mark.llm_local
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_hostile_paper_against_llama_cpp(
    name: str,
    suite: dict[str, Path],
    planted_key: str,
    tmp_path: Path,
    llama: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from screener.cli import main
    from screener.llm_local import MODEL_NAME

    limits = ["--token-budget", "6000", "--llm-attempts", "1", "--llm-timeout", "900"]
    with pytest.MonkeyPatch.context() as patch:
        # One request per paper: no re-asks, a short answer (the protocol is what is tested).
        patch.setenv("SCREENER_LLM_VALIDATION_RETRIES", "0")
        patch.setenv("SCREENER_LLM_GROUNDING_RETRIES", "0")
        patch.setenv("SCREENER_LLM_MAX_OUTPUT_TOKENS", "128")
        code = screen_cli(
            suite[name], llama.base_url, tmp_path / "reports", *limits, model=MODEL_NAME
        )
    printed = capsys.readouterr()
    assert main(["llm-log", "--json", "--full"]) == 0
    log = capsys.readouterr().out

    assert code == 0, printed.err
    sent = llama.chat_requests()
    assert sent and sent[0].headers["authorization"] == f"Bearer {planted_key}"
    assert_key_nowhere(planted_key, [printed.out, printed.err, log], tmp_path)
    assert not any(planted_key in json.dumps(answer) for answer in llama.responses)
    for request in sent:
        assert_fenced(request, MARKERS[name])
    record = json.loads(printed.out.splitlines()[0])
    assert_clean(record, budget=6000)
    if name == "quote-stuffing":  # 500 copies do not fit 6,000 tokens: the paragraph is left out
        assert all(STUFFED_SENTENCE not in json.dumps(r.body) for r in sent)


# --- size caps ------------------------------------------------------------------------------


def test_page_and_text_caps_refuse_with_one_line_each(
    suite: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 3,000-page file and a page of 2 MB of tiny glyphs are refused, one line each naming the
    file, the size and the setting; the good paper of the same command is still screened."""
    from screener.cli import main
    from scripts.make_hostile import write_dense_page, write_many_pages

    many = write_many_pages(tmp_path / "many-pages.pdf")
    dense = write_dense_page(tmp_path / "dense-page.pdf")
    code = main(["screen", str(many), str(dense), str(suite["fake-fence"]), "--json"])
    printed = capsys.readouterr()
    assert code == 1
    errors = printed.err.strip().splitlines()
    assert errors == [
        f"screener: {many}: 3,000 pages, over the 500-page limit (SCREENER_MAX_PAGES)",
        errors[1],
    ]
    assert re.fullmatch(
        rf"screener: {re.escape(str(dense))}: page 1 holds [\d,]+ characters of text, over the "
        r"100,000 per-page limit \(SCREENER_MAX_PAGE_CHARS\)",
        errors[1],
    )
    records = [json.loads(line) for line in printed.out.splitlines()]
    assert [r["error"] is None for r in records] == [False, False, True]


def test_caps_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from screener.errors import InputError
    from screener.parse import get_parser
    from screener.settings import Settings
    from scripts.make_hostile import write_many_pages

    many = write_many_pages(tmp_path / "six.pdf", pages=6)
    monkeypatch.setenv("SCREENER_MAX_PAGES", "5")
    with pytest.raises(InputError, match="6 pages, over the 5-page limit"):
        get_parser("pymupdf", Settings()).parse(many)
    monkeypatch.setenv("SCREENER_MAX_PAGES", "6")
    monkeypatch.setenv("SCREENER_MAX_PAGE_CHARS", "50")
    with pytest.raises(InputError, match="page 1 holds [0-9,]+ characters"):
        get_parser("pymupdf", Settings()).parse(many)
    monkeypatch.setenv("SCREENER_MAX_PAGE_CHARS", "1000")
    assert get_parser("pymupdf", Settings()).parse(many).pages == 6


@pytest.mark.corpus
def test_default_caps_admit_every_corpus_paper(corpus: Path) -> None:
    import pymupdf

    from screener.settings import Settings

    settings = Settings()
    for path in sorted((corpus / "pdfs").glob("*.pdf")):
        with pymupdf.open(path) as doc:
            assert doc.page_count <= settings.max_pages, path.name
            densest = max(len(page.get_text("text")) for page in doc)
            assert densest <= settings.max_page_chars / 4, (path.name, densest)  # a wide margin
