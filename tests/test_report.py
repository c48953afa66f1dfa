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
from pathlib import Path

import pytest
from rich.console import Console

from screener.design import Design, Evidence, Strategy
from screener.pipeline import DocumentSummary, Record, Usage
from screener.profile import Level, Mitigation, Profile, ProfileRow, Threat, ValidityType
from screener.report import profile_figure, record_markdown, render_record

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SCREENER_UPDATE_GOLDEN") == "1"

OK, CAREFUL, KEY = Level.OK, Level.CAREFUL, Level.KEY
S, I, E, C = (ValidityType.STATISTICAL, ValidityType.INTERNAL, ValidityType.EXTERNAL,
              ValidityType.CONSTRUCT)


def ev(quote: str, page: int | None) -> dict:
    return {"quote": quote, "page": page}


def fictional_design() -> Design:
    """A made-up tokenizer study: small proxy models, perplexity for task accuracy, one seed."""
    return Design.model_validate(
        {
            "in_scope": {"value": True, "confidence": 0.9,
                         "evidence": [ev("We ask how vocabulary size changes downstream accuracy.", 1)]},
            "scope_reason": "empirical study of a tokenizer change",
            "strategies": [
                {"strategy": "proxy_model", "confidence": 0.85,
                 "evidence": [ev("We train models of 20M to 300M parameters and extrapolate the "
                                 "fitted curve to 30B.", 2)]},
                {"strategy": "proxy_outcome", "confidence": 0.7,
                 "evidence": [ev("Perplexity on a held-out split serves as a proxy for accuracy.", 3)]},
            ],
            "primary_strategy": "proxy_model",
            "treatment": {"value": "vocabulary size (32k vs 128k)", "confidence": 0.8,
                          "evidence": [ev("We compare vocabularies of 32k and 128k tokens.", 2)]},
            "outcome": {"value": "perplexity as a stand-in for QA accuracy", "confidence": 0.6,
                        "evidence": [ev("Perplexity on a held-out split serves as a proxy for "
                                        "accuracy.", 3)]},
            "target_recipe": {"value": "30B decoder-only models", "confidence": 0.75,
                              "evidence": [ev("Our predictions concern 30B models.", 4)]},
            "proxies": [
                {"kind": "model", "target": "30B models", "proxy": "20M-300M models",
                 "confidence": 0.85, "evidence": [ev("We train models of 20M to 300M parameters.", 2)]},
                {"kind": "outcome", "target": "QA accuracy", "proxy": "held-out perplexity",
                 "confidence": 0.7, "evidence": []},
            ],
            "identification": [
                {"method": "randomized", "confidence": 0.6,
                 "evidence": [ev("Each vocabulary is trained from scratch on identical data.", 2)]},
            ],
            "repeated_runs": {"value": False, "confidence": 0.7,
                              "evidence": [ev("Each configuration is trained once.", 2)]},
            "target_validation": {"value": True, "confidence": 0.65,
                                  "evidence": [ev("A 1B check run lands within 2% of the "
                                                  "prediction.", 4)]},
        }
    )


def fictional_record() -> Record:
    row_pm = ProfileRow(strategy=Strategy.PROXY_MODEL, statistical=CAREFUL, internal=OK,
                        external=CAREFUL, construct=OK,
                        base={S: OK, I: OK, E: KEY, C: OK})
    row_po = ProfileRow(strategy=Strategy.PROXY_OUTCOME, statistical=CAREFUL, internal=OK,
                        external=OK, construct=KEY,
                        base={S: OK, I: OK, E: OK, C: KEY})
    profile = Profile(statistical=CAREFUL, internal=OK, external=CAREFUL, construct=KEY,
                      rows=(row_pm, row_po))
    scale = Threat(
        id="EXT-SCALE", name="Extrapolation across scale", validity=E, level=CAREFUL,
        base_level=KEY, assumption="A4", assumption_text="the effect carries across recipes",
        explanation="The vocabulary effect is measured on 20M-300M models and claimed for 30B.",
        strategies=(Strategy.PROXY_MODEL,),
        evidence=(Evidence(quote="We train models of 20M to 300M parameters and extrapolate "
                                 "the fitted curve to 30B.", page=2),),
        mitigations=(Mitigation(description="the prediction is checked on a 1B model",
                                evidence=(Evidence(quote="A 1B check run lands within 2% of the "
                                                         "prediction.", page=4),)),),
    )
    outcome = Threat(
        id="CON-OUTCOME", name="Proxy outcome", validity=C, level=KEY, base_level=KEY,
        assumption="A8", explanation="Perplexity stands in for QA accuracy [red]without a check[/red].",
        strategies=(Strategy.PROXY_OUTCOME,),
        evidence=(
            Evidence(quote="Perplexity on a held-out split serves as a proxy for accuracy.", page=3),
            Evidence(quote="Lower is better [bold]always[/bold] | see <b>Table 2</b> * _x_", page=5),
        ),
    )
    small_n = Threat(
        id="STAT-SMALL-N", name="Few runs", validity=S, level=CAREFUL, base_level=CAREFUL,
        explanation="Each configuration is trained once and no uncertainty is reported.",
        strategies=(Strategy.PROXY_MODEL, Strategy.PROXY_OUTCOME),
        evidence=(Evidence(quote="Each configuration is trained once. " + "Padding words " * 40,
                           page=None),),
    )
    return Record(
        source="papers/vocab-study.pdf", sha256="0" * 64,
        document=DocumentSummary(title="Bigger Vocabularies [red]Help[/red]: A Proxy Study",
                                 abstract="A fictional abstract.", pages=6),
        design=fictional_design(), profile=profile, threats=[scale, outcome, small_n],
        rules_version="test-rules", parser="pymupdf 1.0", extractor="heuristic",
        usage=Usage(tokens_in=1200, tokens_out=340, cost_usd=0.0021, requests=1),
    )


def out_of_scope_record() -> Record:
    design = Design.model_validate({"in_scope": {"value": False, "confidence": 0.8,
                                                 "evidence": [ev("This survey reviews ...", 1)]},
                                    "scope_reason": "survey without new experiments"})
    return Record(source="papers/survey.pdf", document=DocumentSummary(title="A Survey", pages=12),
                  design=design, profile=Profile(), rules_version="test-rules",
                  parser="pymupdf 1.0", extractor="heuristic")


def error_record() -> Record:
    return Record(source="papers/broken.pdf", error="papers/broken.pdf: not a PDF file",
                  rules_version="test-rules")


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
