"""The profile matrix as a picture (PNG), coloured like the framework paper's Table 1.

Drawn through matplotlib's object API (a `Figure` with an Agg canvas), never through pyplot, so
making a figure leaves no open figures or global state behind.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

# A headless backend for servers and CI; switched only when nobody (a notebook, the Streamlit app)
# has already imported pyplot with a backend of their own.
if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from screener.profile import Level  # noqa: E402
from screener.report._common import (  # noqa: E402
    LEVEL_HEX,
    display_title,
    error_line,
    not_applicable_reason,
    strategy_name,
    validity_types,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from screener.pipeline import Record

DPI = 150
WIDTH_IN = 8.0
ROW_IN = 0.62  # one matrix row; the column header takes HEADER_ROWS of a row
HEADER_ROWS = 0.8
TITLE_LINE_IN = 0.3
LEGEND_IN = 0.45
MARKER_PT = 17
LABEL_COLUMN = 1.9  # data units left of the first validity column, for strategy names
GRID_GREY = "#dddddd"
# Metadata matplotlib would otherwise stamp into the PNG (its version): keep files reproducible.
_PNG_METADATA = {"Software": None}


def profile_figure(record: Record, path: Path) -> Path:
    """Write the profile matrix of `record` as a PNG to `path` and return the path."""
    path = Path(path)
    rows = _matrix_rows(record)
    title = _wrapped_title(record)
    title_in = 0.35 + TITLE_LINE_IN * (title.count("\n") + 1)
    body_in = ROW_IN * (len(rows) + HEADER_ROWS) if rows else 1.4
    height = title_in + body_in + LEGEND_IN
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.text(
        0.03,
        1 - 0.2 / height,
        title,
        fontsize=12,
        fontweight="bold",
        ha="left",
        va="top",
        parse_math=False,
    )  # a "$" in a title is not mathtext
    axes = figure.add_axes((0.02, LEGEND_IN / height, 0.96, body_in / height))
    axes.set_axis_off()
    if rows:
        _draw_matrix(axes, rows)
        _draw_legend(figure, record)
    else:
        _draw_note(axes, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, metadata=_PNG_METADATA, facecolor="white")
    return path


def _wrapped_title(record: Record) -> str:
    return "\n".join(textwrap.wrap(display_title(record), 64, max_lines=3, placeholder=" …"))


# A matrix row: (label, bold?, one (level, base level or None) per validity type).
MatrixRow = tuple[str, bool, list[tuple[Level | None, Level | None]]]


def _matrix_rows(record: Record) -> list[MatrixRow]:
    """Strategy rows then the combined row; empty when there is nothing to draw."""
    if record.error or not_applicable_reason(record) is not None or record.profile is None:
        return []
    profile = record.profile
    rows: list[MatrixRow] = [
        (
            strategy_name(row.strategy),
            False,
            [(row.level(v), row.base.get(v)) for v in validity_types()],
        )
        for row in profile.rows
    ]
    rows.append(("combined", True, [(profile.level(v), None) for v in validity_types()]))
    return rows


def _draw_matrix(axes: Axes, rows: list[MatrixRow]) -> None:
    columns = validity_types()
    n_rows = len(rows)
    left, right = -LABEL_COLUMN, len(columns)
    axes.set_xlim(left, right)
    axes.set_ylim(n_rows, -HEADER_ROWS)
    for x, validity in enumerate(columns):
        axes.text(
            x + 0.5,
            -HEADER_ROWS / 2,
            validity.value,
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
        )
    for y, (label, bold, cells) in enumerate(rows):
        # The combined row is set apart by a darker rule, like a table's total line.
        axes.plot(
            [left, right],
            [y, y],
            color="#555555" if bold else GRID_GREY,
            linewidth=1.0 if bold else 0.6,
        )
        axes.text(
            left + 0.05,
            y + 0.5,
            label,
            ha="left",
            va="center",
            fontsize=10,
            fontweight="bold" if bold else "normal",
        )
        for x, (level, base) in enumerate(cells):
            _draw_cell(axes, x, y, level, base, bold)
    axes.plot([left, right], [n_rows, n_rows], color=GRID_GREY, linewidth=0.6)


def _draw_cell(
    axes: Axes, x: int, y: int, level: Level | None, base: Level | None, bold: bool
) -> None:
    cx, cy = x + 0.2, y + 0.5
    if level is None:
        axes.text(x + 0.5, cy, "–", ha="center", va="center", fontsize=10, color="#888888")
        return
    colour = LEVEL_HEX[level]
    # Markers are sized in points, so circles stay round whatever the axes' aspect.
    # Careful is half-filled, as in the terminal's ◐: readable in greyscale print too.
    axes.plot(
        [cx],
        [cy],
        marker="o",
        markersize=MARKER_PT,
        markeredgewidth=1.6,
        markeredgecolor=colour,
        markerfacecolor=colour,
        markerfacecoloralt="white",
        fillstyle="left" if level is Level.CAREFUL else "full",
        linestyle="none",
    )
    weight = "bold" if bold else "normal"
    word_x = cx + 0.16
    if base is not None and base != level:
        axes.text(
            word_x, cy - 0.1, level.value, ha="left", va="center", fontsize=9.5, fontweight=weight
        )
        axes.text(
            word_x,
            cy + 0.2,
            f"(base {base.value})",
            ha="left",
            va="center",
            fontsize=7,
            color="#666666",
        )
    else:
        axes.text(word_x, cy, level.value, ha="left", va="center", fontsize=9.5, fontweight=weight)


def _draw_legend(figure: Figure, record: Record) -> None:
    text = (
        f"green = ok · half orange = careful · red = key · combined = paper-level profile"
        f" · rules {record.rules_version}"
    )
    figure.text(0.03, 0.03, text, fontsize=7.5, color="#555555", ha="left", va="bottom")


def _draw_note(axes: Axes, record: Record) -> None:
    if record.error:
        note = f"Not screened: {error_line(record)}"
    else:
        note = f"No validity profile: {not_applicable_reason(record)}."
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    wrapped = "\n".join(textwrap.wrap(note, 80, max_lines=4, placeholder=" …"))
    axes.text(
        0.5,
        0.5,
        wrapped,
        ha="center",
        va="center",
        fontsize=10,
        style="italic",
        color="#444444",
        transform=axes.transAxes,
        parse_math=False,
    )
