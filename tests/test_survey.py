"""`screener survey`: numbers worked out by hand on a small results set, files, intervals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from screener import calibration as cal
from screener.batch.exports import export_results
from screener.calibration import rogan_gladen
from screener.errors import ScreenerError
from screener.results_store import ResultRow, ResultsStore, export_columns
from screener.survey import (
    STRATEGIES,
    VALIDITIES,
    bootstrap_interval,
    compute_survey,
    corrected_view,
    load_results,
    markdown_report,
    run_survey_command,
    summary_lines,
    survey_of,
    survey_tables,
    write_figures,
)
from screener.survey import load as survey_load
from screener.survey_figures import year_labels

OK, KEY, CAREFUL = "ok", "key", "careful"
CONFIGURATION = {"extractor": "heuristic", "parser": "pymupdf 2.0", "rules_version": "1.0.0"}


def paper(sha: str, **fields: object) -> ResultRow:
    fields.setdefault("status", "ok")
    for name, value in CONFIGURATION.items():
        fields.setdefault(name, value)
    return ResultRow(sha256=sha, source=f"{sha}.pdf", **fields)


def levels(statistical: str, internal: str, external: str, construct: str) -> dict[str, str]:
    return dict(statistical=statistical, internal=internal, external=external, construct=construct)


# Four papers in scope (A-D), one out of scope (E), one failed (F), one skipped (G), and an
# abstract-level row for A's arXiv id (H) that must give way to A's full-text row.
ROWS = [
    paper(
        "A",
        arxiv_id="2301.1",
        level="fulltext",
        year=2023,
        categories=["cs.LG"],
        in_scope=True,
        strategies=["proxy_model", "target_experiment"],
        threat_ids=["EXT-SCALE"],
        **levels(OK, OK, KEY, OK),
    ),
    paper(
        "B",
        arxiv_id="2302.2",
        year=2023,
        categories=["cs.CL", "cs.LG"],
        in_scope=True,
        strategies=["observational"],
        threat_ids=["INT-CONFOUNDING", "STAT-SMALL-N"],
        **levels(CAREFUL, KEY, CAREFUL, OK),
    ),
    paper(
        "C",
        arxiv_id="2401.3",
        year=2024,
        categories=["cs.LG"],
        in_scope=True,
        strategies=["proxy_model"],
        threat_ids=["EXT-SCALE", "EXT-RECIPE"],
        **levels(OK, OK, KEY, OK),
    ),
    paper(
        "D",
        arxiv_id="2402.4",
        year=2024,
        categories=["cs.CL"],
        in_scope=True,
        strategies=["target_experiment"],
        threat_ids=["STAT-SMALL-N"],
        **levels(CAREFUL, OK, OK, OK),
    ),
    paper("E", arxiv_id="2403.5", year=2024, categories=["hep-th"], in_scope=False),
    paper("F", status="failed", error="F.pdf: not a PDF"),
    paper("G", status="skipped", error="not a PDF"),
    paper(
        "H",
        arxiv_id="2301.1",
        level="abstract",
        year=2023,
        categories=["cs.LG"],
        in_scope=True,
        strategies=["observational"],
        **levels(OK, KEY, OK, OK),
    ),
]


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    """A batch output folder holding ROWS, written through the real store and export."""
    with ResultsStore.open(tmp_path) as store:
        for row in ROWS:
            store.put(row)
        export_results(store, tmp_path)
    return tmp_path


def shares(table: pd.DataFrame, label: str) -> dict[str, float]:
    return dict(zip(table[label], table["share"].round(6), strict=True))


def test_counts_prevalence_key_threats_and_threat_frequency(results: Path) -> None:
    survey = compute_survey(load_results(results), reps=0)

    assert (survey.n_rows, survey.n_papers, survey.n_in_scope) == (8, 5, 4)
    assert (survey.n_failed, survey.n_skipped, survey.n_duplicates) == (1, 1, 1)
    assert shares(survey.prevalence, "strategy") == {
        "proxy_model": 0.5,  # A, C
        "proxy_treatment": 0.0,
        "proxy_outcome": 0.0,
        "observational": 0.25,  # B (H is A's abstract row and is dropped)
        "within_run": 0.0,
        "theoretical_control": 0.0,
        "target_experiment": 0.5,  # A, D
    }
    assert shares(survey.key_threats, "validity") == {
        "statistical": 0.0,
        "internal": 0.25,  # B
        "external": 0.5,  # A, C
        "construct": 0.0,
    }
    assert shares(survey.threats, "threat_id") == {
        "EXT-SCALE": 0.5,
        "STAT-SMALL-N": 0.5,
        "EXT-RECIPE": 0.25,
        "INT-CONFOUNDING": 0.25,
    }
    assert list(survey.threats["threat_id"][:2]) == ["EXT-SCALE", "STAT-SMALL-N"]  # most first


def test_cooccurrence(results: Path) -> None:
    survey = compute_survey(load_results(results), reps=0)

    counts = survey.cooccurrence_counts
    assert counts.loc["proxy_model", "target_experiment"] == 1  # A
    assert counts.loc["target_experiment", "proxy_model"] == 1
    assert counts.loc["proxy_model", "proxy_model"] == 2
    assert counts.loc["observational", "target_experiment"] == 0
    assert int(np.triu(counts.to_numpy(), 1).sum()) == 1
    pairs = survey.cooccurrence.set_index(["strategy_a", "strategy_b"])
    assert pairs.loc[("proxy_model", "target_experiment"), "share"] == 0.25
    assert len(pairs) == 21  # 7 strategies: every unordered pair once


def test_trends_by_year_and_by_primary_category(results: Path) -> None:
    frame = load_results(results)
    survey = compute_survey(frame, reps=0, min_bin=1)
    by_year = survey.trends.set_index(["year", "measure"])
    assert by_year.loc[(2023, "proxy_model"), "share"] == 0.5  # A of A, B
    assert by_year.loc[(2023, "observational"), "share"] == 0.5  # B
    assert by_year.loc[(2024, "target_experiment"), "share"] == 0.5  # D of C, D
    assert by_year.loc[(2023, "internal"), "share"] == 0.5
    assert by_year.loc[(2024, "external"), "share"] == 0.5
    assert set(by_year["n_in_scope"]) == {2}

    by_category = survey.categories.set_index(["category", "measure"])
    # Primary category = the first listed: cs.LG has A and C; cs.CL has B and D.
    assert by_category.loc[("cs.LG", "proxy_model"), "share"] == 1.0
    assert by_category.loc[("cs.CL", "target_experiment"), "share"] == 0.5
    assert by_category.loc[("cs.CL", "internal"), "share"] == 0.5


def test_bootstrap_intervals_bracket_the_estimate(results: Path) -> None:
    survey = compute_survey(load_results(results), reps=2000, seed=1)
    table = survey.prevalence.set_index("strategy")
    assert (table["ci_low"] <= table["share"] + 1e-12).all()
    assert (table["share"] <= table["ci_high"] + 1e-12).all()
    # A strategy no in-scope paper uses cannot appear in any resample.
    assert tuple(table.loc["within_run", ["ci_low", "ci_high"]]) == (0.0, 0.0)
    # 2 of 4 papers: each resample holds 0..4 of them, and 0 or 4 happen 1/16 of the time each.
    assert tuple(table.loc["proxy_model", ["ci_low", "ci_high"]]) == (0.0, 1.0)
    trends = survey.trends
    assert (trends["ci_low"] <= trends["share"] + 1e-12).all()


def test_bootstrap_interval_matches_the_normal_approximation_for_a_large_sample() -> None:
    n, p = 400, 0.3
    column = np.zeros((n, 1))
    column[: int(n * p)] = 1
    low, high = bootstrap_interval(column, reps=4000, rng=np.random.default_rng(7))
    half_width = 1.96 * np.sqrt(p * (1 - p) / n)
    assert low[0] == pytest.approx(p - half_width, abs=0.01)
    assert high[0] == pytest.approx(p + half_width, abs=0.01)


def test_no_bootstrap_gives_no_intervals(results: Path) -> None:
    survey = compute_survey(load_results(results), reps=0)
    assert survey.prevalence["ci_low"].isna().all()


def test_command_writes_markdown_csv_and_figures(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    args = argparse.Namespace(results=results, out=report, bootstrap=200, seed=0)

    assert run_survey_command(args) == 0

    printed = capsys.readouterr().out
    assert "5 papers screened, 4 in scope (1 failed, 1 skipped)" in printed
    assert "top strategies: proxy_model 50%" in printed
    assert "external 50%" in printed
    for name in (
        "prevalence", "key_threats", "threats", "cooccurrence", "trends_by_year", "by_category"
    ):  # fmt: skip
        assert (report / f"{name}.csv").exists()
        assert (report / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    prevalence = pd.read_csv(report / "prevalence.csv")
    assert list(prevalence.columns) == ["strategy", "papers", "share", "ci_low", "ci_high"]
    markdown = (report / "survey.md").read_text()
    assert "| proxy_model | 2 | 0.500 [" in markdown
    assert "![prevalence](prevalence.png)" in markdown


def test_survey_reads_the_sqlite_store_when_there_is_no_parquet(results: Path) -> None:
    (results / "results.parquet").unlink()
    survey = compute_survey(load_results(results), reps=0)
    assert survey.n_in_scope == 4
    assert shares(survey.key_threats, "validity")["external"] == 0.5


def test_a_folder_without_results_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(results=tmp_path, out=None, bootstrap=0, seed=0)
    assert run_survey_command(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {tmp_path}: no results.parquet") and "\n" not in error


def test_nothing_in_scope_still_reports(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        [
            {
                "sha256": "x",
                "id": None,
                "level": "fulltext",
                "status": "ok",
                "in_scope": False,
                "strategies": [],
                "threat_ids": [],
                "categories": [],
                "year": 2024,
                "statistical": None,
                "internal": None,
                "external": None,
                "construct": None,
            }
        ]
    )
    survey = compute_survey(frame, reps=100)
    assert survey.n_in_scope == 0
    assert survey.prevalence["share"].isna().all()
    assert summary_lines(survey) == ["1 papers screened, 0 in scope (0 failed, 0 skipped)"]


# --- calibration ------------------------------------------------------------------------------


def write_calibration(path: Path, **versions: object) -> Path:
    """An evaluation JSON whose gold set has 20 in-scope papers (8 use proxy_model, found 6
    times, and once wrongly) and 10 out-of-scope ones, all judged right on scope."""
    scope, proxy = {"in_scope"}, {"in_scope", "strategy:proxy_model"}
    pairs = [(proxy, proxy)] * 6 + [(proxy, scope)] * 2 + [(scope, proxy)] + [(scope, scope)] * 11
    pairs += [(set(), set())] * 10
    papers = [(f"g{i}", frozenset(g), frozenset(p)) for i, (g, p) in enumerate(pairs)]
    config = cal.configuration("heuristic", ["heuristic"], ["pymupdf 2.0"], "1.0.0")
    block = cal.calibration_block(papers, {**config, **versions})
    path.write_text(json.dumps({"n_papers": len(pairs), "calibration": block}))
    return path


def survey_args(results: Path, out: Path, calibration: Path | None, **more: object) -> Any:
    return argparse.Namespace(
        results=results, out=out, bootstrap=200, seed=0, calibration=calibration, **more
    )


def test_calibrated_survey_prints_raw_and_corrected_for_every_target(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calibration = write_calibration(tmp_path / "eval.json")
    report = tmp_path / "report"
    assert run_survey_command(survey_args(results, report, calibration)) == 0

    printed = capsys.readouterr().out.splitlines()
    rows = {line.split()[0] if "key threat" not in line else line.split()[2]: line
            for line in printed[2:-1]}  # fmt: skip
    assert set(rows) == {*STRATEGIES, *VALIDITIES}
    # proxy_model: se 6/8 = 0.75, sp (11 + 10)/22; raw 2 of 4 in-scope papers.
    assert rows["proxy_model"].split()[1] == "50%"
    se, sp = 0.75, 21 / 22
    all_papers = rogan_gladen(2 / 5, se, sp)  # 2 of the 5 screened papers
    corrected = f"{min(all_papers / (4 / 5), 1):.0%}"  # in scope exact: 4 of 5
    assert rows["proxy_model"].split()[3] == corrected
    # No gold paper uses observational: sensitivity unknown, no number printed.
    assert "unstable: no gold positives: sensitivity unknown" in rows["observational"]
    markdown = (report / "survey.md").read_text()
    assert "## Calibration" in markdown and f"`{calibration}` (30 gold papers)" in markdown
    assert "| proxy_model | 2 | 0.500 [" in markdown
    assert "| observational | 1 | 0.250 [0.000, 0.750] | unstable |" in markdown
    table = pd.read_csv(report / "corrected.csv")
    assert list(table["target"]) == list(cal.TARGETS)
    assert set(table.loc[table["unstable"], "target"]) >= {"strategy:observational"}
    assert (report / "prevalence.png").read_bytes()[:4] == b"\x89PNG"


def test_the_raw_tables_do_not_depend_on_the_calibration(results: Path, tmp_path: Path) -> None:
    frame = load_results(results)
    calibration = cal.load_calibration(write_calibration(tmp_path / "eval.json"))
    plain = compute_survey(frame, reps=300, seed=3)
    calibrated = compute_survey(frame, reps=300, seed=3, calibration=calibration)
    pd.testing.assert_frame_equal(plain.prevalence, calibrated.prevalence)
    pd.testing.assert_frame_equal(plain.key_threats, calibrated.key_threats)
    raw = ["year", "n_in_scope", "kind", "measure", "papers", "share", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(plain.trends[raw], calibrated.trends[raw])
    assert {"corrected", "corrected_ci_low", "unstable"} <= set(calibrated.trends.columns)
    # The raw share in the corrected table is the prevalence table's share.
    view = corrected_view(calibrated, "strategy").set_index("measure")["raw"]
    assert view.to_dict() == pytest.approx(shares(plain.prevalence, "strategy"))


def test_a_version_mismatch_is_refused_in_one_line(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calibration = write_calibration(tmp_path / "eval.json", rules_version="2.0.0")
    report = tmp_path / "report"
    assert run_survey_command(survey_args(results, report, calibration)) == 2
    error = capsys.readouterr().err
    assert error == (
        f"error: {calibration} does not match this batch: the calibration was measured for "
        "rules version 2.0.0, but 5 of 5 batch records have 1.0.0 (--allow-mismatch applies "
        "it anyway)\n"
    )
    assert not report.exists()

    args = survey_args(results, report, calibration, allow_mismatch=True)
    assert run_survey_command(args) == 0
    printed = capsys.readouterr().out
    assert "warning: calibration mismatch (allowed): the calibration was measured" in printed
    markdown = (report / "survey.md").read_text()
    assert "- **warning:** calibration mismatch (allowed): the calibration was measured for " \
        "rules version 2.0.0" in markdown  # fmt: skip


def test_the_prompt_is_checked_against_the_full_records(results: Path, tmp_path: Path) -> None:
    calibration = write_calibration(
        tmp_path / "eval.json",
        extractor="llm:m",
        prompt={"label": "extract_design v9", "sha256": "abc"},
    )
    frame = load_results(results)
    frame["extractor"] = "llm:m"
    frame.to_parquet(results / "results.parquet")
    records = [{"error": None, "extraction": {"prompt_sha256": "def"}}] * 5
    (results / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ScreenerError, match="measured for prompt extract_design v9, but 5 of 5"):
        survey_of(results, calibration, reps=0, seed=0)
    (results / "results.jsonl").write_text('{"error": null}\n{"cut off')
    with pytest.raises(ScreenerError, match=r"results.jsonl: line 2 is not JSON"):
        survey_of(results, calibration, reps=0, seed=0)
    (results / "results.jsonl").unlink()
    survey = survey_of(results, calibration, reps=0, seed=0)
    assert survey.warnings == ["the LLM prompt version was not checked (no results.jsonl)"]


def test_a_missing_calibration_file_is_one_line(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.json"
    assert run_survey_command(survey_args(results, tmp_path / "r", missing)) == 2
    assert capsys.readouterr().err == f"error: {missing}: calibration file not found\n"


# --- trends and categories ----------------------------------------------------------------------


def _many(n: int, year: int | None, category: str, start: int, **fields: object) -> list[ResultRow]:
    return [
        paper(
            f"{category}-{year}-{start + i}",
            arxiv_id=f"{year}.{category}.{start + i}",
            year=year,
            categories=[category, "stat.ML"],
            in_scope=True,
            strategies=["proxy_model"] if i % 2 else ["target_experiment"],
            **levels(OK, OK, KEY if i % 2 else OK, OK),
            **fields,
        )
        for i in range(n)
    ]


def test_small_bins_are_marked_and_small_categories_merged(tmp_path: Path) -> None:
    rows = _many(12, 2021, "cs.LG", 0) + _many(3, 2023, "cs.CL", 100) + _many(4, 2024, "cs.LG", 200)
    rows += _many(2, 2024, "cs.CV", 300)
    frame = pd.DataFrame(export_columns(rows))
    survey = compute_survey(frame, reps=0, min_bin=5)

    bins = survey.trends.drop_duplicates("year").set_index("year")
    assert list(bins.index) == [2021, 2023, 2024]  # numbers: 2022 is a gap, not a bin
    assert bins["n_in_scope"].to_dict() == {2021: 12, 2023: 3, 2024: 6}
    assert bins["small"].to_dict() == {2021: False, 2023: True, 2024: False}
    groups = survey.categories.drop_duplicates("category").set_index("category")
    # cs.CL (3) and cs.CV (2) are under 5: merged into 'other' (5), which is not small.
    assert groups["n_in_scope"].to_dict() == {"cs.LG": 16, "other": 5}
    assert not groups["small"].any()
    assert year_labels(bins.reset_index()) == ["2021\nn=12", "2023\nn=3", "2024\nn=6"]
    markdown = markdown_report(survey, {})
    assert "| 2023 | 3 (< 5) |" in markdown and "| other | 5 |" in markdown


def test_trend_and_category_figures_with_a_calibration(tmp_path: Path) -> None:
    rows = _many(12, 2021, "cs.LG", 0) + _many(3, 2023, "cs.CL", 100)
    frame = pd.DataFrame(export_columns(rows))
    calibration = cal.load_calibration(write_calibration(tmp_path / "eval.json"))
    survey = compute_survey(frame, reps=100, calibration=calibration, min_bin=5)
    figures = write_figures(survey, tmp_path)
    assert {"trends_by_year", "by_category", "prevalence", "key_threats"} <= figures.keys()
    assert all(path.read_bytes()[:4] == b"\x89PNG" for path in figures.values())
    trend = survey.trends.set_index(["year", "measure"])
    assert trend.loc[(2021, "proxy_model"), "share"] == 0.5
    assert not np.isnan(trend.loc[(2021, "proxy_model"), "corrected"])


def test_no_category_metadata_says_so(results: Path) -> None:
    frame = load_results(results)
    frame["categories"] = [[] for _ in range(len(frame))]
    survey = compute_survey(frame, reps=0)
    assert survey.categories.empty and survey.n_without_category == 4
    assert "No in-scope paper has a known category." in markdown_report(survey, {})


# --- the Python API ---------------------------------------------------------------------------


def test_load_gives_tidy_papers_and_the_tables(results: Path, tmp_path: Path) -> None:
    from screener.rules import load_rules

    papers, tables = survey_load(results, write_calibration(tmp_path / "eval.json"), bootstrap=50)
    assert list(papers["sha256"]) == ["A", "B", "C", "D", "E"]  # screened, H deduplicated
    assert papers["proxy_model"].tolist() == [True, False, True, False, False]
    assert papers["EXT-SCALE"].tolist() == [True, False, True, False, False]
    assert {t.id for t in load_rules().threats} <= set(papers.columns)
    assert papers["external"].cat.categories.tolist() == ["ok", "careful", "key"]
    assert papers["external"].cat.ordered and (papers["external"] == "key").sum() == 2
    assert papers.loc[papers["in_scope"], "proxy_model"].mean() == 0.5
    assert papers["category"].tolist() == ["cs.LG", "cs.CL", "cs.LG", "cs.CL", "hep-th"]
    assert set(tables) == {
        "prevalence", "key_threats", "threats", "cooccurrence", "trends_by_year",
        "by_category", "corrected",
    }  # fmt: skip
    assert shares(tables["prevalence"], "strategy")["proxy_model"] == 0.5
    assert "corrected" not in survey_load(results, bootstrap=0).tables


def test_a_seeded_survey_does_not_depend_on_the_order_of_the_rows(results: Path) -> None:
    # A batch stores papers in the order its workers finish them.
    frame = load_results(results)
    shuffled = frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
    first, second = compute_survey(frame, reps=300), compute_survey(shuffled, reps=300)
    for name, table in survey_tables(first).items():
        pd.testing.assert_frame_equal(
            table.reset_index(drop=True), survey_tables(second)[name].reset_index(drop=True)
        )
