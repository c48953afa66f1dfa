"""Offline heuristic extractor: cue phrases over sentences, weighted by where they stand.

No network and no model. The document is split into sentences once; every cue table in
`screener.extract.cues` is run over the joined sentence text once, and each hit is mapped back to
its sentence, which becomes the verbatim evidence. Cues in the title, abstract and introduction
weigh more than those in the method sections; related work, and sentences elsewhere that only
report cited work, are discounted (they describe other people's designs) and the references are
ignored.

Codebook v2: each listed strategy says whether a headline claim rests on it (rule 9: named in
the title, abstract or conclusion); proxy models are headline only with claims beyond the
trained scale (rule 14); a paper silent about repetition gets `repeated_runs` false with the
sentence that reports its main result as evidence (rule 16).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
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
# Where the claims a strategy must support stand (codebook rule 9: abstract or conclusion).
CLAIM_ZONES = frozenset({"title", "abstract", "conclusion"})
# Where a paper announces the designs its claims rest on: a design never mentioned here is a
# side analysis.
ANNOUNCE_ZONES = HEADLINE_ZONES | CLAIM_ZONES
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
# Zones where a sentence that only reports cited work is discounted like related work.
CITING_ZONES = frozenset({"intro", "body", "conclusion", "caption"})
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
    r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|fig|figs|eq|eqs|sec|secs|tab|no|approx|resp|ref|refs|"
    r"app|thm|def|"
    r"prop|dr|mr|ms|jr|st|viz|ca|resp|incl|esp|al)\.|\b[A-Z]\.)$",
    re.IGNORECASE,
)

# Strategy thresholds: the weighted score a strategy needs to be listed.
MIN_SCORE = {
    Strategy.PROXY_MODEL: 6.0,
    Strategy.PROXY_TREATMENT: 6.0,
    Strategy.PROXY_OUTCOME: 6.0,
    Strategy.OBSERVATIONAL: 6.0,
    Strategy.WITHIN_RUN: 5.0,
    Strategy.THEORETICAL_CONTROL: 6.0,
    Strategy.TARGET_EXPERIMENT: 4.0,
}
# Scope: sentences with neural-model vocabulary and with experiment language a paper needs.
# (Non-ML papers in the corpus have at most a handful of either; empirical ML papers dozens.)
MIN_NEURAL = 5
MIN_EXPERIMENT = 12
# ... and sentences in which the authors report experiments of their own.
MIN_OWN_EXPERIMENT = 3
# A paper with fewer experiment sentences than MIN_EXPERIMENT (a short one) is in scope when it
# reports this many experiments of its own.
MIN_OWN_SHORT = 5
# Score of a cheaper exposure (fine-tuning, simulation) or measurement (a judge, perplexity) that
# the question of the headline needs before it counts for the proxy: one plain statement.
MIN_OWN_PROXY = 2.0
# Non-target designs must be mentioned in the title, abstract or introduction this strongly.
MIN_HEADLINE = 1.0
# Headline score of ablation language that keeps the controlled experiment beside a titled design.
TARGET_HEADLINE = 2.0
# Title+abstract score of proxy-model language above which (and above twice the controlled
# experiment's) the headline claim is an extrapolation, so proxy_model is primary.
PROXY_LEAD = 3.0
LEAD_ZONES = frozenset({"title", "abstract"})
# Designs that lead over the controlled experiment when their headline score is this many times
# the ablations' (a paper about memorised units or a judge's validity uses ablations as support).
LEADING_DESIGNS = frozenset(
    {
        Strategy.WITHIN_RUN,
        Strategy.THEORETICAL_CONTROL,
        Strategy.PROXY_TREATMENT,
        Strategy.PROXY_OUTCOME,
    }
)
LEAD_FACTOR = 3.0
# An outcome phrase longer than this is a clause, not a measure.
MAX_OUTCOME_WORDS = 8
# A title's leading name: 'Name: what it does' (a few words before the colon).
TITLE_NAME = re.compile(r"(?P<name>(?:[^\s:?!.]+ ){0,3}[^\s:?!.]+):\s(?=\S)")
# Note on a target recipe read from an explicit size the claims are made for.
SCALE_NOTE = "the scale the proxies' results are claimed for"
# A cue repeated many times counts only this often (repetition is not more evidence).
MAX_HITS_PER_CUE = 3


@dataclass(frozen=True)
class Sentence:
    text: str
    page: int | None
    section: str
    zone: str
    weight: float
    # The sentence reports other people's work (a citation and no word of the authors' own).
    cites: bool = False


@dataclass(frozen=True)
class Hit:
    cue: Cue
    sentence: Sentence
    match: str
    # (start, end) of every match of the cue in the sentence, relative to the sentence.
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def score(self) -> float:
        return self.cue.weight * self.sentence.weight

    @property
    def negated(self) -> bool:
        """Whether every match of a negatable cue in the sentence stands in a negated clause."""
        if not self.cue.negatable or not self.spans:
            return False
        return all(negated_at(self.sentence.text, start, end) for start, end in self.spans)


def negated_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is denied by its clause: a negator a few words before it
    ("without confidence intervals", "not averaged over seeds") or a denial right after it
    ("error bars are not shown")."""
    before = text[:start]
    breaks = list(C.CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    if clause.endswith("non-"):
        return True
    window = " ".join(re.findall(r"[\w']+", clause)[-C.NEGATION_WINDOW :])
    if C.NEGATORS.search(window) and not C.NOT_NEGATING.search(window):
        return True
    return bool(C.NEGATION_AFTER.match(text[end:]))


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


def _sentence(text: str, page: int | None, where: str, zone: str) -> Sentence:
    """A sentence and its weight; one that only reports cited work, outside the abstract and
    title, weighs no more than related work (it describes someone else's design)."""
    cites = (
        zone in CITING_ZONES
        and bool(C.CITATION_HINT.search(text))
        and bool(C.CITATION.search(text))
        and not C.OWN_WORK.search(text)
    )
    weight = min(ZONE_WEIGHTS[zone], ZONE_WEIGHTS["related"]) if cites else ZONE_WEIGHTS[zone]
    return Sentence(text, page, where, zone, weight, cites)


class _Scan:
    """The document's sentences joined once, so each cue pattern runs over it in one pass."""

    def __init__(self, document: Document) -> None:
        self.sentences: list[Sentence] = []
        starts: list[int] = []
        chunks: list[str] = []
        offset = 0
        after_references = seen_intro = False
        for where, text, page in document.passages():
            zone = _zone(where, after_references)
            if zone == "references":
                after_references = True
                continue
            seen_intro = seen_intro or zone == "intro"
            if zone == "body" and not seen_intro and (page or 1) <= 2:
                # Front matter before the introduction (teaser boxes, contribution lists).
                zone = "intro"
            for sentence in split_sentences(text):
                self.sentences.append(_sentence(sentence, page, where, zone))
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
            if cue.requires is not None and not cue.requires.search(self.sentences[index].text):
                continue
            base = self._starts[index]
            span = (match.start() - base, match.end() - base)
            if index != last:
                found.append(
                    Hit(cue, self.sentences[index], self.text[match.start() : match.end()], (span,))
                )
                last = index
            else:
                previous = found[-1]
                found[-1] = Hit(cue, previous.sentence, previous.match, (*previous.spans, span))
        self._cache[id(cue)] = found
        return found

    def count(self, cue: Cue, zones: Iterable[str] | None = None) -> int:
        """How many sentences (optionally in these zones) the cue matches."""
        wanted = set(zones) if zones is not None else None
        return sum(1 for h in self.hits(cue) if wanted is None or h.sentence.zone in wanted)


def quote_of(sentence: Sentence) -> Evidence:
    """The sentence as evidence: verbatim (trimmed), its page and the heading it stands under."""
    section = None if sentence.section == "caption" else sentence.section
    return Evidence(
        quote=trim_quote(sentence.text), page=sentence.page, section=section, grounded=True
    )


def evidence(hit: Hit) -> Evidence:
    return quote_of(hit.sentence)


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


# --- short noun phrases for the design fields -----------------------------------------------
_SIZE_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9}


def size_value(text: str) -> float:
    """Parameters in a size such as '1.3B' (0 when there is none)."""
    m = C.SIZE_VALUE.search(text)
    return float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()] if m else 0.0


def ladder_of(text: str) -> tuple[str, str] | None:
    """The smallest and largest size of a ladder of models named in `text`."""
    m = C.LADDER.search(text)
    if not m:
        return None
    sizes = [s.group(0) for s in C.SIZE_VALUE.finditer(m.group("sizes") or m.group("sizes2"))]
    sizes.sort(key=size_value)
    return sizes[0], sizes[-1]


def with_article(phrase: str) -> str:
    """'70B model' -> 'a 70B model'; plurals and phrases with a determiner stay as they are."""
    if re.match(r"(?:an?|the|our)\s", phrase, re.I) or phrase.lower().endswith("s"):
        return phrase
    return (
        "an " if re.match(r"(?:8|11|18|80)\b|(?:8|11|18|80)(?:\.\d)?[MBK]", phrase) else "a "
    ) + phrase


def clean_phrase(text: str, *, subject: bool) -> str | None:
    """A short noun phrase from a clause: the subject side keeps its end (after the last comma,
    without 'we use this'), the object side its start (before 'such as', 'because', a comma)."""
    text = " ".join(text.split()).strip(" \"'\u201c\u201d")
    if subject:
        text = text.rsplit(",", 1)[-1]
        text = C.PHRASE_LEAD.sub("", text.strip(), count=1)
        copula = C.COPULA.search(text)
        if copula and is_vague(text[copula.end() :].split()[-1]):
            text = text[: copula.start()]
        words = text.split()[-C.MAX_PHRASE_WORDS :]
    else:
        end = C.PHRASE_END.search(text)
        text = text[: end.start()] if end else text
        words = text.split()[: C.MAX_PHRASE_WORDS]
    phrase = " ".join(words).strip(" .;:")
    if not phrase or is_vague(phrase):
        return None
    if len(phrase) > 1 and phrase[0].isupper() and not phrase[1].isupper():
        phrase = phrase[0].lower() + phrase[1:]
    return phrase


def proxy_for(text: str) -> tuple[str, str] | None:
    """(what was used, what it stands in for) from 'X serves as a proxy for Y' and kin."""
    if not C.PROXY_FOR_WORDS.search(text):
        # The full pattern backtracks over every start position; most sentences have none of
        # its linking words, so a literal check first keeps long papers fast.
        return None
    for m in C.PROXY_FOR.finditer(text):
        proxy = clean_phrase(m.group("proxy") or m.group("proxy2") or "", subject=True)
        target = clean_phrase(m.group("target") or m.group("target2") or "", subject=False)
        if proxy and target:
            return proxy, target
    return None


def unshout(phrase: str) -> str:
    """'LANGUAGE MODELS' (from a small-caps heading) -> 'language models'; acronyms stay,
    'LLMS' becomes 'LLMs'."""
    letters = [c for c in phrase if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return phrase
    words = []
    for word in phrase.split():
        if len(word) > 5 and word.isalpha():
            word = word.lower()
        elif re.fullmatch(r"[A-Z]{2,4}S", word):
            word = word[:-1] + "s"
        words.append(word)
    return " ".join(words)


def lower_title_case(phrase: str) -> str:
    """'Long-Context Language Models' -> 'long-context language models'; acronyms and
    mixed-case names (GPT-4, LLaMA) stay."""
    return " ".join(
        word.lower() if re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*", word) else word
        for word in phrase.split()
    )


def is_vague(phrase: str) -> bool:
    """Whether a phrase names nothing ('a novel approach', 'our method', 'this paper')."""
    words = re.findall(r"[\w'-]+", phrase.lower())
    return all(w in C.VAGUE_WORDS for w in words)


def grouped_score(hits: Sequence[Hit]) -> float:
    """`score` of hits from several cues, each cue capped separately."""
    by_cue: dict[int, list[Hit]] = {}
    for hit in hits:
        by_cue.setdefault(id(hit.cue), []).append(hit)
    return score(by_cue.values())


def boolean_claim(
    positive: Sequence[Hit], negative: Sequence[Hit], scale: float
) -> Claim[bool] | None:
    """True on affirmed positive cues, False on denials (negated positive cues and explicit
    negative statements), whichever weighs more; None when neither was seen."""
    affirmed = [h for h in positive if not h.negated]
    denied = [h for h in positive if h.negated] + [h for h in negative if not h.negated]
    yes, no = grouped_score(affirmed), grouped_score(denied)
    if affirmed and yes >= no:
        conf = confidence_from(yes, scale)
        return Claim[bool](
            value=True,
            evidence=best_evidence(affirmed),
            confidence=round(max(0.3, conf - 0.2), 2) if denied else conf,
            note="some sentences also deny it" if denied else None,
        )
    if denied:
        return Claim[bool](
            value=False,
            evidence=best_evidence(denied),
            confidence=round(max(0.5, confidence_from(no, scale)), 2),
            note="the paper says so" if not affirmed else "denials outweigh the affirming cues",
        )
    return None


# --- repeated runs: where a cue stands and what it describes ---------------------------------
# Summed sentence score (cue strength x placement) that makes the main comparisons repeated:
# one plain statement ("each model is trained with three seeds") in the main text is enough,
# a bare "standard deviation" or p-value is not.
RUNS_THRESHOLD = 2.0
# Placement multipliers; appendix and related work count nothing.
RUNS_PLACE = {
    "title": 1.5,
    "abstract": 1.5,
    "intro": 1.0,
    "conclusion": 1.0,
    "body": 1.0,
    "caption": 1.0,
    "side": 0.4,
}
# A body sentence about one figure's runs, without words that extend it to all results.
RUNS_LOCAL = 0.5
# Weight of a linked uncertainty term in a caption of a main table or figure.
RUNS_CAPTION = 2.0
# Weight of an unlinked uncertainty term ("the standard deviation of ...").
RUNS_UNLINKED = 0.5


def is_appendix_number(number: str | None) -> bool:
    """Whether a section number is an appendix's ("B", "C.2")."""
    return bool(number and C.APPENDIX_NUMBER.match(number.strip()))


def runs_placement(scan: _Scan, document: Document) -> Callable[[Sentence], float]:
    """How much a sentence in each part of the paper says about the main comparisons."""
    appendix_sections = [
        section
        for section in document.sections
        if section.heading
        and (
            is_appendix_number(section.number)
            or C.RUNS_APPENDIX_HEADING.search(section.heading.strip())
        )
    ]
    appendix_headings = {section.heading for section in appendix_sections}
    appendix_pages = [
        paragraph.page
        for section in appendix_sections
        for paragraph in section.paragraphs[:1]
        if paragraph.page is not None
    ] + [s.page for s in scan.sentences if s.page is not None and s.zone == "appendix"]
    appendix_from = min(appendix_pages, default=None)

    def in_appendix(sentence: Sentence) -> bool:
        # A main-text section may share its heading with an appendix one ("Datasets").
        if sentence.zone == "appendix":
            return True
        return sentence.section in appendix_headings and (
            appendix_from is None or (sentence.page or 0) >= appendix_from
        )

    def place(sentence: Sentence) -> float:
        if sentence.zone == "related" or sentence.cites or in_appendix(sentence):
            return 0.0
        if sentence.zone == "caption":
            # Captions carry no heading; those on appendix pages describe appendix tables.
            late = appendix_from is not None and (sentence.page or 0) >= appendix_from
            return 0.0 if late else RUNS_PLACE["caption"]
        if (
            sentence.zone == "body"
            and C.RUNS_SIDE_HEADING.search(sentence.section)
            and not C.RUNS_MAIN_HEADING.search(sentence.section)
        ):
            return RUNS_PLACE["side"]
        return RUNS_PLACE.get(sentence.zone, 0.0)

    return place


def main_result_sentence(scan: _Scan) -> Sentence | None:
    """The sentence of the abstract (else the conclusion) that reports the main result: a
    result verb, preferably with a number and in the authors' voice; the earliest on ties."""
    best: tuple[int, Sentence] | None = None
    for zone in ("abstract", "conclusion"):
        for sentence in scan.sentences:
            if sentence.zone != zone or not C.RESULT_SENTENCE.search(sentence.text):
                continue
            rank = (
                1 + bool(re.search(r"\d", sentence.text)) + bool(C.OWN_WORK.search(sentence.text))
            )
            if best is None or rank > best[0]:
                best = (rank, sentence)
        if best is not None:
            return best[1]
    return None


def incidental_run_cue(hit: Hit) -> bool:
    """Whether the statistics in the hit's sentence belong to something other than repeated
    runs of the comparisons: an association or agreement measure, a timing benchmark, a fixed
    seed, a description of the data."""
    text = hit.sentence.text
    if C.RUNS_ASSOCIATION.search(text) or C.RUNS_INCIDENTAL.search(text):
        return True
    # Runtime averaged over runs on a GPU is a measurement, not a repeated training run.
    return "seed" not in hit.match.lower() and bool(C.RUNS_TIMING.search(text))


def run_cue_strength(hit: Hit) -> float:
    """The cue's weight, lowered for an uncertainty term not tied to runs or to how results
    are shown, and for a body sentence about one figure rather than all results."""
    text = hit.sentence.text
    weight = hit.cue.weight
    if hit.cue.why in C.UNCERTAINTY_CUE_WHYS:
        linked = bool(C.RUNS_LINK.search(text))
        if hit.sentence.zone == "caption":
            # A caption's linked display ("mean ± std", "shaded: 95% interval") describes
            # the numbers of its own table or figure.
            weight = RUNS_CAPTION if linked else weight
        elif not linked:
            weight = RUNS_UNLINKED
    if hit.sentence.zone == "body" and weight > 1.0 and not C.RUNS_GLOBAL.search(text):
        weight *= RUNS_LOCAL
    return weight


@dataclass
class _StrategyScore:
    strategy: Strategy
    hits: list[Hit]
    total: float
    headline: float

    @property
    def lead(self) -> float:
        """Score in the title and abstract, where the headline claim stands."""
        by_cue: dict[int, list[Hit]] = {}
        for hit in self.hits:
            if hit.sentence.zone in LEAD_ZONES:
                by_cue.setdefault(id(hit.cue), []).append(hit)
        return score(by_cue.values())


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
        self._repeated_runs(design, scan, document)
        self._observational_fields(design, scan)
        self._proxies(design, scan)
        self._details(design, scan)
        side = self._headlines(design, scores, scan)
        top = max((u.confidence for u in design.strategies), default=0.0)
        design.confidence = "high" if top >= 0.8 else "medium" if top >= 0.55 else "low"
        design.notes = "; ".join(
            [
                f"{s.strategy.value}={s.total:.1f} (headline {s.headline:.1f})"
                for s in scores
                if s.total > 0
            ]
            + [f"{name} not headline: {why}" for name, why in side.items()]
        )
        return design

    # --- scope ---------------------------------------------------------------------------
    def _scope(self, scan: _Scan) -> tuple[bool, str, list[Evidence], float]:
        sentences = scan.sentences
        if not sentences:
            return False, "no text to read", [], 0.2
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
        if neural < MIN_NEURAL:
            why = (
                f"non-ML paper ({field})"
                if field_count >= 5
                else "no neural-model training or evaluation found"
            )
            return False, why, first, 0.75
        own = sum(
            1
            for h in scan.hits(C.OWN_EXPERIMENT)
            if h.sentence.zone not in ("related", "appendix") and not h.sentence.cites
        )
        # A short paper can be light in experiment language yet report its own experiments.
        if (experiment < MIN_EXPERIMENT and own < MIN_OWN_SHORT) or theory > 1.5 * experiment:
            return False, "theory without experiments on trained models", first, 0.6
        if own < MIN_OWN_EXPERIMENT:
            # An essay or position paper talks about models and benchmarks without running any.
            return False, "no experiment of the paper's own is reported", first, 0.6
        quote = self._first_match(scan, C.EXPERIMENT, ("abstract", "intro", "body"))
        return True, "empirical study of a change to model training or evaluation", quote, 0.8

    @staticmethod
    def _first_sentence(scan: _Scan) -> list[Evidence]:
        for sentence in scan.sentences:
            if (
                sentence.zone in ("abstract", "title", "intro", "body")
                and len(sentence.text.split()) >= 5
            ):
                return [quote_of(sentence)]
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
        # Ablations in a sentence that says the models are proxies for a larger one (small
        # models, extrapolation, fitted laws) are proxy-model evidence (codebook rule 1).
        proxy_sentences = {
            id(h.sentence)
            for c in (C.PROXY_SCALE_CONTEXT, *C.STRATEGY_CUES[Strategy.PROXY_MODEL])
            for h in scan.hits(c)
        }
        moved: list[list[Hit]] = []
        result = []
        for strategy, table in C.STRATEGY_CUES.items():
            per_cue = [scan.hits(c) for c in table]
            if strategy == Strategy.TARGET_EXPERIMENT:
                moved = [[h for h in hits if id(h.sentence) in proxy_sentences] for hits in per_cue]
                per_cue = [
                    [h for h in hits if id(h.sentence) not in proxy_sentences] for hits in per_cue
                ]
            result.append(
                _StrategyScore(
                    strategy,
                    [h for hits in per_cue for h in hits],
                    score(per_cue),
                    score(per_cue, ANNOUNCE_ZONES),
                )
            )
        # A cheaper exposure or measurement in the body answers the question the headline asks
        # (pre-training exposure, people's judgment), so the question counts as its announcement.
        for strategy, question in (
            (Strategy.PROXY_TREATMENT, C.EXPOSURE_QUESTION),
            (Strategy.PROXY_OUTCOME, C.OUTCOME_QUESTION),
        ):
            proxy_score = next(s for s in result if s.strategy == strategy)
            if proxy_score.total >= MIN_OWN_PROXY:
                asked = [h for h in scan.hits(question) if h.sentence.zone in CLAIM_ZONES]
                proxy_score.hits.extend(asked)
                proxy_score.total += score([asked])
                proxy_score.headline += score([asked])
        proxy = next(s for s in result if s.strategy == Strategy.PROXY_MODEL)
        if proxy.total >= MIN_SCORE[Strategy.PROXY_MODEL]:
            # Size trends of a paper that trains its own ladder are read from its own runs.
            observational = next(s for s in result if s.strategy == Strategy.OBSERVATIONAL)
            trend = [h for h in observational.hits if h.cue is C.SIZE_TREND]
            observational.hits = [h for h in observational.hits if h.cue is not C.SIZE_TREND]
            observational.total -= score([trend])
            observational.headline -= score([trend], ANNOUNCE_ZONES)
        if proxy.total > 0:
            # Only a paper with proxy-model language of its own gains from its ablations.
            proxy.hits.extend(h for hits in moved for h in hits)
            proxy.total += score(moved)
            proxy.headline += score(moved, ANNOUNCE_ZONES)
        return result

    @staticmethod
    def _strategies(design: Design, scores: list[_StrategyScore]) -> None:
        by_name = {s.strategy: s for s in scores}
        target = by_name[Strategy.TARGET_EXPERIMENT]
        # The main claims stand in the abstract and introduction, so a design that is never
        # mentioned there (only in a side experiment) is not one they rest on.
        others = [
            s
            for s in scores
            if s.strategy != Strategy.TARGET_EXPERIMENT
            and s.total >= MIN_SCORE[s.strategy]
            and s.headline >= MIN_HEADLINE
        ]
        chosen = list(others)
        # An in-scope empirical paper runs its own controlled comparisons, unless its title
        # names a proxy or observational design and the abstract/introduction announce no
        # ablations of their own.
        titled = any(h.sentence.zone == "title" for s in others for h in s.hits)
        if not titled or target.headline >= TARGET_HEADLINE:
            chosen.append(target)
        for s in chosen:
            strong = s.total >= MIN_SCORE[s.strategy]
            design.strategies.append(
                StrategyUse(
                    strategy=s.strategy,
                    evidence=best_evidence(s.hits),
                    confidence=confidence_from(s.total, 2 * MIN_SCORE[s.strategy])
                    if strong
                    else 0.3,
                )
            )
        design.primary_strategy = HeuristicExtractor._primary(chosen, target)

    @staticmethod
    def _primary(chosen: list[_StrategyScore], target: _StrategyScore) -> Strategy:
        """A design named in the title leads; otherwise the authors' own controlled
        experiment (the gold labels read a proxy or observational part beside ablations as
        secondary); otherwise the best-announced design."""
        others = [s for s in chosen if s.strategy != target.strategy]
        titled = [s for s in others if any(h.sentence.zone == "title" for h in s.hits)]
        if titled:
            return max(titled, key=lambda s: s.total).strategy
        proxy = next((s for s in others if s.strategy == Strategy.PROXY_MODEL), None)
        if proxy is not None and proxy.lead >= PROXY_LEAD and proxy.lead > 2 * target.lead:
            # The abstract's headline claim is an extrapolation from the proxies.
            return proxy.strategy
        # A single-run, proxy-treatment or proxy-outcome design announced far more strongly
        # than any ablation is what the paper is about (its ablations support it).
        leading = [
            s
            for s in others
            if s.strategy in LEADING_DESIGNS
            and s.headline >= LEAD_FACTOR * max(target.headline, 1.0)
        ]
        if leading:
            return max(leading, key=lambda s: s.total).strategy
        if target in chosen:
            return target.strategy
        return max(chosen, key=lambda s: s.headline + 0.3 * s.total).strategy

    @staticmethod
    def _headlines(design: Design, scores: list[_StrategyScore], scan: _Scan) -> dict[str, str]:
        """Whether a headline claim rests on each strategy (codebook rule 9).

        A strategy named in the title, abstract or conclusion is headline; one never named in
        the title, abstract, introduction or conclusion is a side analysis. Proxy models are
        headline only when the claims reach beyond the trained scale (rule 14: a ladder whose
        every claimed size was trained is a controlled experiment). The primary strategy moves
        to the controlled experiment when it is not headline. Returns why each strategy that
        is not headline is not.
        """
        side: dict[str, str] = {}
        by_name = {s.strategy: s for s in scores}
        people_judge = any(
            h.sentence.zone not in ("related", "appendix") for h in scan.hits(C.HUMAN_MEASURED)
        )
        for use in design.strategies:
            zones = {h.sentence.zone for h in by_name[use.strategy].hits if not h.sentence.cites}
            if (
                use.strategy == Strategy.PROXY_MODEL
                and design.claims_beyond_scale.value is not True
            ):
                use.headline = False
                side[use.strategy.value] = "no claim beyond the trained scale was found"
            elif use.strategy == Strategy.PROXY_OUTCOME and "title" not in zones and people_judge:
                # The outcome itself is measured: a judge beside people's ratings supports the
                # claims (unless the judge is what the paper is about).
                use.headline = False
                side[use.strategy.value] = "the paper measures people's judgments itself"
            elif zones & CLAIM_ZONES:
                use.headline = True
            elif not zones & ANNOUNCE_ZONES:
                use.headline = False
                side[use.strategy.value] = "named only outside the abstract, introduction and "
                "conclusion"
        headline = [u for u in design.strategies if u.headline is not False]
        primary = design.primary_strategy
        if primary is not None and primary not in {u.strategy for u in headline}:
            names = {u.strategy for u in design.strategies}
            if Strategy.TARGET_EXPERIMENT in names:
                design.primary_strategy = Strategy.TARGET_EXPERIMENT
            elif headline:
                design.primary_strategy = max(headline, key=lambda u: u.confidence).strategy
        for use in design.strategies:
            if use.strategy == design.primary_strategy and use.headline is False:
                # The primary strategy carries the headline claim (the rules read it so).
                use.headline = True
                side.pop(use.strategy.value, None)
        return side

    # --- treatment, outcome, recipe --------------------------------------------------------
    def _phrases(self, design: Design, scan: _Scan) -> None:
        headline = [s for s in scan.sentences if s.zone in HEADLINE_ZONES]
        treatment = outcome = None
        for sentence in headline:
            m = C.EFFECT_OF.search(sentence.text)
            if m and not is_vague(m.group("treatment")):
                treatment = (m.group("treatment").strip(), sentence)
                found = m.group("outcome").strip()
                if not is_vague(found) and len(found.split()) <= MAX_OUTCOME_WORDS:
                    outcome = (found, sentence)
                break
        if treatment is None:
            for sentence in headline:
                m = C.WE_PROPOSE.search(sentence.text)
                if m:
                    phrase = self._named(m.group("treatment"), sentence.text[m.end() :])
                    if phrase:
                        treatment = (phrase, sentence)
                        break
        if treatment is None:
            treatment = self._title_name(scan)
        if treatment:
            design.treatment = self._phrase_claim(treatment, 0.5, name=True)
        else:
            design.treatment = Claim[str](
                note="not detected: no 'effect of', 'we propose' or title phrase"
            )
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
                value=kind,
                evidence=design.outcome.evidence,
                confidence=0.5,
                note="from the outcome phrase",
            )
        scaled = (
            self._target_scale(scan) if Strategy.PROXY_MODEL in design.strategy_names() else None
        )
        recipe = self._recipe(scan)
        if scaled:
            design.target_recipe = self._phrase_claim(scaled, 0.5)
            design.target_recipe.note = SCALE_NOTE
        elif recipe:
            design.target_recipe = self._phrase_claim(recipe, 0.45)
        else:
            design.target_recipe = Claim[str](
                note="not detected: no model family named in the headline"
            )
        if design.treatment.value and design.outcome.value:
            rq = f"effect of {design.treatment.value} on {design.outcome.value}"
            if design.target_recipe.value:
                rq += f" for {design.target_recipe.value}"
            design.research_question = rq

    @staticmethod
    def _named(phrase: str, rest: str) -> str | None:
        """The proposal's name ('a new method called X' -> 'X'), the phrase itself when it
        names something, None when it is only 'a novel approach'."""
        for text in (phrase, rest[:120]):
            m = C.NAMED.search(text)
            if m and not is_vague(m.group("name")):
                return m.group("name").strip()
        # "a novel approach, Name (Acronym), which ...": the capitalised appositive.
        m = re.match(
            r",\s+(?:namely\s+|i\.e\.\s+)?(?P<name>[A-Z][^,;:.()]{1,60}?)\s*(?:\(|,)", rest
        )
        if is_vague(phrase) and m and not is_vague(m.group("name")):
            return m.group("name").strip()
        # "a powerful new mechanism \u2013 Name": the name after the dash.
        parts = [p for p in re.split(r"\s[\u2013\u2014-]\s", phrase) if p.strip()]
        if len(parts) > 1 and not is_vague(parts[-1]):
            return parts[-1].strip()
        return None if is_vague(phrase) else phrase.strip()

    @staticmethod
    def _title_name(scan: _Scan) -> tuple[str, Sentence] | None:
        """A name the title opens with: 'Name: what it does'."""
        for sentence in scan.sentences:
            if sentence.zone != "title":
                continue
            m = TITLE_NAME.match(sentence.text.strip())
            if m and not is_vague(m.group("name")):
                return m.group("name").strip(), sentence
        return None

    @staticmethod
    def _phrase_claim(
        found: tuple[str, Sentence], conf: float, *, name: bool = False
    ) -> Claim[str]:
        """A phrase claim; all-caps headings are lower-cased unless the phrase is a name."""
        phrase, sentence = found
        value = phrase if name else lower_title_case(unshout(phrase))
        return Claim[str](value=value[:160], evidence=[quote_of(sentence)], confidence=conf)

    @staticmethod
    def _outcome_from_metrics(
        scan: _Scan,
    ) -> tuple[tuple[str, Sentence] | None, OutcomeKind | None]:
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
    def _target_scale(scan: _Scan) -> tuple[str, Sentence] | None:
        """'a 70B model': the size the headline names that lies above the trained ladder."""
        ladder_top = max(
            (
                size_value(ladder[1])
                for s in scan.sentences
                if s.zone != "related" and (ladder := ladder_of(s.text))
            ),
            default=0.0,
        )
        found: dict[float, tuple[float, str, Sentence]] = {}
        for sentence in scan.sentences:
            if sentence.zone not in HEADLINE_ZONES:
                continue
            for m in C.SCALED_MODEL.finditer(sentence.text):
                size = size_value(m.group("size"))
                if ladder_top and size <= ladder_top:
                    continue
                weight, phrase, first = found.get(size, (0.0, m.group(0), sentence))
                found[size] = (weight + sentence.weight, phrase, first)
        if not found or not ladder_top:
            return None
        size = max(found, key=lambda k: (found[k][0], k))
        _, phrase, sentence = found[size]
        return with_article(phrase), sentence

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
                    method=ident,
                    evidence=best_evidence(hits, 1),
                    confidence=confidence_from(score([hits]), 2.0),
                )
        by_strategy = {u.strategy: u for u in design.strategies}
        implied = (
            (Strategy.TARGET_EXPERIMENT, Identification.RANDOMIZED),
            (Strategy.PROXY_MODEL, Identification.RANDOMIZED),
            (Strategy.PROXY_TREATMENT, Identification.RANDOMIZED),
            (Strategy.THEORETICAL_CONTROL, Identification.ANALYTICAL),
        )
        for strategy, ident in implied:
            if strategy in by_strategy and ident not in uses:
                use = by_strategy[strategy]
                uses[ident] = IdentificationUse(
                    method=ident,
                    evidence=use.evidence[:1],
                    confidence=round(0.8 * use.confidence, 2),
                )
        if Strategy.OBSERVATIONAL in by_strategy and not uses.keys() & {
            Identification.DID,
            Identification.RDD,
            Identification.ADJUSTMENT,
            Identification.IV,
        }:
            use = by_strategy[Strategy.OBSERVATIONAL]
            uses[Identification.ASSOCIATION] = IdentificationUse(
                method=Identification.ASSOCIATION,
                evidence=use.evidence[:1],
                confidence=round(0.8 * use.confidence, 2),
            )
        if not uses and Strategy.PROXY_OUTCOME in by_strategy:
            # A proxy outcome studied on its own is read through its agreement with the target.
            use = by_strategy[Strategy.PROXY_OUTCOME]
            uses[Identification.ASSOCIATION] = IdentificationUse(
                method=Identification.ASSOCIATION,
                evidence=use.evidence[:1],
                confidence=round(0.6 * use.confidence, 2),
            )
        design.identification = list(uses.values())

    # --- repeated runs ---------------------------------------------------------------------
    @staticmethod
    def _repeated_runs(design: Design, scan: _Scan, document: Document) -> None:
        """Whether the MAIN comparisons are repeated or shown with their uncertainty.

        Each affirming sentence scores its strongest cue times where it stands (see
        `runs_placement`); sentences whose statistics belong to a data analysis, a timing
        benchmark or a fixed seed are dropped. One local mention in the body counts half, so a
        side experiment's seeds do not speak for the whole paper.
        """
        place = runs_placement(scan, document)

        def read(table: tuple[Cue, ...]) -> list[Hit]:
            return [h for c in table for h in scan.hits(c) if place(h.sentence) > 0]

        positive = read(C.REPEATED_RUN_CUES)
        affirmed = [h for h in positive if not h.negated and not incidental_run_cue(h)]
        denied = [h for h in positive if h.negated] + [
            h for h in read(C.SINGLE_RUN_CUES) if not h.negated
        ]
        strength: dict[int, tuple[float, Hit]] = {}
        for hit in affirmed:
            value = run_cue_strength(hit) * place(hit.sentence)
            key = id(hit.sentence)
            if value > strength.get(key, (0.0, hit))[0]:
                strength[key] = (value, hit)
        ranked = sorted(strength.values(), key=lambda pair: -pair[0])
        yes = sum(value for value, _ in ranked)
        no = grouped_score(denied)
        # Silence is the finding (codebook rule 16): the evidence is the sentence that reports
        # the main result without a spread.
        main_result = [quote_of(s)] if (s := main_result_sentence(scan)) else []
        if yes >= RUNS_THRESHOLD and yes >= no:
            conf = confidence_from(yes, RUNS_THRESHOLD)
            design.repeated_runs = Claim[bool](
                value=True,
                evidence=[quote_of(hit.sentence) for _, hit in ranked[:2]],
                confidence=round(max(0.3, conf - 0.2), 2) if denied else conf,
                note="some sentences also deny it" if denied else None,
            )
        elif denied:
            design.repeated_runs = Claim[bool](
                value=False,
                evidence=best_evidence(denied),
                confidence=round(max(0.5, confidence_from(no, 2.0)), 2),
                note="the paper says so" if not ranked else "denials outweigh the affirming cues",
            )
        elif ranked:
            design.repeated_runs = Claim[bool](
                value=False,
                evidence=main_result,
                confidence=0.45,
                note="seeds, intervals or tests are mentioned only in passing or for side "
                "experiments, not for the main comparisons",
            )
        elif len(affirmed) < len([h for h in positive if not h.negated]):
            design.repeated_runs = Claim[bool](
                value=False,
                evidence=main_result,
                confidence=0.45,
                note="the statistics mentioned describe an association or agreement measure, a "
                "timing benchmark, a fixed seed or the data, not repeated runs",
            )
        else:
            design.repeated_runs = Claim[bool](
                value=False,
                evidence=main_result,
                confidence=0.4,
                note="no repetition reported: no cue of seeds, averaged runs, error bars, "
                "intervals or significance tests was found",
            )

    # --- observational fields -----------------------------------------------------------------
    @staticmethod
    def _observational_fields(design: Design, scan: _Scan) -> None:
        if Strategy.OBSERVATIONAL not in design.strategy_names():
            return
        best: tuple[float, int, Sentence] | None = None
        for m in C.N_MODELS.finditer(scan.text):
            sentence = scan.sentence_at(m.start())
            raw = m.group("n").lower()
            value = int(raw) if raw.isdigit() else C.NUMBER_WORDS.get(raw)
            if (
                value
                and value > 1
                and sentence.weight >= 1.0
                and (best is None or sentence.weight > best[0])
            ):
                best = (sentence.weight, value, sentence)
        if best:
            design.n_models = Claim[int](
                value=best[1], evidence=[quote_of(best[2])], confidence=0.55
            )
        else:
            design.n_models = Claim[int](note="not detected: no count of evaluated models stated")

    # --- proxies and their validation --------------------------------------------------------
    @staticmethod
    def _proxies(design: Design, scan: _Scan) -> None:
        kinds = {
            Strategy.PROXY_MODEL: ProxyKind.MODEL,
            Strategy.PROXY_TREATMENT: ProxyKind.TREATMENT,
            Strategy.PROXY_OUTCOME: ProxyKind.OUTCOME,
        }
        validated: list[Hit] = []
        not_validated = [
            h
            for c in C.TARGET_NOT_VALIDATED_CUES
            for h in scan.hits(c)
            if h.sentence.zone != "related"
        ]
        any_proxy = False
        for use in design.strategies:
            if use.strategy not in kinds:
                continue
            any_proxy = True
            kind = kinds[use.strategy]
            hits = [
                h
                for c in C.STRATEGY_CUES[use.strategy]
                for h in scan.hits(c)
                if h.sentence.zone != "related"
            ]
            if hits:
                found = HeuristicExtractor._proxy_phrase(design, scan, kind, hits)
                if found is not None:
                    proxy, target, sentence = found
                    design.proxies.append(
                        Proxy(
                            kind=kind,
                            target=target,
                            proxy=proxy,
                            evidence=[quote_of(sentence)],
                            confidence=use.confidence,
                        )
                    )
            for c in C.TARGET_VALIDATION_CUES.get(use.strategy, ()):
                validated.extend(h for h in scan.hits(c) if h.sentence.zone not in ("related",))
            if use.strategy == Strategy.PROXY_TREATMENT:
                HeuristicExtractor._treatment_proxy_kind(design, scan)
        if not any_proxy:
            return
        claim = boolean_claim(validated, not_validated, 3.0)
        if claim is not None:
            design.target_validation = claim
        else:
            design.target_validation = Claim[bool](
                value=False,
                confidence=0.35,
                note="no cue that the proxy was checked against the target was found",
            )

    @staticmethod
    def _proxy_phrase(
        design: Design, scan: _Scan, kind: ProxyKind, hits: list[Hit]
    ) -> tuple[str, str | None, Sentence] | None:
        """What was used and what it stands in for, as short noun phrases the threat
        explanations can slot in, and the sentence that says so."""
        ranked = sorted(hits, key=lambda h: -h.score)
        sentences = list(dict.fromkeys(h.sentence for h in ranked))
        if kind == ProxyKind.MODEL:
            target = design.target_recipe.value if design.target_recipe.note == SCALE_NOTE else None
            target = target or "larger models"
            for sentence in sentences:
                ladder = ladder_of(sentence.text)
                if ladder:
                    return f"models of {ladder[0]} to {ladder[1]} parameters", target, sentence
            for sentence in sentences:
                m = C.SMALL_MODELS.search(sentence.text)
                if m:
                    return m.group(0).lower(), target, sentence
            labelled = [h for h in ranked if h.cue.label]
            if labelled:
                return labelled[0].cue.label, target, labelled[0].sentence
            return "smaller models", target, ranked[0].sentence
        # Treatment and outcome proxies: "X serves as a proxy for Y" and kin, first in the
        # sentences that carry the strategy's cues, then anywhere outside related work.
        wanted = C.OUTCOME_TARGET if kind == ProxyKind.OUTCOME else C.TREATMENT_TARGET
        others = [s for s in scan.sentences if s.zone not in ("related", "appendix")]
        for sentence in [*sentences, *others]:
            found = proxy_for(sentence.text)
            if found and wanted.search(found[1]):
                return found[0], found[1], sentence
        labelled = [h for h in ranked if h.cue.label]
        if labelled:
            top = labelled[0]
            return top.cue.label, None, top.sentence
        return None

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
                value=best[2],
                evidence=best_evidence(best[1], 1),
                confidence=confidence_from(best[0], 3.0),
            )

    # --- rule-facing detail flags --------------------------------------------------------
    @staticmethod
    def _details(design: Design, scan: _Scan) -> None:
        present = set(design.strategy_names())
        for name, (requires, table) in C.DETAIL_CUES.items():
            if not present.intersection(requires):
                continue
            hits = [h for c in table for h in scan.hits(c) if h.sentence.zone not in ("related",)]
            claim = boolean_claim(hits, (), 2.0)
            if claim is not None:
                setattr(design, name, claim)
