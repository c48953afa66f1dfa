"""The survey's PNG figures: shares with intervals, raw beside corrected when calibrated.

Year trends use a numeric axis (a year without papers is a gap, not a tick next to its
neighbours), label every bin with its n, and draw bins under the minimum n hollow.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from screener.survey import Survey

RAW_COLOR, CORRECTED_COLOR = "#4C72B0", "#DD8452"
_X_LABEL = "share of in-scope papers (95% CI)"


def _errors(share: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray | None:
    if low.isna().all():
        return None
    below = (share - low).clip(lower=0).fillna(0).to_numpy()
    above = (high - share).clip(lower=0).fillna(0).to_numpy()
    return np.vstack([below, above])


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    # No "Software" entry: committed figures should not change with the matplotlib version.
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return path


def bar_figure(table: pd.DataFrame, label: str, title: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    table = table.iloc[::-1]  # largest/first at the top of a horizontal bar chart
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * len(table)))
    errors = _errors(table["share"], table["ci_low"], table["ci_high"])
    ax.barh(table[label], table["share"].fillna(0), xerr=errors, color=RAW_COLOR, capsize=3)
    ax.set_xlim(0, 1)
    ax.set_xlabel(_X_LABEL.replace("(95% CI)", "(95% bootstrap CI)"))
    ax.set_title(title)
    return _save(fig, path)


def raw_and_corrected_figure(view: pd.DataFrame, title: str, path: Path) -> Path:
    """Raw and corrected share of each measure as two bars; unstable corrections are drawn
    as an empty hatched bar labelled 'unstable' instead of a number."""
    import matplotlib.pyplot as plt

    view = view.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(view))
    fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.55 * len(view)))
    raw_err = _errors(view["raw"], view["raw_ci_low"], view["raw_ci_high"])
    ax.barh(y + 0.2, view["raw"].fillna(0), 0.38, xerr=raw_err, color=RAW_COLOR, capsize=3)
    stable = ~view["unstable"]
    shown = view["corrected"].where(stable, 0).fillna(0)
    errors = _errors(view["corrected"].where(stable), view["ci_low"].where(stable), view["ci_high"])
    ax.barh(y - 0.2, shown, 0.38, xerr=errors, color=CORRECTED_COLOR, capsize=3)
    for position in y[~stable.to_numpy()]:
        ax.barh(position - 0.2, 1, 0.38, fill=False, hatch="//", edgecolor="#999999")
        ax.text(0.5, position - 0.2, "unstable", ha="center", va="center", fontsize=8)
    ax.set_yticks(y, view["measure"])
    ax.set_xlim(0, 1)
    ax.set_xlabel(_X_LABEL)
    ax.set_title(title, pad=24)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (RAW_COLOR, CORRECTED_COLOR)]
    labels = ["raw", "corrected for the screener's error rates"]
    ax.legend(handles, labels, fontsize=8, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _save(fig, path)


def heatmap(counts: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(counts.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(counts.columns)), counts.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(counts.index)), counts.index)
    peak = counts.to_numpy().max() or 1
    for (row, col), value in np.ndenumerate(counts.to_numpy()):
        color = "white" if value > peak / 2 else "black"
        ax.text(col, row, str(value), ha="center", va="center", color=color, fontsize=8)
    fig.colorbar(image, ax=ax, label="papers")
    ax.set_title("Strategy co-occurrence (in-scope papers)")
    return _save(fig, path)


def _series(ax: Any, x: np.ndarray, rows: pd.DataFrame, columns: tuple[str, str, str]) -> Any:
    """One measure's line over the bins: a gap where a year has no bin, hollow small bins."""
    share, low, high = (rows[c].to_numpy(dtype=float) for c in columns)
    style = "-" if columns[0] == "share" else "--"
    (line,) = ax.plot(x, share, style, linewidth=1.2)
    color = line.get_color()
    small = rows["small"].to_numpy(dtype=bool)
    ax.scatter(x[~small], share[~small], color=color, s=22, zorder=3)
    ax.scatter(x[small], share[small], facecolors="white", edgecolors=color, s=22, zorder=3)
    if not np.isnan(low).all():
        ax.fill_between(x, low, high, alpha=0.12 if style == "-" else 0.07, color=color)
    return line


def _year_frame(rows: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """The measure's rows on every year from first to last, NaN where there is no bin, so
    that lines break across empty years."""
    full = rows.set_index("year").reindex(range(years[0], years[-1] + 1))
    full["small"] = full["small"].astype("boolean").fillna(False).astype(bool)
    return full.reset_index()


def year_labels(bins: pd.DataFrame) -> list[str]:
    """Tick labels of the year axis: each bin's year over its n."""
    return [f"{y}\nn={n}" for y, n in zip(bins["year"], bins["n_in_scope"], strict=True)]


def trend_figure(survey: Survey, path: Path) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    trends = survey.trends
    bins = trends.drop_duplicates("year")[["year", "n_in_scope"]].sort_values("year")
    years = [int(y) for y in bins["year"]]
    calibrated = "corrected" in trends
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for ax, kind, title in (
        (axes[0], "strategy", "Strategy prevalence"),
        (axes[1], "key_threat", "Key threat, per validity type"),
    ):
        handles = []
        for measure, rows in trends[trends["kind"] == kind].groupby("measure", sort=False):
            if rows["papers"].sum() == 0:
                continue  # a measure that never occurs adds a flat line and a legend entry
            full = _year_frame(rows, years)
            x = full["year"].to_numpy(dtype=float)
            line = _series(ax, x, full, ("share", "ci_low", "ci_high"))
            if calibrated:
                corrected = full.assign(
                    corrected=full["corrected"].where(~full["unstable"].fillna(False).astype(bool))
                )
                _dashed(ax, x, corrected, line.get_color())
            handles.append(Line2D([], [], color=line.get_color(), label=measure))
        ax.set_xticks(years, year_labels(bins), fontsize=7)
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylim(0, 1)
        ax.set_title(title)
        ax.set_xlabel(f"year (n = in-scope papers; hollow: n < {survey.min_bin})")
        if calibrated and handles:
            handles += [
                Line2D([], [], color="black", label="raw"),
                Line2D([], [], color="black", linestyle="--", label="corrected (if stable)"),
            ]
        if handles:
            ax.legend(handles=handles, fontsize=7)
    axes[0].set_ylabel(_X_LABEL)
    return _save(fig, path)


def _dashed(ax: Any, x: np.ndarray, rows: pd.DataFrame, color: str) -> None:
    share = rows["corrected"].to_numpy(dtype=float)
    ax.plot(x, share, "--", color=color, linewidth=1.2)
    small = rows["small"].to_numpy(dtype=bool)
    ax.scatter(x[~small], share[~small], color=color, marker="s", s=16, zorder=3)
    ax.scatter(x[small], share[small], facecolors="white", edgecolors=color, marker="s", s=16)


def category_figure(survey: Survey, path: Path) -> Path:
    """Shares per primary category (n in the label); raw dots, corrected squares."""
    import matplotlib.pyplot as plt

    table = survey.categories
    groups = table.drop_duplicates("category").sort_values("n_in_scope")
    y = {category: i for i, category in enumerate(groups["category"])}
    calibrated = "corrected" in table
    fig, axes = plt.subplots(1, 2, figsize=(13, 1.6 + 0.45 * len(groups)), sharey=True)
    for ax, kind, title in (
        (axes[0], "strategy", "Strategy prevalence"),
        (axes[1], "key_threat", "Key threat, per validity type"),
    ):
        rows_of_kind = table[table["kind"] == kind]
        measures = [m for m, r in rows_of_kind.groupby("measure", sort=False) if r["papers"].sum()]
        for offset, measure in enumerate(measures):
            rows = rows_of_kind[rows_of_kind["measure"] == measure]
            position = rows["category"].map(y).to_numpy() + (offset - len(measures) / 2) * 0.08
            small = rows["small"].to_numpy(dtype=bool)
            dots = ax.scatter(rows["share"].where(~small), position, s=24, label=measure)
            ax.scatter(
                rows["share"].where(small), position, facecolors="white",
                edgecolors=dots.get_facecolor(), s=24,
            )  # fmt: skip
            if calibrated:
                stable = ~rows["unstable"].fillna(False).astype(bool)
                ax.scatter(
                    rows["corrected"].where(stable), position, marker="s", s=14,
                    facecolors="none", edgecolors=dots.get_facecolor(),
                )  # fmt: skip
        labels = [
            f"{c} (n={n})" for c, n in zip(groups["category"], groups["n_in_scope"], strict=True)
        ]
        ax.set_yticks(range(len(groups)), labels, fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_xlabel(_X_LABEL.replace(" (95% CI)", ""))
        corrected = " (dots raw, squares corrected if stable)" if calibrated else ""
        ax.set_title(title + corrected)
        if measures:
            ax.legend(fontsize=7)
    return _save(fig, path)


def write_figures(survey: Survey, out: Path) -> dict[str, Path]:
    """PNG figures; none when no paper is in scope (there would be nothing to draw)."""
    import matplotlib

    from screener.survey import corrected_view

    matplotlib.use("Agg")
    if not survey.n_in_scope:
        return {}
    if survey.corrected is not None:
        prevalence = raw_and_corrected_figure(
            corrected_view(survey, "strategy"), "Strategy prevalence", out / "prevalence.png"
        )
        keys = raw_and_corrected_figure(
            corrected_view(survey, "key_threat"),
            "Papers with a key threat",
            out / "key_threats.png",
        )
    else:
        prevalence = bar_figure(
            survey.prevalence, "strategy", "Strategy prevalence", out / "prevalence.png"
        )
        keys = bar_figure(
            survey.key_threats, "validity", "Papers with a key threat", out / "key_threats.png"
        )
    figures = {
        "prevalence": prevalence,
        "key_threats": keys,
        "cooccurrence": heatmap(survey.cooccurrence_counts, out / "cooccurrence.png"),
    }
    if len(survey.threats):
        figures["threats"] = bar_figure(
            survey.threats, "threat_id", "Threat frequency", out / "threats.png"
        )
    if len(survey.trends):
        figures["trends_by_year"] = trend_figure(survey, out / "trends_by_year.png")
    if len(survey.categories):
        figures["by_category"] = category_figure(survey, out / "by_category.png")
    return figures
