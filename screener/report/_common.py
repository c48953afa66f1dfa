"""What every report shows, independent of how it is drawn.

The terminal, Markdown and figure reports share one vocabulary: a level is written as a symbol
*and* a word (so a report stays readable without colour), quotes are shortened the same way, and
the design is shown as the same list of fields. Keeping that here means the three reports never
disagree about what a paper's screening says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from screener.design import Claim, Design, Evidence, Strategy
from screener.profile import Level, ValidityType

if TYPE_CHECKING:
    from screener.pipeline import Record

# The colours of the framework paper's Table 1: green = ok, orange = careful, red = key.
LEVEL_SYMBOL: dict[Level, str] = {Level.OK: "●", Level.CAREFUL: "◐", Level.KEY: "●"}
LEVEL_STYLE: dict[Level, str] = {Level.OK: "green", Level.CAREFUL: "dark_orange", Level.KEY: "red"}
LEVEL_HEX: dict[Level, str] = {Level.OK: "#2f9e44", Level.CAREFUL: "#f08c00", Level.KEY: "#d62728"}
NO_LEVEL = "–"
NOT_DETECTED = "not detected"

STRATEGY_NAME: dict[Strategy, str] = {
    Strategy.PROXY_MODEL: "Proxy models",
    Strategy.PROXY_TREATMENT: "Proxy treatment",
    Strategy.PROXY_OUTCOME: "Proxy outcome",
    Strategy.OBSERVATIONAL: "Observational",
    Strategy.WITHIN_RUN: "Within-run controls",
    Strategy.THEORETICAL_CONTROL: "Theoretical controls",
    Strategy.TARGET_EXPERIMENT: "Target experiment",
}

QUOTE_CHARS = 240
TITLE_FALLBACK = "(untitled)"


def level_label(level: Level | None) -> str:
    """'● ok', '◐ careful', '● key'; a dash when there is no level."""
    if level is None:
        return NO_LEVEL
    return f"{LEVEL_SYMBOL[level]} {level.value}"


def strategy_name(strategy: Strategy) -> str:
    return STRATEGY_NAME.get(strategy, strategy.value)


def one_line(text: str) -> str:
    """Collapse whitespace (PDF text keeps line breaks that mean nothing to a reader)."""
    return " ".join(text.split())


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """Cut long text at a word boundary and mark the cut with an ellipsis."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + " …"


def page_prefix(evidence: Evidence) -> str:
    where = f"p. {evidence.page}" if evidence.page is not None else "page unknown"
    # An LLM quote that could not be found in the paper stays visible, but flagged.
    return f"{where}, UNGROUNDED (not found in the paper)" if evidence.grounded is False else where


def quote_line(evidence: Evidence, limit: int = QUOTE_CHARS) -> str:
    """'p. 3: “…quote…”' (the reader can find the sentence in the PDF)."""
    return f"{page_prefix(evidence)}: “{shorten(evidence.quote, limit)}”"


def confidence_label(confidence: float | None) -> str:
    return "" if confidence is None else f"{confidence:.2f}"


def display_title(record: Record) -> str:
    return one_line(record.document.title or "") or TITLE_FALLBACK


def error_line(record: Record) -> str:
    """The one line an unreadable paper gets; it always names the file."""
    error = one_line(record.error or "")
    return error if record.source in error else f"{record.source}: {error}"


def header_facts(record: Record) -> list[tuple[str, str]]:
    """(label, value) pairs of the header line under the title."""
    facts = [
        ("source", record.source),
        ("pages", str(record.document.pages)),
        ("parser", record.parser or "?"),
        ("extractor", record.extractor or "?"),
        ("rules", record.rules_version),
    ]
    prompt, prompt_sha = record.extraction.get("prompt"), record.extraction.get("prompt_sha256")
    if prompt and prompt_sha:
        facts.append(("prompt", f"{prompt} ({str(prompt_sha)[:12]})"))
    return facts


def usage_line(record: Record) -> str | None:
    """What an LLM extraction cost; None for offline extractors (no tokens)."""
    usage = record.usage
    if usage.tokens_in + usage.tokens_out <= 0:
        return None
    parts = [
        f"{usage.tokens_in:,} tokens in",
        f"{usage.tokens_out:,} tokens out",
        f"${usage.cost_usd:.4f}",
        f"{usage.requests} request{'s' if usage.requests != 1 else ''}",
    ]
    if usage.cached:
        parts.append("cached")
    return " · ".join(parts)


def not_applicable_reason(record: Record) -> str | None:
    """Why the profile matrix is empty, or None when there is a matrix to show."""
    if record.profile is not None and record.profile.applicable:
        return None
    design = record.design
    reason = one_line(design.scope_reason) if design and design.scope_reason else ""
    if design is None:
        why = "no research design was extracted"
    elif design.in_scope.value is False:
        why = "the paper is out of scope"
    elif design.strategies:
        return "the rules were not run on this design"
    else:
        why = "no research strategy was detected"
    return f"{why}: {reason}" if reason else why


def cell_label(level: Level, base: Level | None) -> str:
    """A matrix cell; when a mitigation or threat moved it, the base level is named too."""
    label = level_label(level)
    return label if base is None or base == level else f"{label} (base {base.value})"


@dataclass(frozen=True)
class FieldView:
    """One line of the design section: value (None = not detected), confidence, one quote."""

    label: str
    value: str | None
    confidence: float | None = None
    evidence: Evidence | None = None


def _first(evidence: list[Evidence] | tuple[Evidence, ...]) -> Evidence | None:
    return evidence[0] if evidence else None


def _yes_no(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return one_line(str(value))


def _claim(label: str, claim: Claim) -> FieldView:
    if not claim.detected:
        return FieldView(label, None)
    return FieldView(label, _yes_no(claim.value), claim.confidence, _first(claim.evidence))


def design_fields(design: Design) -> list[FieldView]:
    """The design as the reports show it, in the order a reader checks it."""
    fields = [_scope(design)]
    fields.extend(_strategies(design))
    fields.append(_primary(design))
    fields.append(_claim("Treatment", design.treatment))
    fields.append(_claim("Outcome", design.outcome))
    fields.append(_claim("Target recipe", design.target_recipe))
    fields.extend(_proxies(design))
    fields.extend(_identification(design))
    fields.append(_claim("Repeated runs", design.repeated_runs))
    fields.append(_claim("Target validation", design.target_validation))
    fields.append(_claim("Models analysed (n)", design.n_models))
    return fields


def _scope(design: Design) -> FieldView:
    view = _claim("In scope", design.in_scope)
    if view.value is not None and design.scope_reason:
        return FieldView(
            view.label,
            f"{view.value} — {one_line(design.scope_reason)}",
            view.confidence,
            view.evidence,
        )
    return view


def _strategies(design: Design) -> list[FieldView]:
    if not design.strategies:
        return [FieldView("Strategy", None)]
    return [
        FieldView(
            "Strategy",
            f"{strategy_name(use.strategy)} ({use.strategy.value})",
            use.confidence,
            _first(use.evidence),
        )
        for use in design.strategies
    ]


def _primary(design: Design) -> FieldView:
    primary = design.primary_strategy
    if primary is None:
        return FieldView("Primary strategy", None)
    # The primary strategy rests on the same sentences as its entry in the strategy list.
    use = next(u for u in design.strategies if u.strategy == primary)
    return FieldView(
        "Primary strategy",
        f"{strategy_name(primary)} ({primary.value})",
        use.confidence,
        _first(use.evidence),
    )


def _proxies(design: Design) -> list[FieldView]:
    if not design.proxies:
        return [FieldView("Proxy", None)]
    views = []
    for proxy in design.proxies:
        target = one_line(proxy.target) if proxy.target else "?"
        value = f"{proxy.kind.value}: {one_line(proxy.proxy)} → stands in for {target}"
        views.append(FieldView("Proxy", value, proxy.confidence, _first(proxy.evidence)))
    return views


def _identification(design: Design) -> list[FieldView]:
    if not design.identification:
        return [FieldView("Identification", None)]
    return [
        FieldView("Identification", use.method.value, use.confidence, _first(use.evidence))
        for use in design.identification
    ]


def validity_types() -> tuple[ValidityType, ...]:
    """The matrix columns, in the framework's order."""
    return tuple(ValidityType)
