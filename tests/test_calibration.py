"""Error rates from the evaluation and the Rogan-Gladen correction of survey shares: counts and
formulas worked by hand, the flags, the version check, the evaluation's JSON, and the
simulation that shows the corrected intervals cover the truth where the raw ones do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pdfmaker import write_paper, write_text_pdf

from screener import calibration as cal
from screener.calibration import (
    IN_SCOPE,
    TARGETS,
    BatchConfiguration,
    Calibration,
    check_configuration,
    confusion_counts,
    correct_shares,
    load_calibration,
    paper_targets,
    parser_notes,
    rogan_gladen,
)
from screener.errors import ScreenerError

PROXY = "strategy:proxy_model"
KEY_EXT = "key:external"


def matrix(rows: list[set[str]]) -> np.ndarray:
    out = np.zeros((len(rows), len(TARGETS)), dtype=bool)
    for i, row in enumerate(rows):
        for target in row:
            out[i, TARGETS.index(target)] = True
    return out


def calibration_of(pairs: list[tuple[set[str], set[str]]], **versions: Any) -> Calibration:
    return Calibration.from_pairs(
        [frozenset(g) for g, _ in pairs], [frozenset(p) for _, p in pairs], versions=versions
    )


def row(table: Any, target: str) -> Any:
    return table.set_index("target").loc[target]


# --- targets and counts -------------------------------------------------------------------------


def test_targets_are_defined_over_all_papers() -> None:
    profile = {"statistical": "careful", "internal": "ok", "external": "key", "construct": "key"}
    assert paper_targets(True, ["proxy_model", "target_experiment"], profile) == {
        IN_SCOPE,
        PROXY,
        "strategy:target_experiment",
        KEY_EXT,
        "key:construct",
    }
    # Out of scope: negative for every target, whatever else the design says.
    assert paper_targets(False, ["proxy_model"], profile) == frozenset()
    assert paper_targets(True, [], None) == {IN_SCOPE}


def test_confusion_counts_by_hand() -> None:
    pairs = [
        (frozenset({IN_SCOPE, PROXY}), frozenset({IN_SCOPE, PROXY})),  # proxy tp
        (frozenset({IN_SCOPE, PROXY}), frozenset({IN_SCOPE})),  # proxy fn
        (frozenset({IN_SCOPE}), frozenset({IN_SCOPE, PROXY})),  # proxy fp
        (frozenset({IN_SCOPE}), frozenset({IN_SCOPE})),  # proxy tn
        (frozenset(), frozenset({IN_SCOPE})),  # scope fp, proxy tn
    ]
    counts = confusion_counts(pairs)
    proxy = counts[PROXY]
    assert (proxy.tp, proxy.fp, proxy.fn, proxy.tn) == (1, 1, 1, 2)
    assert proxy.sensitivity == 0.5 and proxy.specificity == pytest.approx(2 / 3)
    assert proxy.youden == pytest.approx(1 / 6)
    scope = counts[IN_SCOPE]
    assert (scope.tp, scope.fp, scope.fn, scope.tn) == (4, 1, 0, 0)
    assert scope.specificity == 0.0
    assert counts["strategy:within_run"].sensitivity is None  # no gold positive


# --- the estimator ------------------------------------------------------------------------------


def test_rogan_gladen_formula_clipping_and_undefined() -> None:
    assert rogan_gladen(0.3, 0.8, 0.9) == pytest.approx((0.3 + 0.9 - 1) / 0.7)
    assert rogan_gladen(0.05, 0.8, 0.9) == 0.0  # below the false-positive floor: clipped
    assert rogan_gladen(0.99, 0.8, 0.9) == 1.0
    assert np.isnan(rogan_gladen(0.3, 0.5, 0.5))  # J = 0: no information
    assert np.isnan(rogan_gladen(0.3, np.nan, 0.9))


def _gold_with(se: tuple[int, int], sp: tuple[int, int]) -> list[tuple[set[str], set[str]]]:
    """A gold set whose proxy_model detection has se = a/b and sp = c/d among in-scope papers,
    and 20 out-of-scope papers, judged right, so that the in-scope rates are perfect."""
    (hits, positives), (rejections, negatives) = se, sp
    both, scope = {IN_SCOPE, PROXY}, {IN_SCOPE}
    pairs = [(both, both)] * hits + [(both, scope)] * (positives - hits)
    pairs += [(scope, scope)] * rejections + [(scope, both)] * (negatives - rejections)
    return pairs + [(set(), set())] * 20


def test_corrected_share_equals_the_formula_and_raw_is_the_plain_share() -> None:
    # se 8/10; sp over every gold negative, the 20 out-of-scope papers included: 56/60.
    calibration = calibration_of(_gold_with(se=(8, 10), sp=(36, 40)))
    se, sp = 0.8, 56 / 60
    # 100 surveyed papers: 80 in scope, 24 of them flagged proxy_model (raw share 0.3).
    survey = matrix([{IN_SCOPE, PROXY}] * 24 + [{IN_SCOPE}] * 56 + [set()] * 20)
    table = correct_shares(survey, calibration, reps=0, rng=np.random.default_rng(0))
    proxy = row(table, PROXY)
    assert proxy.raw == pytest.approx(0.3)
    # Over all papers q = 0.24 is corrected; the in-scope share (0.8) is exact: divide by it.
    assert proxy.corrected == pytest.approx(((0.24 + sp - 1) / (se + sp - 1)) / 0.8)
    assert (proxy.sensitivity, proxy.specificity) == (se, pytest.approx(sp))
    assert (proxy.gold_positives, proxy.gold_negatives) == (10, 60)
    scope = row(table, IN_SCOPE)
    assert scope.raw == scope.corrected == pytest.approx(0.8)  # a share of all papers
    assert not proxy.unstable and np.isnan(proxy.ci_low)  # no bootstrap asked for


def test_a_perfect_classifier_changes_nothing() -> None:
    calibration = calibration_of(_gold_with(se=(10, 10), sp=(20, 20)))
    survey = matrix([{IN_SCOPE, PROXY}] * 30 + [{IN_SCOPE}] * 70)
    table = correct_shares(survey, calibration, reps=500, rng=np.random.default_rng(1))
    proxy = row(table, PROXY)
    assert proxy.corrected == pytest.approx(proxy.raw) == pytest.approx(0.3)
    assert proxy.ci_low == pytest.approx(proxy.raw_ci_low)
    assert proxy.ci_high == pytest.approx(proxy.raw_ci_high)


def test_uncertain_error_rates_widen_the_interval() -> None:
    calibration = calibration_of(_gold_with(se=(12, 15), sp=(27, 30)))
    survey = matrix([{IN_SCOPE, PROXY}] * 300 + [{IN_SCOPE}] * 700)
    table = correct_shares(survey, calibration, reps=2000, rng=np.random.default_rng(2))
    proxy = row(table, PROXY)
    raw_width = proxy.raw_ci_high - proxy.raw_ci_low
    assert proxy.ci_high - proxy.ci_low > 2 * raw_width
    assert proxy.ci_low <= proxy.corrected <= proxy.ci_high


@pytest.mark.parametrize(
    ("gold", "note"),
    [
        (_gold_with(se=(0, 0), sp=(20, 20)), "no gold positives: sensitivity unknown"),
        (_gold_with(se=(4, 10), sp=(14, 20)), "sensitivity + specificity - 1 = 0.25 < 0.30"),
        (_gold_with(se=(1, 1), sp=(20, 20)), "correction undefined in"),
    ],
)
def test_unstable_rows_say_why(gold: list[tuple[set[str], set[str]]], note: str) -> None:
    survey = matrix([{IN_SCOPE, PROXY}] * 10 + [{IN_SCOPE}] * 40)
    table = correct_shares(survey, calibration_of(gold), 400, np.random.default_rng(3))
    proxy = row(table, PROXY)
    assert proxy.unstable and proxy.note.startswith(note)
    assert not row(table, IN_SCOPE).unstable


def test_an_unstable_in_scope_correction_makes_every_share_unstable() -> None:
    both, scope = {IN_SCOPE, PROXY}, {IN_SCOPE}
    # No out-of-scope gold paper: the in-scope specificity is unknown.
    gold = [(both, both)] * 10 + [(scope, scope)] * 20
    table = correct_shares(
        matrix([both] * 10 + [scope] * 40), calibration_of(gold), 200, np.random.default_rng(4)
    )
    assert row(table, IN_SCOPE).note == "no gold negatives: specificity unknown"
    assert row(table, PROXY).note.startswith("in-scope correction is unstable")
    assert table["unstable"].all()


def test_min_youden_is_a_setting() -> None:
    gold = _gold_with(se=(6, 10), sp=(12, 20))  # J = 0.6 + 32/40 - 1 = 0.4
    survey = matrix([{IN_SCOPE, PROXY}] * 30 + [{IN_SCOPE}] * 70)
    strict = correct_shares(survey, calibration_of(gold), 0, np.random.default_rng(0), True, 0.5)
    assert row(strict, PROXY).unstable
    loose = correct_shares(survey, calibration_of(gold), 0, np.random.default_rng(0), True, 0.3)
    assert not row(loose, PROXY).unstable


# --- the simulation: does the corrected interval cover the truth? ---------------------------------

SIM_PREVALENCE, SIM_SE, SIM_SP = 0.30, 0.60, 0.92
SIM_SURVEYS, SIM_PAPERS, SIM_GOLD, SIM_REPS = 300, 1000, 50, 1000


def _screen(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n papers with the true prevalence, and what a classifier with SIM_SE/SIM_SP says."""
    truth = rng.random(n) < SIM_PREVALENCE
    said = np.where(truth, rng.random(n) < SIM_SE, rng.random(n) >= SIM_SP)
    return truth, said


def _as_targets(flags: np.ndarray) -> np.ndarray:
    out = np.zeros((len(flags), len(TARGETS)), dtype=bool)
    out[:, TARGETS.index(PROXY)] = flags
    return out


def simulate_coverage(seed: int) -> tuple[float, float, float]:
    """(corrected coverage, raw coverage, share flagged unstable) over SIM_SURVEYS surveys."""
    rng = np.random.default_rng(seed)
    covered = raw_covered = unstable = 0
    for _ in range(SIM_SURVEYS):
        _, said = _screen(rng, SIM_PAPERS)
        gold, gold_said = _screen(rng, SIM_GOLD)
        calibration = Calibration(
            "simulated", {}, tuple(map(str, range(SIM_GOLD))), *map(_as_targets, (gold, gold_said))
        )
        # Shares over all papers: the simulated classifier has one target and no scope stage.
        table = correct_shares(_as_targets(said), calibration, SIM_REPS, rng, among_in_scope=False)
        proxy = row(table, PROXY)
        covered += proxy.ci_low <= SIM_PREVALENCE <= proxy.ci_high
        raw_covered += proxy.raw_ci_low <= SIM_PREVALENCE <= proxy.raw_ci_high
        unstable += bool(proxy.unstable)
    return covered / SIM_SURVEYS, raw_covered / SIM_SURVEYS, unstable / SIM_SURVEYS


def test_corrected_intervals_cover_the_true_prevalence(capsys: pytest.CaptureFixture[str]) -> None:
    corrected, raw, unstable = simulate_coverage(seed=20261129)
    with capsys.disabled():
        print(
            f"\ncoverage of the true prevalence {SIM_PREVALENCE} over {SIM_SURVEYS} simulated "
            f"surveys ({SIM_PAPERS} papers, gold set of {SIM_GOLD}, se {SIM_SE}, sp {SIM_SP}): "
            f"corrected {corrected:.1%}, raw {raw:.1%} ({unstable:.0%} of rows flagged unstable)"
        )
    assert corrected >= 0.90
    assert raw <= 0.25  # the raw share is biased (0.236 expected) and its interval too narrow


# --- reading a calibration and checking versions -------------------------------------------


def test_load_calibration_round_trip(tmp_path: Path) -> None:
    papers = [
        ("a", frozenset({IN_SCOPE, PROXY}), frozenset({IN_SCOPE})),
        ("b", frozenset(), frozenset()),
    ]
    versions = cal.configuration("heuristic", ["heuristic"], ["pymupdf 2.0"], "1.0.0")
    path = tmp_path / "eval.json"
    path.write_text(json.dumps({"calibration": cal.calibration_block(papers, versions)}))
    loaded = load_calibration(path)
    assert loaded.ids == ("a", "b") and loaded.n_papers == 2
    assert loaded.confusion(PROXY).fn == 1 and loaded.confusion(IN_SCOPE).tn == 1
    assert loaded.versions["extractor"] == "heuristic"
    assert loaded.versions["parser"] == ["pymupdf 2.0"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "calibration file not found"),
        ("{not json", "not JSON"),
        ('{"n_papers": 3}', "no calibration block"),
        ('{"calibration": {"schema": 99}}', "calibration schema 99 is not 1"),
        ('{"calibration": {"schema": 1, "papers": [{"id": "a"}]}}', "malformed calibration"),
        (
            '{"calibration": {"schema": 1, "papers": [{"id": "a", "gold": ["x"], '
            '"predicted": []}]}}',
            "unknown targets ['x']",
        ),
    ],
)
def test_bad_calibration_files_are_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "eval.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ScreenerError) as raised:
        load_calibration(path)
    assert str(raised.value).startswith(str(path)) and message in str(raised.value)
    assert "\n" not in str(raised.value)


def _batch(**fields: Any) -> BatchConfiguration:
    values = {
        "extractors": {"heuristic": 10},
        "parsers": {"pymupdf 2.0": 10},
        "rules_versions": {"1.0.0": 10},
        "prompts": None,
    }
    return BatchConfiguration(**{**values, **fields})


def test_version_check() -> None:
    heuristic = calibration_of(
        [], **cal.configuration("heuristic", ["heuristic"], ["pymupdf 2.0"], "1.0.0")
    )
    assert check_configuration(heuristic, _batch()) == []
    assert check_configuration(heuristic, _batch(rules_versions={"1.0.0": 7, "2.0.0": 3})) == [
        "the calibration was measured for rules version 1.0.0, but 3 of 10 batch records have 2.0.0"
    ]
    [problem] = check_configuration(heuristic, _batch(extractors={"llm:m": 10}))
    assert "extractor heuristic" in problem and "10 of 10 batch records have llm:m" in problem
    # A parser difference is reported, not refused.
    grobid = _batch(parsers={"grobid 0.8 (tei 1)": 2, "pymupdf 2.0": 8})
    assert check_configuration(heuristic, grobid) == []
    assert parser_notes(heuristic, grobid) == [
        "the calibration was measured with parser pymupdf 2.0; "
        "this batch also used grobid 0.8 (tei 1)"
    ]


def test_prompt_and_fallback_records() -> None:
    llm = calibration_of(
        [],
        **cal.configuration(
            "llm", ["llm:m", "heuristic (fallback: llm failed)"], ["pymupdf 2.0"], "1.0.0",
            ("extract_design v1", "abc"),
        ),
    )  # fmt: skip
    assert llm.versions["extractor"] == "llm:m"
    # Records that fell back to the heuristic belong to the LLM configuration that fell back.
    batch = _batch(
        extractors={"llm:m": 9, "heuristic (fallback: llm failed after 4 attempts: HTTP 500)": 1},
        prompts={"abc": 10},
    )
    assert check_configuration(llm, batch) == []
    [problem] = check_configuration(llm, _batch(extractors={"llm:m": 10}, prompts={"def": 10}))
    assert problem.startswith("the calibration was measured for prompt extract_design v1")


# --- the evaluation writes the calibration ---------------------------------------------------


GOLD_STUDY = {
    "id": "study",
    "title": "Warm Restarts Do Not Explain the Gains of the Quillfeather Optimiser",
    "in_scope": True,
    "scope_reason": "ablation of an optimiser's parts",
    "strategies": ["proxy_model"],
    "primary_strategy": "proxy_model",
    "research_question": "which part of the optimiser gives the gains",
    "treatment": "warm-restart schedule",
    "outcome": "accuracy",
    "target_recipe": "small vision models",
    "proxies": [{"kind": "model", "target": "large models", "proxy": "small models"}],
    "identification": ["randomized"],
    "repeated_runs": True,
    "n_models": None,
    "pooled_families": None,
    "target_validation": False,
    "profile": {"statistical": "ok", "internal": "ok", "external": "key", "construct": "ok"},
    "threats": ["EXT-SCALE"],
    "evidence": {},
    "confidence": "high",
    "notes": "",
}
GOLD_ESSAY = {
    **GOLD_STUDY,
    "id": "essay",
    "title": "Harbour Lights",
    "in_scope": False,
    "strategies": [],
    "primary_strategy": None,
    "proxies": [],
    "identification": [],
    "repeated_runs": None,
    "target_validation": None,
    "profile": None,
    "threats": [],
}
ESSAY_TEXT = "Harbour Lights. An essay on the lighthouse, the tide and the boats of a small port."


@pytest.fixture()
def gold_set(tmp_path: Path) -> tuple[Path, Path]:
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    write_paper(pdfs / "study.pdf")
    write_text_pdf(pdfs / "essay.pdf", ESSAY_TEXT)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in (GOLD_STUDY, GOLD_ESSAY)))
    return gold, pdfs


def test_the_evaluation_writes_counts_that_match_its_papers(gold_set: tuple[Path, Path]) -> None:
    from screener.evaluate import EvalConfig, evaluate

    gold, pdfs = gold_set
    result = evaluate(EvalConfig(gold, pdfs, "heuristic", "pymupdf", resamples=0))
    block = result["calibration"]
    assert block["versions"]["extractor"] == "heuristic"
    assert block["versions"]["rules_version"] == result["rules_version"]
    assert block["versions"]["parser"] == result["parsers_used"]
    assert block["versions"]["prompt"] is None
    assert [p["id"] for p in block["papers"]] == ["study", "essay"]
    assert block["papers"][0]["gold"] == [IN_SCOPE, PROXY, KEY_EXT]
    assert block["papers"][1]["gold"] == []
    entries = {e["id"]: e for e in result["papers"]}
    for paper in block["papers"]:
        predicted = entries[paper["id"]]["predicted"]
        expected = paper_targets(
            predicted["in_scope"] is True, predicted["strategies"], predicted["profile"]
        )
        assert set(paper["predicted"]) == expected
    # The counts agree with the eval's own in-scope and key-threat scores.
    assert block["targets"][IN_SCOPE]["tp"] == result["in_scope"]["tp"]
    assert block["targets"][IN_SCOPE]["fp"] == result["in_scope"]["fp"]
    assert block["targets"][KEY_EXT]["tp"] == result["key_threats"]["external"]["tp"]
    counts = block["targets"][PROXY]
    assert sum(counts[k] for k in ("tp", "fp", "fn", "tn")) == 2
