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

    Case-insensitive cues run over the lower-cased text with a case-sensitive pattern, and a
    leading word boundary is checked after the match instead of inside it: both let the regex
    engine skip ahead to a literal prefix, several times faster over a whole paper.
    """

    pattern: re.Pattern[str]
    weight: float
    why: str
    case: bool = False
    word_start: bool = False

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        for match in self.pattern.finditer(text if self.case else lowered):
            start = match.start()
            if self.word_start and start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
                continue
            yield match


def cue(regex: str, weight: float, why: str, *, case: bool = False) -> Cue:
    """A cue; case-insensitive unless `case` (for acronyms such as TRAK)."""
    word_start = regex.startswith(r"\b") and "|" not in _top_level(regex)
    body = regex[2:] if word_start else regex
    if not case:
        body = body.lower()
    return Cue(re.compile(body), weight, why, case, word_start)


def _top_level(regex: str) -> str:
    """The regex with every parenthesised group removed (to spot a top-level alternation)."""
    depth, kept = 0, []
    escaped = False
    for char in regex:
        if escaped:
            escaped = False
            if depth == 0:
                kept.append(char)
            continue
        if char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


GAP = r"[^.\n]{0,80}"  # words between two parts of one phrase, within one sentence
NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|different)"
SIZE = r"\d+(?:\.\d+)?\s?[MBK]\b"  # a parameter count such as 125M or 1.3B

# --- strategies -----------------------------------------------------------------------------
STRATEGY_CUES: dict[Strategy, tuple[Cue, ...]] = {
    Strategy.PROXY_MODEL: (
        cue(r"\bscaling laws?\b", 2.0, "a scaling law is fitted on models smaller than the target"),
        cue(r"\bpower[- ]laws?\b", 1.0, "power-law fits across model or data size"),
        cue(r"\bextrapolat\w*", 1.0, "results are extrapolated beyond the scales trained"),
        cue(rf"\bpredict\w*{GAP}\b(?:larger|bigger|target)[- ](?:scales?|models?)", 1.5,
            "small runs are used to predict a larger model"),
        cue(rf"\b(?:small(?:er)?|small-scale|proxy) models?\b{GAP}\b(?:larger|scale up|transfer)", 1.5,
            "small models stand in for larger ones"),
        cue(r"\bproxy models?\b", 2.0, "the paper names its small models proxies"),
        cue(rf"\bmodels? (?:ranging |with )?(?:from )?{SIZE}{GAP}\bto {SIZE}", 1.0,
            "a ladder of model sizes is trained"),
        cue(r"\b(?:across|over|with|of) (?:\w+ ){0,2}(?:model sizes|model scales|parameter counts)\b", 0.7,
            "results are compared across model sizes"),
        cue(r"\b(?:compute|data)[- ]optimal\b", 1.0, "compute-optimal allocation from fitted curves"),
        cue(rf"\bfit(?:s|ted|ting)?\b{GAP}\b(?:laws?|curves?|exponents?)\b", 1.0,
            "a curve is fitted to runs at several scales"),
        cue(r"\bunder-?train\w*|\breduced (?:token|training) budgets?\b", 1.0,
            "under-trained runs stand in for full training"),
        cue(rf"\boptimal (?:learning rates?|batch sizes?|hyper-?parameters?){GAP}\b(?:scales?|sizes?)\b", 1.0,
            "optimal hyperparameters are related to scale"),
    ),
    Strategy.PROXY_TREATMENT: (
        cue(r"\bcontinu\w* (?:pre-?training|training) (?:\w+ ){0,3}from (?:a |an |the )?(?:\w+ ){0,2}checkpoints?",
            1.5, "continued training from a checkpoint stands in for pre-training exposure"),
        cue(r"\bas a (?:proxy|stand-in|surrogate) for (?:pre-?training|removing|removal|re-?training)", 2.0,
            "the paper says its treatment stands in for pre-training or removal"),
        cue(r"\binstead of (?:pre-?training|re-?training) (?:\w+ ){0,2}from scratch", 1.5,
            "the change is applied without training from scratch"),
        cue(r"\bforget (?:set|data|split)s?\b", 1.5, "unlearning benchmark built by fine-tuning on forget data"),
        cue(rf"\bfine-?tun\w*{GAP}\b(?:on|with) (?:the )?(?:forget|poison\w*|private|canary|contaminat\w*)",
            1.5, "fine-tuning on the data whose pre-training exposure is the question"),
        cue(r"\bmulti-?epoch\b|\b(?:several|multiple|many) epochs\b", 0.7,
            "multi-epoch exposure instead of a single pass"),
        cue(rf"\b(?:down|up)-?weight\w*{GAP}\binstead of\b", 1.5, "re-weighting stands in for removal"),
    ),
    Strategy.PROXY_OUTCOME: (
        cue(r"\bLLMs?[- ]as[- ]an?[- ]judges?\b|\bLLM[- ](?:based )?(?:judges?|evaluators?)\b", 2.0,
            "an LLM judge stands in for human preference"),
        cue(r"\b(?:strong )?(?:LLMs?|language models?) (?:as|to be) (?:a |the )?(?:judges?|evaluators?)\b", 2.0,
            "an LLM judge stands in for human preference"),
        cue(rf"\bagreement\b{GAP}\bhumans?\b", 1.0, "a judge is compared with human raters"),
        cue(rf"\b(?:validation|held-out|test) (?:loss|perplexity){GAP}\b(?:proxy|surrogate|stand-?in|indicator)\b",
            1.5, "loss or perplexity stands in for task performance"),
        cue(r"\b(?:proxy|surrogate) (?:metrics?|outcomes?|measures?|tasks?)\b", 1.5,
            "a cheaper measurement stands in for the one asked about"),
        cue(rf"\bsubsets? of (?:the )?(?:benchmark|test set|examples){GAP}\bpredict", 1.5,
            "a benchmark subset predicts the full benchmark"),
        cue(r"\bpredict\w* (?:the )?(?:full[- ])?benchmark (?:performance|scores?|accuracy)", 1.5,
            "benchmark scores are predicted instead of measured"),
        cue(r"\b(?:continuous|smooth) (?:surrogate )?metrics?\b", 1.0,
            "a continuous metric stands in for an emergent ability"),
    ),
    Strategy.OBSERVATIONAL: (
        cue(rf"\b(?:evaluat\w*|benchmark\w*|test\w*|analy[sz]\w*|assess\w*) {NUM} (?:[\w-]+ ){{0,3}}(?:models|LLMs)\b",
            1.2, "many existing models are evaluated and compared"),
        cue(r"\b(?:open-?source|open-?weight|publicly available|existing|off-the-shelf|proprietary|closed-source|frontier)"
            r" (?:[\w-]+ ){0,2}(?:models|LLMs)\b", 0.5, "the sample consists of existing models"),
        cue(r"\bleaderboards?\b", 1.0, "leaderboard entries are analysed"),
        cue(rf"\b(?:correlat\w*|regress\w*)\b{GAP}\b(?:model size|parameter count|compute|FLOPs|release date|training tokens)\b",
            1.0, "outcomes of existing models are related to their recipe"),
        cue(r"\bmodel famil(?:y|ies)\b", 0.5, "models from several families are compared"),
        cue(r"\bmeta-?data\b", 0.5, "meta-data of existing models"),
        cue(r"\bobservational\b", 1.5, "the paper calls its analysis observational"),
    ),
    Strategy.WITHIN_RUN: (
        cue(r"\b(?:seen|trained-on|training|member) (?:vs\.?|versus|and) (?:unseen|held-out|non-training|non-member)"
            r" (?:documents|examples|data|samples|sequences)", 2.0,
            "trained-on and held-out units from one run are compared"),
        cue(r"\bdifference-in-differences?\b", 2.0, "difference-in-differences across units"),
        cue(r"\bregression discontinuity\b", 2.0, "regression discontinuity at a cutoff"),
        cue(r"\bin-vocabulary\b", 1.0, "in-vocabulary vs out-of-vocabulary units"),
        cue(r"\b(?:single|one|same) training run\b", 1.0, "treated and control units share one run"),
        cue(rf"\bconfounder\w*{GAP}\b(?:documents|tokens|examples|units)\b", 1.0,
            "confounder adjustment across units"),
    ),
    Strategy.THEORETICAL_CONTROL: (
        cue(r"\binfluence functions?\b", 2.0, "influence functions approximate leave-one-out effects"),
        cue(r"\bTRAK\b", 2.0, "TRAK-style data attribution", case=True),
        cue(r"\b(?:training[- ])?data attribution\b", 1.5, "training-data attribution approximations"),
        cue(r"\bcanar(?:y|ies)\b", 1.5, "injected canaries with a known control distribution"),
        cue(r"\b(?:one|single)[- ]run (?:privacy )?audit\w*|\bprivacy audit\w*", 2.0, "one-run privacy auditing"),
        cue(r"\banalytic(?:al(?:ly)?)? (?:null|control|baseline|distribution)", 1.5, "an analytic null distribution"),
    ),
    Strategy.TARGET_EXPERIMENT: (
        cue(r"\bablat\w*", 1.0, "controlled ablations of the recipe"),
        cue(r"\bwe (?:compare|contrast)\b", 0.7, "the authors compare recipe variants"),
        cue(r"\b(?:under|with|using|in) the same (?:[\w-]+ ){0,3}(?:setup|settings?|hyper-?parameters|data|budget|recipe"
            r"|configuration|conditions|number of (?:parameters|tokens))\b", 1.0, "variants share everything else"),
        cue(r"\bcontrolled (?:experiments?|comparisons?|stud(?:y|ies)|settings?)\b", 1.0, "controlled experiments"),
        cue(r"\b(?:outperform\w*|improv\w* (?:over|upon)|compared (?:to|with)) (?:the |a |strong )?(?:[\w-]+ ){0,3}baselines?\b",
            0.7, "a new recipe is compared with baselines"),
        cue(r"\bwe (?:train|pre-?train|fine-?tune)\w*\b", 0.5, "the authors train the models themselves"),
        cue(r"\b(?:variants?|variations?) (?:of|on) (?:the|our) (?:base )?models?\b", 0.7, "model variants are compared"),
        cue(r"\bwe (?:propose|introduce|present) (?:a |an )?(?:new |novel |simple )?(?:method|approach|architecture|"
            r"model|technique|recipe|framework|algorithm)", 0.7, "a proposed recipe change is evaluated"),
        cue(r"\bstate-of-the-art\b", 0.3, "results compared with the state of the art"),
    ),
}

# --- identification beyond what the strategy implies -----------------------------------------
IDENTIFICATION_CUES: dict[str, tuple[Cue, ...]] = {
    "did": (cue(r"\bdifference-in-differences?\b|\bparallel trends?\b", 2.0, "difference-in-differences"),),
    "rdd": (cue(r"\bregression discontinuity\b", 2.0, "regression discontinuity design"),),
    "adjustment": (
        cue(r"\b(?:adjust\w* for|control\w* for|condition\w* on) (?:the )?(?:[\w-]+ ){0,2}confounder", 2.0,
            "adjustment for named confounders"),
        cue(r"\bback-?door\b|\bpropensity score|\bmatching estimator", 2.0, "back-door adjustment or matching"),
    ),
    "iv": (cue(r"\binstrumental variables?\b", 2.0, "instrumental variable"),),
}

# --- repeated runs / uncertainty ---------------------------------------------------------------
REPEATED_RUN_CUES: tuple[Cue, ...] = (
    cue(rf"\b{NUM} (?:random |different )?(?:seeds|random initiali[sz]ations)\b", 1.5, "runs repeated over seeds"),
    cue(rf"\baverag\w* (?:over|across) {NUM} (?:[\w-]+ )?(?:runs|seeds|trials|repetitions)\b", 1.5,
        "results averaged over runs"),
    cue(r"\bstandard (?:deviations?|errors?)\b", 1.0, "spread across runs is reported"),
    cue(r"\berror bars?\b", 1.0, "error bars are shown"),
    cue(r"\bconfidence intervals?\b", 1.0, "confidence intervals are reported"),
    cue(r"\bstatistically significant\b|\bsignificance tests?\b|\bp\s?<\s?0?\.0\d", 1.0, "significance tests"),
)

# --- proxy checked against the target ----------------------------------------------------------
TARGET_VALIDATION_CUES: dict[Strategy, tuple[Cue, ...]] = {
    Strategy.PROXY_MODEL: (
        cue(rf"\b(?:verif\w+|validat\w+|confirm\w*)\b{GAP}\b(?:at|on|with) (?:a |the )?(?:larger|target|{SIZE})",
            1.5, "the fitted prediction is checked at a larger scale"),
        cue(rf"\bpredict\w*{GAP}\b(?:accurately|closely|well)\b|\baccurately predict", 1.0,
            "the prediction is reported to be accurate"),
        cue(rf"\b(?:matches|agrees? with|in line with|consistent with) (?:the |our )?(?:predict\w+|fitted|extrapolat\w+)",
            1.5, "the large run matches the prediction"),
        cue(rf"\b(?:scale|scaling) (?:up )?to {SIZE}", 1.0, "the recipe is carried to a larger trained model"),
    ),
    Strategy.PROXY_OUTCOME: (
        cue(rf"\bagreement\b{GAP}\bhumans?\b|\bhumans?\b{GAP}\bagreement\b", 1.5,
            "the proxy outcome is compared with human judgments"),
        cue(rf"\bcorrelat\w*{GAP}\bhuman (?:judg\w+|preferences?|ratings?|evaluat\w+|annotat\w+)", 1.5,
            "the proxy outcome correlates with human judgment"),
    ),
    Strategy.PROXY_TREATMENT: (
        cue(rf"\bcompar\w*{GAP}\b(?:pre-?training from scratch|full re-?training|retraining from scratch)", 1.5,
            "the proxy treatment is compared with the real one"),
    ),
}

# --- outcomes: phrase and kind ----------------------------------------------------------------
OUTCOME_CUES: tuple[tuple[Cue, OutcomeKind], ...] = (
    (cue(r"\b(?:validation|test|held-out|pre-?training) (?:loss|perplexity)\b|\bcross-entropy loss\b", 1.5,
         "a language-modelling loss"), OutcomeKind.PRETRAINING_LOSS),
    (cue(r"\bperplexit(?:y|ies)\b|\bbits per (?:byte|character)\b", 1.0, "perplexity"), OutcomeKind.PRETRAINING_LOSS),
    (cue(r"\b(?:privacy leakage|membership inference|memori[sz]ation|extraction attacks?|unlearning)\b", 1.5,
         "privacy or memorisation"), OutcomeKind.PRIVACY),
    (cue(r"\b(?:throughput|latency|speed-?ups?|wall-clock time|memory (?:footprint|usage|consumption)|inference cost)\b",
         1.0, "an efficiency measure"), OutcomeKind.EFFICIENCY),
    (cue(r"\bBLEU\b|\bROUGE\b|\bchrF\b|\bexact match\b|\bpass@\d\b", 1.2, "a task metric", case=True),
     OutcomeKind.DOWNSTREAM),
    (cue(r"\b(?:downstream|benchmark|task) (?:performance|scores?|accuracy|results)\b", 1.2, "benchmark performance"),
     OutcomeKind.DOWNSTREAM),
    (cue(r"\b(?:accuracy|win rates?|human preferences?)\b", 0.8, "a task score"), OutcomeKind.DOWNSTREAM),
)

# --- how a proxy treatment is applied ----------------------------------------------------------
TREATMENT_PROXY_CUES: tuple[tuple[Cue, TreatmentProxyKind], ...] = (
    (cue(r"\bcontinu\w* (?:pre-?training|training) (?:\w+ ){0,3}from (?:a |an |the )?(?:\w+ ){0,2}checkpoints?", 1.5,
         "checkpoint continuation"), TreatmentProxyKind.CHECKPOINT_CONTINUATION),
    (cue(r"\bfine-?tun\w*", 1.0, "fine-tuning"), TreatmentProxyKind.FINE_TUNING),
    (cue(r"\bmulti-?epoch\b|\b(?:several|multiple|many) epochs\b", 1.0, "multi-epoch exposure"),
     TreatmentProxyKind.MULTI_EPOCH),
    (cue(r"\b(?:down|up)-?weight\w*", 1.0, "re-weighting"), TreatmentProxyKind.REWEIGHTING),
)

# --- rule-facing detail flags: value True when the cue is seen --------------------------------
# `requires`: the flag is only read when one of these strategies was detected (else it has no
# meaning for the rules and would be noise).
DETAIL_CUES: dict[str, tuple[tuple[Strategy, ...], tuple[Cue, ...]]] = {
    "claims_beyond_scale": ((Strategy.PROXY_MODEL,), (
        cue(rf"\bextrapolat\w*{GAP}\b(?:larger|bigger|beyond|frontier)", 1.0, "extrapolation beyond the scales trained"),
        cue(rf"\bpredict\w*{GAP}\b(?:larger|bigger|frontier)[- ](?:scales?|models?)", 1.0, "predictions for larger models"),
    )),
    "recipe_transfer": ((Strategy.PROXY_MODEL, Strategy.OBSERVATIONAL), (
        cue(r"\btransfer\w* (?:\w+ ){0,3}(?:to|across) (?:other|different|new) (?:data|datasets|architectures|"
            r"model families|families|settings|hyper-?parameters)", 1.0, "results carried to other recipes"),
    )),
    "recipes_validated": ((Strategy.PROXY_MODEL, Strategy.OBSERVATIONAL), (
        cue(r"\b(?:hold|holds|consistent|robust)\w* across (?:different |several |multiple )?(?:data ?sets|data mixtures?|"
            r"architectures|model families|families|settings|recipes)", 1.0, "results hold across recipes"),
    )),
    "published_models": ((Strategy.OBSERVATIONAL,), (
        cue(r"\b(?:open-?source|open-?weight|publicly (?:available|released)|proprietary|closed-source|frontier)"
            r" (?:[\w-]+ ){0,2}(?:models|LLMs)\b|\bleaderboards?\b", 1.0, "the sample is published models"),
    )),
    "within_family": ((Strategy.OBSERVATIONAL,), (
        cue(r"\bwithin (?:each|a|the same) (?:model )?famil(?:y|ies)\b|\bfamily[- ](?:specific|level) (?:effects?|terms?)",
            1.0, "within-family analysis"),
    )),
    "pooled_families": ((Strategy.OBSERVATIONAL,), (
        cue(r"\bacross (?:[\w-]+ ){0,2}(?:model )?families\b|\b(?:different|multiple|several|various) model families\b",
            1.0, "models from several families are pooled"),
    )),
    "sparse_strata": ((Strategy.OBSERVATIONAL, Strategy.WITHIN_RUN), (
        cue(r"\b(?:few|no|rarely|sparse\w*)\b[^.\n]{0,40}\b(?:strat(?:a|um)|bins?|cells?)\b", 1.0, "sparse strata"),
    )),
    "systematic_groups": ((Strategy.WITHIN_RUN,), (
        cue(r"\bdeduplicat\w*|\b(?:by|based on) (?:corpus |token )?frequenc\w*|\bnon-random split", 1.0,
            "treated and control units differ systematically"),
    )),
    "unit_level_claims": ((Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL), (
        cue(r"\b(?:individual|single|specific) (?:training )?(?:documents?|examples?|data points?|sequences?|subwords?|tokens?)\b",
            1.0, "claims about individual units"),
    )),
    "unit_level_estimates": ((Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL), (
        cue(r"\bper-(?:example|document|sample|token|unit|data[- ]point) (?:effects?|influence|estimates?|scores?)", 1.0,
            "unit-level estimates"),
    )),
    "discusses_interference": ((Strategy.WITHIN_RUN, Strategy.THEORETICAL_CONTROL), (
        cue(r"\binterference\b|\bSUTVA\b", 1.0, "interference between units is discussed"),
    )),
    "attribution_approximation": ((Strategy.THEORETICAL_CONTROL,), (
        cue(r"\binfluence functions?\b|\b(?:training[- ])?data attribution\b|\bTRAK\b", 1.0, "an analytic attribution"),
    )),
    "loo_validated": ((Strategy.THEORETICAL_CONTROL,), (
        cue(r"\bleave-one-out\b|\bLOO\b", 1.0, "compared with leave-one-out retraining"),
    )),
    "canaries_injected": ((Strategy.THEORETICAL_CONTROL,), (
        cue(r"\b(?:inject\w*|insert\w*)\b[^.\n]{0,60}\bcanar(?:y|ies)|\bcanar(?:y|ies)\b[^.\n]{0,60}\b(?:inject|insert)\w*",
            1.0, "canaries are injected into training"),
    )),
    "injection_effect_negligible": ((Strategy.THEORETICAL_CONTROL,), (
        cue(r"\bnegligible (?:effect|impact|degradation|drop)\b|\bdoes not (?:hurt|degrade|affect) (?:model )?(?:utility|performance)",
            1.0, "the injection leaves the model essentially unchanged"),
    )),
}

# --- scope -----------------------------------------------------------------------------------
NEURAL = cue(
    r"\b(?:neural|transformers?|language models?|LLMs?|deep learning|convolutional|pre-?train\w*|fine-?tun\w*|"
    r"embeddings?|GPT|BERT|encoders?|decoders?|self-attention|attention heads?|RNNs?|LSTMs?|tokeni[sz]\w*)\b",
    1.0,
    "neural-model vocabulary",
)
EXPERIMENT = cue(
    r"\b(?:we (?:train|pre-?train|fine-?tune|evaluate|ablate)\w*|trained (?:on|for|with)|our experiments|experimental results"
    r"|benchmarks?|baselines?|outperform\w*|BLEU|perplexity|accuracy|ablations?|test set|validation (?:loss|set)"
    r"|training (?:data|steps|tokens))\b",
    1.0,
    "language of experiments on trained models",
)
THEORY = cue(r"\b(?:theorem|lemma|corollary|proposition|proof)\b", 1.0, "formal results")
SURVEY = cue(
    r"\b(?:a survey|this survey|an overview|overview of|we review|literature review|position paper|this position)\b",
    1.0,
    "the paper presents itself as a survey or position",
)
# Non-ML fields named in the scope rule: a paper dense in these and light in neural terms is out.
NON_ML_FIELDS: tuple[tuple[str, Cue], ...] = (
    ("cryptography", cue(r"\b(?:cipher\w*|cryptosystems?|encrypt\w*|decrypt\w*|public[- ]key|secrecy|ciphertexts?|"
                                r"cryptanaly\w*)\b", 1.0, "field vocabulary")),
    ("distributed systems", cue(r"\b(?:consensus (?:algorithm|protocol)s?|replicated (?:state machines?|logs?)|"
                                       r"leader election|Paxos|fault[- ]toleran\w*|servers?)\b", 1.0, "field vocabulary")),
    ("information theory", cue(r"\b(?:channel capacity|noisy channel|transmitter|entropy of the source|"
                                      r"coding theorem|bits per symbol)\b", 1.0, "field vocabulary")),
    ("algorithms and complexity", cue(r"\b(?:polynomial[- ]time|NP-hard|time complexity|upper bound|lower bound|"
                                             r"with high probability)\b", 1.0, "field vocabulary")),
)

# --- phrases for treatment, outcome, target recipe ---------------------------------------------
EFFECT_OF = re.compile(
    r"\b(?:effects?|impacts?|influence|role) of (?P<treatment>[^,.;:\n]{3,80}?) on (?P<outcome>[^,.;:\n]{3,80}?)"
    r"(?=[,.;:\n]| (?:of|in|for|when|across|and)\b)",
    re.IGNORECASE,
)
WE_PROPOSE = re.compile(
    r"\bwe (?:propose|introduce|present|study|investigate|examine|explore) (?P<treatment>[^,.;:\n]{3,90}?)"
    r"(?=[,.;:\n]| (?:that|which|to|for|and|in|on|with|where|as)\b)",
    re.IGNORECASE,
)
RECIPE = re.compile(
    r"\b(?:(?:large|small|neural|pre-?trained|long-context|autoregressive|decoder-only|multimodal|visual|vision|generative|"
    r"open|foundation|encoder-decoder|sequence|recurrent|attention-based|state[- ]space)[- ]){0,3}"
    r"(?:language models?|LLMs?|transformers?|machine translation (?:systems|models)|NMT (?:systems|models)|neural networks?"
    r"|foundation models?|sequence models?|state space models?|vision-language models?|VLMs?|diffusion models?)\b",
    re.IGNORECASE,
)
NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}
N_MODELS = re.compile(
    r"\b(?:evaluat\w*|benchmark\w*|test\w*|analy[sz]\w*|assess\w*|compar\w*|study\w*) (?:a total of |over |more than )?"
    r"(?P<n>\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)"
    r" (?:[\w-]+ ){0,4}?(?:models|LLMs|checkpoints)\b",
    re.IGNORECASE,
)
