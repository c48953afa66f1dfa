"""One screening, printed for a person at a terminal (rich).

Paper text never goes through rich's markup parser: every piece of it is a `Text` object, so a
paper that happens to contain "[red]" prints as written instead of changing the colours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from screener.design import Evidence
from screener.profile import Level, Threat
from screener.report._common import (
    LEVEL_STYLE,
    NOT_DETECTED,
    FieldView,
    cell_label,
    confidence_label,
    design_fields,
    display_title,
    error_line,
    header_facts,
    level_label,
    not_applicable_reason,
    quote_line,
    shorten,
    strategy_name,
    usage_line,
    validity_types,
)

if TYPE_CHECKING:
    from screener.pipeline import Record

MAX_QUOTES = 3  # per threat or mitigation; more would bury the next threat
INDENT = 4


def render_record(record: Record, console: Console) -> None:
    """Print one paper's screening: header, profile matrix, threats, design."""
    if record.error:
        console.print(Text(f"✗ {error_line(record)}", style="bold red"))
        return
    console.print(_header(record))
    console.print()
    _print_profile(record, console)
    _print_threats(record, console)
    _print_also_present(record, console)
    _print_design(record, console)


def _level_text(level: Level | None, label: str | None = None) -> Text:
    if level is None:
        return Text(label or level_label(None), style="dim")
    return Text(label or level_label(level), style=LEVEL_STYLE[level])


def _header(record: Record) -> Group:
    # The source gets a line of its own: a long path must wrap, not push the short facts apart.
    (_, source), *rest = header_facts(record)
    facts = [Text.assemble(("source ", "dim"), source), Text()]
    for index, (label, value) in enumerate(rest):
        facts[1].append(" · " if index else "", style="dim")
        facts[1].append_text(Text.assemble((f"{label} ", "dim"), value))
    # A rule separates papers; the title goes below it so that a long title wraps, not truncates.
    lines = [Rule(style="dim"), Text(display_title(record), style="bold"), *facts]
    usage = usage_line(record)
    if usage:
        lines.append(Text.assemble(("usage ", "dim"), usage))
    return Group(*lines)


def _print_profile(record: Record, console: Console) -> None:
    console.print(Text("Validity profile", style="bold underline"))
    reason = not_applicable_reason(record)
    if reason is not None or record.profile is None:
        console.print(Padding(Text(f"Not applicable — {reason}", style="italic"), (0, 0, 1, 2)))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("strategy")
    for validity in validity_types():
        table.add_column(validity.value)
    rows = record.profile.rows
    for position, row in enumerate(rows):
        cells = [
            _level_text(row.level(v), cell_label(row.level(v), row.base.get(v)))
            for v in validity_types()
        ]
        table.add_row(
            Text(strategy_name(row.strategy)), *cells, end_section=position == len(rows) - 1
        )
    combined = [_level_text(record.profile.level(v)) for v in validity_types()]
    for cell in combined:
        cell.stylize("bold")
    table.add_row(Text("combined", style="bold"), *combined)
    console.print(Padding(table, (0, 0, 0, 2)))
    console.print(
        Padding(
            Text("● ok   ◐ careful   ● key  (combined = the paper-level profile)", style="dim"),
            (0, 0, 1, 2),
        )
    )


def _print_threats(record: Record, console: Console) -> None:
    headline = [t for t in record.threats if t.headline]
    console.print(Text(f"Threats ({len(headline)})", style="bold underline"))
    if not headline:
        console.print(Padding(Text("none", style="italic"), (0, 0, 1, 2)))
        return
    for threat in headline:
        console.print(Padding(_threat(threat), (0, 0, 1, 2)))


def _print_also_present(record: Record, console: Console) -> None:
    """Strategies no headline claim rests on: shown with their threats, outside the profile."""
    if not record.also_present:
        return
    console.print(Text(f"Also present ({len(record.also_present)})", style="bold underline"))
    note = "no headline claim rests on these: threats at most careful, not in the profile"
    console.print(Padding(Text(note, style="dim"), (0, 0, 0, 2)))
    for secondary in record.also_present:
        title = Text.assemble(
            (strategy_name(secondary.strategy), "bold"),
            (f"  {secondary.reason}", "dim"),
        )
        parts: list = [title, *_quotes(secondary.evidence, INDENT)]
        parts.extend(
            _indented(_threat(threat))
            for threat in record.threats
            if not threat.headline and secondary.strategy in threat.strategies
        )
        console.print(Padding(Group(*parts), (0, 0, 1, 2)))


def _threat(threat: Threat) -> Group:
    title = Text()
    title.append(threat.id, style="bold")
    title.append("  ")
    title.append_text(_level_text(threat.level))
    if threat.mitigated or threat.base_level != threat.level:
        title.append(" (base ", style="dim")
        title.append_text(_level_text(threat.base_level))
        title.append(")", style="dim")
    title.append(f"  {threat.validity.value}", style="cyan")
    title.append(f"  {threat.name}")
    parts: list = [title]
    if threat.assumption:
        assumption = threat.assumption
        if threat.assumption_text:
            assumption += f" — {threat.assumption_text}"
        parts.append(_indented(Text.assemble(("assumption ", "dim"), shorten(assumption))))
    parts.append(_indented(Text(shorten(threat.explanation, 600))))
    parts.extend(_quotes(threat.evidence, INDENT))
    for mitigation in threat.mitigations:
        line = Text.assemble(("mitigated: ", "green"), shorten(mitigation.description, 400))
        parts.append(_indented(line))
        parts.extend(_quotes(mitigation.evidence, INDENT * 2))
    for note in threat.notes:
        parts.append(_indented(Text.assemble(("note: ", "dim"), shorten(note, 400))))
    return Group(*parts)


def _indented(text: Text, indent: int = INDENT) -> Padding:
    return Padding(text, (0, 0, 0, indent))


def _quotes(evidence: tuple[Evidence, ...], indent: int) -> list[Padding]:
    lines = [_indented(Text(quote_line(e), style="italic"), indent) for e in evidence[:MAX_QUOTES]]
    if len(evidence) > MAX_QUOTES:
        more = Text(f"(+{len(evidence) - MAX_QUOTES} more quotes)", style="dim")
        lines.append(_indented(more, indent))
    return lines


def _print_design(record: Record, console: Console) -> None:
    console.print(Text("Design", style="bold underline"))
    if record.design is None:
        console.print(Padding(Text(NOT_DETECTED, style="italic"), (0, 0, 0, 2)))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("field", no_wrap=True)
    table.add_column("value", ratio=2)
    table.add_column("conf.", justify="right", no_wrap=True)
    table.add_column("evidence", ratio=3)
    for view in design_fields(record.design):
        table.add_row(*_field_cells(view))
    console.print(Padding(table, (0, 0, 0, 2)))


def _field_cells(view: FieldView) -> tuple[Text, Text, Text, Text]:
    if view.value is None:
        return Text(view.label), Text(NOT_DETECTED, style="dim"), Text(""), Text("")
    evidence = Text(quote_line(view.evidence, 160), style="italic") if view.evidence else Text("")
    return (
        Text(view.label),
        Text(shorten(view.value, 200)),
        Text(confidence_label(view.confidence)),
        evidence,
    )
