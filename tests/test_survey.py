"""`screener survey`: numbers worked out by hand on a small results set, files, intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screener.batch.exports import export_results
from screener.results_store import ResultRow, ResultsStore
from screener.survey import (
    bootstrap_interval,
    compute_survey,
    load_results,
    run_survey_command,
    summary_lines,
)

OK, KEY, CAREFUL = "ok", "key", "careful"


def paper(sha: str, **fields: object) -> ResultRow:
    fields.setdefault("status", "ok")
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
    by_year = compute_survey(frame, by="year", reps=0).trends.set_index(["year", "measure"])
    assert by_year.loc[(2023, "proxy_model"), "share"] == 0.5  # A of A, B
    assert by_year.loc[(2023, "observational"), "share"] == 0.5  # B
    assert by_year.loc[(2024, "target_experiment"), "share"] == 0.5  # D of C, D
    assert by_year.loc[(2023, "internal"), "share"] == 0.5
    assert by_year.loc[(2024, "external"), "share"] == 0.5
    assert set(by_year["n_in_scope"]) == {2}

    by_category = compute_survey(frame, by="category", reps=0).trends
    by_category = by_category.set_index(["category", "measure"])
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
    args = argparse.Namespace(results=results, by="year", out=report, bootstrap=200, seed=0)

    assert run_survey_command(args) == 0

    printed = capsys.readouterr().out
    assert "5 papers screened, 4 in scope (1 failed, 1 skipped)" in printed
    assert "top strategies: proxy_model 50%" in printed
    assert "external 50%" in printed
    for name in ("prevalence", "key_threats", "threats", "cooccurrence", "trends_by_year"):
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
    args = argparse.Namespace(results=tmp_path, by="year", out=None, bootstrap=0, seed=0)
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


def test_intervals_do_not_depend_on_the_grouping(results: Path) -> None:
    frame = load_results(results)
    by_year = compute_survey(frame, by="year", reps=300, seed=3)
    by_category = compute_survey(frame, by="category", reps=300, seed=3)
    pd.testing.assert_frame_equal(by_year.prevalence, by_category.prevalence)
    pd.testing.assert_frame_equal(by_year.key_threats, by_category.key_threats)
