"""Reports: golden Markdown and plain-terminal renderings, escaping, out-of-scope and error records,
and the PNG figure.

The record is built by hand (design, profile rows, threats) rather than through the rule engine, so
that a change of the rule table does not silently rewrite the golden files: these tests are about
how a screening is shown, not what it says.

Regenerate the golden files with `SCREENER_UPDATE_GOLDEN=1 pytest tests/test_report.py` and review
the diff.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from rich.console import Console

from screener.design import Design, Evidence, Strategy
from screener.pipeline import DocumentSummary, Record, Usage
from screener.profile import Level, Mitigation, Profile, ProfileRow, Threat, ValidityType
from screener.report import profile_figure, record_markdown, render_record

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SCREENER_UPDATE_GOLDEN") == "1"

OK, CAREFUL, KEY = Level.OK, Level.CAREFUL, Level.KEY
STAT, INT, EXT, CON = (
    ValidityType.STATISTICAL,
    ValidityType.INTERNAL,
    ValidityType.EXTERNAL,
    ValidityType.CONSTRUCT,
)


def ev(quote: str, page: int | None) -> dict:
    return {"quote": quote, "page": page}


def fictional_design() -> Design:
    """A made-up tokenizer study: small proxy models, perplexity for task accuracy, one seed."""
    return Design.model_validate(
        {
            "in_scope": {
                "value": True,
                "confidence": 0.9,
                "evidence": [ev("We ask how vocabulary size changes downstream accuracy.", 1)],
            },
            "scope_reason": "empirical study of a tokenizer change",
            "strategies": [
                {
                    "strategy": "proxy_model",
                    "confidence": 0.85,
                    "evidence": [
                        ev(
                            "We train models of 20M to 300M parameters and extrapolate the "
                            "fitted curve to 30B.",
                            2,
                        )
                    ],
                },
                {
                    "strategy": "proxy_outcome",
                    "confidence": 0.7,
                    "evidence": [
                        ev("Perplexity on a held-out split serves as a proxy for accuracy.", 3)
                    ],
                },
            ],
            "primary_strategy": "proxy_model",
            "treatment": {
                "value": "vocabulary size (32k vs 128k)",
                "confidence": 0.8,
                "evidence": [ev("We compare vocabularies of 32k and 128k tokens.", 2)],
            },
            "outcome": {
                "value": "perplexity as a stand-in for QA accuracy",
                "confidence": 0.6,
                "evidence": [
                    ev("Perplexity on a held-out split serves as a proxy for accuracy.", 3)
                ],
            },
            "target_recipe": {
                "value": "30B decoder-only models",
                "confidence": 0.75,
                "evidence": [ev("Our predictions concern 30B models.", 4)],
            },
            "proxies": [
                {
                    "kind": "model",
                    "target": "30B models",
                    "proxy": "20M-300M models",
                    "confidence": 0.85,
                    "evidence": [ev("We train models of 20M to 300M parameters.", 2)],
                },
                {
                    "kind": "outcome",
                    "target": "QA accuracy",
                    "proxy": "held-out perplexity",
                    "confidence": 0.7,
                    "evidence": [],
                },
            ],
            "identification": [
                {
                    "method": "randomized",
                    "confidence": 0.6,
                    "evidence": [
                        ev("Each vocabulary is trained from scratch on identical data.", 2)
                    ],
                },
            ],
            "repeated_runs": {
                "value": False,
                "confidence": 0.7,
                "evidence": [ev("Each configuration is trained once.", 2)],
            },
            "target_validation": {
                "value": True,
                "confidence": 0.65,
                "evidence": [ev("A 1B check run lands within 2% of the prediction.", 4)],
            },
        }
    )


def fictional_record() -> Record:
    row_pm = ProfileRow(
        strategy=Strategy.PROXY_MODEL,
        statistical=CAREFUL,
        internal=OK,
        external=CAREFUL,
        construct=OK,
        base={STAT: OK, INT: OK, EXT: KEY, CON: OK},
    )
    row_po = ProfileRow(
        strategy=Strategy.PROXY_OUTCOME,
        statistical=CAREFUL,
        internal=OK,
        external=OK,
        construct=KEY,
        base={STAT: OK, INT: OK, EXT: OK, CON: KEY},
    )
    profile = Profile(
        statistical=CAREFUL, internal=OK, external=CAREFUL, construct=KEY, rows=(row_pm, row_po)
    )
    scale = Threat(
        id="EXT-SCALE",
        name="Extrapolation across scale",
        validity=EXT,
        level=CAREFUL,
        base_level=KEY,
        assumption="A4",
        assumption_text="the effect carries across recipes",
        explanation="The vocabulary effect is measured on 20M-300M models and claimed for 30B.",
        strategies=(Strategy.PROXY_MODEL,),
        evidence=(
            Evidence(
                quote="We train models of 20M to 300M parameters and extrapolate "
                "the fitted curve to 30B.",
                page=2,
            ),
        ),
        mitigations=(
            Mitigation(
                description="the prediction is checked on a 1B model",
                evidence=(
                    Evidence(quote="A 1B check run lands within 2% of the prediction.", page=4),
                ),
            ),
        ),
    )
    outcome = Threat(
        id="CON-OUTCOME",
        name="Proxy outcome",
        validity=CON,
        level=KEY,
        base_level=KEY,
        assumption="A8",
        explanation="Perplexity stands in for QA accuracy [red]without a check[/red].",
        strategies=(Strategy.PROXY_OUTCOME,),
        evidence=(
            Evidence(
                quote="Perplexity on a held-out split serves as a proxy for accuracy.", page=3
            ),
            Evidence(
                quote="Lower is better [bold]always[/bold] | see <b>Table 2</b> * _x_", page=5
            ),
        ),
    )
    small_n = Threat(
        id="STAT-SMALL-N",
        name="Few runs",
        validity=STAT,
        level=CAREFUL,
        base_level=CAREFUL,
        explanation="Each configuration is trained once and no uncertainty is reported.",
        strategies=(Strategy.PROXY_MODEL, Strategy.PROXY_OUTCOME),
        evidence=(
            Evidence(
                quote="Each configuration is trained once. " + "Padding words " * 40, page=None
            ),
        ),
    )
    return Record(
        source="papers/vocab-study.pdf",
        sha256="0" * 64,
        document=DocumentSummary(
            title="Bigger Vocabularies [red]Help[/red]: A Proxy Study",
            abstract="A fictional abstract.",
            pages=6,
        ),
        design=fictional_design(),
        profile=profile,
        threats=[scale, outcome, small_n],
        rules_version="test-rules",
        parser="pymupdf 1.0",
        extractor="heuristic",
        usage=Usage(tokens_in=1200, tokens_out=340, cost_usd=0.0021, requests=1),
    )


def out_of_scope_record() -> Record:
    design = Design.model_validate(
        {
            "in_scope": {
                "value": False,
                "confidence": 0.8,
                "evidence": [ev("This survey reviews ...", 1)],
            },
            "scope_reason": "survey without new experiments",
        }
    )
    return Record(
        source="papers/survey.pdf",
        document=DocumentSummary(title="A Survey", pages=12),
        design=design,
        profile=Profile(),
        rules_version="test-rules",
        parser="pymupdf 1.0",
        extractor="heuristic",
    )


def error_record() -> Record:
    return Record(
        source="papers/broken.pdf",
        error="papers/broken.pdf: not a PDF file",
        rules_version="test-rules",
    )


def terminal_text(record: Record) -> str:
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    render_record(record, console)
    # Tables pad lines to the console width; trailing blanks would not survive editors.
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SCREENER_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, make",
    [("record", fictional_record), ("out_of_scope", out_of_scope_record), ("error", error_record)],
)
def test_markdown_matches_golden(name: str, make) -> None:
    check_golden(f"{name}.md", record_markdown(make()))


@pytest.mark.parametrize(
    "name, make",
    [("record", fictional_record), ("out_of_scope", out_of_scope_record), ("error", error_record)],
)
def test_terminal_matches_golden(name: str, make) -> None:
    check_golden(f"{name}.txt", terminal_text(make()))


def test_markup_in_paper_text_is_printed_not_interpreted() -> None:
    console = Console(record=True, width=100, color_system="truecolor", file=io.StringIO())
    render_record(fictional_record(), console)
    text = console.export_text()
    # Had rich parsed the paper's text as markup, the tags would be gone from the output.
    assert "Bigger Vocabularies [red]Help[/red]" in text
    assert "[red]without a check[/red]" in text
    assert "[bold]always[/bold]" in text


def test_markdown_escapes_paper_text() -> None:
    markdown = record_markdown(fictional_record())
    assert "\\[bold\\]always\\[/bold\\]" in markdown
    assert "&lt;b&gt;Table 2&lt;/b&gt;" in markdown and "<b>" not in markdown
    assert "\\| see" in markdown  # a pipe in a quote cannot split a table row
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_every_level_shows_a_symbol_and_a_word() -> None:
    text = terminal_text(fictional_record())
    for label in ("● ok", "◐ careful", "● key"):
        assert label in text
    assert "◐ careful (base ● key)" in text  # the mitigated threat names where it started


def test_out_of_scope_record_explains_why() -> None:
    text = terminal_text(out_of_scope_record())
    assert "Not applicable — the paper is out of scope: survey without new experiments" in text
    assert "strategy " not in text.split("Threats")[0]  # no matrix header


def test_no_strategy_record_says_so() -> None:
    record = out_of_scope_record()
    record.design = Design.model_validate({"in_scope": True})
    assert "no research strategy was detected" in terminal_text(record)
    assert "no research strategy was detected" in record_markdown(record)


def test_error_record_is_one_line_naming_the_file() -> None:
    lines = terminal_text(error_record()).splitlines()
    assert lines == ["✗ papers/broken.pdf: not a PDF file"]
    record = Record(source="papers/other.pdf", error="cannot be opened")
    assert terminal_text(record).strip() == "✗ papers/other.pdf: cannot be opened"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("make", [fictional_record, out_of_scope_record, error_record])
def test_figure_is_a_png_of_plausible_size(tmp_path: Path, make) -> None:
    path = profile_figure(make(), tmp_path / "sub" / "figure.png")
    assert path == tmp_path / "sub" / "figure.png"
    width, height = png_size(path)
    assert 800 <= width <= 1600 and 250 <= height <= 1200
    assert path.stat().st_size > 5_000  # drawn, not blank


def test_figure_grows_with_the_number_of_strategies(tmp_path: Path) -> None:
    one = fictional_record()
    assert one.profile is not None
    one.profile = one.profile.model_copy(update={"rows": one.profile.rows[:1]})
    _, short = png_size(profile_figure(one, tmp_path / "one.png"))
    _, tall = png_size(profile_figure(fictional_record(), tmp_path / "two.png"))
    assert tall > short


def test_figure_takes_a_dollar_sign_in_the_title(tmp_path: Path) -> None:
    record = fictional_record()
    record.document.title = "Training on $5 of compute: what $x$ and [red] tell us"
    png_size(profile_figure(record, tmp_path / "dollar.png"))


REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "data-mix-ablation.pdf"


def pdf_text(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]


def test_example_paper_is_what_the_script_writes(tmp_path: Path) -> None:
    """The committed example must not drift from its script (re-running gives the same text)."""
    out = tmp_path / "example.pdf"
    subprocess.run(
        [sys.executable, "scripts/make_example.py", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )
    written = pdf_text(out)
    assert written == pdf_text(EXAMPLE)
    text = " ".join(" ".join(written).split())
    assert 2 <= len(written) <= 3
    for phrase in (
        "small proxy models",
        "extrapolate",
        "70B",
        "stand-in for accuracy",
        "single seed",
        "did not train a 70B model to verify",
        "References",
    ):
        assert phrase in text


def test_markdown_escapes_line_start_syntax_only_where_a_line_starts() -> None:
    record = fictional_record()
    record.rules_version = "1.0.0"
    record.threats[0] = record.threats[0].model_copy(update={"explanation": "1. # not a list"})
    markdown = record_markdown(record)
    assert "- **rules:** 1.0.0\n" in markdown
    assert "\n1\\. # not a list\n" in markdown


def test_llm_record_shows_its_prompt_and_flags_ungrounded_quotes() -> None:
    record = fictional_record()
    design = record.design.model_copy(deep=True)
    design.treatment.evidence = [
        Evidence(quote="A sentence the model made up.", page=2, grounded=False)
    ]
    record = record.model_copy(
        update={
            "design": design,
            "extraction": {"prompt": "extract_design v1", "prompt_sha256": "ab12" * 16},
        }
    )
    for text in (terminal_text(record), record_markdown(record)):
        assert "design v1 (ab12ab12ab12)" in " ".join(text.split())
        assert "UNGROUNDED" in text
    assert "UNGROUNDED" not in terminal_text(fictional_record())


def also_present_record() -> Record:
    design = Design.model_validate(
        {
            "in_scope": True,
            "strategies": [
                {"strategy": "target_experiment", "confidence": 0.9},
                {
                    "strategy": "proxy_treatment",
                    "confidence": 0.35,
                    "evidence": [ev("We also fine-tune the released checkpoint once.", 7)],
                },
            ],
            "primary_strategy": "target_experiment",
            "repeated_runs": False,
        }
    )
    from screener.rules import judge

    judgment = judge(design)
    return Record(
        source="papers/side-analysis.pdf",
        design=design,
        profile=judgment.profile,
        threats=list(judgment.threats),
        also_present=list(judgment.also_present),
    )


def test_also_present_strategy_is_reported_apart_from_the_verdict() -> None:
    record = also_present_record()
    markdown = record_markdown(record)
    verdict, also = markdown.split("## Also present (1)")
    assert "## Threats (1)" in verdict and "CON-TREATMENT" not in verdict
    assert "Proxy treatment — extracted with confidence 0.35, below 0.5" in also
    assert "CON-TREATMENT" in also and "careful (base ● key)" in also
    assert "fine-tune the released checkpoint" in also
    text = terminal_text(record)
    assert "Also present (1)" in text
    assert text.index("CON-TREATMENT") > text.index("Also present")
