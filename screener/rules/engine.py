"""A small engine that evaluates the rule table (rules.toml) over a `Design`.

Everything a methodologist may want to change lives in the table; this module only knows
how to read conditions, fill explanation templates and combine levels. The table is
checked when it is loaded (unknown fields, strategies, placeholders or levels are errors),
so a bad edit fails at start-up rather than in the middle of a batch.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from screener.design import Claim, Design, Evidence, Identification, Strategy
from screener.errors import RulesError
from screener.profile import (
    VALIDITY_TYPES,
    Judgment,
    Level,
    Mitigation,
    Profile,
    ProfileRow,
    SecondaryStrategy,
    Threat,
    ValidityType,
)

RULES_PATH = Path(__file__).with_name("rules.toml")

# Placeholders an explanation or mitigation text may use (filled by `_template_values`).
PLACEHOLDERS = frozenset(
    {
        "treatment",
        "outcome",
        "target_recipe",
        "model_proxy",
        "treatment_proxy",
        "outcome_proxy",
        "outcome_target",
        "n_models",
        "replacing_assumptions",
    }
)

_BOOL_WORDS = {"true": True, "false": False}


# --- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One parsed condition string of the table."""

    text: str
    kind: str  # "uses", "has", "is", "is_not", "eq", "in", "cmp"
    field: str | None = None
    values: tuple[Any, ...] = ()
    op: str | None = None

    def holds(self, design: Design, strategies: Sequence[Strategy]) -> bool:
        """Whether the condition holds; `uses` looks only at `strategies` (those in play)."""
        if self.kind == "uses":
            return any(s in self.values for s in strategies)
        if self.kind == "has":
            return any(m in self.values for m in design.identification_names())
        value = _field_value(design, self.field)
        if self.kind == "is":
            return _is(value, self.values[0])
        if self.kind == "is_not":
            return not _is(value, self.values[0])
        if self.kind in ("eq", "in"):
            return value is not None and value in self.values
        if value is None:
            return False
        limit = self.values[0]
        return {
            "<": value < limit,
            "<=": value <= limit,
            ">": value > limit,
            ">=": value >= limit,
        }[self.op]

    def evidence(self, design: Design, strategies: Sequence[Strategy]) -> list[Evidence]:
        """The extracted evidence behind this condition, for the threat's report."""
        if self.kind == "uses":
            return [
                e
                for u in design.strategies
                if u.strategy in self.values and u.strategy in strategies
                for e in u.evidence
            ]
        if self.kind == "has":
            return [e for u in design.identification if u.method in self.values for e in u.evidence]
        claim = getattr(design, self.field)
        return list(claim.evidence) if claim.value is not None else []

    def matched_strategies(self, strategies: Sequence[Strategy]) -> list[Strategy]:
        return [s for s in strategies if s in self.values] if self.kind == "uses" else []

    def matched_methods(self, design: Design) -> list[Identification]:
        return (
            [m for m in design.identification_names() if m in self.values]
            if self.kind == "has"
            else []
        )


def _is(value: Any, word: str) -> bool:
    if word == "unknown":
        return value is None
    if word == "known":
        return value is not None
    return value is _BOOL_WORDS[word]


def _field_value(design: Design, name: str | None) -> Any:
    value = getattr(design, name)
    if isinstance(value, Claim):
        value = value.value
    return value.value if isinstance(value, Enum) else value


_CLAIM_FIELDS = frozenset(
    name for name, info in Design.model_fields.items() if "Claim" in str(info.annotation)
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("uses", re.compile(r"^uses (?P<values>\S+)$")),
    ("has", re.compile(r"^identification has (?P<values>\S+)$")),
    ("is_not", re.compile(r"^(?P<field>\w+) is not (?P<word>true|false|unknown|known)$")),
    ("is", re.compile(r"^(?P<field>\w+) is (?P<word>true|false|unknown|known)$")),
    ("eq", re.compile(r"^(?P<field>\w+) == (?P<values>\S+)$")),
    ("in", re.compile(r"^(?P<field>\w+) in (?P<values>\S+)$")),
    ("cmp", re.compile(r"^(?P<field>\w+) (?P<op><=|>=|<|>) (?P<values>\S+)$")),
)


def parse_condition(text: str, params: dict[str, Any]) -> Condition:
    """Parse one condition string; raise RulesError naming the string when it is not valid."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(text.strip())
        if match:
            return _build_condition(text, kind, match.groupdict(), params)
    raise RulesError(f"rule condition {text!r} is not in the condition language")


def _build_condition(
    text: str, kind: str, parts: dict[str, str], params: dict[str, Any]
) -> Condition:
    field = parts.get("field")
    if field is not None and field not in _CLAIM_FIELDS:
        raise RulesError(f"rule condition {text!r} names unknown design field {field!r}")
    raw = _resolve(parts.get("values"), params, text)
    if kind == "uses":
        return Condition(text, kind, values=tuple(_enum(Strategy, v, text) for v in raw))
    if kind == "has":
        return Condition(text, kind, values=tuple(_enum(Identification, v, text) for v in raw))
    if kind in ("is", "is_not"):
        return Condition(text, kind, field=field, values=(parts["word"],))
    if kind in ("eq", "in"):
        return Condition(text, "in", field=field, values=tuple(raw))
    try:
        limit = float(raw[0])
    except ValueError:
        raise RulesError(f"rule condition {text!r} compares with a non-number") from None
    return Condition(text, kind, field=field, values=(limit,), op=parts["op"])


def _resolve(spec: str | None, params: dict[str, Any], text: str) -> list[str]:
    if spec is None:
        return []
    if spec.startswith("$"):
        if spec[1:] not in params:
            raise RulesError(f"rule condition {text!r} names unknown parameter {spec}")
        value = params[spec[1:]]
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return spec.split("|")


def _enum(kind: type[Enum], value: str, text: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RulesError(
            f"rule condition {text!r} names unknown {kind.__name__} {value!r}"
        ) from None


# --- the table ----------------------------------------------------------------------------


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class StrategyRow(_Table):
    name: str
    section: str
    statistical: Level
    internal: Level
    external: Level
    construct: Level
    grounds: str

    def level(self, validity: ValidityType) -> Level:
        return getattr(self, validity.value)


class Clause(_Table):
    when: tuple[Condition, ...]
    explanation: str | None = None
    # None: the threat's own mitigation applies; (): this clause cannot be mitigated.
    mitigation: tuple[tuple[Condition, ...], ...] | None = None


class Remark(_Table):
    when: tuple[Condition, ...]
    text: str


class ThreatRule(_Table):
    id: str
    name: str
    validity: ValidityType
    level: Level
    assumption: str | None = None
    assumption_text: str | None = None
    trigger: tuple[Clause, ...]
    mitigation: tuple[tuple[Condition, ...], ...] = ()
    mitigation_text: str | None = None
    explanation: str
    remarks: tuple[Remark, ...] = ()

    @field_validator("trigger")
    @classmethod
    def _clauses_name_strategies(cls, clauses: tuple[Clause, ...]) -> tuple[Clause, ...]:
        for clause in clauses:
            if not any(c.kind == "uses" for c in clause.when):
                raise ValueError("every trigger clause needs a 'uses' condition")
        return clauses


class RuleSet(_Table):
    version: str
    params: dict[str, Any]
    identification_assumptions: dict[Identification, str]
    strategies: dict[Strategy, StrategyRow]
    threats: tuple[ThreatRule, ...]


def _conditions(items: Iterable[str], params: dict[str, Any]) -> tuple[Condition, ...]:
    return tuple(parse_condition(item, params) for item in items)


def _clause(raw: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    clause = {**raw, "when": _conditions(raw.get("when", []), params)}
    if "mitigation" in raw:
        clause["mitigation"] = [_conditions(group, params) for group in raw["mitigation"]]
    return clause


def build_rules(data: dict[str, Any]) -> RuleSet:
    """Validate a parsed table and compile its conditions."""
    params = data.get("params", {})
    threats = []
    for raw in data.get("threats", []):
        raw = dict(raw)
        raw["trigger"] = [_clause(clause, params) for clause in raw.get("trigger", [])]
        raw["mitigation"] = [_conditions(clause, params) for clause in raw.get("mitigation", [])]
        raw["remarks"] = [
            {**remark, "when": _conditions(remark.get("when", []), params)}
            for remark in raw.get("remarks", [])
        ]
        threats.append(raw)
    try:
        rules = RuleSet.model_validate({**data, "threats": threats})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RulesError(f"rule table is malformed at {where}: {first['msg']}") from None
    _check_table(rules)
    return rules


def _check_table(rules: RuleSet) -> None:
    missing = set(Strategy) - set(rules.strategies)
    if missing:
        raise RulesError(f"rule table lacks base rows for {sorted(s.value for s in missing)}")
    ids = [t.id for t in rules.threats]
    if len(ids) != len(set(ids)):
        raise RulesError("rule table lists a threat id twice")
    for threat in rules.threats:
        texts = [threat.explanation, threat.mitigation_text or ""]
        texts += [c.explanation or "" for c in threat.trigger]
        for text in texts:
            names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
            unknown = names - PLACEHOLDERS
            if unknown:
                raise RulesError(f"threat {threat.id} uses unknown placeholders {sorted(unknown)}")
        mitigable = threat.mitigation or any(c.mitigation for c in threat.trigger)
        if mitigable and not threat.mitigation_text:
            raise RulesError(f"threat {threat.id} has a mitigation without mitigation_text")
    threshold = rules.params.get("headline_min_confidence")
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise RulesError("rule table needs params.headline_min_confidence between 0 and 1")


@cache
def load_rules(path: Path = RULES_PATH) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"cannot read rule table {path}: {exc}") from None
    return build_rules(data)


# --- judging ------------------------------------------------------------------------------


def judge(design: Design, rules: RuleSet | None = None) -> Judgment:
    """The validity profile and threats of one design. Pure and deterministic."""
    rules = rules or load_rules()
    if not design.strategies:
        return Judgment(profile=Profile(), rules_version=rules.version)
    headline, secondary = split_headline(design, rules.params["headline_min_confidence"])
    threats = _threats(rules, design, headline, headline=True)
    fired = {t.id for t in threats}
    also = [s.strategy for s in secondary]
    # A strategy that is only also present shows its own threats, capped, and moves nothing.
    if also:
        threats += [t for t in _threats(rules, design, also, headline=False) if t.id not in fired]
    rows = tuple(_row(s, rules.strategies[s], threats) for s in headline)
    combined = {
        validity.value: Level.highest(
            [row.level(validity) for row in rows]
            + [t.level for t in threats if t.headline and t.validity == validity]
        )
        for validity in VALIDITY_TYPES
    }
    return Judgment(
        profile=Profile(**combined, rows=rows),
        threats=tuple(threats),
        also_present=tuple(secondary),
        rules_version=rules.version,
    )


def split_headline(
    design: Design, min_confidence: float
) -> tuple[list[Strategy], list[SecondaryStrategy]]:
    """The strategies a headline claim rests on, and the others (with the reason).

    The primary strategy is always headline. Any other strategy is headline unless the
    extractor says no headline claim rests on it or its confidence is below `min_confidence`.
    When nothing qualifies, the most confident strategy stands in for the primary one.
    """
    headline: list[Strategy] = []
    secondary: list[SecondaryStrategy] = []
    for use in design.strategies:
        reason = None
        if use.strategy == design.primary_strategy:
            reason = None
        elif use.headline is False:
            reason = "no claim of the abstract or conclusion rests on it"
        elif use.confidence < min_confidence:
            reason = f"extracted with confidence {use.confidence:.2f}, below {min_confidence:g}"
        if reason is None:
            headline.append(use.strategy)
        else:
            secondary.append(
                SecondaryStrategy(
                    strategy=use.strategy,
                    reason=reason,
                    confidence=use.confidence,
                    evidence=tuple(use.evidence),
                )
            )
    if not headline:
        best = max(secondary, key=lambda s: s.confidence)
        secondary.remove(best)
        headline.append(best.strategy)
    return headline, secondary


def _threats(
    rules: RuleSet, design: Design, strategies: Sequence[Strategy], headline: bool
) -> list[Threat]:
    found = []
    for rule in rules.threats:
        threat = _evaluate_threat(rule, design, rules, strategies)
        if threat is None:
            continue
        if not headline:
            capped = threat.level if threat.level.rank <= CAP.rank else CAP
            threat = threat.model_copy(update={"headline": False, "level": capped})
        found.append(threat)
    return found


# Threats that only an also-present strategy triggers are shown at no more than this level.
CAP = Level.CAREFUL


def _row(strategy: Strategy, base: StrategyRow, threats: Sequence[Threat]) -> ProfileRow:
    """The strategy's row: each base cell stands as far as a triggered threat explains it.

    A cell is lowered to the highest level (after mitigation) of the headline threats of its
    validity type that this strategy triggered, and to ok when none did: a base cell that no
    threat of this paper explains is not reported (codebook rule 19).
    """
    cells: dict[str, Level] = {}
    for validity in VALIDITY_TYPES:
        explaining = [
            t.level
            for t in threats
            if t.headline and t.validity == validity and strategy in t.strategies
        ]
        level = base.level(validity)
        cells[validity.value] = min(level, Level.highest(explaining), key=lambda x: x.rank)
    return ProfileRow(strategy=strategy, **cells, base={v: base.level(v) for v in VALIDITY_TYPES})


def _evaluate_threat(
    rule: ThreatRule, design: Design, rules: RuleSet, strategies: Sequence[Strategy]
) -> Threat | None:
    satisfied = [c for c in rule.trigger if all(x.holds(design, strategies) for x in c.when)]
    if not satisfied:
        return None
    matched = _unique(
        s for clause in satisfied for c in clause.when for s in c.matched_strategies(strategies)
    )
    evidence = _unique(
        e for clause in satisfied for c in clause.when for e in c.evidence(design, strategies)
    )
    # Each clause is mitigated by its own mitigation, or else by the threat's; the threat is
    # lowered only when every clause that fired is mitigated.
    per_clause = [
        [
            group
            for group in (rule.mitigation if clause.mitigation is None else clause.mitigation)
            if all(c.holds(design, strategies) for c in group)
        ]
        for clause in satisfied
    ]
    mitigated = all(per_clause)
    mitigations = (
        tuple(
            _unique(
                _mitigation(rule, group, design, rules, strategies)
                for groups in per_clause
                for group in groups
            )
        )[:1]
        if mitigated
        else ()
    )
    unmitigated = [c for c, groups in zip(satisfied, per_clause, strict=True) if not groups]
    template = (unmitigated or satisfied)[0].explanation or rule.explanation
    remarks = tuple(
        r.text for r in rule.remarks if all(c.holds(design, strategies) for c in r.when)
    )
    return Threat(
        id=rule.id,
        name=rule.name,
        validity=rule.validity,
        level=rule.level.lowered() if mitigated else rule.level,
        base_level=rule.level,
        assumption=rule.assumption,
        assumption_text=rule.assumption_text,
        explanation=_fill(template, design, rules, []),
        strategies=tuple(matched),
        evidence=tuple(evidence),
        mitigations=mitigations,
        notes=remarks,
    )


def _mitigation(
    rule: ThreatRule,
    clause: tuple[Condition, ...],
    design: Design,
    rules: RuleSet,
    strategies: Sequence[Strategy],
) -> Mitigation:
    methods = [m for c in clause for m in c.matched_methods(design)]
    return Mitigation(
        description=_fill(rule.mitigation_text or "", design, rules, methods),
        evidence=tuple(_unique(e for c in clause for e in c.evidence(design, strategies))),
    )


def _fill(template: str, design: Design, rules: RuleSet, methods: list[Identification]) -> str:
    text = template.format_map(_template_values(design, rules, methods))
    return text[:1].upper() + text[1:]


def _template_values(
    design: Design, rules: RuleSet, methods: list[Identification]
) -> dict[str, str]:
    def proxies(kind: str, attribute: str, fallback: str) -> str:
        found = [
            getattr(p, attribute)
            for p in design.proxies
            if p.kind.value == kind and getattr(p, attribute)
        ]
        return " and ".join(_unique(found)) or fallback

    treatment_kind = design.treatment_proxy_kind.value
    treatment_fallback = (
        treatment_kind.value.replace("_", " ") if treatment_kind else "a cheaper stand-in"
    )
    n_models = design.n_models.value
    return {
        "treatment": design.treatment.value or "the studied change",
        "outcome": design.outcome.value or "the measured outcome",
        "target_recipe": design.target_recipe.value or "the target recipe",
        "model_proxy": proxies("model", "proxy", "smaller proxy models"),
        "treatment_proxy": proxies("treatment", "proxy", treatment_fallback),
        "outcome_proxy": proxies("outcome", "proxy", "a cheaper measurement"),
        "outcome_target": proxies(
            "outcome", "target", design.outcome.value or "the outcome of interest"
        ),
        "n_models": str(n_models) if n_models is not None else "a few",
        "replacing_assumptions": "; ".join(
            rules.identification_assumptions[m]
            for m in methods
            if m in rules.identification_assumptions
        )
        or "a stated identification strategy",
    }


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
