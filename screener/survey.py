"""`screener survey`: the numbers a literature survey reports, from batch results.

Every share is over the papers judged in scope (the denominator a survey of empirical ML
research means), with a 95% percentile bootstrap interval from resampling papers. All the
statistics of one table are computed from the same resamples, so their intervals are
consistent with each other.

With a calibration (the `calibration` block of a `screener eval` JSON), strategy and key-threat
shares are also reported corrected for the screener's own measured error rates, with intervals
from a joint bootstrap over the screened and the gold papers (see screener/calibration.py).

For pandas users, `load(DIR)` returns the papers as a tidy DataFrame and the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from screener import calibration as cal
from screener.design import Strategy
from screener.errors import ScreenerError
from screener.profile import VALIDITY_TYPES
from screener.results_store import STORE_NAME, ResultsStore, export_columns

STRATEGIES: tuple[str, ...] = tuple(strategy.value for strategy in Strategy)
VALIDITIES: tuple[str, ...] = tuple(validity.value for validity in VALIDITY_TYPES)
LEVEL_ORDER = ("ok", "careful", "key")
_CI_CHUNK = 200  # resamples drawn at once: bounds memory at _CI_CHUNK x papers integers
_TOP_GROUPS = 10  # categories shown in the breakdown (the most frequent ones; the rest: other)
OTHER = "other"
DEFAULT_MIN_BIN = 10
CI_COLUMNS = ("share", "ci_low", "ci_high")
CORRECTED_COLUMNS = ("corrected", "corrected_ci_low", "corrected_ci_high", "unstable")
# Survey kinds -> the calibration's target prefix.
_KINDS = {"strategy": "strategy:", "key_threat": "key:"}


# --- loading --------------------------------------------------------------------------------


def load_results(path: Path) -> pd.DataFrame:
    """Rows from DIR/results.parquet, a parquet file, or DIR/results.sqlite."""
    if path.is_dir():
        parquet, store = path / "results.parquet", path / STORE_NAME
        if parquet.exists():
            return pd.read_parquet(parquet)
        if store.exists():
            with ResultsStore(store) as results:
                return pd.DataFrame(export_columns(results.rows()))
        raise ScreenerError(
            f"{path}: no results.parquet or {STORE_NAME} (run `screener batch` first)"
        )
    if path.suffix == ".parquet" and path.exists():
        return pd.read_parquet(path)
    raise ScreenerError(f"{path}: not a batch results folder or a results.parquet file")


def screened_papers(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Successfully screened rows, one per paper: full text wins over an abstract-only row.

    Papers come back in sha256 order: a batch stores them in the order its workers finish, and
    the bootstrap draws resample counts by position, so a fixed order keeps a seeded survey of
    the same papers identical from run to run."""
    papers = frame[frame["status"] == "ok"].copy()
    order = papers["level"].map({"fulltext": 0}).fillna(1) if "level" in papers else 0
    papers = papers.assign(_order=order).sort_values("_order", kind="stable")
    has_id = papers["id"].notna()
    deduped = pd.concat([papers[has_id].drop_duplicates("id"), papers[~has_id]])
    dropped = len(papers) - len(deduped)
    deduped = deduped.drop(columns="_order").sort_values("sha256", kind="stable")
    return deduped, dropped


def batch_configuration(
    frame: pd.DataFrame, records: Path | None, read_prompts: bool
) -> cal.BatchConfiguration:
    """What produced the screened rows: extractors, parsers, rules and (from the full records
    in results.jsonl, when asked and present) LLM prompt hashes."""
    ok, _ = screened_papers(frame)  # the papers the survey counts

    def tally(column: str) -> dict[str, int]:
        values = ok[column] if column in ok else pd.Series(dtype=object)
        return dict(Counter(str(v) for v in values.dropna()))

    prompts = None
    if read_prompts and records is not None and records.is_file():
        prompts = prompt_hashes(records)
    return cal.BatchConfiguration(
        tally("extractor"), tally("parser"), tally("rules_version"), prompts
    )


def prompt_hashes(records: Path) -> dict[str, int]:
    """Prompt sha256 -> number of screened records, from a batch's results.jsonl."""
    found: Counter[str] = Counter()
    with records.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line) if line.strip() else {}
            except json.JSONDecodeError as exc:
                raise ScreenerError(f"{records}: line {number} is not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or record.get("error") is not None:
                continue
            if isinstance(extraction := record.get("extraction"), dict):
                found[str(extraction.get("prompt_sha256"))] += 1
    return dict(found)


def records_path(results: Path) -> Path | None:
    folder = results if results.is_dir() else results.parent
    path = folder / "results.jsonl"
    return path if path.is_file() else None


def apply_calibration(
    calibration: cal.Calibration,
    batch: cal.BatchConfiguration,
    allow_mismatch: bool,
) -> list[str]:
    """Warnings for the report; a mismatch raises unless `allow_mismatch` (one line)."""
    problems = cal.check_configuration(calibration, batch)
    if problems and not allow_mismatch:
        raise ScreenerError(
            f"{calibration.source} does not match this batch: {'; '.join(problems)} "
            "(--allow-mismatch applies it anyway)"
        )
    warnings = [f"calibration mismatch (allowed): {problem}" for problem in problems]
    warnings += cal.parser_notes(calibration, batch)
    if calibration.versions.get("prompt") and batch.prompts is None:
        warnings.append("the LLM prompt version was not checked (no results.jsonl)")
    return warnings


# --- statistics -----------------------------------------------------------------------------


def bootstrap_interval(
    indicators: np.ndarray, reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile interval of each column's mean, resampling rows (papers) with replacement."""
    n, m = indicators.shape
    if n == 0 or reps <= 0:
        return np.full(m, np.nan), np.full(m, np.nan)
    # Resampling n papers is the same as multinomial counts over them: a (chunk x n) matrix
    # instead of a (chunk x n x m) array of resampled rows.
    means = np.empty((reps, m))
    for start in range(0, reps, _CI_CHUNK):
        size = min(_CI_CHUNK, reps - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        means[start : start + size] = counts @ indicators / n
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return low, high


def share_table(
    indicators: pd.DataFrame, reps: int, rng: np.random.Generator, label: str
) -> pd.DataFrame:
    """One row per column of 0/1 indicators: papers with it, share, and its 95% interval."""
    values = indicators.to_numpy(dtype=float)
    low, high = bootstrap_interval(values, reps, rng)
    n = len(values)
    return pd.DataFrame(
        {
            label: list(indicators.columns),
            "papers": values.sum(axis=0).astype(int) if n else np.zeros(values.shape[1], int),
            "share": values.mean(axis=0) if n else np.full(values.shape[1], np.nan),
            "ci_low": low,
            "ci_high": high,
        }
    )


def strategy_indicators(papers: pd.DataFrame) -> pd.DataFrame:
    used = papers["strategies"].map(lambda values: set(values if values is not None else ()))
    return pd.DataFrame(
        {s: used.map(lambda found, s=s: s in found) for s in STRATEGIES}, index=papers.index
    ).astype(int)


def key_indicators(papers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({v: (papers[v] == "key") for v in VALIDITIES}, index=papers.index).astype(
        int
    )


def threat_indicators(papers: pd.DataFrame) -> pd.DataFrame:
    found = papers["threat_ids"].map(lambda values: set(values if values is not None else ()))
    ids = sorted(set().union(*found)) if len(found) else []
    return pd.DataFrame(
        {t: found.map(lambda have, t=t: t in have) for t in ids}, index=papers.index
    ).astype(int)


def pair_indicators(strategies: pd.DataFrame) -> pd.DataFrame:
    """One column per unordered pair of distinct strategies: the paper uses both."""
    pairs = {}
    for i, first in enumerate(STRATEGIES):
        for second in STRATEGIES[i + 1 :]:
            pairs[f"{first}|{second}"] = strategies[first] & strategies[second]
    return pd.DataFrame(pairs, index=strategies.index).astype(int)


def cooccurrence_matrix(strategies: pd.DataFrame) -> pd.DataFrame:
    """Papers using both strategies (the diagonal: papers using that strategy)."""
    values = strategies.to_numpy(dtype=int)
    return pd.DataFrame(values.T @ values, index=STRATEGIES, columns=STRATEGIES)


def in_scope_mask(papers: pd.DataFrame) -> pd.Series:
    return papers["in_scope"].fillna(False).astype(bool)


def target_matrix(papers: pd.DataFrame) -> np.ndarray:
    """What the screener said about each paper, as the calibration's targets (papers x TARGETS):
    the same definitions `screener eval` scores, so that the error rates apply."""
    scope = in_scope_mask(papers).to_numpy()
    columns = {cal.IN_SCOPE: scope}
    strategies = strategy_indicators(papers).to_numpy(dtype=bool)
    keys = key_indicators(papers).to_numpy(dtype=bool)
    for i, name in enumerate(STRATEGIES):
        columns[f"strategy:{name}"] = scope & strategies[:, i]
    for i, name in enumerate(VALIDITIES):
        columns[f"key:{name}"] = scope & keys[:, i]
    return np.column_stack([columns[target] for target in cal.TARGETS])


def primary_category(categories: Any) -> str | None:
    # arXiv lists the primary category first.
    if categories is None or len(categories) == 0:
        return None
    return str(categories[0])


def _year_groups(papers: pd.DataFrame) -> pd.Series:
    return papers["year"].astype("Int64") if "year" in papers else pd.Series(pd.NA, papers.index)


def _category_groups(papers: pd.DataFrame, min_bin: int) -> pd.Series:
    """Primary category, with small and rare categories merged into 'other'."""
    primary = papers["categories"].map(primary_category)
    sizes = primary[in_scope_mask(papers)].value_counts()
    kept = set(sizes[sizes >= min_bin].head(_TOP_GROUPS).index)
    return primary.map(lambda c: c if c is None or c in kept else OTHER)


def _corrected_rows(
    members: pd.DataFrame,
    calibration: cal.Calibration,
    reps: int,
    rng: np.random.Generator,
    min_youden: float,
) -> pd.DataFrame:
    table = cal.correct_shares(target_matrix(members), calibration, reps, rng, True, min_youden)
    kind_of = {f"{prefix}": kind for kind, prefix in _KINDS.items()}
    rows = table[table["target"] != cal.IN_SCOPE].copy()
    prefix = rows["target"].str.split(":").str[0] + ":"
    rows["kind"] = prefix.map(kind_of)
    rows["measure"] = rows["target"].str.split(":").str[1]
    return rows.rename(columns={"ci_low": "corrected_ci_low", "ci_high": "corrected_ci_high"})


def grouped_table(
    papers: pd.DataFrame,
    groups: pd.Series,
    column: str,
    reps: int,
    rng: np.random.Generator,
    min_bin: int,
    correction: tuple[cal.Calibration, float] | None = None,
) -> pd.DataFrame:
    """Strategy prevalence and key-threat shares per group (year or category), each group
    with its n; groups under `min_bin` in-scope papers are marked `small`."""
    scope = in_scope_mask(papers)
    known = groups.notna() & groups.isin(set(groups[scope & groups.notna()]))
    pieces = []
    for group, members in papers[known].groupby(groups[known], sort=True):
        in_scope = members[in_scope_mask(members)]
        for kind, indicators in (
            ("strategy", strategy_indicators(in_scope)),
            ("key_threat", key_indicators(in_scope)),
        ):
            table = share_table(indicators, reps, rng, "measure")
            table.insert(0, "kind", kind)
            table.insert(0, "n_in_scope", len(in_scope))
            table.insert(0, column, int(group) if column == "year" else group)
            table["small"] = len(in_scope) < min_bin
            pieces.append(table)
        if correction is not None:
            corrected = _corrected_rows(members, correction[0], reps, rng, correction[1])
            pieces[-2:] = [
                _join_corrected(piece, corrected[corrected["kind"] == piece["kind"].iloc[0]])
                for piece in pieces[-2:]
            ]
    columns = [column, "n_in_scope", "kind", "measure", "papers", *CI_COLUMNS, "small"]
    if correction is not None:
        columns += list(CORRECTED_COLUMNS)
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


def _join_corrected(table: pd.DataFrame, corrected: pd.DataFrame) -> pd.DataFrame:
    """The table (one kind) with the corrected columns of its measures beside the raw ones."""
    by_measure = corrected.set_index("measure")
    for column in CORRECTED_COLUMNS:
        table[column] = table["measure"].map(by_measure[column])
    return table


@dataclass
class Survey:
    reps: int
    n_rows: int
    n_papers: int
    n_in_scope: int
    n_failed: int
    n_skipped: int
    n_duplicates: int
    prevalence: pd.DataFrame
    key_threats: pd.DataFrame
    threats: pd.DataFrame
    cooccurrence: pd.DataFrame
    cooccurrence_counts: pd.DataFrame
    trends: pd.DataFrame  # by year
    categories: pd.DataFrame  # by arXiv primary category (empty without category metadata)
    min_bin: int = DEFAULT_MIN_BIN
    n_without_year: int = 0
    n_without_category: int = 0
    corrected: pd.DataFrame | None = None  # one row per calibration target
    calibration: cal.Calibration | None = None
    warnings: list[str] = field(default_factory=list)


def compute_survey(
    frame: pd.DataFrame,
    reps: int = 1000,
    seed: int = 0,
    calibration: cal.Calibration | None = None,
    min_bin: int = DEFAULT_MIN_BIN,
    min_youden: float = cal.DEFAULT_MIN_YOUDEN,
    warnings: list[str] | None = None,
) -> Survey:
    """Every table of the survey from the batch results (one row per input)."""
    # One generator per table, so that a table's intervals do not depend on which other
    # tables were computed first (e.g. on whether a calibration was given).
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    papers, duplicates = screened_papers(frame)
    in_scope = papers[in_scope_mask(papers)]
    strategies = strategy_indicators(in_scope)
    threats = share_table(threat_indicators(in_scope), reps, rngs[2], "threat_id")
    pairs = share_table(pair_indicators(strategies), reps, rngs[3], "pair")
    correction = None if calibration is None else (calibration, min_youden)
    corrected = None
    if calibration is not None:
        matrix = target_matrix(papers)
        corrected = cal.correct_shares(matrix, calibration, reps, rngs[5], True, min_youden)
    years, categories = _year_groups(papers), _category_groups(papers, min_bin)
    return Survey(
        reps=reps,
        n_rows=len(frame),
        n_papers=len(papers),
        n_in_scope=len(in_scope),
        n_failed=int((frame["status"] == "failed").sum()),
        n_skipped=int((frame["status"] == "skipped").sum()),
        n_duplicates=duplicates,
        prevalence=share_table(strategies, reps, rngs[0], "strategy"),
        key_threats=share_table(key_indicators(in_scope), reps, rngs[1], "validity"),
        threats=threats.sort_values(["papers", "threat_id"], ascending=[False, True]),
        cooccurrence=_pairs_long(pairs),
        cooccurrence_counts=cooccurrence_matrix(strategies),
        trends=grouped_table(papers, years, "year", reps, rngs[4], min_bin, correction),
        categories=grouped_table(
            papers, categories, "category", reps, rngs[6], min_bin, correction
        ),
        min_bin=min_bin,
        n_without_year=int(years[in_scope.index].isna().sum()),
        n_without_category=int(categories[in_scope.index].isna().sum()),
        corrected=corrected,
        calibration=calibration,
        warnings=list(warnings or []),
    )


def _pairs_long(table: pd.DataFrame) -> pd.DataFrame:
    split = table["pair"].str.split("|", expand=True)
    table = table.drop(columns="pair")
    table.insert(0, "strategy_b", split[1] if len(split) else [])
    table.insert(0, "strategy_a", split[0] if len(split) else [])
    return table


def corrected_view(survey: Survey, kind: str) -> pd.DataFrame:
    """Raw beside corrected for one kind ('strategy' or 'key_threat'), one row per measure."""
    if survey.corrected is None:
        raise ValueError("the survey has no calibration")
    prefix = _KINDS[kind]
    rows = survey.corrected[survey.corrected["target"].str.startswith(prefix)].copy()
    rows.insert(0, "measure", rows.pop("target").str.removeprefix(prefix))
    return rows.reset_index(drop=True)


# --- the Python API -------------------------------------------------------------------------


class SurveyData(NamedTuple):
    """`papers`: one row per screened paper; `tables`: the survey's tables by name."""

    papers: pd.DataFrame
    tables: dict[str, pd.DataFrame]


def tidy_papers(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per paper; one boolean column per strategy and per threat id of the rule table,
    one ordered categorical column (ok < careful < key) per validity type."""
    from screener.rules import load_rules

    scope = in_scope_mask(papers)
    tidy = pd.DataFrame(
        {
            "id": papers["id"],
            "sha256": papers["sha256"],
            "source": papers.get("source"),
            "title": papers.get("title"),
            "year": _year_groups(papers),
            "category": papers["categories"].map(primary_category),
            "in_scope": scope,
            "primary_strategy": papers.get("primary_strategy"),
        }
    )
    used = strategy_indicators(papers).astype(bool)
    for name in STRATEGIES:
        tidy[name] = used[name] & scope
    found = papers["threat_ids"].map(lambda values: set(values if values is not None else ()))
    for rule in load_rules().threats:
        tidy[rule.id] = found.map(lambda have, t=rule.id: t in have)
    levels = pd.CategoricalDtype(LEVEL_ORDER, ordered=True)
    for name in VALIDITIES:
        tidy[name] = papers[name].astype(levels)
    for name in ("extractor", "parser", "rules_version"):
        tidy[name] = papers.get(name)
    return tidy.reset_index(drop=True)


def survey_tables(survey: Survey) -> dict[str, pd.DataFrame]:
    tables = {
        "prevalence": survey.prevalence,
        "key_threats": survey.key_threats,
        "threats": survey.threats,
        "cooccurrence": survey.cooccurrence,
        "trends_by_year": survey.trends,
        "by_category": survey.categories,
    }
    if survey.corrected is not None:
        tables["corrected"] = survey.corrected
    return tables


def load(
    results: Path | str,
    calibration: Path | str | None = None,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    min_bin: int = DEFAULT_MIN_BIN,
    allow_mismatch: bool = False,
) -> SurveyData:
    """A batch's papers as a tidy DataFrame and its survey tables as DataFrames.

    `results` is a `screener batch` output folder (or its results.parquet); `calibration` an
    evaluation JSON whose error rates correct the shares (table `corrected`).
    """
    results = Path(results)
    survey = survey_of(results, calibration, bootstrap, seed, min_bin, allow_mismatch)
    papers, _ = screened_papers(load_results(results))
    return SurveyData(tidy_papers(papers), survey_tables(survey))


def survey_of(
    results: Path,
    calibration: Path | str | None,
    reps: int,
    seed: int,
    min_bin: int = DEFAULT_MIN_BIN,
    allow_mismatch: bool = False,
    min_youden: float = cal.DEFAULT_MIN_YOUDEN,
) -> Survey:
    """Load a batch's results (and a calibration, checked against them) and survey them."""
    frame = load_results(results)
    loaded, warnings = None, []
    if calibration is not None:
        loaded = cal.load_calibration(calibration)
        read_prompts = bool(loaded.versions.get("prompt"))
        batch = batch_configuration(frame, records_path(results), read_prompts)
        warnings = apply_calibration(loaded, batch, allow_mismatch)
    return compute_survey(frame, reps, seed, loaded, min_bin, min_youden, warnings)


# --- writing --------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _cell(share: float, low: float, high: float) -> str:
    if np.isnan(share):
        return ""
    return _fmt(share) if np.isnan(low) else f"{share:.3f} [{low:.3f}, {high:.3f}]"


def _with_interval(table: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """Readable copy: share and its interval in one '0.42 [0.35, 0.50]' column."""
    shown = table[first + ["papers"]].copy()
    shown["share [95% CI]"] = [
        _cell(s, lo, hi)
        for s, lo, hi in zip(table["share"], table["ci_low"], table["ci_high"], strict=True)
    ]
    return shown


def _corrected_cell(row: Any) -> str:
    if row.unstable:
        return "unstable"
    return _cell(row.corrected, row.corrected_ci_low, row.corrected_ci_high)


def _raw_and_corrected(survey: Survey, kind: str, label: str) -> pd.DataFrame:
    """The readable table: raw share beside the corrected one, error rates and the flag."""
    raw = survey.prevalence if kind == "strategy" else survey.key_threats
    rows = corrected_view(survey, kind).set_index("measure")
    shown = _with_interval(raw, [label]).rename(columns={"share [95% CI]": "raw [95% CI]"})
    measured = rows.loc[raw[label]]
    shown["corrected [95% CI]"] = [
        "unstable" if r.unstable else _cell(r.corrected, r.ci_low, r.ci_high)
        for r in measured.itertuples()
    ]
    shown["sensitivity"] = [_fmt(v) for v in measured["sensitivity"].astype(float)]
    shown["specificity"] = [_fmt(v) for v in measured["specificity"].astype(float)]
    shown["note"] = list(measured["note"])
    return shown


def _n_label(row: Any, min_bin: int) -> str:
    return f"{row.n_in_scope} (< {min_bin})" if row.small else str(row.n_in_scope)


def _wide(table: pd.DataFrame, column: str, kind: str, min_bin: int) -> pd.DataFrame:
    """One row per group, one column per measure: readable where the CSV is long."""
    rows = table[table["kind"] == kind].copy()
    rows["cell"] = [_cell(r.share, r.ci_low, r.ci_high) for r in rows.itertuples()]
    if "corrected" in rows:
        rows["cell"] = [
            f"{r.cell} → {_corrected_cell(r)}" if r.cell else "" for r in rows.itertuples()
        ]
    rows["n in scope"] = [_n_label(r, min_bin) for r in rows.itertuples()]
    wide = rows.pivot(index=[column, "n in scope"], columns="measure", values="cell")
    order = [m for m in rows["measure"].drop_duplicates() if m in wide.columns]
    return wide[order].reset_index()


def write_tables(survey: Survey, out: Path) -> dict[str, Path]:
    paths = {}
    for name, table in survey_tables(survey).items():
        paths[name] = out / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    paths["cooccurrence_counts"] = out / "cooccurrence_counts.csv"
    survey.cooccurrence_counts.to_csv(paths["cooccurrence_counts"], index_label="strategy")
    return paths


_METHOD = (
    "Corrected shares undo the screener's measured misclassification (Rogan-Gladen: "
    "(raw + specificity - 1) / (sensitivity + specificity - 1), clipped to [0, 1]; a share "
    "among in-scope papers is the corrected prevalence of 'in scope and X' over that of "
    "'in scope'). Their intervals come from a joint bootstrap that resamples both the screened "
    "papers and the gold papers behind the error rates. A row is **unstable** when "
    "sensitivity + specificity - 1 is below {min_youden}, when the gold set has no positive or "
    "no negative for it, or when the correction is undefined in more than 2.5% of resamples; "
    "its corrected number is then not printed here (it is in corrected.csv)."
)


def _calibration_lines(survey: Survey, min_youden: float) -> list[str]:
    calibration, corrected = survey.calibration, survey.corrected
    if calibration is None or corrected is None:
        return []
    versions = calibration.versions
    prompt = versions.get("prompt") or {}
    scope = corrected[corrected["target"] == cal.IN_SCOPE].iloc[0]
    lines = [
        "## Calibration",
        "",
        f"- evaluation: `{calibration.source}` ({calibration.n_papers} gold papers)",
        f"- measured for: extractor {versions.get('extractor')}, parser "
        f"{', '.join(versions.get('parser') or []) or '?'}, rules {versions.get('rules_version')}"
        + (f", prompt {prompt.get('label')}" if prompt else ""),
    ]
    lines += [f"- **warning:** {warning}" for warning in survey.warnings]
    lines += [
        f"- share of screened papers in scope: raw "
        f"{_cell(scope.raw, scope.raw_ci_low, scope.raw_ci_high)}, corrected "
        + ("unstable (" + scope.note + ")" if scope.unstable else _cell(*_corrected(scope))),
        "",
        _METHOD.format(min_youden=f"{min_youden:.2f}"),
        "",
    ]
    return lines


def _corrected(row: Any) -> tuple[float, float, float]:
    return row.corrected, row.ci_low, row.ci_high


def _share_section(survey: Survey, kind: str, label: str, title: str) -> list[str]:
    raw = survey.prevalence if kind == "strategy" else survey.key_threats
    table = (
        _raw_and_corrected(survey, kind, label)
        if survey.corrected is not None
        else _with_interval(raw, [label])
    )
    return [f"## {title}", "", markdown_table(table), ""]


def _group_section(survey: Survey, table: pd.DataFrame, column: str, title: str) -> list[str]:
    lines = [f"## {title}", ""]
    missing = survey.n_without_year if column == "year" else survey.n_without_category
    if missing:
        lines += [f"{missing} in-scope papers have no known {column}.", ""]
    if not len(table):
        return [*lines, f"No in-scope paper has a known {column}.", ""]
    lines += [
        f"Groups with fewer than {survey.min_bin} in-scope papers are marked `(< "
        f"{survey.min_bin})` and drawn hollow"
        + ("; categories that small are merged into `other`." if column == "category" else ".")
        + (" Cells read `raw → corrected`." if "corrected" in table else ""),
        "",
    ]
    for kind, name in (("strategy", "Strategy prevalence"), ("key_threat", "Key threat")):
        lines += [
            f"{name} by {column}:",
            "",
            markdown_table(_wide(table, column, kind, survey.min_bin)),
            "",
        ]
    return lines


def markdown_report(
    survey: Survey, figures: dict[str, Path], min_youden: float = cal.DEFAULT_MIN_YOUDEN
) -> str:
    ci = f"{survey.reps} bootstrap resamples" if survey.reps else "no bootstrap"
    lines = [
        "# Survey of screened papers",
        "",
        f"- result rows: {survey.n_rows} ({survey.n_failed} failed, {survey.n_skipped} skipped)",
        f"- papers screened: {survey.n_papers}"
        + (f" ({survey.n_duplicates} duplicate arXiv ids dropped)" if survey.n_duplicates else ""),
        f"- papers in scope: {survey.n_in_scope} (the denominator of every share below)",
        f"- intervals: 95% percentile intervals from {ci}",
        "",
    ]
    lines += _calibration_lines(survey, min_youden)
    lines += _share_section(survey, "strategy", "strategy", "Strategy prevalence")
    lines += _share_section(
        survey, "key_threat", "validity", "Papers with a key threat, per validity type"
    )
    lines += [
        "## Threat frequency",
        "",
        markdown_table(_with_interval(survey.threats, ["threat_id"]))
        if len(survey.threats)
        else "No threats were raised.",
        "",
        "## Strategy co-occurrence (papers using both; diagonal: papers using it)",
        "",
        markdown_table(survey.cooccurrence_counts.reset_index(names="strategy")),
        "",
        markdown_table(
            _with_interval(
                survey.cooccurrence[survey.cooccurrence["papers"] > 0],
                ["strategy_a", "strategy_b"],
            )
        ),
        "",
    ]
    lines += _group_section(survey, survey.trends, "year", "Trends by year")
    lines += _group_section(survey, survey.categories, "category", "By arXiv primary category")
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{name}]({path.name})" for name, path in figures.items()]
        lines.append("")
    return "\n".join(lines)


def write_report(
    survey: Survey, out: Path, min_youden: float = cal.DEFAULT_MIN_YOUDEN
) -> dict[str, Path]:
    """CSV tables, PNG figures and survey.md in `out`; returns every path written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = write_tables(survey, out)
    figures = write_figures(survey, out)
    paths.update(figures)
    paths["markdown"] = out / "survey.md"
    paths["markdown"].write_text(markdown_report(survey, figures, min_youden), encoding="utf-8")
    return paths


def summary_lines(survey: Survey, top: int = 3) -> list[str]:
    lines = [
        f"{survey.n_papers} papers screened, {survey.n_in_scope} in scope "
        f"({survey.n_failed} failed, {survey.n_skipped} skipped)"
    ]
    if not survey.n_in_scope:
        return lines
    if survey.corrected is not None:
        return lines + [f"warning: {w}" for w in survey.warnings] + corrected_lines(survey)
    ranked = survey.prevalence.sort_values("share", ascending=False).head(top)
    lines.append(
        "top strategies: "
        + ", ".join(f"{r.strategy} {_share_text(r)}" for r in ranked.itertuples() if r.papers > 0)
    )
    lines.append(
        "key threat: "
        + ", ".join(f"{r.validity} {_share_text(r)}" for r in survey.key_threats.itertuples())
    )
    return lines


def _percent(share: float, low: float, high: float) -> str:
    if np.isnan(share):
        return "–"
    return f"{share:.0%}" if np.isnan(low) else f"{share:.0%} [{low:.0%}-{high:.0%}]"


def corrected_lines(survey: Survey) -> list[str]:
    """Every strategy and key-threat type: raw and corrected share, or why it is unstable."""
    assert survey.corrected is not None
    lines = [f"{'share of in-scope papers':<36}{'raw':<20}corrected (calibration)"]
    for target in survey.corrected.itertuples():
        if target.target == cal.IN_SCOPE:
            continue
        corrected = (
            f"unstable: {target.note}"
            if target.unstable
            else _percent(target.corrected, target.ci_low, target.ci_high)
        )
        label = target.target.replace("key:", "key threat: ").replace("strategy:", "")
        raw = _percent(target.raw, target.raw_ci_low, target.raw_ci_high)
        lines.append(f"{label:<36}{raw:<20}{corrected}")
    return lines


def _share_text(row: Any) -> str:
    if np.isnan(row.ci_low):
        return f"{row.share:.0%}"
    return f"{row.share:.0%} [{row.ci_low:.0%}-{row.ci_high:.0%}]"


def write_figures(survey: Survey, out: Path) -> dict[str, Path]:
    """PNG figures (see screener/survey_figures.py)."""
    from screener.survey_figures import write_figures as draw

    return draw(survey, out)


# --- command line ---------------------------------------------------------------------------


def _whole(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {minimum}")
        return value

    return parse


def _youden(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number in [0, 1)")
    return value


def configure_survey_parser(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument(
        "results", type=Path, metavar="DIR", help="a `screener batch` output folder"
    )
    command.add_argument(
        "--out", type=Path, default=None, metavar="REPORT_DIR", help="default: DIR/survey"
    )
    command.add_argument(
        "--bootstrap", type=_whole(0), default=1000, metavar="N", help="resamples (0: no intervals)"
    )
    command.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    command.add_argument(
        "--calibration",
        type=Path,
        default=None,
        metavar="EVAL.json",
        help="an evaluation JSON from `screener eval`: also report shares corrected for its "
        "measured error rates",
    )
    command.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="use a calibration whose extractor, prompt or rules version differs from the "
        "batch's (the report says so)",
    )
    command.add_argument(
        "--min-bin",
        type=_whole(1),
        default=None,
        metavar="N",
        help="year and category groups with fewer in-scope papers are drawn hollow; categories "
        f"merged into 'other' (default: SCREENER_SURVEY_MIN_BIN or {DEFAULT_MIN_BIN})",
    )
    command.add_argument(
        "--min-youden",
        type=_youden,
        default=None,
        metavar="J",
        help="flag corrected rows whose sensitivity + specificity - 1 is below J "
        f"(default: SCREENER_SURVEY_MIN_YOUDEN or {cal.DEFAULT_MIN_YOUDEN})",
    )
    return command


def add_survey_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `survey` on the CLI's subparsers; the handler is `args.handler(args)`."""
    command = subparsers.add_parser(
        "survey",
        help="survey statistics (with bootstrap intervals) over batch results",
        description="Strategy prevalence, key-threat shares per validity type, threat frequency, "
        "strategy co-occurrence, trends by year and a breakdown by arXiv primary category, as "
        "Markdown, CSV and PNG; with --calibration also corrected for the screener's error rates.",
    )
    configure_survey_parser(command)
    command.set_defaults(handler=run_survey_command)
    return command


def run_survey_command(args: argparse.Namespace) -> int:
    from screener.settings import load_settings

    try:
        settings = load_settings()
        min_bin = getattr(args, "min_bin", None) or settings.survey_min_bin
        min_youden = getattr(args, "min_youden", None)
        min_youden = settings.survey_min_youden if min_youden is None else min_youden
        survey = survey_of(
            args.results,
            getattr(args, "calibration", None),
            args.bootstrap,
            args.seed,
            min_bin,
            getattr(args, "allow_mismatch", False),
            min_youden,
        )
        out = (
            args.out or (args.results if args.results.is_dir() else args.results.parent) / "survey"
        )
        paths = write_report(survey, out, min_youden)
    except (ScreenerError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(survey):
        print(line)
    print(f"report: {paths['markdown']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = configure_survey_parser(argparse.ArgumentParser(prog="screener survey"))
    return run_survey_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
