"""The screener's own error rates, and survey shares corrected for them.

A survey counts how often the screener *says* a paper uses a strategy or has a key threat. The
screener misclassifies, so that raw share is biased and its bootstrap interval, which only
knows about sampling error, is too narrow. This module measures the misclassification on the
gold set (`screener eval` writes it as the `calibration` block of its JSON) and undoes it.

Targets are binary facts about one paper, defined identically for a gold label and for a
screening, and always over *all* papers (an out-of-scope paper is negative for every target but
`in_scope`), so that each one is a plain binary classifier with one sensitivity and specificity:

- `in_scope`
- `strategy:<name>`: in scope and uses that strategy (the survey's `strategies` column)
- `key:<validity>`: in scope and the profile puts that validity type at `key`

The correction is Rogan and Gladen's (1978): with q the screener's positive share,
se its sensitivity and sp its specificity, the true share is (q + sp - 1) / (se + sp - 1),
clipped to [0, 1]. A survey reports shares among in-scope papers, so the corrected share of a
strategy is the corrected prevalence of `strategy:<name>` over that of `in_scope`.

Intervals come from one joint bootstrap: every resample redraws the screened papers *and* the
gold papers behind se and sp, so the uncertainty about the error rates reaches the interval.
The correction divides by Youden's J = se + sp - 1; when J is small (or undefined in some
resamples: no gold positive or negative drawn, or J <= 0), the corrected number is unstable and
the row is flagged instead of being reported as if it were precise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from screener.design import Strategy
from screener.errors import ScreenerError
from screener.profile import VALIDITY_TYPES

SCHEMA_VERSION = 1
IN_SCOPE = "in_scope"
STRATEGY_TARGETS: tuple[str, ...] = tuple(f"strategy:{s.value}" for s in Strategy)
KEY_TARGETS: tuple[str, ...] = tuple(f"key:{v.value}" for v in VALIDITY_TYPES)
TARGETS: tuple[str, ...] = (IN_SCOPE, *STRATEGY_TARGETS, *KEY_TARGETS)

DEFAULT_MIN_YOUDEN = 0.3  # below this J the correction multiplies the noise more than ~3x
# A row is also unstable when the correction is undefined in more than this share of the
# resamples: its percentile interval would then describe a selected subset of them.
MAX_UNDEFINED_SHARE = 0.025
_CHUNK = 250  # resamples drawn at once
_FALLBACK = re.compile(r"\s*\(fallback:.*\)\s*$", re.DOTALL)


# --- targets and confusion counts (pure, per paper) ---------------------------------------------


def paper_targets(
    in_scope: bool, strategies: Iterable[str], profile: Mapping[str, str] | None
) -> frozenset[str]:
    """The targets that are positive for one paper (gold label or screening alike)."""
    if not in_scope:
        return frozenset()
    found = {IN_SCOPE}
    found.update(f"strategy:{s}" for s in strategies)
    found.update(f"key:{v}" for v, level in (profile or {}).items() if level == "key")
    return frozenset(found) & frozenset(TARGETS)


@dataclass(frozen=True)
class Confusion:
    """One target's 2x2 table against gold: rows gold, columns predicted."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def sensitivity(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def specificity(self) -> float | None:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else None

    @property
    def youden(self) -> float | None:
        se, sp = self.sensitivity, self.specificity
        return None if se is None or sp is None else se + sp - 1

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "sensitivity": rounded(self.sensitivity),
            "specificity": rounded(self.specificity),
        }


def confusion_counts(
    pairs: Sequence[tuple[frozenset[str], frozenset[str]]], targets: Sequence[str] = TARGETS
) -> dict[str, Confusion]:
    """Per target, the confusion counts of (gold positives, predicted positives) pairs."""
    counts = {}
    for target in targets:
        tp = sum(1 for g, p in pairs if target in g and target in p)
        fp = sum(1 for g, p in pairs if target not in g and target in p)
        fn = sum(1 for g, p in pairs if target in g and target not in p)
        counts[target] = Confusion(tp, fp, fn, len(pairs) - tp - fp - fn)
    return counts


def extractor_id(name: str | None) -> str | None:
    """An extractor or parser name without its '(fallback: reason)' note."""
    return None if name is None else _FALLBACK.sub("", name)


def configuration(
    extractor: str,
    extractors_used: Iterable[str],
    parsers_used: Iterable[str],
    rules_version: str,
    prompt: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The versions a calibration belongs to (what `check_configuration` compares).

    `extractor` is the configured one (`llm:MODEL` for an LLM); the names that answered are
    kept beside it, because an LLM run that fell back to the heuristic on some papers measured
    that mixture. `prompt` is the (label, sha256) an LLM extractor used.
    """
    from screener import __version__

    answered = sorted({n for n in extractors_used if not _FALLBACK.search(n)})
    return {
        "extractor": answered[0] if len(answered) == 1 else extractor,
        "extractors_used": sorted(set(extractors_used)),
        "parser": sorted({str(extractor_id(n)) for n in parsers_used}),
        "prompt": None if prompt is None else {"label": prompt[0], "sha256": prompt[1]},
        "rules_version": rules_version,
        "screener_version": __version__,
    }


def llm_prompt() -> tuple[str, str]:
    """(label, sha256) of the prompt the LLM extractor loads."""
    from screener.extract.llm import PROMPT_NAME
    from screener.extract.prompt import load_prompt

    prompt = load_prompt(PROMPT_NAME)
    return prompt.label, prompt.sha256


def evaluation_block(
    scores: Iterable[Any],
    extractor: str,
    extractors_used: Iterable[str],
    parsers_used: Iterable[str],
    rules_version: str,
) -> dict[str, Any]:
    """`calibration_block` from the evaluation's per-paper scores (`evaluate.PaperScore`)."""
    papers = [
        (
            s.id,
            paper_targets(s.gold_in, s.gold_strategies, s.gold_profile),
            paper_targets(s.pred_in, s.pred_strategies, s.pred_profile),
        )
        for s in scores
    ]
    prompt = llm_prompt() if extractor == "llm" else None
    versions = configuration(extractor, extractors_used, parsers_used, rules_version, prompt)
    return calibration_block(papers, versions)


def calibration_block(
    papers: Sequence[tuple[str, frozenset[str], frozenset[str]]], versions: Mapping[str, Any]
) -> dict[str, Any]:
    """The `calibration` block of an evaluation's JSON from (id, gold, predicted) per paper.

    The per-paper targets are kept (not only the counts) so that a survey can resample the
    gold papers behind the error rates.
    """
    counts = confusion_counts([(gold, pred) for _, gold, pred in papers])
    return {
        "schema": SCHEMA_VERSION,
        "versions": dict(versions),
        "n_papers": len(papers),
        "targets": {target: counts[target].as_dict() for target in TARGETS},
        "papers": [
            {"id": pid, "gold": _ordered(gold), "predicted": _ordered(pred)}
            for pid, gold, pred in papers
        ],
    }


def _ordered(targets: frozenset[str]) -> list[str]:
    return [t for t in TARGETS if t in targets]


# --- a calibration read back ----------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Gold and predicted targets of the gold papers, as boolean matrices (papers x TARGETS)."""

    source: str
    versions: dict[str, Any]
    ids: tuple[str, ...]
    gold: np.ndarray
    predicted: np.ndarray

    @property
    def n_papers(self) -> int:
        return len(self.ids)

    def confusion(self, target: str) -> Confusion:
        column = TARGETS.index(target)
        g, p = self.gold[:, column], self.predicted[:, column]
        return Confusion(
            int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum()), int((~g & ~p).sum())
        )

    @classmethod
    def from_pairs(
        cls,
        gold: Sequence[frozenset[str]],
        predicted: Sequence[frozenset[str]],
        source: str = "<memory>",
        versions: Mapping[str, Any] | None = None,
    ) -> Calibration:
        return cls(
            source=source,
            versions=dict(versions or {}),
            ids=tuple(str(i) for i in range(len(gold))),
            gold=_matrix(gold),
            predicted=_matrix(predicted),
        )


def _matrix(rows: Sequence[Iterable[str]]) -> np.ndarray:
    matrix = np.zeros((len(rows), len(TARGETS)), dtype=bool)
    for i, row in enumerate(rows):
        for target in row:
            matrix[i, TARGETS.index(target)] = True
    return matrix


def load_calibration(path: Path | str) -> Calibration:
    """The calibration block of an evaluation JSON; a bad file is one `ScreenerError` line."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScreenerError(f"{path}: calibration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScreenerError(f"{path}: cannot read the calibration ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ScreenerError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    block = data.get("calibration") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise ScreenerError(
            f"{path}: no calibration block (an evaluation JSON from `screener eval` has one; "
            "re-run the evaluation)"
        )
    if block.get("schema") != SCHEMA_VERSION:
        raise ScreenerError(
            f"{path}: calibration schema {block.get('schema')!r} is not {SCHEMA_VERSION}"
        )
    try:
        papers = block["papers"]
        unknown = {t for p in papers for t in (*p["gold"], *p["predicted"])} - set(TARGETS)
        if unknown:
            raise ValueError(f"unknown targets {sorted(unknown)}")
        return Calibration(
            source=str(path),
            versions=dict(block.get("versions") or {}),
            ids=tuple(str(p["id"]) for p in papers),
            gold=_matrix([p["gold"] for p in papers]),
            predicted=_matrix([p["predicted"] for p in papers]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScreenerError(f"{path}: malformed calibration block ({exc})") from None


# --- version check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchConfiguration:
    """What produced a batch's records: each a mapping of value -> number of records."""

    extractors: dict[str, int]
    parsers: dict[str, int]
    rules_versions: dict[str, int]
    prompts: dict[str, int] | None  # prompt sha256 -> records; None when it could not be read


def check_configuration(calibration: Calibration, batch: BatchConfiguration) -> list[str]:
    """Sentences, one per difference that makes the calibration not this batch's error rates.

    Extractor, prompt and rules differences are `mismatches` (the caller refuses them unless
    told otherwise); a different parser is returned by `parser_notes` and only reported.
    """
    versions = calibration.versions
    problems = []
    problems += _differs(
        "extractor", versions.get("extractor"), batch.extractors, lambda n: extractor_id(n)
    )
    problems += _differs("rules version", versions.get("rules_version"), batch.rules_versions)
    prompt = versions.get("prompt") or None
    if prompt and batch.prompts is not None:
        problems += _differs("prompt", prompt.get("sha256"), batch.prompts, shown=prompt["label"])
    return problems


def parser_notes(calibration: Calibration, batch: BatchConfiguration) -> list[str]:
    measured = set(calibration.versions.get("parser") or [])
    used = {extractor_id(n) for n in batch.parsers}
    other = sorted(p for p in used - measured if p)
    if not measured or not other:
        return []
    return [
        f"the calibration was measured with parser {', '.join(sorted(measured))}; "
        f"this batch also used {', '.join(other)}"
    ]


def _differs(
    what: str,
    expected: Any,
    found: Mapping[str, int],
    normalise: Any = None,
    shown: str | None = None,
) -> list[str]:
    if expected is None:
        return [f"the calibration does not record its {what}"]
    normalise = normalise or (lambda value: value)
    total = sum(found.values())
    # A record that fell back to another extractor counts with the one it fell back from.
    other = {
        name: n
        for name, n in found.items()
        if name is not None and not _FALLBACK.search(name) and normalise(name) != expected
    }
    if not other:
        return []
    names = ", ".join(sorted(str(name) for name in other))
    return [
        f"the calibration was measured for {what} {shown or expected}, but "
        f"{sum(other.values())} of {total} batch records have {names}"
    ]


# --- the correction -----------------------------------------------------------------------------


def rogan_gladen(q: Any, sensitivity: Any, specificity: Any) -> Any:
    """Corrected prevalence, clipped to [0, 1]; NaN where se + sp - 1 <= 0 or undefined."""
    q, se, sp = (np.asarray(x, dtype=float) for x in (q, sensitivity, specificity))
    youden = se + sp - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(youden > 0, (q + sp - 1) / youden, np.nan)
    return np.clip(value, 0.0, 1.0)


def _patterns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows and how many papers have each. Resampling papers with replacement is a
    multinomial draw over these patterns, which is exact and far cheaper for large surveys."""
    if len(matrix) == 0:
        return matrix.reshape(0, matrix.shape[1]).astype(float), np.zeros(0)
    rows, counts = np.unique(matrix, axis=0, return_counts=True)
    return rows.astype(float), counts.astype(float)


def _draw(counts: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    total = int(counts.sum())
    return rng.multinomial(total, counts / total, size=size).astype(float)


def _estimates(
    survey: tuple[np.ndarray, np.ndarray],
    gold: tuple[np.ndarray, np.ndarray],
    weights: tuple[np.ndarray, np.ndarray],
    among_in_scope: bool,
) -> dict[str, np.ndarray]:
    """Raw and corrected shares of every target for a batch of resample weights (one row
    per resample). Among in-scope papers, the `in_scope` column stays a share of all papers."""
    (survey_rows, _), (gold_rows, _) = survey, gold
    survey_w, gold_w = weights
    g, p = gold_rows[:, : len(TARGETS)], gold_rows[:, len(TARGETS) :]
    with np.errstate(invalid="ignore", divide="ignore"):
        q = survey_w @ survey_rows / survey_w.sum(axis=1, keepdims=True)
        se = (gold_w @ (g * p)) / (gold_w @ g)
        sp = (gold_w @ ((1 - g) * (1 - p))) / (gold_w @ (1 - g))
    corrected = rogan_gladen(q, se, sp)
    if among_in_scope:
        scope = TARGETS.index(IN_SCOPE)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw_share = q / q[:, [scope]]
            corrected_share = np.clip(corrected / corrected[:, [scope]], 0.0, 1.0)
        raw_share[:, scope], corrected_share[:, scope] = q[:, scope], corrected[:, scope]
        q, corrected = raw_share, corrected_share
    return {"raw": q, "corrected": corrected}


def correct_shares(
    survey: np.ndarray,
    calibration: Calibration,
    reps: int,
    rng: np.random.Generator,
    among_in_scope: bool = True,
    min_youden: float = DEFAULT_MIN_YOUDEN,
) -> pd.DataFrame:
    """Raw and corrected share of every target, with joint-bootstrap 95% intervals.

    `survey` is a boolean (papers x TARGETS) matrix of what the screener said about each
    surveyed paper. With `among_in_scope`, shares are over in-scope papers (the `in_scope`
    row itself stays a share of all papers).
    """
    survey_patterns = _patterns(np.asarray(survey, dtype=bool))
    gold_patterns = _patterns(np.hstack([calibration.gold, calibration.predicted]))
    weights = (survey_patterns[1][None, :], gold_patterns[1][None, :])
    point = _estimates(survey_patterns, gold_patterns, weights, among_in_scope)
    draws = _bootstrap(survey_patterns, gold_patterns, reps, rng, among_in_scope)
    table = _table(point, draws, calibration, len(survey), min_youden)
    if among_in_scope:
        _inherit_scope_instability(table)
    table["unstable"] = table["note"] != ""
    return table


def _bootstrap(
    survey: tuple[np.ndarray, np.ndarray],
    gold: tuple[np.ndarray, np.ndarray],
    reps: int,
    rng: np.random.Generator,
    among_in_scope: bool,
) -> dict[str, np.ndarray]:
    if reps <= 0 or survey[1].sum() == 0 or gold[1].sum() == 0:
        return {}
    pieces: list[dict[str, np.ndarray]] = []
    for start in range(0, reps, _CHUNK):
        size = min(_CHUNK, reps - start)
        weights = (_draw(survey[1], size, rng), _draw(gold[1], size, rng))
        pieces.append(_estimates(survey, gold, weights, among_in_scope))
    return {key: np.vstack([piece[key] for piece in pieces]) for key in pieces[0]}


def _interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2.5% and 97.5% percentiles over defined resamples, and the share left undefined."""
    undefined = np.isnan(values).mean(axis=0)
    low, high = np.full(values.shape[1], np.nan), np.full(values.shape[1], np.nan)
    for column in range(values.shape[1]):
        defined = values[~np.isnan(values[:, column]), column]
        if len(defined):
            low[column], high[column] = np.percentile(defined, [2.5, 97.5])
    return low, high, undefined


def _table(
    point: dict[str, np.ndarray],
    draws: dict[str, np.ndarray],
    calibration: Calibration,
    n: int,
    min_youden: float,
) -> pd.DataFrame:
    nan = np.full(len(TARGETS), np.nan)
    raw_low, raw_high, low, high, undefined = nan, nan, nan, nan, np.zeros(len(TARGETS))
    if draws:
        raw_low, raw_high, _ = _interval(draws["raw"])
        low, high, undefined = _interval(draws["corrected"])
    rows = []
    for i, target in enumerate(TARGETS):
        confusion = calibration.confusion(target)
        rows.append(
            {
                "target": target,
                "n": n,
                "raw": point["raw"][0, i],
                "raw_ci_low": raw_low[i],
                "raw_ci_high": raw_high[i],
                "corrected": point["corrected"][0, i],
                "ci_low": low[i],
                "ci_high": high[i],
                "sensitivity": confusion.sensitivity,
                "specificity": confusion.specificity,
                "youden": confusion.youden,
                "gold_positives": confusion.tp + confusion.fn,
                "gold_negatives": confusion.tn + confusion.fp,
                "undefined_resamples": undefined[i],
            }
        )
    table = pd.DataFrame(rows)
    table["note"] = [_instability(row, min_youden) for row in table.itertuples()]
    return table


def _instability(row: Any, min_youden: float) -> str:
    if not row.gold_positives:
        return "no gold positives: sensitivity unknown"
    if not row.gold_negatives:
        return "no gold negatives: specificity unknown"
    if row.youden < min_youden:
        return f"sensitivity + specificity - 1 = {row.youden:.2f} < {min_youden:.2f}"
    if row.undefined_resamples > MAX_UNDEFINED_SHARE:
        return f"correction undefined in {row.undefined_resamples:.0%} of resamples"
    return ""


def _inherit_scope_instability(table: pd.DataFrame) -> None:
    """A share over in-scope papers is only as stable as the in-scope correction below it."""
    scope_note = table.loc[table["target"] == IN_SCOPE, "note"].iloc[0]
    if not scope_note:
        return
    # It outranks a row's own undefined resamples, which it causes.
    own = table["note"].eq("") | table["note"].str.startswith("correction undefined")
    for index in table.index[(table["target"] != IN_SCOPE) & own]:
        table.at[index, "note"] = f"in-scope correction is unstable ({scope_note})"
