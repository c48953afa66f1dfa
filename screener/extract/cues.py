"""Cue tables for the heuristic extractor: methodological language, as data.

Every cue is a compiled pattern, a weight and a one-line reason. The patterns describe how papers
talk about their *design* (fits across model sizes, "we ablate", "seen vs unseen documents"),
never a particular paper, model or number. Patterns run over one sentence at a time, so gaps are
written `[^.\n]` to stay inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from screener.design import OutcomeKind, Strategy, TreatmentProxyKind


@dataclass(frozen=True)
class Cue:
    """A pattern, its weight and why it signals what it signals.

    Case-insensitive cues run over the lower-cased text with case-sensitive patterns; a
    top-level alternation is run as separate patterns, and a leading word boundary is checked
    after the match instead of inside it. All three let the regex engine jump to a literal
    prefix, several times faster over a whole paper than one case-insensitive pattern.
    """

    pattern: re.Pattern[str]  # the whole cue, for searching a short phrase
    weight: float
    why: str
    case: bool = False
    parts: tuple[tuple[re.Pattern[str], bool], ...] = ()  # (pattern, check word start)
    # False for cues whose negation still shows the thing ("not statistically significant"
    # means a test was run).
    negatable: bool = True
    # A short noun phrase naming what the cue found (slotted into threat explanations).
    label: str = ""
    # What the sentence must also match for a hit to count: the full phrase when the pattern
    # is only its rare part, so the scan starts at the rare word instead of every common one.
    requires: re.Pattern[str] | None = None

    def finditer(self, text: str, lowered: str) -> list[re.Match[str]]:
        """Matches in reading order over the joined text (`lowered` unless case-sensitive)."""
        source = text if self.case else lowered
        found: list[re.Match[str]] = []
        for part, word_start in self.parts:
            for match in part.finditer(source):
                start = match.start()
                if (
                    word_start
                    and start
                    and (source[start - 1].isalnum() or source[start - 1] == "_")
                ):
                    continue
                found.append(match)
        if len(self.parts) > 1:
            found.sort(key=lambda m: m.start())
        return found


def cue(
    regex: str,
    weight: float,
    why: str,
    *,
    case: bool = False,
    negatable: bool = True,
    label: str = "",
    requires: str | None = None,
) -> Cue:
    """A cue; case-insensitive unless `case` (for acronyms such as TRAK)."""
    body = regex if case else regex.lower()
    parts = []
    for alternative in _split_top_level(body):
        word_start = alternative.startswith(r"\b")
        for expanded in _expand_leading_group(alternative[2:] if word_start else alternative):
            parts.append((re.compile(expanded), word_start))
    whole = re.compile(regex, 0 if case else re.IGNORECASE)
    needed = re.compile(requires, 0 if case else re.IGNORECASE) if requires else None
    return Cue(whole, weight, why, case, tuple(parts), negatable, label, needed)


def _expand_leading_group(regex: str) -> list[str]:
    """`(?:a|b)rest` -> [`arest`, `brest`], recursively, so each part starts with a literal.

    Left alone when the group is quantified (`(?:a|b)?rest`) or is the whole regex's only
    content after its closing parenthesis is a quantifier.
    """
    if not regex.startswith("(?:"):
        return [regex]
    close = _closing_paren(regex)
    if close < 0 or (close + 1 < len(regex) and regex[close + 1] in "?*+{"):
        return [regex]
    inner, rest = regex[3:close], regex[close + 1 :]
    alternatives = _split_top_level(inner)
    if len(alternatives) == 1 and not rest:
        return [regex]
    return [expanded for alt in alternatives for expanded in _expand_leading_group(alt + rest)]


def _structure(regex: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, depth) of each character outside escapes and character classes.

    `depth` is the number of groups open after the character (a ")" reports the depth it
    closes back to), which is what both helpers below need.
    """
    depth = 0
    escaped = in_class = False
    for index, char in enumerate(regex):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            depth += {"(": 1, ")": -1}.get(char, 0)
            yield index, char, depth


def _closing_paren(regex: str) -> int:
    """Index of the parenthesis closing the group that opens at index 0 (-1 if none)."""
    return next((i for i, char, depth in _structure(regex) if char == ")" and depth == 0), -1)


def _split_top_level(regex: str) -> list[str]:
    """The alternatives of a regex's top-level `|` (none inside groups or classes)."""
    cuts = [i for i, char, depth in _structure(regex) if char == "|" and depth == 0]
    bounds = [-1, *cuts, len(regex)]
    return [regex[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]


GAP = r"[^.\n]{0,80}"  # words between two parts of one phrase, within one sentence
NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|different)"
SIZE = r"\d+(?:\.\d+)?\s?[MBK]\b(?!\s?tokens)"  # a parameter count such as 125M or 1.3B
# Units inside one training run that within-run designs compare.
UNITS = (
    r"(?:datasets?|examples?|samples?|sequences?|documents?|data ?points?|tasks?|instances?|"
    r"questions?|benchmarks?|texts?|strings?|facts?)"
)

# A conclusion about model size drawn across models ("larger models are easier to prune",
# "the ability emerges with model scale"). Without a ladder trained by the authors (proxy-model
# language) the sizes are those of existing models, so it is an observational reading
# (codebook rules 4 and 12).
SIZE_TREND = cue(
    r"\b(?:larger|bigger) (?:language )?models? (?:are|is|show|exhibit|perform|benefit|"
    r"demonstrat|generally|tend|become|achieve|suffer|lose|retain|gain|outperform)\w*"
    r"|\bemerg\w*[^.\n]{0,60}\b(?:model )?scale\b"
    r"|\b(?:model (?:size|scale)|number of parameters) (?:increases|grows)"
    r"|\b(?:increas|grow)\w* (?:the )?model (?:size|scale)",
    2.0,
    "a conclusion about model size is drawn across existing models",
)

# --- strategies -----------------------------------------------------------------------------
STRATEGY_CUES: dict[Strategy, tuple[Cue, ...]] = {
    Strategy.PROXY_MODEL: (
        cue(r"\bscaling laws?\b", 2.0, "a scaling law is fitted on models smaller than the target"),
        cue(r"\bpower[- ]laws?\b", 1.0, "power-law fits across model or data size"),
        cue(
            rf"\bextrapolat\w*{GAP}\b(?:larger|scales?|model sizes?|compute|budgets?|{SIZE})",
            1.0,
            "results are extrapolated beyond the scales trained",
        ),
        cue(
            rf"\bpredict\w*{GAP}\b(?:larger|bigger|target)[- ](?:scales?|models?)",
            1.5,
            "small runs are used to predict a larger model",
        ),
        cue(
            rf"\b(?:small(?:er)?|small-scale|proxy) models?\b{GAP}\b(?:larger|scale up|transfer)",
            1.5,
            "small models stand in for larger ones",
        ),
        cue(
            r"\bproxy models?\b",
            2.0,
            "the paper names its small models proxies",
            label="small proxy models",
        ),
        cue(
            rf"\bmodels? (?:ranging |with )?(?:from )?{SIZE}{GAP}\bto {SIZE}",
            1.0,
            "a ladder of model sizes is trained",
        ),
        cue(
            r"\b(?:across|over|with|of) (?:\w+ ){0,2}(?:model sizes|model scales|parameter "
            r"counts)\b",
            0.7,
            "results are compared across model sizes",
        ),
        cue(
            r"\b(?:compute|data)[- ]optimal\b", 1.0, "compute-optimal allocation from fitted curves"
        ),
        cue(
            rf"\bfit(?:s|ted|ting)?\b{GAP}\b(?:laws?|curves?|exponents?)\b",
            1.0,
            "a curve is fitted to runs at several scales",
        ),
        cue(
            r"\bunder-?train\w*|\breduced (?:token|training) budgets?\b",
            1.0,
            "under-trained runs stand in for full training",
            label="under-trained runs",
        ),
        cue(
            r"\b(?:ablations?|experiments?) (?:[\w-]+ ){0,3}at (?:a |the )?(?:smaller|reduced|"
            r"small|\d+(?:\.\d+)?\s?[MBK]?[- ]token)"
            r" scale",
            2.0,
            "ablations run at a reduced budget and applied to the final run",
            label="ablation runs at a smaller scale",
        ),
        cue(
            r"\bscal\w* up (?:the |our )?(?:training )?(?:budget|compute|recipe)\b",
            1.0,
            "the recipe chosen on cheaper runs is scaled up",
            label="runs at a smaller budget",
        ),
        cue(
            r"\bablations? (?:runs? |models? |settings? )?and (?:the |our )?final (?:model|run|"
            r"recipe)\b",
            1.5,
            "cheaper ablation runs stand in for the final run",
            label="cheaper ablation runs",
        ),
        cue(
            rf"\boptimal (?:learning rates?|batch sizes?|hyper-?parameters?){GAP}\b(?:scales?|"
            rf"sizes?)\b",
            1.0,
            "optimal hyperparameters are related to scale",
        ),
    ),
    Strategy.PROXY_TREATMENT: (
        cue(
            r"\bcontinu\w* (?:pre-?training|training) (?:\w+ ){0,3}from (?:a |an |the )?(?:\w+ "
            r"){0,2}checkpoints?",
            1.5,
            "continued training from a checkpoint stands in for pre-training exposure",
            label="continued training from a checkpoint",
        ),
        cue(
            r"\bas a (?:proxy|stand-in|surrogate) for (?:pre-?training|removing|removal|"
            r"re-?training)",
            2.0,
            "the paper says its treatment stands in for pre-training or removal",
        ),
        cue(
            r"\binstead of (?:pre-?training|re-?training) (?:\w+ ){0,2}from scratch",
            1.5,
            "the change is applied without training from scratch",
        ),
        cue(
            r"\bforget (?:set|data|split)s?\b",
            1.5,
            "unlearning benchmark built by fine-tuning on forget data",
            label="fine-tuning on the forget data",
        ),
        cue(
            rf"\bfine-?tun\w*{GAP}\b(?:on|with) (?:the )?(?:forget|poison\w*|private|canary|"
            rf"contaminat\w*)",
            1.5,
            "fine-tuning on the data whose pre-training exposure is the question",
            label="fine-tuning",
        ),
        cue(
            r"\bmulti-?epoch\b|\b(?:several|multiple|many) epochs\b",
            0.7,
            "multi-epoch exposure instead of a single pass",
            label="multi-epoch training",
        ),
        cue(
            rf"\b(?:down|up)-?weight\w*{GAP}\binstead of\b",
            1.5,
            "re-weighting stands in for removal",
            label="down-weighting",
        ),
        cue(
            r"\b(?:simulat|emulat|mimic|imitat)\w* (?:\w+ ){0,3}(?:contaminat\w*|exposure|"
            r"leak\w*|poison\w*|pre-?training|inclusion)",
            2.0,
            "pre-training exposure is simulated by training on the data afterwards",
            label="training on the data after pre-training",
        ),
        cue(
            r"\bcounterfactual(?:ly)? (?:re-?train|train|pre-?train|intervention)\w*",
            1.5,
            "a counterfactual corpus is trained on from a checkpoint",
            label="counterfactual retraining from a checkpoint",
        ),
    ),
    Strategy.PROXY_OUTCOME: (
        cue(
            r"\bLLMs?[- ]as[- ]an?[- ]judges?\b|\bLLM[- ](?:based )?(?:judges?|evaluators?)\b",
            2.0,
            "an LLM judge stands in for human preference",
            label="an LLM judge",
        ),
        cue(
            r"\b(?:LLMs?|language models?) (?:as|to be) (?:a |the )?(?:judges?|evaluators?)\b",
            2.0,
            "an LLM judge stands in for human preference",
            label="an LLM judge",
        ),
        cue(rf"\bagreement\b{GAP}\bhumans?\b", 1.0, "a judge is compared with human raters"),
        cue(
            rf"\b(?:validation|held-out|test) (?:loss|perplexity){GAP}\b(?:proxy|surrogate|"
            rf"stand-?in|indicator)\b",
            1.5,
            "loss or perplexity stands in for task performance",
            label="validation loss or perplexity",
        ),
        cue(
            r"\bas an? (?:proxy|stand-?in|surrogate|substitute) for (?:the )?(?:[\w-]+ ){0,3}"
            r"(?:accuracy|performance|quality|preferences?|judg\w+|ratings?|scores?|"
            r"capabilit\w+|abilit\w+)\b",
            2.0,
            "a measurement is said to stand in for the task outcome",
        ),
        cue(
            r"\b(?:proxy|surrogate) (?:metrics?|outcomes?|measures?|tasks?)\b",
            1.5,
            "a cheaper measurement stands in for the one asked about",
            label="a proxy metric",
        ),
        cue(
            rf"\bsubsets? of (?:the )?(?:benchmark|test set|examples){GAP}\bpredict",
            1.5,
            "a benchmark subset predicts the full benchmark",
            label="a subset of the benchmark",
        ),
        cue(
            r"\bpredict\w* (?:the )?(?:full[- ])?benchmark (?:performance|scores?|accuracy)",
            1.5,
            "benchmark scores are predicted instead of measured",
            label="predicted benchmark scores",
        ),
        cue(
            r"\b(?:continuous|smooth) (?:surrogate )?metrics?\b",
            1.0,
            "a continuous metric stands in for an emergent ability",
            label="a continuous surrogate metric",
        ),
        cue(
            r"\bcorrelat\w* (?:\w+ ){0,2}with (?:\w+ ){0,3}(?:performance|accuracy|humans?|"
            r"downstream|benchmark|abilit|capabilit)\w*",
            1.5,
            "a cheap measurement is checked against the outcome it stands for",
            requires=r"\b(?:metric|measure|score|ratio|rate|loss|perplexity)\w*\b[^.\n]{0,60}\b"
            r"(?:positively |negatively |strongly |highly |closely |well )?correlat\w* (?:\w+ "
            r"){0,2}with",
        ),
        cue(
            r"\bused as an? (?:\w+ ){0,2}(?:metric|measure|indicator|proxy) (?:to|for) (?:evaluat|"
            r"assess|measur|rank|compar)\w*",
            1.5,
            "a measurement is proposed as a metric for model quality",
        ),
        cue(
            r"\b(?:judged|scored|rated|graded) (?:\w+ ){0,2}by (?:a |an )?(?:GPT-?4|LLM|language "
            r"model)|\bGPT-?4(?:-based)? (?:as (?:a |the )?)?(?:judge|evaluator|grader)\w*"
            r"|\bGPT-?4 for scoring",
            2.0,
            "an LLM judge scores the outputs instead of people",
            label="an LLM judge",
        ),
        cue(
            r"\bMT-?Bench\b|\bAlpacaEval\b|\bArena-?Hard\b|\bVicuna[- ]?Bench\b",
            1.0,
            "a benchmark scored by an LLM judge",
            label="a benchmark scored by an LLM judge",
        ),
        cue(
            r"\bperplexit",
            2.0,
            "perplexity under a model stands in for text quality",
            label="perplexity under a language model",
            requires=r"\b(?:text|generation|output) quality\b[^.\n]{0,30}\(?(?:as measured by |"
            r"measured by |in terms of |via |using )?(?:\w+ )?perplexit|\b(?:oracle|scoring) "
            r"(?:language )?model\b[^.\n]{0,60}\bperplexit|\bperplexit\w*\b[^.\n]{0,40}\b(?:as "
            r"(?:a |the )?(?:measure|proxy|indicator) of|to (?:measure|assess|evaluate)) (?:\w+ "
            r"){0,2}(?:quality|fluency|naturalness)",
        ),
    ),
    Strategy.OBSERVATIONAL: (
        cue(
            rf"\b(?:evaluat\w*|benchmark\w*|test\w*|analy[sz]\w*|assess\w*)(?: across| of| "
            rf"on)? {NUM} (?:[\w-]+ ){{0,3}}"
            r"(?:models|[a-z]*LMs)\b",
            1.2,
            "many existing models are evaluated and compared",
        ),
        cue(
            r"\b(?:all|the) (?:tested|evaluated) (?:models|[a-z]*LMs)\b",
            0.5,
            "a sample of existing models is tested",
        ),
        cue(
            r"\b(?:open-?source|open-?weight|publicly available|existing|off-the-shelf|"
            r"proprietary|closed-source|frontier)"
            r" (?:[\w-]+ ){0,2}(?:models|LLMs)\b",
            0.5,
            "the sample consists of existing models",
        ),
        cue(r"\bleaderboards?\b", 1.0, "leaderboard entries are analysed"),
        cue(
            rf"\b(?:correlat\w*|regress\w*)\b{GAP}\b(?:model size|parameter count|compute|"
            rf"FLOPs|release date|training tokens)\b",
            1.0,
            "outcomes of existing models are related to their recipe",
        ),
        cue(r"\bmodel famil(?:y|ies)\b", 0.5, "models from several families are compared"),
        cue(r"\bmeta-?data\b", 0.5, "meta-data of existing models"),
        cue(r"\bobservational\b", 1.5, "the paper calls its analysis observational"),
        SIZE_TREND,
    ),
    Strategy.WITHIN_RUN: (
        cue(
            r"\b(?:seen|trained-on|training|member) (?:vs\.?|versus|and) (?:unseen|held-out|"
            r"non-training|non-member)"
            r" (?:documents|examples|data|samples|sequences)",
            2.0,
            "trained-on and held-out units from one run are compared",
        ),
        cue(r"\bdifference-in-differences?\b", 2.0, "difference-in-differences across units"),
        cue(r"\bregression discontinuity\b", 2.0, "regression discontinuity at a cutoff"),
        cue(r"\bin-vocabulary\b", 1.0, "in-vocabulary vs out-of-vocabulary units"),
        cue(
            r"\b(?:single|one|same) training run\b", 1.0, "treated and control units share one run"
        ),
        cue(
            rf"\bconfounder\w*{GAP}\b(?:documents|tokens|examples|units)\b",
            1.0,
            "confounder adjustment across units",
        ),
        cue(
            r"\b(?:seen|included|contained|present|memori[sz]ed) (?:\w+ ){0,2}(?:in|during|by) "
            r"(?:the |their |its |a )?(?:model'?s? )?(?:pre-?)?training\b",
            1.5,
            "units that were in the training data are set against units that were not",
            requires=rf"\b{UNITS}\b[^.\n]{{0,60}}\b(?:seen|included|contained|present|"
            r"memori[sz]ed) (?:\w+ ){0,2}(?:in|during|by) (?:the |their |its |a )?(?:model'?s? )?"
            r"(?:pre-?)?training\b",
        ),
        cue(
            r"\b(?:released|published|created|collected|cut-?off|creation date)\b",
            1.5,
            "units from before and after the training-data cutoff are compared",
            requires=r"\b(?:released|published|created|collected) (?:\w+ ){0,2}(?:before|after|"
            r"prior to) (?:\w+ ){0,4}(?:training|cut-?off|creation date)|\b(?:training[- ]data|"
            r"knowledge) (?:cut-?off|creation date)",
        ),
        cue(
            r"\bfrequen\w*|\bduplicat\w*|\bnumber of (?:times|duplicates|copies|occurrences)",
            1.5,
            "units that occur more or less often in the training data are compared",
            requires=rf"\b(?:number of (?:times|duplicates|copies|occurrences)|duplicat\w*|"
            rf"frequen\w*){GAP}\b(?:in|within) (?:the |its |their |a )?(?:pre-?)?training "
            rf"(?:data|set|corpus|sequences)\b|\b(?:term|token|document|pre-?training) "
            rf"frequenc\w*",
        ),
        cue(
            r"\bmemori[sz]\w*",
            0.7,
            "memorised and not memorised units of one training run",
        ),
        cue(
            r"\bmembership inference\b",
            0.7,
            "members and non-members of the training data are compared",
        ),
    ),
    Strategy.THEORETICAL_CONTROL: (
        cue(
            r"\binfluence functions?\b",
            2.0,
            "influence functions approximate leave-one-out effects",
        ),
        cue(r"\bTRAK\b", 2.0, "TRAK-style data attribution", case=True),
        cue(r"\bdata attribution\b", 1.5, "training-data attribution approximations"),
        cue(
            r"\bcanaries\b|\b(?:random|gaussian|injected|inserted) canar(?:y|ies)\b|\bcanary "
            r"(?:sequences?|gradients?|examples?)",
            1.5,
            "injected canaries with a known control distribution",
        ),
        cue(
            r"\b(?:one|single)[- ]run (?:privacy )?audit\w*|\bprivacy audit\w*",
            2.0,
            "one-run privacy auditing",
        ),
        cue(
            r"\banalytic(?:al(?:ly)?)? (?:null|control|baseline|distribution)",
            1.5,
            "an analytic null distribution",
        ),
    ),
    Strategy.TARGET_EXPERIMENT: (
        cue(r"\bablat\w*", 1.0, "controlled ablations of the recipe"),
        cue(r"\bwe (?:compare|contrast)\b", 0.7, "the authors compare recipe variants"),
        cue(
            r"\b(?:under|with|using|in) the same (?:[\w-]+ ){0,3}(?:setup|settings?|"
            r"hyper-?parameters|data|budget|recipe"
            r"|configuration|conditions|number of (?:parameters|tokens))\b",
            1.0,
            "variants share everything else",
        ),
        cue(
            r"\bcontrolled (?:experiments?|comparisons?|stud(?:y|ies)|settings?)\b",
            1.0,
            "controlled experiments",
        ),
        cue(
            r"\b(?:outperform\w*|improv\w* (?:over|upon)|compared (?:to|with)) (?:the |a |"
            r"strong )?(?:[\w-]+ ){0,3}baselines?\b",
            0.7,
            "a new recipe is compared with baselines",
        ),
        cue(
            r"\bwe (?:train|pre-?train|fine-?tune)\w*\b",
            0.5,
            "the authors train the models themselves",
        ),
        cue(
            r"\b(?:variants?|variations?) (?:of|on) (?:the|our) (?:base )?models?\b",
            0.7,
            "model variants are compared",
        ),
        cue(
            r"\bwe (?:propose|introduce|present) (?:a |an )?(?:new |novel |simple )?(?:method|"
            r"approach|architecture|"
            r"model|technique|recipe|framework|algorithm)",
            0.7,
            "a proposed recipe change is evaluated",
        ),
        cue(r"\bstate-of-the-art\b", 0.3, "results compared with the state of the art"),
    ),
}

# The question a proxy treatment stands in for: pre-training exposure to some data (codebook
# rule 2). Named in the title, abstract or introduction, it makes a fine-tuning or
# continued-training design in the body the paper's headline design.
EXPOSURE_QUESTION = cue(
    r"\bcontaminat\w*|\bpoison\w*|\bunlearn\w*"
    r"|\bmemori[sz]\w*|\bbackdoor\w*|\b(?:exposure|inclusion) (?:to|of) (?:\w+ ){0,2}(?:data|"
    r"documents|examples)",
    1.0,
    "the question is about exposure to data during pre-training",
)

# The outcome a proxy outcome stands in for: how people judge outputs (quality, preference,
# helpfulness). Named in the headline, it makes a cheaper measurement in the body the measure
# the headline claim rests on (codebook rule 3).
OUTCOME_QUESTION = cue(
    r"\bquality\b|\bhuman-align\w*|\bhelpfulness\b|\bfluency\b|\bnaturalness\b",
    1.0,
    "the question is about how people would judge the outputs",
    requires=r"\b(?:(?:text|generation|output|response|writing) quality|human-align|"
    r"helpfulness|fluency|naturalness)",
)
# The paper measures people's judgments itself, so an LLM judge beside them supports the
# claims rather than standing in for the outcome (unless the judge is the paper's subject).
HUMAN_MEASURED = cue(
    r"\bwe (?:conduct|run|perform|carry out|introduce|design)\w* (?:a |an )?(?:\w+ ){0,2}human "
    r"(?:evaluation|study|annotation)|\bhuman evaluation (?:framework|protocol|study)"
    r"|\b(?:our|the) (?:participants|human raters|annotators) (?:prefer|rated|judged)\w*"
    r"|\bhuman (?:judgments|evaluations?|ratings) (?:reveal|show|confirm|indicate)\w*",
    1.0,
    "people judge the outputs in the paper",
)

# Words that, in the same sentence as ablation language, say the ablation runs on proxies for a
# larger model (codebook rule 1): such ablations count toward proxy_model, not target_experiment.
PROXY_SCALE_CONTEXT = cue(
    rf"\b(?:small(?:er)?|tiny|small-scale|proxy|cheap(?:er)?) (?:[\w-]+ )?models?\b"
    rf"|\bextrapolat\w*|\bscaling laws?\b|\bpower[- ]laws?\b|\bfit(?:s|ted|ting)? (?:[\w-]+ "
    rf")?laws?\b|\b(?:transfer|scal|generali[sz]|carr|appl)\w*{GAP}\bto (?:a |an |the )?{SIZE}"
    rf"(?! tokens)|\bunder-?train\w*"
    rf"|\breduced (?:token |training |compute )?budgets?\b",
    1.0,
    "the sentence says the models are proxies for a larger one",
)

# --- identification beyond what the strategy implies -----------------------------------------
IDENTIFICATION_CUES: dict[str, tuple[Cue, ...]] = {
    "did": (
        cue(
            r"\bdifference-in-differences?\b|\bparallel trends?\b", 2.0, "difference-in-differences"
        ),
    ),
    "rdd": (cue(r"\bregression discontinuity\b", 2.0, "regression discontinuity design"),),
    "adjustment": (
        cue(
            r"\b(?:adjust\w* for|control\w* for|condition\w* on) (?:the )?(?:[\w-]+ "
            r"){0,2}confounder",
            2.0,
            "adjustment for named confounders",
        ),
        cue(
            r"\bback-?door\b|\bpropensity score|\bmatching estimator",
            2.0,
            "back-door adjustment or matching",
        ),
    ),
    "iv": (cue(r"\binstrumental variables?\b", 2.0, "instrumental variable"),),
}

# --- repeated runs / uncertainty ---------------------------------------------------------------
# Weights grade how plainly a cue describes the paper's own repetitions: 2.0 names how often
# runs were repeated or averaged, 1.0 is an uncertainty display of unclear scope, 0.5 a bare
# statistics term that also appears in data analyses.
_COUNT = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten)"
REPEATED_RUN_CUES: tuple[Cue, ...] = (
    cue(
        rf"\b{_COUNT} (?:random |different |independent )?seeds\b"
        rf"|\b(?:over|across|with|using|on|from) {_COUNT} (?:random |different |independent )?"
        r"(?:seeds|runs|trials|repetitions|initiali[sz]ations)\b",
        2.0,
        "runs repeated over seeds",
    ),
    cue(
        rf"\baverag\w* (?:over|across) {NUM} (?:[\w-]+ )?(?:runs|seeds|trials|repetitions)\b",
        2.0,
        "results averaged over runs",
    ),
    cue(
        rf"\brepeat\w* (?:\w+ ){{0,4}}{_COUNT} times\b",
        2.0,
        "runs repeated several times",
    ),
    cue(
        r"\b(?:multiple|several|different) (?:random )?seeds\b|\brandom seeds\b",
        1.0,
        "seeds are varied",
    ),
    cue(r"\bstandard (?:deviations?|errors?)\b", 1.0, "spread across runs is reported"),
    cue(r"\berror bars?\b", 1.0, "error bars are shown"),
    cue(r"\bconfidence intervals?\b", 1.0, "confidence intervals are reported"),
    cue(r"\bsignificance tests?\b|\bstatistical tests?\b", 1.0, "significance tests"),
    # "not statistically significant" still reports a test, so these are not negated.
    cue(
        r"\bstatistically significant\b|\bp\s?<\s?0?\.0\d",
        0.5,
        "a significance test is reported",
        negatable=False,
    ),
)
# Uncertainty terms (standard deviation, interval, error bars) count fully only beside words that
# tie them to repeated runs or to how results are shown; alone they may describe data.
UNCERTAINTY_CUE_WHYS = frozenset(
    {
        "spread across runs is reported",
        "error bars are shown",
        "confidence intervals are reported",
    }
)
RUNS_LINK = re.compile(
    r"\b(?:seeds?|runs|trials|repetitions|repeats|initiali[sz]ations|independent|we report|"
    r"reported|shaded|in parenthes[ie]s|error bars?|mean and)\b|\u00b1|\+/-",
    re.IGNORECASE,
)
# A statement about every result ("all results are averaged over three seeds", "each model is
# trained with five seeds") rather than one figure's side experiment.
RUNS_GLOBAL = re.compile(
    r"\b(?:all|each|every|throughout|unless (?:otherwise )?(?:stated|noted|specified|mentioned)|"
    r"we report|are reported|(?:our|the|main|reported) (?:results|numbers|scores|experiments)|"
    r"results (?:are )?(?:averaged|reported))\b",
    re.IGNORECASE,
)
# Sentences whose statistics belong to something other than the main comparisons: association
# and agreement measures (p-values of a correlation, inter-annotator kappa, a regression fit).
RUNS_ASSOCIATION = re.compile(
    r"\b(?:correlat\w*|pearson|spearman|kendall|kappa|krippendorff|inter-?annotator|inter-?rater|"
    r"regression (?:lines?|fits?|models?|coefficients?|slopes?)|f-tests?|chi-squared?)\b"
    r"|[\u03ba\u03c1\u03c4]\s?=",
    re.IGNORECASE,
)
# Repeated timing measurements (runtime averaged over runs on a GPU) are not repeated training.
RUNS_TIMING = re.compile(
    r"\b(?:gpus?|tpus?|cpus?|latency|runtimes?|run-?times?|wall-?clock|throughput|speed-?ups?|"
    r"timings?|seconds|milliseconds|ms)\b",
    re.IGNORECASE,
)
# Fixing a seed for reproducibility, and descriptive statistics of the data.
RUNS_INCIDENTAL = re.compile(
    r"\bfix\w* (?:the |a |all |our )?(?:random )?seeds?\b|\bseeds? (?:of|=|to|is set to) \d"
    r"|\breproducib\w*[^.\n]{0,80}\bseeds?\b|\bseeds?\b[^.\n]{0,80}\breproducib\w*"
    # A statistical test that is the paper's method (a detector's decision rule), not an
    # uncertainty estimate of its comparisons.
    r"|\b(?:propos|introduc|design|deriv|develop)\w* (?:a |an )?(?:\w+ ){0,3}(?:statistical|"
    r"significance|hypothesis) tests?\b|\bdetect\w*\b[^.\n]{0,80}\b(?:statistically "
    r"significant|p-values?|z-scores?)|\b(?:statistically significant|p-values?|z-scores?)"
    r"[^.\n]{0,80}\bdetect\w*"
    r"|\b(?:dataset|data|corpus|benchmark) statistics\b"
    r"|\b(?:standard deviation|variance) of (?:the )?(?:[\w-]+ )?(?:lengths?|norms?|tokens|words"
    r"|documents|sentences|inputs|embeddings|weights|activations)\b",
    re.IGNORECASE,
)
# Sections whose statements are not the main comparisons: analyses beside the results,
# ablations and human studies (counted at a fraction), and appendix material (not counted).
RUNS_SIDE_HEADING = re.compile(
    r"analys[ie]s|ablation|human (?:evaluation|study)|annotation|case stud|qualitative|"
    r"limitation|discussion|statistics|error analysis",
    re.IGNORECASE,
)
# ("Human evaluation" stays a side study; "Results and analysis" is the main results.)
RUNS_MAIN_HEADING = re.compile(r"result|experiment|benchmark", re.IGNORECASE)
RUNS_APPENDIX_HEADING = re.compile(
    r"^(?:appendi(?:x|ces)|supplement|additional (?:experiments?|results|analys[ie]s|ablations?)|"
    r"more (?:experiments?|results)|further (?:experiments?|results)|ablation details)",
    re.IGNORECASE,
)
# An appendix section number: a capital letter, optionally with subsections ("B", "C.2").
APPENDIX_NUMBER = re.compile(r"^[A-Z](?:\.\d+)*$")
# A sentence that reports a result (what a silent repeated_runs quotes, codebook rule 16).
RESULT_SENTENCE = re.compile(
    r"\b(?:outperform\w*|improv\w*|achiev\w*|reduc\w*|surpass\w*|match(?:es|ed|ing)?|beats?|"
    r"we (?:find|found|show|demonstrate|observe)|results? (?:show|indicate|demonstrate|suggest|"
    r"reveal)|leads? to|yields?|gains?)\b",
    re.IGNORECASE,
)
# Explicit statements that the main comparisons rest on one run each (repeated_runs false).
SINGLE_RUN_CUES: tuple[Cue, ...] = (
    cue(
        r"\b(?:with|using|from|on|over) (?:a single|only one|one) (?:random )?(?:seed|run|trial)\b"
        r"|\bone (?:seed|run|trial) (?:per|for each|each)\b|\bsingle[- ]seeds?\b",
        1.5,
        "runs are not repeated over seeds",
    ),
    cue(
        r"\b(?:did|do|does|could|can)(?: not|n't) (?:\w+ ){0,2}(?:repeat|re-?run|average)\w*"
        r"|\bnot (?:been )?repeated\b",
        1.5,
        "the authors say the runs were not repeated",
    ),
    cue(
        r"\bpoint estimates\b",
        0.5,
        "results are reported as point estimates",
    ),
)

# --- negation ------------------------------------------------------------------------------------
# A boolean cue is read as denied when one of these words stands within NEGATION_WINDOW words
# before it in the same clause ("without confidence intervals", "not averaged over seeds"),
# or when the clause goes on to deny it ("error bars are not shown").
NEGATORS = re.compile(
    r"\b(?:not|no|without|never|neither|nor|none|lacks?|lacking|absent|cannot)\b|n't\b|\bnon-$",
    re.IGNORECASE,
)
# Phrases with a negator that do not negate what follows.
NOT_NEGATING = re.compile(
    r"\bnot only\b|\bno (?:longer|more than|less than|fewer than)\b|\bwhether or not\b"
    # A denied result ("no difference across five seeds") still reports the runs.
    r"|\bno (?:\w+ )?(?:differences?|changes?|gains?|improvements?|effects?|drops?|degradation|"
    r"variation|benefits?|advantage)\b|\bnot (?:\w+ )?(?:significantly|statistically|differ|change|"
    r"improve|affect|help|hurt)\w*",
    re.IGNORECASE,
)
NEGATION_WINDOW = 5
# What ends a clause for the negation scope: punctuation and clause-opening conjunctions.
CLAUSE_BREAK = re.compile(
    r"[;:,()\u2014]|\b(?:but|while|whereas|although|though|however|instead)\b", re.IGNORECASE
)
NEGATION_AFTER = re.compile(
    r"^[^;:,.]{0,30}?\b(?:(?:are|is|were|was|have|has|had)(?: been)? (?:not|never)|omitted|"
    r"unavailable|not (?:reported|shown|computed|available))\b",
    re.IGNORECASE,
)

# --- proxy checked against the target ----------------------------------------------------------
TARGET_VALIDATION_CUES: dict[Strategy, tuple[Cue, ...]] = {
    Strategy.PROXY_MODEL: (
        cue(
            rf"\b(?:verif\w+|validat\w+|confirm\w*)\b{GAP}\b(?:at|on|with) (?:a |the "
            rf")?(?:larger|target|{SIZE})",
            1.5,
            "the fitted prediction is checked at a larger scale",
        ),
        cue(
            rf"\bpredict(?:ed|ion|ions|s)?\b{GAP}\b(?:accurately|closely|well)\b(?!-)"
            r"|\baccurately predict",
            1.0,
            "the prediction is reported to be accurate",
        ),
        cue(
            r"\b(?:matches|agrees? with|in line with|consistent with) (?:the |our "
            r")?(?:predict\w+|fitted|extrapolat\w+)",
            1.5,
            "the large run matches the prediction",
        ),
        cue(
            rf"\b(?:scale|scaling) (?:up )?to {SIZE}",
            1.0,
            "the recipe is carried to a larger trained model",
        ),
        cue(
            r"\bscal\w* up (?:the |our )?(?:training )?(?:budget|compute)\b|\bscal\w* up to (?:a |"
            r"an |the )?(?:full|larger|higher|large[- ]scale)\b",
            1.0,
            "the choice made on cheaper runs is trained and evaluated at the full budget",
        ),
    ),
    Strategy.PROXY_OUTCOME: (
        cue(
            rf"\bagreement\b{GAP}\bhumans?\b|\bhumans?\b{GAP}\bagreement\b",
            1.5,
            "the proxy outcome is compared with human judgments",
        ),
        cue(
            rf"\bcorrelat\w*{GAP}\bhuman (?:judg\w+|preferences?|ratings?|evaluat\w+|annotat\w+)",
            1.5,
            "the proxy outcome correlates with human judgment",
        ),
    ),
    Strategy.PROXY_TREATMENT: (
        cue(
            rf"\bcompar\w*{GAP}\b(?:pre-?training from scratch|full re-?training|retraining "
            rf"from scratch)",
            1.5,
            "the proxy treatment is compared with the real one",
        ),
    ),
}

# Explicit statements that the proxy was not checked against the target (validation false).
TARGET_NOT_VALIDATED_CUES: tuple[Cue, ...] = (
    cue(
        rf"\b(?:did|do|does|could|can|have|has)(?: not|n't) (?:yet |been )?(?:\w+ )?train\w* "
        rf"(?:an? |the |any )?(?:(?:larger|target|full[- ]scale|frontier) models?|{SIZE})",
        1.5,
        "the paper says no model at the target scale was trained",
    ),
    cue(
        rf"\b(?:did|do|does|could|can|have|has)(?: not|n't) (?:yet |been )?(?:\w+ ){{0,2}}?"
        rf"(?:verif|validat|confirm|check|test|compar)\w*{GAP}\b(?:larger|large|target|"
        rf"full[- ]scale|frontier|{SIZE}|predict\w*|extrapolat\w*|human|benchmark|proxy)",
        1.5,
        "the paper says the proxy was not checked against the target",
    ),
    cue(
        r"\bwithout (?:\w+ ){0,2}(?:verif|validat|confirm|check|test)\w* (?:the |our |this "
        r")?(?:predict\w*|extrapolat\w*|proxy|fitted)",
        1.5,
        "the prediction is left unverified",
    ),
    cue(
        r"\b(?:remains?|is|are|left) (?:\w+ )?(?:unverified|untested|unvalidated|unchecked)\b"
        r"|\b(?:verif|validat|check)\w* (?:\w+ ){0,4}(?:is |are )?left (?:to|for) future work",
        1.5,
        "the check at the target is left open",
    ),
)

# --- outcomes: phrase and kind ----------------------------------------------------------------
OUTCOME_CUES: tuple[tuple[Cue, OutcomeKind], ...] = (
    (
        cue(
            r"\b(?:validation|test|held-out|pre-?training) (?:loss|perplexity)\b|"
            r"\bcross-entropy loss\b",
            1.5,
            "a language-modelling loss",
        ),
        OutcomeKind.PRETRAINING_LOSS,
    ),
    (
        cue(r"\bperplexit(?:y|ies)\b|\bbits per (?:byte|character)\b", 1.0, "perplexity"),
        OutcomeKind.PRETRAINING_LOSS,
    ),
    (
        cue(
            r"\b(?:privacy leakage|membership inference|memori[sz]ation|extraction attacks?|"
            r"unlearning)\b",
            1.5,
            "privacy or memorisation",
        ),
        OutcomeKind.PRIVACY,
    ),
    (
        cue(
            r"\b(?:throughput|latency|speed-?ups?|wall-clock time|memory (?:footprint|usage|"
            r"consumption)|inference cost)\b",
            1.0,
            "an efficiency measure",
        ),
        OutcomeKind.EFFICIENCY,
    ),
    (
        cue(
            r"\bBLEU\b|\bROUGE\b|\bchrF\b|\bexact match\b|\bpass@\d\b",
            1.2,
            "a task metric",
            case=True,
        ),
        OutcomeKind.DOWNSTREAM,
    ),
    (
        cue(
            r"\b(?:downstream|benchmark|task) (?:performance|scores?|accuracy|results)\b",
            1.2,
            "benchmark performance",
        ),
        OutcomeKind.DOWNSTREAM,
    ),
    (
        cue(r"\b(?:accuracy|win rates?|human preferences?)\b", 0.8, "a task score"),
        OutcomeKind.DOWNSTREAM,
    ),
)

# --- how a proxy treatment is applied ----------------------------------------------------------
TREATMENT_PROXY_CUES: tuple[tuple[Cue, TreatmentProxyKind], ...] = (
    (
        cue(
            r"\bcontinu\w* (?:pre-?training|training) (?:\w+ ){0,3}from (?:a |an |the )?(?:\w+ "
            r"){0,2}checkpoints?",
            1.5,
            "checkpoint continuation",
        ),
        TreatmentProxyKind.CHECKPOINT_CONTINUATION,
    ),
    (cue(r"\bfine-?tun\w*", 1.0, "fine-tuning"), TreatmentProxyKind.FINE_TUNING),
    (
        cue(r"\bmulti-?epoch\b|\b(?:several|multiple|many) epochs\b", 1.0, "multi-epoch exposure"),
        TreatmentProxyKind.MULTI_EPOCH,
    ),
    (cue(r"\b(?:down|up)-?weight\w*", 1.0, "re-weighting"), TreatmentProxyKind.REWEIGHTING),
)

# --- rule-facing detail flags: value True when the cue is seen --------------------------------
# `requires`: the flag is only read when one of these strategies was detected (else it has no
# meaning for the rules and would be noise).
DETAIL_CUES: dict[str, tuple[tuple[Strategy, ...], tuple[Cue, ...]]] = {
    "claims_beyond_scale": (
        (Strategy.PROXY_MODEL,),
        (
            cue(
                rf"\bextrapolat\w*{GAP}\b(?:(?:larger|bigger|frontier)[- ](?:\w+ )?(?:models?|"
                rf"scales?|sizes?|compute|budgets?|runs?|networks?|systems?)|beyond|{SIZE})",
                1.0,
                "extrapolation beyond the scales trained",
            ),
            cue(
                rf"\bpredict\w*{GAP}\b(?:larger|bigger|frontier)[- ](?:scales?|models?)"
                r"|\bpredictable scaling\b",
                1.0,
                "predictions for larger models",
            ),
            cue(
                r"\b(?:compute|data)[- ]optimal\b|\boptimal (?:allocation|model size|"
                r"number of (?:parameters|tokens))\b",
                1.0,
                "an allocation for budgets beyond the runs is derived from fitted curves",
            ),
            cue(
                rf"\bprox(?:y|ies)\b{GAP}\b(?:larger|bigger|large[- ]scale|full[- ]scale)\b"
                rf"|\b(?:small(?:er)?|tiny|lightweight|cheap(?:er)?) (?:[\w-]+ )?(?:models?|runs?|"
                rf"proxies)\b{GAP}\b(?:transfer\w*|appl\w*|carr\w*|generali[sz]\w*) "
                rf"(?:\w+ ){{0,3}}to (?:the )?(?:train\w* )?(?:larger|bigger|large)\b",
                1.0,
                "small runs stand in for larger ones",
            ),
            cue(
                r"\b(?:infeasible|prohibitive\w*|too (?:costly|expensive)|unaffordable|"
                r"constraints?)\b",
                1.0,
                "the target scale is out of reach, so smaller runs stand in",
                requires=rf"\b(?:infeasible|prohibitive\w*|too (?:costly|expensive)|unaffordable|"
                rf"(?:computational|compute|hardware|resource) constraints?)\b{GAP}\b(?:instead|"
                rf"small(?:er)?|proxy|proxies)\b",
            ),
            cue(
                r"\bhyper-?parameters?\b[^.\n]{0,60}\btransferr?\w* (?:\w+ ){0,2}(?:between|"
                r"across|to) (?:different |larger )?(?:model )?(?:sizes|scales|models)"
                r"|\b(?:\u00b5|\u03bc|mu)P\b|\bmaximal[- ]update[- ]parametri[sz]ation",
                1.0,
                "hyperparameters tuned on small models are transferred to larger ones",
            ),
            cue(
                r"\borders? of magnitude smaller than\b",
                1.0,
                "the trained models are far smaller than the ones the claims concern",
            ),
            cue(
                r"\bscal\w* up (?:the |our )?(?:training )?(?:budget|compute|recipe)\b",
                1.0,
                "the final run is larger than the runs the choices were made on",
            ),
            cue(
                r"\bablations? (?:runs? |models? |settings? )?and (?:the |our )?final (?:model|"
                r"run|recipe)\b",
                1.0,
                "ablation runs differ from the final run",
            ),
        ),
    ),
    "recipe_transfer": (
        (Strategy.PROXY_MODEL, Strategy.OBSERVATIONAL),
        (
            cue(
                r"\btransfer\w* (?:\w+ ){0,3}(?:to|across) (?:other|different|new) (?:data|"
                r"datasets|architectures|"
                r"model families|families|settings|hyper-?parameters)",
                1.0,
                "results carried to other recipes",
            ),
        ),
    ),
    "recipes_validated": (
        (Strategy.PROXY_MODEL, Strategy.OBSERVATIONAL),
        (
            cue(
                r"\b(?:hold|holds|consistent|robust)\w* across (?:different |several |multiple "
                r")?(?:data ?sets|data mixtures?|"
                r"architectures|model families|families|settings|recipes)",
                1.0,
                "results hold across recipes",
            ),
        ),
    ),
    "published_models": (
        (Strategy.OBSERVATIONAL,),
        (
            cue(
                r"\b(?:open-?source|open-?weight|publicly (?:available|released)|proprietary|"
                r"closed-source|frontier)"
                r" (?:[\w-]+ ){0,2}(?:models|LLMs)\b|\bleaderboards?\b",
                1.0,
                "the sample is published models",
            ),
        ),
    ),
    "within_family": (
        (Strategy.OBSERVATIONAL,),
        (
            cue(
                r"\bwithin (?:each|a|the same) (?:model )?famil(?:y|ies)\b|\bfamily[- "
                r"](?:specific|level) (?:effects?|terms?)",
                1.0,
                "within-family analysis",
            ),
        ),
    ),
    "pooled_families": (
        (Strategy.OBSERVATIONAL,),
        (
            cue(
                r"\bacross (?:[\w-]+ ){0,2}(?:model )?families\b|\b(?:different|multiple|"
                r"several|various) model families\b",
                1.0,
                "models from several families are pooled",
            ),
            cue(
                r"\b(?:proprietary|closed(?:-source)?|commercial|open-?source|open-?weight)\b",
                1.0,
                "open and closed models from several providers are pooled",
                requires=r"\b(?:open-?source|open-?weight|open)\b[^.\n]{0,40}\b(?:and|to|vs\.?|"
                r"versus)\b[^.\n]{0,20}\b(?:proprietary|closed(?:-source)?|commercial|API)\b"
                r"|\b(?:proprietary|closed(?:-source)?|commercial)\b[^.\n]{0,40}\b(?:and|to|"
                r"vs\.?|versus)\b[^.\n]{0,20}\b(?:open-?source|open-?weight|open)\b",
            ),
        ),
    ),
    "sparse_strata": (
        (Strategy.OBSERVATIONAL, Strategy.WITHIN_RUN),
        (
            cue(
                r"\b(?:few|no|rarely|sparse\w*)\b[^.\n]{0,40}\b(?:strat(?:a|um)|bins?|cells?)\b",
                1.0,
                "sparse strata",
            ),
        ),
    ),
    "systematic_groups": (
        (Strategy.WITHIN_RUN,),
        (
            cue(
                r"\bdeduplicat\w*|\b(?:by|based on) (?:corpus |token )?frequenc\w*|"
                r"\bnon-random split",
                1.0,
                "treated and control units differ systematically",
            ),
        ),
    ),
    "unit_level_claims": (
        (Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL),
        (
            cue(
                r"\b(?:individual|single|specific) (?:training )?(?:documents?|examples?|data "
                r"points?|sequences?|subwords?|tokens?)\b",
                1.0,
                "claims about individual units",
            ),
        ),
    ),
    "unit_level_estimates": (
        (Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL),
        (
            cue(
                r"\bper-(?:example|document|sample|token|unit|data[- ]point) (?:effects?|"
                r"influence|estimates?|scores?)",
                1.0,
                "unit-level estimates",
            ),
        ),
    ),
    "discusses_interference": (
        (Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL),
        (cue(r"\binterference\b|\bSUTVA\b", 1.0, "interference between units is discussed"),),
    ),
    "attribution_approximation": (
        (Strategy.THEORETICAL_CONTROL,),
        (
            cue(
                r"\binfluence functions?\b|\bdata attribution\b|\bTRAK\b",
                1.0,
                "an analytic attribution",
            ),
        ),
    ),
    "loo_validated": (
        (Strategy.THEORETICAL_CONTROL,),
        (cue(r"\bleave-one-out\b|\bLOO\b", 1.0, "compared with leave-one-out retraining"),),
    ),
    "canaries_injected": (
        (Strategy.THEORETICAL_CONTROL,),
        (
            cue(
                r"\b(?:inject\w*|insert\w*)\b[^.\n]{0,60}\bcanar(?:y|ies)|\bcanar(?:y|"
                r"ies)\b[^.\n]{0,60}\b(?:inject|insert)\w*",
                1.0,
                "canaries are injected into training",
            ),
        ),
    ),
    "injection_effect_negligible": (
        (Strategy.THEORETICAL_CONTROL,),
        (
            cue(
                r"\bnegligible (?:effect|impact|degradation|drop)\b|\bdoes not (?:hurt|degrade|"
                r"affect) (?:model )?(?:utility|performance)",
                1.0,
                "the injection leaves the model essentially unchanged",
            ),
        ),
    ),
}

# --- scope -----------------------------------------------------------------------------------
NEURAL = cue(
    r"\b(?:neural|transformers?|language models?|LLMs?|deep learning|convolutional|"
    r"pre-?train\w*|fine-?tun\w*|"
    r"embeddings?|GPT|BERT|encoders?|decoders?|self-attention|attention heads?|RNNs?|LSTMs?|"
    r"tokeni[sz]\w*)\b",
    1.0,
    "neural-model vocabulary",
)
EXPERIMENT = cue(
    r"\b(?:we (?:train|pre-?train|fine-?tune|evaluate|ablate)\w*|trained (?:on|for|with)|our "
    r"experiments|experimental results"
    r"|benchmarks?|baselines?|outperform\w*|BLEU|perplexity|accuracy|ablations?|test set|"
    r"validation (?:loss|set)"
    r"|training (?:data|steps|tokens)|checkpoints?|datasets?|evaluat\w+ on|we (?:report|"
    r"measure|observe)"
    r"|results (?:on|show)|speed-?ups?|throughput|inference (?:speed|time|cost))\b",
    1.0,
    "language of experiments on trained models",
)
# The authors speak of experiments they ran (an essay about models has almost none).
OWN_EXPERIMENT = cue(
    r"\bwe (?:\w+ )?(?:train|pre-?train|fine-?tune|evaluate|ablate|measure|compare|test|run|"
    r"report|observe|conduct|perform|experiment)\w*|\b(?:our|these|the) (?:experiments|empirical "
    r"results|experimental results)\b|\bexperimental (?:results|setup|settings?)\b|\bresults "
    r"(?:show|indicate|demonstrate|suggest|reveal)|\b(?:table|figure|fig\.) \d+ (?:shows|reports|"
    r"compares|presents|lists|summari[sz]es)",
    1.0,
    "the authors report experiments of their own",
)
THEORY = cue(r"\b(?:theorem|lemma|corollary|proposition|proof)\b", 1.0, "formal results")
SURVEY = cue(
    r"\b(?:a survey|this survey|an overview|overview of|we review|literature review|position "
    r"paper|this position)\b",
    1.0,
    "the paper presents itself as a survey or position",
)
# Non-ML fields named in the scope rule: a paper dense in these and light in neural terms is out.
NON_ML_FIELDS: tuple[tuple[str, Cue], ...] = (
    (
        "cryptography",
        cue(
            r"\b(?:cipher\w*|cryptosystems?|encrypt\w*|decrypt\w*|public[- ]key|secrecy|"
            r"ciphertexts?|"
            r"cryptanaly\w*)\b",
            1.0,
            "field vocabulary",
        ),
    ),
    (
        "distributed systems",
        cue(
            r"\b(?:consensus (?:algorithm|protocol)s?|replicated (?:state machines?|logs?)|"
            r"leader election|Paxos|fault[- ]toleran\w*|servers?)\b",
            1.0,
            "field vocabulary",
        ),
    ),
    (
        "information theory",
        cue(
            r"\b(?:channel capacity|noisy channel|transmitter|entropy of the source|"
            r"coding theorem|bits per symbol)\b",
            1.0,
            "field vocabulary",
        ),
    ),
    (
        "algorithms and complexity",
        cue(
            r"\b(?:polynomial[- ]time|NP-hard|time complexity|upper bound|lower bound|"
            r"with high probability)\b",
            1.0,
            "field vocabulary",
        ),
    ),
)

# --- sentences about other people's work ------------------------------------------------------
# A citation: "Smith et al. (2020)", "(Smith and Lee, 2020; ...)", "[12]", "[3, 7-9]".
CITATION = re.compile(
    r"\b[A-Z][\w'-]+ (?:et al\.?|and [A-Z][\w'-]+),? \(?\d{4}[a-z]?\b"
    r"|\([A-Z][\w'-]+(?: et al\.?| and [A-Z][\w'-]+)?,? \d{4}[a-z]?[;),]"
    r"|\[\d{1,3}(?:\s?[,\u2013-]\s?\d{1,3})*\]"
)
# What every citation above contains (a year or a bracket), checked first because it is cheap.
CITATION_HINT = re.compile(r"\d{4}|\[\d")
# Words by which the authors speak of their own work.
OWN_WORK = re.compile(
    r"\b(?:we|our|ours|us|this (?:paper|work|study|report)|here|the present)\b", re.IGNORECASE
)

# --- phrases for treatment, outcome, target recipe ---------------------------------------------
# "X serves as a proxy for Y", "X as a stand-in for Y", "X in place of Y", "X to approximate Y",
# "we use X instead of Y": X is what was used, Y what it stands in for.
PROXY_FOR = re.compile(
    r"(?P<proxy>[^;:.\n]{3,160}?)\s+(?:(?:serves?|served|acts?|acted|is used|are used|was used|"
    r"were used) as |as )(?:an? |the )?(?:(?:cheap|cheaper|noisy|simple|reliable)\s)?"
    r"(?:proxy|proxies|stand-?ins?|surrogates?|substitutes?|replacements?) (?:for|of) "
    r"(?P<target>[^;:.\n]{3,160})"
    r"|(?P<proxy2>[^;:.\n]{3,160}?)\s+(?:in place of|instead of|to approximate|to estimate|"
    r"to stand in for) (?P<target2>[^;:.\n]{3,160})",
    re.IGNORECASE,
)
# The linking words PROXY_FOR needs, for a cheap check before it runs.
PROXY_FOR_WORDS = re.compile(
    r"prox(?:y|ies)|stand-?ins?|surrogate|substitute|replacement|in place of|instead of|"
    r"to approximate|to estimate|to stand in for",
    re.IGNORECASE,
)
# Where a proxy or target phrase ends: a subordinate clause or an example list.
PHRASE_END = re.compile(
    r",|\(|\s(?:such as|because|since|which|that|when|where|while|as|so|in order|due to|"
    r"and (?:we|thus|therefore|so)|e\.g\.|i\.e\.)\s",
    re.IGNORECASE,
)
# What opens a proxy phrase but is not part of it.
PHRASE_LEAD = re.compile(
    r"^(?:(?:we|they|instead|here|thus|therefore|so|then|finally|in (?:this|our) (?:paper|work|"
    r"study)|following [^,]+,)\s*,?\s*)*(?:(?:use|used|uses|using|adopt|adopted|take|took|measure|"
    r"measured|employ|employed|report|reported|rely on|relied on)\s+)?(?:this|these|our|such)?\s*",
    re.IGNORECASE,
)
MAX_PHRASE_WORDS = 12
# "X is a scalable way to approximate Y": the subject ends at the copula.
COPULA = re.compile(r"\s(?:is|are|was|were|provides?|offers?|remains?|becomes?)\s", re.IGNORECASE)
# What a proxy outcome or a proxy treatment stands in for (to tell "a proxy for accuracy" from
# "a proxy for pre-training exposure" and "a proxy for larger models").
OUTCOME_TARGET = re.compile(
    r"\b(?:accura\w*|performance|preferences?|judg\w*|ratings?|raters?|annotat\w*|quality|"
    r"scores?|abilit\w*|capabilit\w*|humans?|benchmarks?|success|correct\w*|evaluat\w*|"
    r"outcomes?|metrics?|reasoning|utility|helpfulness|harmlessness|safety|win rates?)\b",
    re.IGNORECASE,
)
TREATMENT_TARGET = re.compile(
    r"\b(?:pre-?train\w*|exposure|remov\w*|re-?train\w*|from scratch|inclusion|includ\w*|"
    r"deletion|unlearn\w*|contaminat\w*)\b",
    re.IGNORECASE,
)
# A ladder of proxy sizes: "60M, 150M, 400M and 1B parameters", "models from 125M to 1.3B".
LADDER = re.compile(
    rf"(?P<sizes>{SIZE}(?:\s*(?:,|and|or|to|-|\u2013)\s*(?:and\s+)?{SIZE})+)\s*"
    rf"(?:parameters?|params|non-embedding parameters)\b"
    rf"|\bmodels? (?:ranging |with sizes? )?(?:from |between )(?P<sizes2>{SIZE} (?:to|and) {SIZE})",
    re.IGNORECASE,
)
SIZE_VALUE = re.compile(r"(\d+(?:\.\d+)?)\s?([MBK])\b", re.IGNORECASE)
# A noun phrase naming small models used as proxies.
SMALL_MODELS = re.compile(
    r"\b(?:(?:small|smaller|tiny|small-scale|proxy|cheaper|reduced-scale)[- ])+"
    r"(?:(?:language|transformer|proxy)[- ])?(?:models|LMs|transformers|networks|runs)\b",
    re.IGNORECASE,
)
# A model of a stated size: "a 70B model", "a 7B-parameter language model".
SCALED_MODEL = re.compile(
    rf"\b(?:an? |the )?(?P<size>{SIZE})(?:[- ]param(?:eter)?s?)?[- ](?:(?:language|transformer|"
    rf"decoder-only|dense|base)[- ])?(?:models?|LLMs?|LMs?|transformers?)\b",
    re.IGNORECASE,
)
# Heads and modifiers that say nothing about what changed ("a novel approach").
VAGUE_WORDS = frozenset(
    re.findall(
        r"\w+",
        "a an the our this these its their new novel simple simpler effective more efficient "
        "general unified principled scalable powerful yet and or better improved alternative "
        "approach approaches method methods framework frameworks technique techniques model "
        "models system systems algorithm algorithms way ways strategy strategies paradigm "
        "solution solutions architecture architectures mechanism scheme pipeline recipe "
        "procedure idea first family class study analysis work paper investigation means tool",
    )
)
NAMED = re.compile(
    r"\b(?:called|named|dubbed|termed)\s+(?P<name>[^,;:.\n]{2,60}?)(?=[,;:.\n]|$|\s\()"
)
EFFECT_OF = re.compile(
    r"\b(?:effects?|impacts?|influence|role) of (?P<treatment>[^,.;:\n]{3,80}?) on "
    r"(?P<outcome>[^,.;:\n]{3,80}?)"
    r"(?=[,.;:\n]| (?:of|in|for|when|across|and)\b)",
    re.IGNORECASE,
)
WE_PROPOSE = re.compile(
    r"\bwe (?:propose|introduce|present|study|investigate|examine|explore) "
    r"(?P<treatment>[^,.;:\n]{3,90}?)"
    r"(?=[,.;:\n]| (?:that|which|to|for|in|on|with|where|as)\b)",
    re.IGNORECASE,
)
RECIPE = re.compile(
    r"\b(?:(?:large|small|neural|pre-?trained|long-context|autoregressive|decoder-only|"
    r"multimodal|visual|vision|generative|"
    r"open|foundation|encoder-decoder|sequence|recurrent|attention-based|state[- ]space)[- ]){0,3}"
    r"(?:language models?|LLMs?|transformers?|machine translation (?:systems|models)|NMT "
    r"(?:systems|models)|neural networks?"
    r"|foundation models?|sequence models?|state space models?|vision-language models?|VLMs?|"
    r"diffusion models?)\b",
    re.IGNORECASE,
)
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}
N_MODELS = re.compile(
    r"\b(?:evaluat\w*|benchmark\w*|test\w*|analy[sz]\w*|assess\w*|compar\w*|study\w*)"
    r" (?:across |of |on )?(?:a total of |over |more than )?"
    r"(?P<n>\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty)"
    r" (?:[\w-]+ ){0,4}?(?:models|[a-z]*LMs|checkpoints)\b",
    re.IGNORECASE,
)
