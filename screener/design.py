"""What an extractor returns: a paper's research design, as the codebook defines it.

Every field of `../gold/CODEBOOK.md` is here. Each extracted value is a `Claim`: the value
(None when not detected), the verbatim evidence it rests on, and a confidence. A few extra
fields (below the codebook ones) carry the details the threat triggers of the rule set need.

A plain codebook record (the shape of the gold labels: bare values, strategy names as strings)
validates too: bare values are wrapped into claims without evidence.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "2"


class Strategy(StrEnum):
    PROXY_MODEL = "proxy_model"
    PROXY_TREATMENT = "proxy_treatment"
    PROXY_OUTCOME = "proxy_outcome"
    OBSERVATIONAL = "observational"
    WITHIN_RUN = "within_run"
    THEORETICAL_CONTROL = "theoretical_control"
    TARGET_EXPERIMENT = "target_experiment"


class Identification(StrEnum):
    RANDOMIZED = "randomized"
    DID = "did"
    RDD = "rdd"
    ADJUSTMENT = "adjustment"
    IV = "iv"
    ANALYTICAL = "analytical"
    ASSOCIATION = "association"
    NONE = "none"


class ProxyKind(StrEnum):
    MODEL = "model"
    TREATMENT = "treatment"
    OUTCOME = "outcome"


class OutcomeKind(StrEnum):
    """Which kind of outcome the claims are about (used by EXT-EMERGENCE and CON-PRIVACY-FT)."""

    PRETRAINING_LOSS = "pretraining_loss"
    DOWNSTREAM = "downstream"
    PRIVACY = "privacy"
    EFFICIENCY = "efficiency"
    OTHER = "other"


class TreatmentProxyKind(StrEnum):
    """How a proxy treatment applies the change (used by CON-PRIVACY-FT, CON-APPROX-TREATMENT)."""

    FINE_TUNING = "fine_tuning"
    CHECKPOINT_CONTINUATION = "checkpoint_continuation"
    MULTI_EPOCH = "multi_epoch"
    REWEIGHTING = "reweighting"
    OTHER = "other"


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    quote: str = Field(description="verbatim sentence from the paper")
    page: int | None = Field(default=None, description="1-based page of the quote")
    section: str | None = Field(default=None, description="heading of the section it stands in")
    grounded: bool | None = Field(
        default=None,
        description="whether the quote was found in the document text; None when unchecked",
    )


T = TypeVar("T")


class Claim(BaseModel, Generic[T]):
    """One extracted value with what it rests on. `value` None means 'not detected'."""

    model_config = ConfigDict(extra="forbid")

    value: T | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    note: str | None = Field(default=None, description="why the value was set or left empty")

    @property
    def detected(self) -> bool:
        return self.value is not None


class StrategyUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Strategy
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    headline: bool | None = Field(
        default=None,
        description="true when a claim of the abstract or conclusion rests on this strategy, "
        "false when only side analyses use it (codebook rule 9); null: not said",
    )


class IdentificationUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Identification
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class Proxy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ProxyKind
    target: str | None = Field(default=None, description="what the proxy stands in for")
    proxy: str = Field(description="what was used instead")
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


# Fields holding a Claim, in the order the codebook lists them, then the rule-facing details.
CODEBOOK_CLAIMS = (
    "in_scope",
    "treatment",
    "outcome",
    "target_recipe",
    "repeated_runs",
    "n_models",
    "pooled_families",
    "target_validation",
)
DETAIL_CLAIMS = (
    "outcome_kind",
    "treatment_proxy_kind",
    "claims_beyond_scale",
    "recipe_transfer",
    "recipes_validated",
    "published_models",
    "within_family",
    "sparse_strata",
    "systematic_groups",
    "unit_level_claims",
    "unit_level_estimates",
    "discusses_interference",
    "attribution_approximation",
    "loo_validated",
    "canaries_injected",
    "injection_effect_negligible",
)
# Keys of a gold label that are the labeller's judgment or bookkeeping, not part of the design.
LABEL_ONLY_KEYS = ("id", "title", "profile", "threats", "evidence")


class Design(BaseModel):
    """A paper's research design (the codebook as types).

    Field descriptions are written for the extractor: the LLM-facing view
    (screener/extract/llm_schema.py) shows each one to the model as that field's meaning.
    """

    model_config = ConfigDict(extra="forbid")

    # --- the codebook's fields ---
    in_scope: Claim[bool] = Field(
        default_factory=Claim,
        description="new empirical evidence on how a change to the training recipe or the "
        "evaluation of a neural model (including inference-time changes) affects an outcome",
    )
    scope_reason: str | None = Field(default=None, description="one line: why in or out of scope")
    strategies: list[StrategyUse] = Field(
        default_factory=list,
        description="every strategy a claim of the abstract or conclusion rests on; empty "
        "exactly when out of scope",
    )
    primary_strategy: Strategy | None = Field(
        default=None, description="the listed strategy the headline claim rests on most"
    )
    research_question: str | None = Field(
        default=None, description="the causal question: effect of A on Y for recipe R"
    )
    treatment: Claim[str] = Field(
        default_factory=Claim, description="what is changed (A), a short noun phrase"
    )
    outcome: Claim[str] = Field(
        default_factory=Claim, description="what is measured (Y), a short noun phrase"
    )
    target_recipe: Claim[str] = Field(
        default_factory=Claim, description="the models or scale the claims are meant for"
    )
    proxies: list[Proxy] = Field(
        default_factory=list, description="each stand-in for the model, treatment or outcome"
    )
    identification: list[IdentificationUse] = Field(
        default_factory=list, description="how a causal effect is identified"
    )
    repeated_runs: Claim[bool] = Field(
        default_factory=Claim,
        description="the headline comparison is repeated over runs/seeds or reported with an "
        "uncertainty estimate; false when the paper reports none (quote the main result)",
    )
    n_models: Claim[int] = Field(
        default_factory=Claim, description="observational: number of distinct models analysed"
    )
    pooled_families: Claim[bool] = Field(
        default_factory=Claim,
        description="observational: models of different families pooled into one analysis",
    )
    target_validation: Claim[bool] = Field(
        default_factory=Claim,
        description="proxy designs: the proxy is checked against the target and the check "
        "supports the claim (prediction verified at larger scale, proxy treatment/outcome "
        "compared with the real one)",
    )
    confidence: Literal["high", "medium", "low"] | None = Field(
        default=None, description="confidence in the record as a whole"
    )
    notes: str = Field(default="", description="anything ambiguous")

    # --- details the threat triggers need (see screener/rules/rules.toml) ---
    outcome_kind: Claim[OutcomeKind] = Field(
        default_factory=Claim, description="which kind of outcome the claims are about"
    )
    treatment_proxy_kind: Claim[TreatmentProxyKind] = Field(
        default_factory=Claim, description="how a proxy treatment applies the change"
    )
    claims_beyond_scale: Claim[bool] = Field(
        default_factory=Claim,
        description="claims concern a larger scale or longer training than any model trained",
    )
    recipe_transfer: Claim[bool] = Field(
        default_factory=Claim,
        description="results are carried to another data mix, model family or "
        "hyperparameter setting",
    )
    recipes_validated: Claim[bool] = Field(
        default_factory=Claim,
        description="results shown to hold across the recipes they are applied to",
    )
    published_models: Claim[bool] = Field(
        default_factory=Claim,
        description="observational sample of published models or leaderboard entries",
    )
    within_family: Claim[bool] = Field(
        default_factory=Claim, description="within-family analyses or family interaction terms"
    )
    sparse_strata: Claim[bool] = Field(
        default_factory=Claim, description="treatment values rare or absent in some strata"
    )
    systematic_groups: Claim[bool] = Field(
        default_factory=Claim,
        description="within-run treated and control units differ systematically "
        "(dedup, frequency, split)",
    )
    unit_level_claims: Claim[bool] = Field(
        default_factory=Claim, description="claims concern individual units (a document, a subword)"
    )
    unit_level_estimates: Claim[bool] = Field(
        default_factory=Claim, description="unit-level effect estimates are reported"
    )
    discusses_interference: Claim[bool] = Field(
        default_factory=Claim, description="the paper discusses interference between units"
    )
    attribution_approximation: Claim[bool] = Field(
        default_factory=Claim,
        description="influence functions or other analytic attribution approximations",
    )
    loo_validated: Claim[bool] = Field(
        default_factory=Claim,
        description="the approximation is validated against leave-one-out retraining",
    )
    canaries_injected: Claim[bool] = Field(
        default_factory=Claim, description="canaries or signals are injected into training"
    )
    injection_effect_negligible: Claim[bool] = Field(
        default_factory=Claim,
        description="the injection is shown to leave the model essentially unchanged",
    )

    @model_validator(mode="before")
    @classmethod
    def _wrap_bare_values(cls, data: Any) -> Any:
        """Accept codebook-shaped records: bare values become claims, names become uses."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in CODEBOOK_CLAIMS + DETAIL_CLAIMS:
            if name in data and not isinstance(data[name], dict):
                data[name] = {"value": data[name]}
        if isinstance(data.get("strategies"), list):
            data["strategies"] = [
                {"strategy": s} if isinstance(s, str) else s for s in data["strategies"]
            ]
        if isinstance(data.get("identification"), list):
            data["identification"] = [
                {"method": m} if isinstance(m, str) else m for m in data["identification"]
            ]
        if data.get("confidence") == "":
            data["confidence"] = None
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        names = self.strategy_names()
        if len(set(names)) != len(names):
            raise ValueError("a strategy is listed twice")
        if self.primary_strategy is not None and self.primary_strategy not in names:
            raise ValueError(
                f"primary_strategy {self.primary_strategy.value!r} is not among the strategies"
            )
        if self.in_scope.value is False and names:
            raise ValueError("an out-of-scope paper lists no strategies")
        return self

    @classmethod
    def from_codebook(cls, record: dict[str, Any]) -> Design:
        """A design from a gold label or any codebook-shaped record (label-only keys dropped)."""
        return cls.model_validate({k: v for k, v in record.items() if k not in LABEL_ONLY_KEYS})

    def strategy_names(self) -> list[Strategy]:
        return [use.strategy for use in self.strategies]

    def identification_names(self) -> list[Identification]:
        return [use.method for use in self.identification]

    def to_codebook(self) -> dict[str, Any]:
        """The design as a flat codebook record: bare values, no evidence."""
        record: dict[str, Any] = {
            "in_scope": self.in_scope.value,
            "scope_reason": self.scope_reason,
            "strategies": [s.value for s in self.strategy_names()],
            "primary_strategy": self.primary_strategy.value if self.primary_strategy else None,
            "research_question": self.research_question,
            "treatment": self.treatment.value,
            "outcome": self.outcome.value,
            "target_recipe": self.target_recipe.value,
            "proxies": [
                {"kind": p.kind.value, "target": p.target, "proxy": p.proxy} for p in self.proxies
            ],
            "identification": [m.value for m in self.identification_names()],
        }
        for name in CODEBOOK_CLAIMS[4:] + DETAIL_CLAIMS:
            value = getattr(self, name).value
            record[name] = value.value if isinstance(value, StrEnum) else value
        record["confidence"] = self.confidence
        record["notes"] = self.notes
        return record

    def all_evidence(self) -> list[Evidence]:
        """Every evidence quote anywhere in the design (for grounding checks)."""
        quotes: list[Evidence] = []
        for name in CODEBOOK_CLAIMS + DETAIL_CLAIMS:
            quotes.extend(getattr(self, name).evidence)
        for group in (self.strategies, self.identification, self.proxies):
            for item in group:
                quotes.extend(item.evidence)
        return quotes
