"""One screening as a Markdown page (what `--out DIR` writes as `<stem>.md`).

The output depends on the record alone (no dates, no versions of installed software), so a
report can be diffed and golden-file tested. Paper text is escaped: a quote containing Markdown
or HTML syntax shows as written and cannot inject links, tables or tags.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from screener.design import Evidence
from screener.profile import Threat
from screener.report._common import (
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
    page_prefix,
    shorten,
    strategy_name,
    usage_line,
    validity_types,
)

if TYPE_CHECKING:
    from screener.pipeline import Record

MAX_QUOTES = 3
# Characters that make Markdown syntax anywhere in a line (`$` opens math on GitHub); `<`, `>`
# and `&` become entities so a paper cannot smuggle HTML into a rendered report.
_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# Characters that make syntax only at the start of a line (headings, lists, quotes are entities).
_LINE_START = re.compile(r"^(#|\+|-|\d+(?=[.)]))")


def escape(text: str, starts_line: bool = False) -> str:
    """Paper text made inert for Markdown (and for the HTML some renderers allow).

    `starts_line`: the text begins a line of the output, where '#', '-' or '1.' make syntax.
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text) if starts_line else text


def _escape_line_start(match: re.Match[str]) -> str:
    token = match.group(1)
    # CommonMark escapes punctuation only: '1.' becomes '1\.', '#' becomes '\#'.
    return token + "\\" if token[0].isdigit() else "\\" + token


def record_markdown(record: Record) -> str:
    """The Markdown report of one record; ends with exactly one newline."""
    if record.error:
        return f"# {escape(record.source)}\n\n**Error:** {escape(error_line(record))}\n"
    blocks = [f"# {escape(display_title(record))}", _header(record)]
    blocks.extend(_profile(record))
    blocks.extend(_threats(record))
    blocks.extend(_also_present(record))
    blocks.extend(_design(record))
    return "\n\n".join(blocks) + "\n"


def _header(record: Record) -> str:
    lines = [f"- **{label}:** {escape(value)}" for label, value in header_facts(record)]
    usage = usage_line(record)
    if usage:
        lines.append(f"- **usage:** {escape(usage)}")
    return "\n".join(lines)


def _profile(record: Record) -> list[str]:
    blocks = ["## Validity profile"]
    reason = not_applicable_reason(record)
    if reason is not None or record.profile is None:
        blocks.append(f"*Not applicable — {escape(reason or '')}.*")
        return blocks
    header = "| strategy | " + " | ".join(v.value for v in validity_types()) + " |"
    rule = "|---" * (len(validity_types()) + 1) + "|"
    lines = [header, rule]
    for row in record.profile.rows:
        cells = [cell_label(row.level(v), row.base.get(v)) for v in validity_types()]
        lines.append(f"| {strategy_name(row.strategy)} | " + " | ".join(cells) + " |")
    combined = [f"**{level_label(record.profile.level(v))}**" for v in validity_types()]
    lines.append("| **combined** | " + " | ".join(combined) + " |")
    blocks.append("\n".join(lines))
    blocks.append("● ok · ◐ careful · ● key — *combined* is the paper-level profile.")
    return blocks


def _threats(record: Record) -> list[str]:
    headline = [t for t in record.threats if t.headline]
    blocks = [f"## Threats ({len(headline)})"]
    if not headline:
        blocks.append("None.")
    for threat in headline:
        blocks.extend(_threat(threat))
    return blocks


def _also_present(record: Record) -> list[str]:
    """Strategies no headline claim rests on: their evidence and threats, outside the profile."""
    if not record.also_present:
        return []
    blocks = [
        f"## Also present ({len(record.also_present)})",
        "*These strategies appear in the paper but no claim of its abstract or conclusion rests "
        "on them: their threats are shown at no more than careful and do not enter the profile.*",
    ]
    for secondary in record.also_present:
        blocks.append(f"### {strategy_name(secondary.strategy)} — {escape(secondary.reason)}")
        blocks.extend(_quotes(secondary.evidence))
        for threat in record.threats:
            if not threat.headline and secondary.strategy in threat.strategies:
                blocks.extend(_threat(threat, heading="####"))
    return blocks


def _threat(threat: Threat, heading: str = "###") -> list[str]:
    level = level_label(threat.level)
    if threat.mitigated or threat.base_level != threat.level:
        level += f" (base {level_label(threat.base_level)})"
    blocks = [f"{heading} {threat.id} — {escape(threat.name)}"]
    facts = [f"- **level:** {level}", f"- **validity:** {threat.validity.value}"]
    if threat.assumption:
        assumption = threat.assumption
        if threat.assumption_text:
            assumption += f" — {threat.assumption_text}"
        facts.append(f"- **assumption:** {escape(assumption)}")
    blocks.append("\n".join(facts))
    blocks.append(escape(threat.explanation, starts_line=True))
    blocks.extend(_quotes(threat.evidence))
    for mitigation in threat.mitigations:
        blocks.append(f"**Mitigated:** {escape(mitigation.description)}")
        blocks.extend(_quotes(mitigation.evidence))
    blocks.extend(f"*Note:* {escape(note)}" for note in threat.notes)
    return blocks


def _blockquote(evidence: Evidence, limit: int = 400) -> str:
    return f"> {page_prefix(evidence)}: “{escape(shorten(evidence.quote, limit))}”"


def _quotes(evidence: tuple[Evidence, ...]) -> list[str]:
    blocks = [_blockquote(e) for e in evidence[:MAX_QUOTES]]
    if len(evidence) > MAX_QUOTES:
        blocks.append(f"*(+{len(evidence) - MAX_QUOTES} more quotes)*")
    return blocks


def _design(record: Record) -> list[str]:
    blocks = ["## Design"]
    if record.design is None:
        blocks.append(f"*{NOT_DETECTED}*")
        return blocks
    for view in design_fields(record.design):
        blocks.extend(_field(view))
    return blocks


def _field(view: FieldView) -> list[str]:
    if view.value is None:
        return [f"**{view.label}:** *{NOT_DETECTED}*"]
    line = f"**{view.label}:** {escape(view.value)}"
    if view.confidence is not None:
        line += f" · confidence {confidence_label(view.confidence)}"
    return [line, _blockquote(view.evidence, 300)] if view.evidence else [line]
