"""Offline heuristic extractor: cue phrases over sentences, weighted by where they stand.

No network and no model. The document is split into sentences once; every cue table in
`screener.extract.cues` is run over the joined sentence text once, and each hit is mapped back to
its sentence, which becomes the verbatim evidence. Cues in the title, abstract and introduction
weigh more than those in the method sections; related work is discounted (it describes other
people's designs) and the references are ignored.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from screener.design import (
    Claim,
    Design,
    Evidence,
    Identification,
    IdentificationUse,
    OutcomeKind,
    Proxy,
    ProxyKind,
    Strategy,
    StrategyUse,
    TreatmentProxyKind,
)
from screener.document import Document
from screener.extract import cues as C
from screener.extract.cues import Cue

MAX_QUOTE = 400
HEADLINE_ZONES = frozenset({"title", "abstract", "intro"})
# Weight of a cue by the part of the paper it stands in.
ZONE_WEIGHTS = {
    "title": 3.0,
    "abstract": 3.0,
    "intro": 2.0,
    "conclusion": 1.5,
    "body": 1.0,
    "caption": 0.7,
    "appendix": 0.4,
    "related": 0.2,
}
ZONE_OF_HEADING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:references|bibliography|literature cited)\b", re.I), "references"),
    (re.compile(r"acknowledg", re.I), "references"),
    (re.compile(r"related work|prior work|previous work|background|literature", re.I), "related"),
    (re.compile(r"^introduction|^overview$", re.I), "intro"),
    (re.compile(r"conclusion|summary|discussion", re.I), "conclusion"),
    (re.compile(r"appendix|supplementa", re.I), "appendix"),
)
# A sentence ends at . ! ? followed by space; these tails are abbreviations, not ends.
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
_ABBREV_TAIL = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|fig|figs|eq|eqs|sec|secs|tab|no|approx|resp|ref|refs|app|thm|def|"
    r"prop|dr|mr|ms|jr|st|viz|ca|resp|incl|esp|al)\.|\b[A-Z]\.|\d\.)$",
    re.IGNORECASE,
)

# Strategy thresholds: the weighted score a strategy needs to be listed.
MIN_SCORE = {
    Strategy.PROXY_MODEL: 7.0,
    Strategy.PROXY_TREATMENT: 6.0,
    Strategy.PROXY_OUTCOME: 6.0,
    Strategy.OBSERVATIONAL: 6.0,
    Strategy.WITHIN_RUN: 5.0,
    Strategy.THEORETICAL_CONTROL: 6.0,
    Strategy.TARGET_EXPERIMENT: 4.0,
}
# A cue repeated many times counts only this often (repetition is not more evidence).
MAX_HITS_PER_CUE = 3


@dataclass(frozen=True)
class Sentence:
    text: str
    page: int | None
    section: str
    zone: str
    weight: float


@dataclass(frozen=True)
class Hit:
    cue: Cue
    sentence: Sentence
    match: str

    @property
    def score(self) -> float:
        return self.cue.weight * self.sentence.weight


def split_sentences(text: str) -> list[str]:
    """Verbatim sentences of a passage; robust to 'e.g.', 'et al.', 'Fig. 3' and decimals."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + 1
        tail = text[max(start, end - 12) : end]
        nxt = text[match.end() : match.end() + 1]
        if _ABBREV_TAIL.search(tail) or (nxt and nxt.islower()):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    piece = text[start:].strip()
    if piece:
        sentences.append(piece)
    return sentences


def trim_quote(sentence: str) -> str:
    """At most MAX_QUOTE characters, cut at a word boundary (still a verbatim substring)."""
    if len(sentence) <= MAX_QUOTE:
        return sentence
    cut = sentence.rfind(" ", 0, MAX_QUOTE)
    return sentence[: cut if cut > 0 else MAX_QUOTE]


def _zone(where: str, after_references: bool) -> str:
    if where in ("title", "abstract", "caption"):
        return where
    for pattern, zone in ZONE_OF_HEADING:
        if pattern.search(where):
            return zone
    return "appendix" if after_references else "body"


class _Scan:
    """The document's sentences joined once, so each cue pattern runs over it in one pass."""

    def __init__(self, document: Document) -> None:
        self.sentences: list[Sentence] = []
        starts: list[int] = []
        chunks: list[str] = []
        offset = 0
        after_references = False
        for where, text, page in document.passages():
            zone = _zone(where, after_references)
            if zone == "references":
                after_references = True
                continue
            for sentence in split_sentences(text):
                self.sentences.append(Sentence(sentence, page, where, zone, ZONE_WEIGHTS[zone]))
                starts.append(offset)
                chunks.append(sentence)
                offset += len(sentence) + 2
        self._starts = starts
        self.text = "\n\n".join(chunks)
        self.lowered = self.text.lower()
        if len(self.lowered) != len(self.text):
            # A few characters lower-case to two; keep offsets aligned with the original.
            self.lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in self.text)
        self._cache: dict[int, list[Hit]] = {}

    def sentence_at(self, offset: int) -> Sentence:
        return self.sentences[bisect_right(self._starts, offset) - 1]

    def hits(self, cue: Cue) -> list[Hit]:
        """One hit per sentence the cue matches, in reading order (cached per cue)."""
        cached = self._cache.get(id(cue))
        if cached is not None:
            return cached
        found: list[Hit] = []
        last = -1
        for match in cue.finditer(self.text, self.lowered):
            index = bisect_right(self._starts, match.start()) - 1
            if index != last:
                found.append(Hit(cue, self.sentences[index], self.text[match.start() : match.end()]))
                last = index
        self._cache[id(cue)] = found
        return found

    def count(self, cue: Cue, zones: Iterable[str] | None = None) -> int:
        """How many sentences (optionally in these zones) the cue matches."""
        wanted = set(zones) if zones is not None else None
        return sum(1 for h in self.hits(cue) if wanted is None or h.sentence.zone in wanted)


def evidence(hit: Hit) -> Evidence:
    section = None if hit.sentence.section in ("title", "abstract", "caption") else hit.sentence.section
    if hit.sentence.section in ("abstract", "title"):
        section = hit.sentence.section
    return Evidence(quote=trim_quote(hit.sentence.text), page=hit.sentence.page, section=section, grounded=True)


def best_evidence(hits: Sequence[Hit], n: int = 2) -> list[Evidence]:
    """The n strongest hits, each from a different sentence."""
    chosen: list[Evidence] = []
    seen: set[str] = set()
    for hit in sorted(hits, key=lambda h: -h.score):
        if hit.sentence.text not in seen:
            seen.add(hit.sentence.text)
            chosen.append(evidence(hit))
        if len(chosen) == n:
            break
    return chosen


def score(hits_by_cue: Iterable[list[Hit]], zones: frozenset[str] | None = None) -> float:
    """Sum of hit scores, each cue counted at most MAX_HITS_PER_CUE times."""
    total = 0.0
    for hits in hits_by_cue:
        selected = [h for h in hits if zones is None or h.sentence.zone in zones]
        total += sum(sorted((h.score for h in selected), reverse=True)[:MAX_HITS_PER_CUE])
    return total


def confidence_from(value: float, scale: float) -> float:
    """Map a cue score to (0.3, 0.95): more and better-placed cues, more confidence."""
    return round(0.3 + 0.65 * (1.0 - math.exp(-value / scale)), 2)


@dataclass
class _StrategyScore:
    strategy: Strategy
    hits: list[Hit]
    total: float
    headline: float


class HeuristicExtractor:
    """Regular-expression extractor; deterministic, offline, a few milliseconds per paper."""

    name = "heuristic"

    @classmethod
    def from_settings(cls, settings: object) -> HeuristicExtractor:
        return cls()

    def extract(self, document: Document) -> Design:
        scan = _Scan(document)
        design = Design()
        in_scope, reason, scope_evidence, scope_conf = self._scope(scan)
        design.in_scope = Claim[bool](
            value=in_scope, evidence=scope_evidence, confidence=scope_conf, note=reason
        )
        design.scope_reason = reason
        if not in_scope:
            design.confidence = "medium" if scope_conf >= 0.6 else "low"
            design.notes = "out of scope: strategies and design fields not extracted"
            return design
        scores = self._strategy_scores(scan)
        self._strategies(design, scores)
        self._phrases(design, scan)
        self._identification(design, scan)
        self._repeated_runs(design, scan)
        self._observational_fields(design, scan)
        self._proxies(design, scan)
        self._details(design, scan)
        top = max((u.confidence for u in design.strategies), default=0.0)
        design.confidence = "high" if top >= 0.8 else "medium" if top >= 0.55 else "low"
        design.notes = "; ".join(
            f"{s.strategy.value}={s.total:.1f} (headline {s.headline:.1f})"
            for s in scores
            if s.total > 0
        )
        return design

    # --- scope ---------------------------------------------------------------------------
    def _scope(self, scan: _Scan) -> tuple[bool, str, list[Evidence], float]:
        sentences = scan.sentences
        if not sentences:
            return False, "no text to read", [], 0.2
        n = len(sentences)
        neural = scan.count(C.NEURAL)
        experiment = scan.count(C.EXPERIMENT)
        theory = scan.count(C.THEORY)
        survey = scan.count(C.SURVEY, ("title", "abstract"))
        fields = [(name, scan.count(p)) for name, p in C.NON_ML_FIELDS]
        field, field_count = max(fields, key=lambda f: f[1])
        first = self._first_sentence(scan)
        if survey:
            quote = self._first_match(scan, C.SURVEY, ("title", "abstract"))
            return False, "survey, overview or position paper", quote, 0.7
        if neural < max(5, 0.03 * n):
            why = f"non-ML paper ({field})" if field_count >= 5 else "no neural-model training or evaluation found"
            return False, why, first, 0.75
        if experiment < max(8, 0.02 * n) or theory > 1.5 * experiment:
            return False, "theory without experiments on trained models", first, 0.6
        quote = self._first_match(scan, C.EXPERIMENT, ("abstract", "intro", "body"))
        return True, "empirical study of a change to model training or evaluation", quote, 0.8

    @staticmethod
    def _first_sentence(scan: _Scan) -> list[Evidence]:
        for sentence in scan.sentences:
            if sentence.zone in ("abstract", "title", "intro", "body") and len(sentence.text.split()) >= 5:
                return [evidence(Hit(C.cue("x", 1.0, "first sentence"), sentence, ""))]
        return []

    @staticmethod
    def _first_match(scan: _Scan, cue: Cue, zones: Sequence[str]) -> list[Evidence]:
        hits = scan.hits(cue)
        for zone in zones:
            for hit in hits:
                if hit.sentence.zone == zone:
                    return [evidence(hit)]
        return []

    # --- strategies ------------------------------------------------------------------------
    @staticmethod
    def _strategy_scores(scan: _Scan) -> list[_StrategyScore]:
        result = []
        for strategy, table in C.STRATEGY_CUES.items():
            per_cue = [scan.hits(c) for c in table]
            result.append(
                _StrategyScore(
                    strategy,
                    [h for hits in per_cue for h in hits],
                    score(per_cue),
                    score(per_cue, HEADLINE_ZONES),
                )
            )
        return result

    @staticmethod
    def _strategies(design: Design, scores: list[_StrategyScore]) -> None:
        chosen = [s for s in scores if s.total >= MIN_SCORE[s.strategy]]
        by_name = {s.strategy: s for s in chosen}
        target = by_name.get(Strategy.TARGET_EXPERIMENT)
        others = [s for s in chosen if s.strategy != Strategy.TARGET_EXPERIMENT]
        # A paper whose headline is a proxy or observational design and whose own
        # experiments are not announced up front keeps only that design.
        if target and others:
            lead = max(others, key=lambda s: s.headline)
            if lead.headline >= 2 * max(target.headline, 1.0) and lead.total >= target.total:
                chosen.remove(target)
        if not chosen:
            # An in-scope paper reports some experiment; without any design cue the
            # controlled comparison is the weakest assumption, with low confidence.
            fallback = next(s for s in scores if s.strategy == Strategy.TARGET_EXPERIMENT)
            chosen = [fallback]
        for s in chosen:
            design.strategies.append(
                StrategyUse(
                    strategy=s.strategy,
                    evidence=best_evidence(s.hits),
                    confidence=confidence_from(s.total, 2 * MIN_SCORE[s.strategy])
                    if s.total >= MIN_SCORE[s.strategy]
                    else 0.3,
                )
            )
        primary = max(chosen, key=lambda s: (s.headline + 0.3 * s.total, -list(Strategy).index(s.strategy)))
        design.primary_strategy = primary.strategy

    # --- treatment, outcome, recipe --------------------------------------------------------
    def _phrases(self, design: Design, scan: _Scan) -> None:
        headline = [s for s in scan.sentences if s.zone in HEADLINE_ZONES]
        treatment = outcome = None
        for sentence in headline:
            m = C.EFFECT_OF.search(sentence.text)
            if m:
                treatment = (m.group("treatment").strip(), sentence)
                outcome = (m.group("outcome").strip(), sentence)
                break
        if treatment is None:
            for sentence in headline:
                m = C.WE_PROPOSE.search(sentence.text)
                if m:
                    treatment = (m.group("treatment").strip(), sentence)
                    break
        if treatment is None:
            for sentence in scan.sentences:
                if sentence.zone == "title" and 2 <= len(sentence.text.split()) <= 20:
                    treatment = (sentence.text.strip(), sentence)
        if treatment:
            design.treatment = self._phrase_claim(treatment, 0.5)
        else:
            design.treatment = Claim[str](note="not detected: no 'effect of', 'we propose' or title phrase")
        kind = None
        if outcome is None:
            outcome, kind = self._outcome_from_metrics(scan)
        if outcome:
            design.outcome = self._phrase_claim(outcome, 0.5)
            kind = kind or self._kind_of(outcome[0])
        else:
            design.outcome = Claim[str](note="not detected: no outcome measure named")
        if kind is not None:
            design.outcome_kind = Claim[OutcomeKind](
                value=kind, evidence=design.outcome.evidence, confidence=0.5, note="from the outcome phrase"
            )
        recipe = self._recipe(scan)
        if recipe:
            design.target_recipe = self._phrase_claim(recipe, 0.45)
        else:
            design.target_recipe = Claim[str](note="not detected: no model family named in the headline")
        if design.treatment.value and design.outcome.value:
            rq = f"effect of {design.treatment.value} on {design.outcome.value}"
            if design.target_recipe.value:
                rq += f" for {design.target_recipe.value}"
            design.research_question = rq

    @staticmethod
    def _phrase_claim(found: tuple[str, Sentence], conf: float) -> Claim[str]:
        phrase, sentence = found
        hit = Hit(C.cue("x", 1.0, "phrase"), sentence, phrase)
        return Claim[str](value=phrase[:160], evidence=[evidence(hit)], confidence=conf)

    @staticmethod
    def _outcome_from_metrics(scan: _Scan) -> tuple[tuple[str, Sentence] | None, OutcomeKind | None]:
        best: tuple[float, Hit, OutcomeKind] | None = None
        for table_cue, kind in C.OUTCOME_CUES:
            hits = scan.hits(table_cue)
            value = score([hits])
            if hits and (best is None or value > best[0]):
                best = (value, max(hits, key=lambda h: h.score), kind)
        if best is None:
            return None, None
        return (best[1].match, best[1].sentence), best[2]

    @staticmethod
    def _kind_of(phrase: str) -> OutcomeKind | None:
        for table_cue, kind in C.OUTCOME_CUES:
            if table_cue.pattern.search(phrase):
                return kind
        return None

    @staticmethod
    def _recipe(scan: _Scan) -> tuple[str, Sentence] | None:
        counts: dict[str, tuple[float, Sentence]] = {}
        for sentence in scan.sentences:
            if sentence.zone not in HEADLINE_ZONES:
                continue
            for m in C.RECIPE.finditer(sentence.text):
                phrase = m.group(0)
                key = phrase.lower()
                weight, first = counts.get(key, (0.0, sentence))
                counts[key] = (weight + sentence.weight + 0.2 * len(phrase.split()), first)
        if not counts:
            return None
        key = max(counts, key=lambda k: counts[k][0])
        sentence = counts[key][1]
        m = re.search(re.escape(key), sentence.text, re.IGNORECASE)
        return (m.group(0) if m else key), sentence

    # --- identification --------------------------------------------------------------------
    @staticmethod
    def _identification(design: Design, scan: _Scan) -> None:
        uses: dict[Identification, IdentificationUse] = {}
        for method, table in C.IDENTIFICATION_CUES.items():
            hits = [h for c in table for h in scan.hits(c) if h.sentence.zone != "related"]
            if hits:
                ident = Identification(method)
                uses[ident] = IdentificationUse(
                    method=ident, evidence=best_evidence(hits, 1), confidence=confidence_from(score([hits]), 2.0)
                )
        by_strategy = {u.strategy: u for u in design.strategies}
        implied = (
            (Strategy.TARGET_EXPERIMENT, Identification.RANDOMIZED),
            (Strategy.PROXY_MODEL, Identification.RANDOMIZED),
            (Strategy.THEORETICAL_CONTROL, Identification.ANALYTICAL),
        )
        for strategy, ident in implied:
            if strategy in by_strategy and ident not in uses:
                use = by_strategy[strategy]
                uses[ident] = IdentificationUse(
                    method=ident, evidence=use.evidence[:1], confidence=round(0.8 * use.confidence, 2)
                )
        if Strategy.OBSERVATIONAL in by_strategy and not uses.keys() & {
            Identification.DID, Identification.RDD, Identification.ADJUSTMENT, Identification.IV
        }:
            use = by_strategy[Strategy.OBSERVATIONAL]
            uses[Identification.ASSOCIATION] = IdentificationUse(
                method=Identification.ASSOCIATION, evidence=use.evidence[:1], confidence=round(0.8 * use.confidence, 2)
            )
        design.identification = list(uses.values())

    # --- repeated runs ---------------------------------------------------------------------
    @staticmethod
    def _repeated_runs(design: Design, scan: _Scan) -> None:
        hits = [
            h for c in C.REPEATED_RUN_CUES for h in scan.hits(c) if h.sentence.zone not in ("related", "appendix")
        ]
        if hits:
            design.repeated_runs = Claim[bool](
                value=True, evidence=best_evidence(hits), confidence=confidence_from(score([hits]), 2.0)
            )
        else:
            design.repeated_runs = Claim[bool](
                value=False,
                confidence=0.4,
                note="no cue of seeds, averaged runs, error bars, intervals or significance tests was found",
            )

    # --- observational fields -----------------------------------------------------------------
    @staticmethod
    def _observational_fields(design: Design, scan: _Scan) -> None:
        if Strategy.OBSERVATIONAL not in design.strategy_names():
            return
        best: tuple[float, int, Sentence] | None = None
        for m in C.N_MODELS.finditer(scan.text):
            index = bisect_right(scan._starts, m.start()) - 1
            sentence = scan.sentences[index]
            raw = m.group("n").lower()
            value = int(raw) if raw.isdigit() else C.NUMBER_WORDS.get(raw)
            if value and value > 1 and sentence.weight >= 1.0 and (best is None or sentence.weight > best[0]):
                best = (sentence.weight, value, sentence)
        if best:
            hit = Hit(C.cue("x", 1.0, "n models"), best[2], "")
            design.n_models = Claim[int](value=best[1], evidence=[evidence(hit)], confidence=0.55)
        else:
            design.n_models = Claim[int](note="not detected: no count of evaluated models stated")

    # --- proxies and their validation --------------------------------------------------------
    @staticmethod
    def _proxies(design: Design, scan: _Scan) -> None:
        kinds = {
            Strategy.PROXY_MODEL: (ProxyKind.MODEL, "models at the target scale"),
            Strategy.PROXY_TREATMENT: (ProxyKind.TREATMENT, "pre-training exposure or removal"),
            Strategy.PROXY_OUTCOME: (ProxyKind.OUTCOME, "the outcome the question asks about"),
        }
        validated: list[Hit] = []
        any_proxy = False
        for use in design.strategies:
            if use.strategy not in kinds:
                continue
            any_proxy = True
            kind, target = kinds[use.strategy]
            hits = [h for c in C.STRATEGY_CUES[use.strategy] for h in scan.hits(c) if h.sentence.zone != "related"]
            if hits:
                top = max(hits, key=lambda h: h.score)
                design.proxies.append(
                    Proxy(kind=kind, target=target, proxy=top.match, evidence=[evidence(top)], confidence=use.confidence)
                )
            for c in C.TARGET_VALIDATION_CUES.get(use.strategy, ()):
                validated.extend(h for h in scan.hits(c) if h.sentence.zone not in ("related",))
            if use.strategy == Strategy.PROXY_TREATMENT:
                HeuristicExtractor._treatment_proxy_kind(design, scan)
        if not any_proxy:
            return
        if validated:
            design.target_validation = Claim[bool](
                value=True, evidence=best_evidence(validated), confidence=confidence_from(score([validated]), 3.0)
            )
        else:
            design.target_validation = Claim[bool](
                value=False, confidence=0.35, note="no cue that the proxy was checked against the target was found"
            )

    @staticmethod
    def _treatment_proxy_kind(design: Design, scan: _Scan) -> None:
        best: tuple[float, list[Hit], TreatmentProxyKind] | None = None
        for table_cue, kind in C.TREATMENT_PROXY_CUES:
            hits = [h for h in scan.hits(table_cue) if h.sentence.zone != "related"]
            value = score([hits])
            if hits and (best is None or value > best[0]):
                best = (value, hits, kind)
        if best:
            design.treatment_proxy_kind = Claim[TreatmentProxyKind](
                value=best[2], evidence=best_evidence(best[1], 1), confidence=confidence_from(best[0], 3.0)
            )

    # --- rule-facing detail flags --------------------------------------------------------
    @staticmethod
    def _details(design: Design, scan: _Scan) -> None:
        present = set(design.strategy_names())
        for name, (requires, table) in C.DETAIL_CUES.items():
            if not present.intersection(requires):
                continue
            hits = [h for c in table for h in scan.hits(c) if h.sentence.zone not in ("related",)]
            if hits:
                claim = Claim[bool](
                    value=True, evidence=best_evidence(hits), confidence=confidence_from(score([hits]), 2.0)
                )
                setattr(design, name, claim)
