"""Evaluation against the hand-labelled gold set: how often a screening agrees with careful reading.

Each gold paper is screened from its PDF (`<pdfs>/<id>.pdf`) and compared with its label, field
by field; every aggregate gets a percentile-bootstrap 95% interval from resampling papers. A
rules-only ablation feeds the gold design straight into the rules, so that disagreements of the
rule set and of the extractor can be told apart.

Conventions (also printed in the report):
- a paper is predicted in scope when the extracted `in_scope` is true (unknown counts as out);
- a parse or extraction error scores as an empty prediction; a missing PDF is skipped;
- macro-F1 over strategies averages the classes with gold support among the scored papers;
- profile agreement is computed over papers that both gold and prediction judge (both have a
  profile, i.e. in scope with at least one strategy);
- key-threat detection is over all scored papers: positive = that validity type at level key
  (no profile = not key);
- threat ids compare the set of triggered threat ids regardless of their level after mitigation;
- grounding: an evidence quote counts as grounded when, after collapsing whitespace, it occurs
  verbatim in `Document.text()` (also collapsed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from screener import calibration, metrics
from screener.design import Design, Evidence, Strategy
from screener.document import Document
from screener.errors import InputError
from screener.pipeline import Record, screen_file
from screener.profile import VALIDITY_TYPES, Judgment, Level, Profile, Threat
from screener.rules import RULES_VERSION, judge, load_rules
from screener.settings import Settings, load_settings

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)  # ordered ok < careful < key
NO_STRATEGY = "none"
# Boolean/number design fields that drive threats; their agreement is reported over the
# in-scope gold papers where the label gives a value (null = not applicable is left out).
DETAIL_FIELDS = ("repeated_runs", "target_validation", "pooled_families", "n_models")
# Predicted phrases and section headings come from the papers; committed reports show at most
# this many words of them (see the report header).
MAX_WORDS = 8


# --- gold labels --------------------------------------------------------------------------


class GoldLabel(BaseModel):
    """The label-only part of a gold record (the design part is validated by `Design`)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    title: str
    in_scope: bool
    profile: dict[str, Level] | None = None
    threats: list[str] = Field(default_factory=list)
    evidence: dict[str, str] = Field(default_factory=dict)

    @field_validator("profile")
    @classmethod
    def _four_types(cls, profile: dict[str, Level] | None) -> dict[str, Level] | None:
        if profile is not None and set(profile) != {v.value for v in VALIDITY_TYPES}:
            raise ValueError(f"profile must give exactly {', '.join(VALIDITY_TYPES)}")
        return profile

    @field_validator("threats")
    @classmethod
    def _known_threats(cls, threats: list[str]) -> list[str]:
        known = {rule.id for rule in load_rules().threats}
        unknown = sorted(set(threats) - known)
        if unknown:
            raise ValueError(f"unknown threat ids {unknown} (not in the rule table)")
        return threats

    @model_validator(mode="after")
    def _scope_consistent(self) -> GoldLabel:
        if self.in_scope and self.profile is None:
            raise ValueError("an in-scope paper needs a profile")
        if not self.in_scope and (self.profile is not None or self.threats):
            raise ValueError("an out-of-scope paper has no profile and no threats")
        return self


@dataclass(frozen=True)
class GoldPaper:
    line: int
    label: GoldLabel
    design: Design

    @property
    def id(self) -> str:
        return self.label.id


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def load_gold(path: Path | str) -> list[GoldPaper]:
    """Read and validate a gold file; the first bad line raises `InputError` naming it."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), f"cannot read gold file ({exc.strerror or exc})") from None
    papers: list[GoldPaper] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a gold line must be a JSON object")
            label = GoldLabel.model_validate(record)
            design = Design.from_codebook(record)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"line {number}: not valid JSON ({exc.msg})") from None
        except ValidationError as exc:
            raise InputError(str(path), f"line {number}: {_first_error(exc)}") from None
        except ValueError as exc:
            raise InputError(str(path), f"line {number}: {exc}") from None
        if label.id in seen:
            raise InputError(str(path), f"line {number}: id {label.id!r} is labelled twice")
        seen.add(label.id)
        papers.append(GoldPaper(number, label, design))
    if not papers:
        raise InputError(str(path), "the gold file holds no labels")
    return papers


# --- predictions and per-paper scores ---------------------------------------------------------


@dataclass
class Prediction:
    """What the screener said about one paper, reduced to what the metrics need."""

    design: Design | None
    profile: dict[str, str] | None
    threats: dict[str, str]  # headline threat id -> level after mitigation
    # Headline strategies (those the profile rests on); None: take the design's list.
    strategies: frozenset[str] | None = None
    quotes: int = 0
    grounded: int = 0
    seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    extractor: str | None = None
    parser: str | None = None  # as the document reports it (a fallback says so)


def _profile_levels(profile: Profile | None) -> dict[str, str] | None:
    if profile is None or not profile.applicable:
        return None
    return {v.value: profile.level(v).value for v in VALIDITY_TYPES}


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def grounding_counts(evidence: Sequence[Evidence], document_text: str) -> tuple[int, int]:
    """(quotes, quotes found verbatim after whitespace normalisation)."""
    haystack = _collapse(document_text)
    quotes = [_collapse(e.quote) for e in evidence if e.quote.strip()]
    return len(quotes), sum(1 for quote in quotes if quote in haystack)


def prediction_from_record(record: Record, document: Document | None) -> Prediction:
    quotes = grounded = 0
    if record.design is not None and document is not None:
        quotes, grounded = grounding_counts(record.design.all_evidence(), document.text())
    return Prediction(
        design=record.design,
        profile=_profile_levels(record.profile),
        threats=_headline_threats(record.threats),
        strategies=_headline_strategies(record.profile),
        quotes=quotes,
        grounded=grounded,
        seconds=sum(record.timings_ms.values()) / 1000,
        tokens_in=record.usage.tokens_in,
        tokens_out=record.usage.tokens_out,
        cost_usd=record.usage.cost_usd,
        error=record.error,
        extractor=record.extractor,
        parser=record.parser,
    )


def prediction_from_judgment(design: Design, judgment: Judgment) -> Prediction:
    return Prediction(
        design=design,
        profile=_profile_levels(judgment.profile),
        threats=_headline_threats(judgment.threats),
        strategies=_headline_strategies(judgment.profile),
    )


def _headline_threats(threats: Sequence[Threat]) -> dict[str, str]:
    """Threats of the headline strategies (gold lists only those, codebook rule 9)."""
    return {t.id: t.level.value for t in threats if t.headline}


def _headline_strategies(profile: Profile | None) -> frozenset[str] | None:
    if profile is None or not profile.rows:
        return None
    return frozenset(row.strategy.value for row in profile.rows)


@dataclass
class PaperScore:
    """Gold and predicted values of one paper, side by side (all plain strings and sets)."""

    id: str
    gold_in: bool
    pred_in: bool
    gold_strategies: frozenset[str]
    pred_strategies: frozenset[str]
    gold_primary: str
    pred_primary: str
    gold_proxies: tuple[str, ...]
    pred_proxies: tuple[str, ...]
    gold_identification: frozenset[str]
    pred_identification: frozenset[str]
    treatment_f1: float
    outcome_f1: float
    gold_profile: dict[str, str] | None
    pred_profile: dict[str, str] | None
    gold_threats: frozenset[str]
    gold_details: dict[str, Any]
    pred_details: dict[str, Any]
    pred_threats: frozenset[str]
    quotes: int = 0
    grounded: int = 0
    seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    failed: bool = False
    mismatches: list[str] = field(default_factory=list)


def _design_values(design: Design | None) -> dict[str, Any]:
    if design is None:
        return {
            "in": False,
            "strategies": frozenset(),
            "primary": NO_STRATEGY,
            "proxies": (),
            "identification": frozenset(),
            "treatment": None,
            "outcome": None,
            "details": dict.fromkeys(DETAIL_FIELDS),
        }
    return {
        "in": design.in_scope.value is True,
        "strategies": frozenset(s.value for s in design.strategy_names()),
        "primary": design.primary_strategy.value if design.primary_strategy else NO_STRATEGY,
        "proxies": tuple(sorted(p.kind.value for p in design.proxies)),
        "identification": frozenset(m.value for m in design.identification_names()),
        "treatment": design.treatment.value,
        "outcome": design.outcome.value,
        "details": {name: getattr(design, name).value for name in DETAIL_FIELDS},
    }


def score_paper(gold: GoldPaper, prediction: Prediction) -> PaperScore:
    g, p = _design_values(gold.design), _design_values(prediction.design)
    if prediction.strategies is not None:
        # Strategies that are only "also present" do not shape the verdict (codebook rule 9).
        p["strategies"] = prediction.strategies
    gold_profile = (
        {k: v.value for k, v in gold.label.profile.items()} if gold.label.profile else None
    )
    score = PaperScore(
        id=gold.id,
        gold_in=g["in"],
        pred_in=p["in"],
        gold_strategies=g["strategies"],
        pred_strategies=p["strategies"],
        gold_primary=g["primary"],
        pred_primary=p["primary"],
        gold_proxies=g["proxies"],
        pred_proxies=p["proxies"],
        gold_identification=g["identification"],
        pred_identification=p["identification"],
        treatment_f1=metrics.token_f1(p["treatment"], g["treatment"]),
        outcome_f1=metrics.token_f1(p["outcome"], g["outcome"]),
        gold_profile=gold_profile,
        pred_profile=prediction.profile,
        gold_threats=frozenset(gold.label.threats),
        gold_details=g["details"],
        pred_details=p["details"],
        pred_threats=frozenset(prediction.threats),
        quotes=prediction.quotes,
        grounded=prediction.grounded,
        seconds=prediction.seconds,
        tokens_in=prediction.tokens_in,
        tokens_out=prediction.tokens_out,
        cost_usd=prediction.cost_usd,
        failed=prediction.error is not None,
    )
    score.mismatches = _mismatches(score)
    return score


def _mismatches(s: PaperScore) -> list[str]:
    checks = {
        "in_scope": s.gold_in != s.pred_in,
        "strategies": s.gold_strategies != s.pred_strategies,
        "primary_strategy": s.gold_in and s.gold_primary != s.pred_primary,
        "profile": s.gold_profile != s.pred_profile,
        "threats": s.gold_threats != s.pred_threats,
    }
    return [name for name, differs in checks.items() if differs]


# --- aggregation ------------------------------------------------------------------------------

# Flat metric names that are counts: reported, but given no confidence interval.
_COUNT_SUFFIXES = ("support", "tp", "fp", "fn", "n", "quotes", "n_papers", "primary_n")


def _put_prf(out: dict[str, Any], prefix: str, result: metrics.PRF, counts: bool = True) -> None:
    out[f"{prefix}.precision"] = result.precision
    out[f"{prefix}.recall"] = result.recall
    out[f"{prefix}.f1"] = result.f1
    if counts:
        out[f"{prefix}.support"] = result.support
        out[f"{prefix}.tp"], out[f"{prefix}.fp"], out[f"{prefix}.fn"] = (
            result.tp,
            result.fp,
            result.fn,
        )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def design_metrics(scores: Sequence[PaperScore]) -> dict[str, Any]:
    """Scope, strategies, primary strategy, proxies, identification, treatment and outcome."""
    out: dict[str, Any] = {}
    scope = [({1} if s.gold_in else set(), {1} if s.pred_in else set()) for s in scores]
    _put_prf(out, "in_scope", metrics.micro_prf(scope))
    pairs = [(s.gold_strategies, s.pred_strategies) for s in scores]
    classes = [c.value for c in Strategy]
    per_class = metrics.per_class_prf(pairs, classes)
    for name, result in per_class.items():
        _put_prf(out, f"strategies.per_class.{name}", result)
    micro = metrics.micro_prf(pairs)
    out["strategies.micro_precision"], out["strategies.micro_recall"] = (
        micro.precision,
        micro.recall,
    )
    out["strategies.micro_f1"] = micro.f1
    present = [c for c in classes if per_class[c].support > 0]
    out["strategies.macro_f1"] = metrics.macro_f1(per_class, present)
    out["strategies.exact_match"] = metrics.accuracy(
        [s.gold_strategies for s in scores], [s.pred_strategies for s in scores]
    )
    in_gold = [s for s in scores if s.gold_in]
    out["primary_accuracy"] = metrics.accuracy(
        [s.gold_primary for s in in_gold], [s.pred_primary for s in in_gold]
    )
    out["primary_n"] = len(in_gold)
    _put_prf(
        out, "proxies", metrics.micro_prf((s.gold_proxies, s.pred_proxies) for s in scores), False
    )
    _put_prf(
        out,
        "identification",
        metrics.micro_prf((s.gold_identification, s.pred_identification) for s in scores),
        False,
    )
    out["treatment.token_f1"] = _mean([s.treatment_f1 for s in in_gold])
    out["outcome.token_f1"] = _mean([s.outcome_f1 for s in in_gold])
    out["treatment.n"] = out["outcome.n"] = len(in_gold)
    for name in DETAIL_FIELDS:
        labelled = [s for s in in_gold if s.gold_details[name] is not None]
        out[f"details.{name}.accuracy"] = metrics.accuracy(
            [s.gold_details[name] for s in labelled], [s.pred_details[name] for s in labelled]
        )
        out[f"details.{name}.n"] = len(labelled)
    return out


def judgment_metrics(scores: Sequence[PaperScore]) -> dict[str, Any]:
    """Profile agreement, key-threat detection and threat ids (also used for the ablation)."""
    out: dict[str, Any] = {}
    both = [s for s in scores if s.gold_profile is not None and s.pred_profile is not None]
    for validity in (v.value for v in VALIDITY_TYPES):
        gold = [s.gold_profile[validity] for s in both]  # type: ignore[index]
        pred = [s.pred_profile[validity] for s in both]  # type: ignore[index]
        out[f"profile.{validity}.accuracy"] = metrics.accuracy(gold, pred)
        out[f"profile.{validity}.kappa"] = metrics.quadratic_kappa(gold, pred, LEVELS)
        out[f"profile.{validity}.n"] = len(both)
        key_pairs = [
            (
                {1} if (s.gold_profile or {}).get(validity) == "key" else set(),
                {1} if (s.pred_profile or {}).get(validity) == "key" else set(),
            )
            for s in scores
        ]
        _put_prf(out, f"key_threats.{validity}", metrics.micro_prf(key_pairs))
    out["profile.exact_match"] = metrics.accuracy(
        [s.gold_profile for s in both], [s.pred_profile for s in both]
    )
    out["profile.n"] = len(both)
    _put_prf(out, "threat_ids", metrics.micro_prf((s.gold_threats, s.pred_threats) for s in scores))
    return out


def run_metrics(scores: Sequence[PaperScore]) -> dict[str, Any]:
    out: dict[str, Any] = {"n_papers": len(scores)}
    out.update(design_metrics(scores))
    out.update(judgment_metrics(scores))
    quotes = sum(s.quotes for s in scores)
    out["grounding_rate"] = sum(s.grounded for s in scores) / quotes if quotes else None
    out["grounding.quotes"] = quotes
    n = len(scores)
    out["cost.seconds_per_paper"] = sum(s.seconds for s in scores) / n if n else None
    out["cost.tokens_in_per_paper"] = sum(s.tokens_in for s in scores) / n if n else None
    out["cost.tokens_out_per_paper"] = sum(s.tokens_out for s in scores) / n if n else None
    out["cost.usd_per_paper"] = sum(s.cost_usd for s in scores) / n if n else None
    out["cost.usd_total"] = sum(s.cost_usd for s in scores)
    return out


def label_metrics(scores: Sequence[PaperScore]) -> dict[str, Any]:
    """The metrics that two label files can be compared on (no cost, no grounding)."""
    return {"n_papers": len(scores), **design_metrics(scores), **judgment_metrics(scores)}


def _is_count(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in _COUNT_SUFFIXES or name == "cost.usd_total"


def with_intervals(
    scores: Sequence[PaperScore], compute: Any, resamples: int, seed: int
) -> dict[str, Any]:
    """Point estimates of `compute(scores)` nested by dotted name, each with a `<name>_ci`."""
    flat = compute(scores)

    def statistic(sample: Sequence[int]) -> dict[str, float | None]:
        values = compute([scores[i] for i in sample])
        return {k: v for k, v in values.items() if not _is_count(k)}

    intervals = metrics.bootstrap_ci(len(scores), statistic, resamples, seed)
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        _set(nested, name, _round(value))
        if not _is_count(name):
            ci = intervals.get(name)
            _set(nested, name + "_ci", [_round(ci[0]), _round(ci[1])] if ci else None)
    return nested


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


# --- the run ----------------------------------------------------------------------------------


@dataclass
class EvalConfig:
    gold: Path
    pdfs: Path
    extractor: str
    parser: str
    resamples: int = 1000
    seed: int = 0
    # A second, independent label file for the same papers: the human ceiling in the report.
    ceiling: Path | None = None
    name: str | None = None  # report file stem; default <extractor>-<parser>-<date>


def _words(text: str | None, limit: int = MAX_WORDS) -> str | None:
    """At most `limit` words of a text taken from a paper (committed reports stay quote-free)."""
    if text is None:
        return None
    parts = text.split()
    return " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


def _locations(evidence: Sequence[Evidence]) -> list[str]:
    found = []
    for item in evidence:
        where = f"p.{item.page}" if item.page is not None else "p.?"
        if item.section:
            where += f" §{_words(item.section, 6)}"
        if where not in found:
            found.append(where)
    return found


def _evidence_locations(design: Design | None) -> dict[str, list[str]]:
    if design is None:
        return {}
    where: dict[str, list[str]] = {}
    for name in ("in_scope", "treatment", "outcome", "target_recipe", "repeated_runs"):
        places = _locations(getattr(design, name).evidence)
        if places:
            where[name] = places
    for use in design.strategies:
        places = _locations(use.evidence)
        if places:
            where[f"strategy:{use.strategy.value}"] = places
    proxies = _locations([e for p in design.proxies for e in p.evidence])
    if proxies:
        where["proxies"] = proxies
    return where


def paper_entry(
    gold: GoldPaper, prediction: Prediction | None, score: PaperScore | None
) -> dict[str, Any]:
    """One paper of the report: gold vs predicted values, evidence locations, scores."""
    entry: dict[str, Any] = {"id": gold.id, "title": gold.label.title}
    entry["gold"] = {
        "in_scope": gold.label.in_scope,
        "strategies": sorted(s.value for s in gold.design.strategy_names()),
        "primary_strategy": gold.design.primary_strategy.value
        if gold.design.primary_strategy
        else None,
        "treatment": gold.design.treatment.value,
        "outcome": gold.design.outcome.value,
        "profile": score.gold_profile if score else None,
        "threats": sorted(gold.label.threats),
        "details": score.gold_details if score else None,
        "evidence": gold.label.evidence,
    }
    if prediction is None or score is None:
        entry["status"] = "missing_pdf"
        return entry
    design = prediction.design
    entry["status"] = "error" if prediction.error else "ok"
    entry["error"] = prediction.error
    entry["predicted"] = {
        "in_scope": design.in_scope.value if design else None,
        "strategies": sorted(score.pred_strategies),
        "primary_strategy": None if score.pred_primary == NO_STRATEGY else score.pred_primary,
        "treatment": _words(design.treatment.value) if design else None,
        "outcome": _words(design.outcome.value) if design else None,
        "profile": prediction.profile,
        "threats": dict(sorted(prediction.threats.items())),
        "details": score.pred_details,
        "evidence_locations": _evidence_locations(design),
    }
    entry["scores"] = {
        "treatment_f1": round(score.treatment_f1, 4),
        "outcome_f1": round(score.outcome_f1, 4),
        "quotes": score.quotes,
        "grounded": score.grounded,
        "seconds": round(score.seconds, 3),
    }
    entry["disagreements"] = score.mismatches
    return entry


def rules_only(golds: Sequence[GoldPaper], resamples: int, seed: int) -> dict[str, Any]:
    """The gold designs judged by the rules, compared with the gold profiles and threats."""
    scores: list[PaperScore] = []
    disagreements: list[dict[str, Any]] = []
    for gold in golds:
        prediction = prediction_from_judgment(gold.design, judge(gold.design))
        score = score_paper(gold, prediction)
        scores.append(score)
        differs = [m for m in score.mismatches if m in ("profile", "threats")]
        if differs:
            disagreements.append(
                {
                    "id": gold.id,
                    "fields": differs,
                    "gold_profile": score.gold_profile,
                    "rules_profile": score.pred_profile,
                    "gold_threats": sorted(score.gold_threats),
                    "rules_threats": dict(sorted(prediction.threats.items())),
                }
            )
    result = with_intervals(
        scores, lambda s: {"n_papers": len(s), **judgment_metrics(s)}, resamples, seed
    )
    result["disagreements"] = disagreements
    return result


def primary_confusion(scores: Sequence[PaperScore]) -> dict[str, Any]:
    """Confusion matrix of primary strategies over papers in scope in gold (rows = gold)."""
    in_gold = [s for s in scores if s.gold_in]
    order = [c.value for c in Strategy] + [NO_STRATEGY]
    used = {s.gold_primary for s in in_gold} | {s.pred_primary for s in in_gold}
    labels = [label for label in order if label in used]
    matrix = metrics.confusion_matrix(
        [s.gold_primary for s in in_gold], [s.pred_primary for s in in_gold], labels
    )
    return {"labels": labels, "matrix": matrix}


@dataclass
class _Screened:
    scores: list[PaperScore] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extractors: set[str] = field(default_factory=set)
    parsers: set[str] = field(default_factory=set)
    extraction: dict[str, Any] = field(default_factory=dict)


def _screen_one(path: Path, parser: Any, extractor: Any, settings: Settings) -> Prediction:
    try:
        record, document = screen_file(path, parser, extractor, settings)
    except Exception as exc:  # noqa: BLE001 - a backend bug on one paper must not end the run
        record, document = (
            Record(source=str(path), error=f"{path}: {type(exc).__name__}: {exc}"),
            None,
        )
    return prediction_from_record(record, document)


def _screen_gold(
    golds: Sequence[GoldPaper], config: EvalConfig, settings: Settings, progress: Any
) -> _Screened:
    from screener.extract import get_extractor
    from screener.parse import get_parser

    parser = get_parser(config.parser, settings)
    extractor = get_extractor(config.extractor, settings)
    done = _Screened()
    for number, gold in enumerate(golds, start=1):
        prefix = f"[{number}/{len(golds)}] {gold.id}"
        path = config.pdfs / f"{gold.id}.pdf"
        if not path.is_file():
            done.missing.append(gold.id)
            done.entries.append(paper_entry(gold, None, None))
            _report(progress, f"{prefix}: PDF not found, skipped")
            continue
        prediction = _screen_one(path, parser, extractor, settings)
        done.extraction = dict(getattr(extractor, "last_info", None) or done.extraction)
        done.extractors.update([prediction.extractor] if prediction.extractor else [])
        done.parsers.update([prediction.parser] if prediction.parser else [])
        score = score_paper(gold, prediction)
        done.scores.append(score)
        done.entries.append(paper_entry(gold, prediction, score))
        status = f"error: {prediction.error}" if prediction.error else f"{prediction.seconds:.1f}s"
        _report(progress, f"{prefix}: {status}")
    return done


def evaluate(
    config: EvalConfig, settings: Settings | None = None, progress: Any = None
) -> dict[str, Any]:
    """Screen every gold paper whose PDF exists and compute the full report object."""
    golds = load_gold(config.gold)
    if not config.pdfs.is_dir():
        raise InputError(str(config.pdfs), "PDF folder not found")
    if not any((config.pdfs / f"{gold.id}.pdf").is_file() for gold in golds):
        raise InputError(str(config.pdfs), f"holds no <id>.pdf of the {len(golds)} gold papers")
    settings = settings or load_settings(parser=config.parser, extractor=config.extractor)
    done = _screen_gold(golds, config, settings, progress)
    extractor_info = done.extraction
    result: dict[str, Any] = {
        "extractor": config.extractor,
        "parser": config.parser,
        "extractors_used": sorted(done.extractors),
        "parsers_used": sorted(done.parsers),
        "rules_version": RULES_VERSION,
        "date": datetime.now(UTC).date().isoformat(),
        "gold": {"path": config.gold.as_posix(), "n_labels": len(golds)},
        "bootstrap": {"resamples": config.resamples, "seed": config.seed, "level": 0.95},
        "missing_pdfs": done.missing,
        "failed": [s.id for s in done.scores if s.failed],
    }
    if config.name:
        result["name"] = config.name
    extraction = _extraction_facts(extractor_info)
    if extraction:
        result["extraction"] = extraction
    result.update(with_intervals(done.scores, run_metrics, config.resamples, config.seed))
    result["primary_confusion"] = primary_confusion(done.scores)
    result["rules_only"] = rules_only(golds, config.resamples, config.seed)
    if config.ceiling is not None:
        scored = {s.id for s in done.scores}
        result["ceiling"] = agreement(
            config.gold, config.ceiling, config.resamples, config.seed, only=scored
        )
    # Confusion counts per binary target: the error rates `screener survey --calibration` uses.
    result["calibration"] = calibration.evaluation_block(
        done.scores, config.extractor, done.extractors, done.parsers, RULES_VERSION
    )
    result["papers"] = done.entries
    return result


def _extraction_facts(info: dict[str, Any]) -> dict[str, Any]:
    """Model, prompt and schema of an LLM evaluation (what the numbers belong to)."""
    keys = ("model", "prompt", "prompt_sha256", "schema_version")
    return {k: info[k] for k in keys if info.get(k)}


# --- agreement between two label files ---------------------------------------------------------


def prediction_from_label(paper: GoldPaper) -> Prediction:
    """A label read as if it were a screening (threat levels are not part of a label)."""
    return Prediction(
        design=paper.design,
        profile={k: v.value for k, v in paper.label.profile.items()}
        if paper.label.profile
        else None,
        threats=dict.fromkeys(paper.label.threats, "listed"),
    )


def agreement(
    reference: Path,
    other: Path,
    resamples: int = 1000,
    seed: int = 0,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """The evaluation's label metrics between two label files, over the papers both label.

    `reference` plays the part of gold; the metrics that are not symmetric (precision and
    recall) read `other` as the prediction. `only` restricts the papers (e.g. to those an
    evaluation scored).
    """
    first, second = load_gold(reference), {g.id: g for g in load_gold(other)}
    ids = [g.id for g in first]
    common = [g for g in first if g.id in second and (only is None or g.id in only)]
    scores = [score_paper(g, prediction_from_label(second[g.id])) for g in common]
    result: dict[str, Any] = {
        "reference": {"path": reference.as_posix(), "n_labels": len(first)},
        "other": {"path": other.as_posix(), "n_labels": len(second)},
        "only_reference": sorted(set(ids) - set(second)),
        "only_other": sorted(set(second) - set(ids)),
        "bootstrap": {"resamples": resamples, "seed": seed, "level": 0.95},
    }
    result.update(with_intervals(scores, label_metrics, resamples, seed))
    result["primary_confusion"] = primary_confusion(scores)
    result["disagreements"] = [{"id": s.id, "fields": s.mismatches} for s in scores if s.mismatches]
    return result


def _report(progress: Any, message: str) -> None:
    if progress is not None:
        progress(message)
