"""`screener survey`: the numbers a literature survey reports, from batch results.

Every share is over the papers judged in scope (the denominator a survey of empirical ML
research means), with a 95% percentile bootstrap interval from resampling papers. All the
statistics of one table are computed from the same resamples, so their intervals are
consistent with each other.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from screener.design import Strategy
from screener.errors import ScreenerError
from screener.profile import VALIDITY_TYPES
from screener.results_store import STORE_NAME, ResultsStore, export_columns

STRATEGIES: tuple[str, ...] = tuple(strategy.value for strategy in Strategy)
VALIDITIES: tuple[str, ...] = tuple(validity.value for validity in VALIDITY_TYPES)
_CI_CHUNK = 200  # resamples drawn at once: bounds memory at _CI_CHUNK x papers integers
_TOP_GROUPS = 10  # categories shown in the by-category trend (the most frequent ones)
CI_COLUMNS = ("share", "ci_low", "ci_high")


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
    """Successfully screened rows, one per paper: full text wins over an abstract-only row."""
    papers = frame[frame["status"] == "ok"].copy()
    order = papers["level"].map({"fulltext": 0}).fillna(1) if "level" in papers else 0
    papers = papers.assign(_order=order).sort_values("_order", kind="stable")
    has_id = papers["id"].notna()
    deduped = pd.concat([papers[has_id].drop_duplicates("id"), papers[~has_id]])
    dropped = len(papers) - len(deduped)
    return deduped.drop(columns="_order").sort_index(), dropped


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


def primary_category(categories: Any) -> str | None:
    # arXiv lists the primary category first.
    if categories is None or len(categories) == 0:
        return None
    return str(categories[0])


def _groups(papers: pd.DataFrame, by: str) -> pd.Series:
    return papers["year"] if by == "year" else papers["categories"].map(primary_category)


def trend_table(
    in_scope: pd.DataFrame, by: str, reps: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Strategy prevalence and key-threat shares per year (or primary category)."""
    groups = _groups(in_scope, by)
    known = groups.notna()
    pieces = []
    for group, members in in_scope[known].groupby(groups[known], sort=True):
        for kind, indicators in (
            ("strategy", strategy_indicators(members)),
            ("key_threat", key_indicators(members)),
        ):
            table = share_table(indicators, reps, rng, "measure")
            table.insert(0, "kind", kind)
            table.insert(0, "n_in_scope", len(members))
            table.insert(0, by, int(group) if by == "year" else group)
            pieces.append(table)
    if not pieces:
        columns = [by, "n_in_scope", "kind", "measure", "papers", *CI_COLUMNS]
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)


@dataclass
class Survey:
    by: str
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
    trends: pd.DataFrame
    n_without_group: int = 0
    notes: list[str] = field(default_factory=list)


def compute_survey(
    frame: pd.DataFrame, by: str = "year", reps: int = 1000, seed: int = 0
) -> Survey:
    """Every table of the survey from the batch results (one row per input)."""
    if by not in ("year", "category"):
        raise ScreenerError(f"--by must be 'year' or 'category', not {by!r}")
    # One generator per table, so that a table's intervals do not depend on which other
    # tables were computed first (e.g. on --by).
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    papers, duplicates = screened_papers(frame)
    in_scope = papers[papers["in_scope"].fillna(False).astype(bool)]
    strategies = strategy_indicators(in_scope)
    threats = share_table(threat_indicators(in_scope), reps, rngs[2], "threat_id")
    pairs = share_table(pair_indicators(strategies), reps, rngs[3], "pair")
    return Survey(
        by=by,
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
        trends=trend_table(in_scope, by, reps, rngs[4]),
        n_without_group=int(_groups(in_scope, by).isna().sum()),
    )


def _pairs_long(table: pd.DataFrame) -> pd.DataFrame:
    split = table["pair"].str.split("|", expand=True)
    table = table.drop(columns="pair")
    table.insert(0, "strategy_b", split[1] if len(split) else [])
    table.insert(0, "strategy_a", split[0] if len(split) else [])
    return table


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


def _with_interval(table: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """Readable copy: share and its interval in one '0.42 [0.35, 0.50]' column."""
    shown = table[first + ["papers"]].copy()
    shown["share [95% CI]"] = [
        _fmt(s) if np.isnan(lo) else f"{s:.3f} [{lo:.3f}, {hi:.3f}]"
        for s, lo, hi in zip(table["share"], table["ci_low"], table["ci_high"], strict=True)
    ]
    return shown


def _wide_trend(survey: Survey, kind: str) -> pd.DataFrame:
    """One row per group, one column per measure: readable where the CSV is long."""
    rows = survey.trends[survey.trends["kind"] == kind]
    cells = _with_interval(rows, [survey.by, "n_in_scope", "measure"])
    wide = cells.pivot(index=[survey.by, "n_in_scope"], columns="measure", values="share [95% CI]")
    order = [m for m in rows["measure"].drop_duplicates() if m in wide.columns]
    return wide[order].reset_index()


def write_tables(survey: Survey, out: Path) -> dict[str, Path]:
    tables = {
        "prevalence": survey.prevalence,
        "key_threats": survey.key_threats,
        "threats": survey.threats,
        "cooccurrence": survey.cooccurrence,
        f"trends_by_{survey.by}": survey.trends,
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    paths["cooccurrence_counts"] = out / "cooccurrence_counts.csv"
    survey.cooccurrence_counts.to_csv(paths["cooccurrence_counts"], index_label="strategy")
    return paths


def markdown_report(survey: Survey, figures: dict[str, Path]) -> str:
    ci = f"{survey.reps} bootstrap resamples of papers" if survey.reps else "no bootstrap"
    lines = [
        "# Survey of screened papers",
        "",
        f"- result rows: {survey.n_rows} ({survey.n_failed} failed, {survey.n_skipped} skipped)",
        f"- papers screened: {survey.n_papers}"
        + (f" ({survey.n_duplicates} duplicate arXiv ids dropped)" if survey.n_duplicates else ""),
        f"- papers in scope: {survey.n_in_scope} (the denominator of every share below)",
        f"- intervals: 95% percentile intervals from {ci}",
        "",
        "## Strategy prevalence",
        "",
        markdown_table(_with_interval(survey.prevalence, ["strategy"])),
        "",
        "## Papers with a key threat, per validity type",
        "",
        markdown_table(_with_interval(survey.key_threats, ["validity"])),
        "",
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
        f"## Trends by {survey.by}",
        "",
    ]
    if survey.n_without_group:
        lines += [f"{survey.n_without_group} in-scope papers have no known {survey.by}.", ""]
    trends = survey.trends
    if len(trends):
        for kind, title in (("strategy", "Strategy prevalence"), ("key_threat", "Key threat")):
            lines += [f"{title} by {survey.by}:", "", markdown_table(_wide_trend(survey, kind)), ""]
    else:
        lines.append("No in-scope paper has a known " + survey.by + ".")
    lines.append("")
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{name}]({path.name})" for name, path in figures.items()]
        lines.append("")
    return "\n".join(lines)


def write_report(survey: Survey, out: Path) -> dict[str, Path]:
    """CSV tables, PNG figures and survey.md in `out`; returns every path written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = write_tables(survey, out)
    figures = write_figures(survey, out)
    paths.update(figures)
    paths["markdown"] = out / "survey.md"
    paths["markdown"].write_text(markdown_report(survey, figures), encoding="utf-8")
    return paths


def summary_lines(survey: Survey, top: int = 3) -> list[str]:
    lines = [
        f"{survey.n_papers} papers screened, {survey.n_in_scope} in scope "
        f"({survey.n_failed} failed, {survey.n_skipped} skipped)"
    ]
    if not survey.n_in_scope:
        return lines
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


def _share_text(row: Any) -> str:
    if np.isnan(row.ci_low):
        return f"{row.share:.0%}"
    return f"{row.share:.0%} [{row.ci_low:.0%}-{row.ci_high:.0%}]"


# --- figures --------------------------------------------------------------------------------


def _errors(table: pd.DataFrame) -> np.ndarray | None:
    if table["ci_low"].isna().all():
        return None
    low = (table["share"] - table["ci_low"]).clip(lower=0)
    high = (table["ci_high"] - table["share"]).clip(lower=0)
    return np.vstack([low.fillna(0).to_numpy(), high.fillna(0).to_numpy()])


def _bar_figure(table: pd.DataFrame, label: str, title: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    table = table.iloc[::-1]  # largest/first at the top of a horizontal bar chart
    height = 1.2 + 0.35 * len(table)
    fig, ax = plt.subplots(figsize=(7, height))
    ax.barh(table[label], table["share"].fillna(0), xerr=_errors(table), color="#4C72B0", capsize=3)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of in-scope papers (95% bootstrap CI)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _heatmap(counts: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(counts.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(counts.columns)), counts.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(counts.index)), counts.index)
    peak = counts.to_numpy().max() or 1
    for (row, col), value in np.ndenumerate(counts.to_numpy()):
        ax.text(
            col,
            row,
            str(value),
            ha="center",
            va="center",
            color="white" if value > peak / 2 else "black",
            fontsize=8,
        )
    fig.colorbar(image, ax=ax, label="papers")
    ax.set_title("Strategy co-occurrence (in-scope papers)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _trend_groups(survey: Survey) -> list[Any]:
    trends = survey.trends
    if survey.by == "year":
        return sorted(trends[survey.by].unique())
    sizes = trends.drop_duplicates(survey.by).set_index(survey.by)["n_in_scope"]
    return list(sizes.sort_values(ascending=False).head(_TOP_GROUPS).index)


def _trend_figure(survey: Survey, path: Path) -> Path:
    import matplotlib.pyplot as plt

    groups = _trend_groups(survey)
    trends = survey.trends[survey.trends[survey.by].isin(groups)]
    positions = {group: i for i, group in enumerate(groups)}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, kind, title in (
        (axes[0], "strategy", "Strategy prevalence"),
        (axes[1], "key_threat", "Key threat, per validity type"),
    ):
        for measure, rows in trends[trends["kind"] == kind].groupby("measure", sort=False):
            if rows["papers"].sum() == 0:
                continue  # a measure that never occurs adds a flat line and a legend entry
            x = rows[survey.by].map(positions).to_numpy()
            (line,) = ax.plot(x, rows["share"], marker="o", label=measure)
            if not rows["ci_low"].isna().all():
                band = (rows["ci_low"], rows["ci_high"])
                ax.fill_between(x, *band, alpha=0.15, color=line.get_color())
        ax.set_xticks(range(len(groups)), [str(g) for g in groups], rotation=45, ha="right")
        ax.set_ylim(0, 1)
        ax.set_title(title)
        ax.set_xlabel(survey.by)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    axes[0].set_ylabel("share of in-scope papers (95% CI)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_figures(survey: Survey, out: Path) -> dict[str, Path]:
    """PNG figures; none when no paper is in scope (there would be nothing to draw)."""
    import matplotlib

    matplotlib.use("Agg")
    if not survey.n_in_scope:
        return {}
    figures = {
        "prevalence": _bar_figure(
            survey.prevalence, "strategy", "Strategy prevalence", out / "prevalence.png"
        ),
        "key_threats": _bar_figure(
            survey.key_threats, "validity", "Papers with a key threat", out / "key_threats.png"
        ),
        "cooccurrence": _heatmap(survey.cooccurrence_counts, out / "cooccurrence.png"),
    }
    if len(survey.threats):
        figures["threats"] = _bar_figure(
            survey.threats, "threat_id", "Threat frequency", out / "threats.png"
        )
    if len(survey.trends):
        figures["trends"] = _trend_figure(survey, out / f"trends_by_{survey.by}.png")
    return figures


# --- command line ---------------------------------------------------------------------------


def _reps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def configure_survey_parser(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command.add_argument(
        "results", type=Path, metavar="DIR", help="a `screener batch` output folder"
    )
    command.add_argument("--by", choices=("year", "category"), default="year")
    command.add_argument(
        "--out", type=Path, default=None, metavar="REPORT_DIR", help="default: DIR/survey"
    )
    command.add_argument(
        "--bootstrap", type=_reps, default=1000, metavar="N", help="resamples (0: no intervals)"
    )
    command.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    return command


def add_survey_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register `survey` on the CLI's subparsers; the handler is `args.handler(args)`."""
    command = subparsers.add_parser(
        "survey",
        help="survey statistics (with bootstrap intervals) over batch results",
        description="Strategy prevalence, key-threat shares per validity type, threat frequency, "
        "strategy co-occurrence and trends by year or category, as Markdown, CSV and PNG.",
    )
    configure_survey_parser(command)
    command.set_defaults(handler=run_survey_command)
    return command


def run_survey_command(args: argparse.Namespace) -> int:
    try:
        frame = load_results(args.results)
        survey = compute_survey(frame, by=args.by, reps=args.bootstrap, seed=args.seed)
        out = (
            args.out or (args.results if args.results.is_dir() else args.results.parent) / "survey"
        )
        paths = write_report(survey, out)
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
