"""The gold-set evaluation: gold loading, per-paper scoring, the rules-only ablation, and the
`eval` command end to end on fictional papers written to PDF by the test."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from screener.design import Design, Evidence
from screener.errors import InputError
from screener.evaluate import (
    GoldPaper,
    Prediction,
    grounding_counts,
    load_gold,
    rules_only,
    run_metrics,
    score_paper,
    with_intervals,
)
from screener.evaluate_command import add_eval_command

REPO = Path(__file__).resolve().parent.parent

# Three fictional papers (our own words). The third has no PDF: it must be reported, not crash.
DROPOUT = {
    "id": "fictional-dropout",
    "title": "Dropout Rates and Accuracy in Small Convolutional Networks",
    "in_scope": True,
    "scope_reason": "ablation of a training-recipe change",
    "strategies": ["target_experiment"],
    "primary_strategy": "target_experiment",
    "research_question": "effect of the dropout rate on test accuracy of small CNNs",
    "treatment": "dropout rate",
    "outcome": "test accuracy on an image benchmark",
    "target_recipe": "small convolutional image classifiers",
    "proxies": [],
    "identification": ["randomized"],
    "repeated_runs": False,
    "n_models": None,
    "pooled_families": None,
    "target_validation": None,
    "profile": {"statistical": "careful", "internal": "ok", "external": "ok", "construct": "ok"},
    "threats": ["STAT-SMALL-N"],
    "evidence": {"strategies": "p.1 experiments, own note"},
    "confidence": "high",
    "notes": "",
}
POEMS = {
    "id": "fictional-poems",
    "title": "A Reading of Harbour Poems",
    "in_scope": False,
    "scope_reason": "literary criticism, no trained model",
    "strategies": [],
    "primary_strategy": None,
    "research_question": "",
    "treatment": "",
    "outcome": "",
    "target_recipe": "",
    "proxies": [],
    "identification": [],
    "repeated_runs": None,
    "n_models": None,
    "pooled_families": None,
    "target_validation": None,
    "profile": None,
    "threats": [],
    "evidence": {},
    "confidence": "high",
    "notes": "",
}
SCALING = {
    **DROPOUT,
    "id": "fictional-scaling",
    "title": "Small Ladders for Large Models",
    "strategies": ["proxy_model"],
    "primary_strategy": "proxy_model",
    "proxies": [{"kind": "model", "target": "large models", "proxy": "small ladder"}],
    "repeated_runs": True,
    "target_validation": False,
    "profile": {"statistical": "ok", "internal": "ok", "external": "key", "construct": "ok"},
    "threats": ["EXT-SCALE", "EXT-RECIPE"],
}

DROPOUT_TEXT = [
    "Dropout Rates and Accuracy in Small Convolutional Networks",
    "Abstract",
    "We study how the dropout rate changes the test accuracy of small convolutional networks.",
    "We train the same network with five dropout rates and compare test accuracy.",
    "1 Experiments",
    "Each configuration is trained once with identical data, optimiser and schedule.",
    "We ablate the dropout rate while keeping every other part of the recipe fixed.",
    "Test accuracy rises from 71.2 to 74.8 percent as dropout goes from 0.0 to 0.3.",
    "2 Conclusion",
    "A moderate dropout rate improves accuracy for networks of this size.",
]
POEMS_TEXT = [
    "A Reading of Harbour Poems",
    "Abstract",
    "This essay reads a cycle of poems about a northern harbour and its boats.",
    "1 Images of the Sea",
    "The poems return to the tide, the nets and the lighthouse in every stanza.",
    "2 Closing Remarks",
    "The cycle ends with the harbour at night, quiet and empty.",
]


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF of our own sentences; the first line set larger as the title."""
    document = pymupdf.open()
    page = document.new_page()
    y = 72.0
    for number, line in enumerate(lines):
        size = 16 if number == 0 else 10
        page.insert_text((72, y), line, fontsize=size)
        y += 2.2 * size
    document.save(path)
    document.close()
    return path


def write_gold(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def gold_paper(record: dict[str, Any], line: int = 1) -> GoldPaper:
    from screener.evaluate import GoldLabel

    return GoldPaper(line, GoldLabel.model_validate(record), Design.from_codebook(record))


# --- gold loading -------------------------------------------------------------------------------


def test_load_gold_validates_and_keeps_order(tmp_path: Path) -> None:
    papers = load_gold(write_gold(tmp_path / "gold.jsonl", [DROPOUT, POEMS]))
    assert [p.id for p in papers] == ["fictional-dropout", "fictional-poems"]
    assert papers[0].design.primary_strategy.value == "target_experiment"
    assert papers[1].label.profile is None


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ({**DROPOUT, "threats": ["EXT-MADE-UP"]}, "unknown threat ids"),
        ({**DROPOUT, "profile": {**DROPOUT["profile"], "internal": "severe"}}, "profile.internal"),
        ({**DROPOUT, "profile": {"statistical": "ok"}}, "profile"),
        ({**DROPOUT, "primary_strategy": "observational"}, "not among the strategies"),
        ({**DROPOUT, "strategies": ["guesswork"]}, "strategies"),
        ({**POEMS, "threats": ["STAT-SMALL-N"]}, "out-of-scope"),
        ({**DROPOUT, "id": ""}, "id"),
    ],
)
def test_bad_gold_line_names_the_line(tmp_path: Path, broken: dict[str, Any], words: str) -> None:
    path = write_gold(tmp_path / "gold.jsonl", [POEMS, broken])
    with pytest.raises(InputError) as caught:
        load_gold(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 2:")
    assert words in message
    assert "\n" not in message


def test_gold_file_level_errors(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text(json.dumps(POEMS) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        load_gold(bad_json)
    twice = write_gold(tmp_path / "twice.jsonl", [POEMS, POEMS])
    with pytest.raises(InputError, match="line 2: id 'fictional-poems' is labelled twice"):
        load_gold(twice)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no labels"):
        load_gold(empty)
    with pytest.raises(InputError, match="cannot read gold file"):
        load_gold(tmp_path / "absent.jsonl")


# --- scoring ------------------------------------------------------------------------------------


def test_grounding_counts_collapse_whitespace_only() -> None:
    text = "We train the model\nwith five   seeds.\n\nResults follow."
    evidence = [
        Evidence(quote="train the model with five seeds"),  # found once whitespace collapses
        Evidence(quote="We Train The Model"),  # case differs: not verbatim
        Evidence(quote="a sentence the paper never says"),
    ]
    assert grounding_counts(evidence, text) == (3, 1)


def test_score_paper_compares_fields() -> None:
    gold = gold_paper(SCALING)
    predicted = Design.from_codebook(
        {
            "in_scope": True,
            "strategies": ["proxy_model", "target_experiment"],
            "primary_strategy": "target_experiment",
            "treatment": "the dropout rate",
            "proxies": [{"kind": "model", "proxy": "tiny models"}],
            "identification": ["randomized"],
        }
    )
    prediction = Prediction(
        design=predicted,
        profile={"statistical": "ok", "internal": "ok", "external": "key", "construct": "ok"},
        threats={"EXT-SCALE": "key", "EXT-EMERGENCE": "careful"},
    )
    score = score_paper(gold, prediction)
    assert score.treatment_f1 == 1.0  # "the dropout rate" vs "dropout rate": articles dropped
    assert score.outcome_f1 == 0.0  # nothing predicted
    assert score.mismatches == ["strategies", "primary_strategy", "threats"]
    values = run_metrics([score])
    # Strategies: gold {proxy_model}, predicted {proxy_model, target_experiment}: tp 1, fp 1 ->
    # micro F1 = 2 / (2 + 1) = 2/3; macro over the one gold class (proxy_model, F1 1) = 1.
    assert values["strategies.micro_f1"] == pytest.approx(2 / 3)
    assert values["strategies.macro_f1"] == 1.0
    # Threat ids: gold {EXT-SCALE, EXT-RECIPE}, predicted {EXT-SCALE, EXT-EMERGENCE}
    # regardless of level.
    assert values["threat_ids.precision"] == 0.5
    assert values["threat_ids.recall"] == 0.5
    assert values["profile.external.accuracy"] == 1.0
    # Gold says repeated_runs true; the prediction left it unknown: wrong, over n = 1.
    assert (values["details.repeated_runs.accuracy"], values["details.repeated_runs.n"]) == (0.0, 1)
    # n_models is null (not applicable) in gold: no paper to score.
    assert values["details.n_models.n"] == 0


def test_failed_screening_scores_as_empty_prediction() -> None:
    score = score_paper(gold_paper(DROPOUT), Prediction(None, None, {}, error="x.pdf: broken"))
    values = run_metrics([score])
    assert score.failed
    assert values["in_scope.recall"] == 0.0
    assert values["primary_accuracy"] == 0.0
    assert values["profile.n"] == 0
    assert values["profile.statistical.accuracy"] is None


def test_with_intervals_nests_and_adds_ci_keys() -> None:
    golds = [gold_paper(DROPOUT, 1), gold_paper(POEMS, 2), gold_paper(SCALING, 3)]
    empty = Prediction(None, None, {})
    scores = [score_paper(g, empty) for g in golds]
    nested = with_intervals(scores, run_metrics, resamples=50, seed=3)
    assert isinstance(nested["in_scope"]["f1"], float)
    assert len(nested["in_scope"]["f1_ci"]) == 2
    assert "support_ci" not in nested["in_scope"]
    assert nested["strategies"]["per_class"]["proxy_model"]["support"] == 1
    assert nested == with_intervals(scores, run_metrics, resamples=50, seed=3)


def test_rules_only_reproduces_consistent_gold() -> None:
    golds = [gold_paper(DROPOUT, 1), gold_paper(POEMS, 2), gold_paper(SCALING, 3)]
    result = rules_only(golds, resamples=50, seed=0)
    # The gold designs above are what the rule table turns into exactly these profiles.
    assert result["profile"]["n"] == 2
    for validity in ("statistical", "internal", "external", "construct"):
        assert result["profile"][validity]["accuracy"] == 1.0
    assert result["threat_ids"]["f1"] == 1.0
    assert result["disagreements"] == []


# --- end to end ---------------------------------------------------------------------------------


def run_eval(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="screener")
    add_eval_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", *argv])
    return args.handler(args)


@pytest.fixture(scope="module")
def fictional(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("eval")
    pdfs = folder / "pdfs"
    pdfs.mkdir()
    write_pdf(pdfs / "fictional-dropout.pdf", DROPOUT_TEXT)
    write_pdf(pdfs / "fictional-poems.pdf", POEMS_TEXT)
    gold = write_gold(folder / "gold.jsonl", [DROPOUT, POEMS, SCALING])
    return gold, pdfs


def test_eval_command_end_to_end(
    fictional: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold, pdfs = fictional
    out = tmp_path / "results"
    status = run_eval(
        [
            "--gold",
            str(gold),
            "--pdfs",
            str(pdfs),
            "--json",
            "--out",
            str(out),
            "--bootstrap",
            "100",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    result = json.loads(captured.out)
    for key in (
        "n_papers", "in_scope", "strategies", "primary_accuracy", "profile", "key_threats",
        "threat_ids", "grounding_rate", "cost", "rules_only", "papers", "primary_confusion",
    ):  # fmt: skip
        assert key in result
    assert result["n_papers"] == 2
    assert result["missing_pdfs"] == ["fictional-scaling"]
    assert "fictional-scaling: PDF not found" in captured.err
    assert {"micro_f1", "macro_f1", "per_class"} <= set(result["strategies"])
    assert set(result["profile"]) >= {"statistical", "internal", "external", "construct"}
    assert set(result["profile"]["internal"]) >= {"accuracy", "kappa", "accuracy_ci", "kappa_ci"}
    assert result["cost"]["usd_per_paper"] == 0.0  # the heuristic extractor is free
    # The aggregate agrees with the per-paper entries it was computed from.
    entries = {p["id"]: p for p in result["papers"]}
    assert entries["fictional-scaling"]["status"] == "missing_pdf"
    predicted_in = [
        entries[i]["predicted"]["in_scope"] is True
        for i in ("fictional-dropout", "fictional-poems")
    ]
    tp = int(predicted_in[0])
    assert result["in_scope"]["tp"] == tp
    assert result["in_scope"]["fp"] == int(predicted_in[1])
    assert result["in_scope"]["recall"] == float(tp)
    # The rules-only ablation covers all three labels, PDF or not.
    assert result["rules_only"]["n_papers"] == 3
    assert result["rules_only"]["profile"]["external"]["accuracy"] == 1.0
    # Reports: JSON, Markdown and the confusion-matrix PNG.
    stem = f"heuristic-pymupdf-{result['date']}"
    assert json.loads((out / f"{stem}.json").read_text())["n_papers"] == 2
    report = (out / f"{stem}.md").read_text()
    assert "## Rules-only ablation" in report and "fictional-scaling" in report
    assert (out / f"{stem}-primary.png").read_bytes().startswith(b"\x89PNG")


def test_eval_command_bad_inputs(
    fictional: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold, pdfs = fictional
    assert (
        run_eval(["--gold", str(gold), "--pdfs", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
        == 2
    )
    assert "PDF folder not found" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(DROPOUT) + "\n" + json.dumps({**POEMS, "in_scope": "perhaps"}) + "\n")
    assert run_eval(["--gold", str(bad), "--pdfs", str(pdfs), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"screener: {bad}: line 2:")
    assert "Traceback" not in err


@pytest.mark.corpus
def test_rules_only_on_the_gold_set(corpus: Path) -> None:
    golds = load_gold(REPO / "gold" / "labels.jsonl")
    result = rules_only(golds, resamples=100, seed=0)
    in_scope = sum(1 for g in golds if g.label.in_scope)
    assert result["n_papers"] == len(golds)
    assert result["profile"]["n"] == in_scope
    for validity in ("statistical", "internal", "external", "construct"):
        block = result["profile"][validity]
        assert block["n"] == in_scope
        assert 0.0 <= block["accuracy"] <= 1.0
        assert block["kappa"] is None or -1.0 <= block["kappa"] <= 1.0
        lo, hi = block["accuracy_ci"]
        assert lo <= block["accuracy"] <= hi


def test_eval_through_the_screener_entry_point(
    fictional: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from screener import cli

    gold, pdfs = fictional
    argv = ["eval", "--gold", str(gold), "--pdfs", str(pdfs), "--out", str(tmp_path)]
    assert cli.main([*argv, "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "2 papers scored (1 missing PDFs, 0 failed)" in out
    assert "wrote " in out


@pytest.mark.corpus
def test_eval_on_a_few_real_papers(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (REPO / "gold" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    argv = ["--gold", str(gold), "--pdfs", str(corpus / "pdfs"), "--out", str(tmp_path / "out")]
    assert run_eval([*argv, "--json", "--bootstrap", "50"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_papers"] == 3
    assert result["missing_pdfs"] == [] and result["failed"] == []
    assert result["grounding"]["quotes"] > 0
    assert 0.0 <= result["grounding_rate"] <= 1.0
    for paper in result["papers"]:
        # Committed reports never carry long text from the papers.
        for phrase in (paper["predicted"]["treatment"], paper["predicted"]["outcome"]):
            assert phrase is None or len(phrase.split()) <= 9  # 8 words and the ellipsis


def test_a_crashing_backend_fails_one_paper_not_the_run(
    fictional: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import screener.evaluate as evaluate_module

    real = evaluate_module.screen_file

    def flaky(path, *args, **kwargs):
        if Path(path).stem == "fictional-dropout":
            raise RuntimeError("extractor bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(evaluate_module, "screen_file", flaky)
    gold, pdfs = fictional
    argv = ["--gold", str(gold), "--pdfs", str(pdfs), "--out", str(tmp_path), "--json"]
    assert run_eval([*argv, "--bootstrap", "20"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] == ["fictional-dropout"]
    entry = next(p for p in result["papers"] if p["id"] == "fictional-dropout")
    assert entry["status"] == "error" and "RuntimeError: extractor bug" in entry["error"]
    # Scored as an empty prediction: the in-scope paper is missed.
    assert result["in_scope"]["fn"] == 1


def test_a_pdf_folder_without_gold_papers_is_an_error(
    fictional: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold, _ = fictional
    assert run_eval(["--gold", str(gold), "--pdfs", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "holds no <id>.pdf of the 3 gold papers" in capsys.readouterr().err


# --- agreement between two readers ----------------------------------------------------------------


def test_a_label_file_agrees_with_itself(tmp_path: Path) -> None:
    from screener.evaluate import agreement

    gold = write_gold(tmp_path / "a.jsonl", [DROPOUT, POEMS, SCALING])
    result = agreement(gold, gold, resamples=20, seed=0)
    assert result["n_papers"] == 3 and result["disagreements"] == []
    assert result["profile"]["exact_match"] == 1.0
    assert result["threat_ids"]["f1"] == 1.0 and result["primary_accuracy"] == 1.0


def test_agreement_scores_the_second_reader_like_a_prediction(tmp_path: Path) -> None:
    from screener.evaluate import agreement

    first = write_gold(tmp_path / "a.jsonl", [DROPOUT, POEMS, SCALING])
    # The second reader calls the scaling paper a target experiment with a single run, and
    # labels one paper the first reader did not.
    other_scaling = {
        **SCALING,
        "strategies": ["target_experiment"],
        "primary_strategy": "target_experiment",
        "proxies": [],
        "repeated_runs": False,
        "profile": DROPOUT["profile"],
        "threats": ["STAT-SMALL-N"],
    }
    extra = {**DROPOUT, "id": "fictional-extra"}
    second = write_gold(tmp_path / "b.jsonl", [DROPOUT, POEMS, other_scaling, extra])
    result = agreement(first, second, resamples=0, seed=0)
    assert result["n_papers"] == 3 and result["only_other"] == ["fictional-extra"]
    assert result["primary_accuracy"] == 0.5  # 1 of the 2 papers in scope
    assert result["profile"]["exact_match"] == 0.5
    # Threat ids: reference {STAT-SMALL-N} + {EXT-SCALE, EXT-RECIPE}; other {STAT-SMALL-N} x2.
    assert result["threat_ids"]["precision"] == 0.5
    assert result["threat_ids"]["recall"] == pytest.approx(1 / 3, abs=1e-4)  # rounded to 4
    assert [d["id"] for d in result["disagreements"]] == ["fictional-scaling"]


def test_agree_command_and_the_ceiling_in_eval_reports(
    fictional: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from screener import cli

    gold, pdfs = fictional
    assert (
        cli.main(["agree", str(gold), str(gold), "--bootstrap", "0", "--out", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    assert "3 papers labelled in both files" in out
    assert (tmp_path / "agree-gold-gold.md").is_file()
    argv = ["eval", "--gold", str(gold), "--pdfs", str(pdfs), "--out", str(tmp_path)]
    argv += ["--ceiling", str(gold), "--name", "with-ceiling", "--bootstrap", "0"]
    assert cli.main(argv) == 0
    report = (tmp_path / "with-ceiling.md").read_text(encoding="utf-8")
    assert "| metric | screener | 95% CI | two readers | 95% CI |" in report
    result = json.loads((tmp_path / "with-ceiling.json").read_text(encoding="utf-8"))
    # The ceiling covers the papers the evaluation scored (the PDF-less one is skipped).
    assert result["ceiling"]["n_papers"] == result["n_papers"] == 2
    assert cli.main(["agree", str(gold), str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
