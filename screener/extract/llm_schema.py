"""The LLM-facing view of `Design`: the same field names, with shapes a model fills in easily.

Each claim becomes `{value, quotes: [{quote, page}], confidence}`; strategies, identification
methods and proxies carry their own quotes. `DesignView.to_design()` maps it 1:1 onto
`screener.design.Design`; the view refuses answers that `Design` would refuse (a primary
strategy that is not listed, strategies for an out-of-scope paper), so that instructor re-asks
with the reason instead of failing later.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from screener.design import (
    CODEBOOK_CLAIMS,
    DETAIL_CLAIMS,
    SCHEMA_VERSION,
    Design,
    Evidence,
    Identification,
    OutcomeKind,
    ProxyKind,
    Strategy,
    TreatmentProxyKind,
)

# Bump when the view changes shape; part of every cache key together with Design's version.
VIEW_VERSION = "1"
CACHE_SCHEMA_VERSION = f"design{SCHEMA_VERSION}.view{VIEW_VERSION}"

T = TypeVar("T")


class Quote(BaseModel):
    """A sentence copied verbatim from the paper, with the page from its [p. N] marker."""

    model_config = ConfigDict(extra="ignore")

    quote: str = Field(description="one or two sentences copied character for character")
    page: int | None = Field(default=None, description="page number shown in the [p. N] marker")


class ClaimView(BaseModel, Generic[T]):
    """A value with the quotes it rests on; value null when the paper does not say."""

    model_config = ConfigDict(extra="ignore")

    value: T | None = None
    quotes: list[Quote] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class StrategyView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    strategy: Strategy
    quotes: list[Quote] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class IdentificationView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    method: Identification
    quotes: list[Quote] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class ProxyView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: ProxyKind
    target: str | None = Field(default=None, description="what the proxy stands in for")
    proxy: str = Field(description="what was used instead")
    quotes: list[Quote] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


def _claim(kind: Any, description: str) -> Any:
    return Field(default_factory=ClaimView[kind], description=description)


class DesignView(BaseModel):
    """The research design of one paper, with verbatim evidence for every value."""

    model_config = ConfigDict(extra="ignore")

    in_scope: ClaimView[bool] = _claim(
        bool, "new empirical evidence on how a change to training or evaluation affects an outcome"
    )
    scope_reason: str | None = Field(default=None, description="one line: why in or out of scope")
    strategies: list[StrategyView] = Field(
        default_factory=list,
        description="every strategy the main claims rest on; empty iff out of scope",
    )
    primary_strategy: Strategy | None = Field(
        default=None, description="the listed strategy the headline claim rests on most"
    )
    research_question: str | None = Field(
        default=None, description="the causal question: effect of A on Y for recipe R"
    )
    treatment: ClaimView[str] = _claim(str, "what is changed (A), a short noun phrase")
    outcome: ClaimView[str] = _claim(str, "what is measured (Y), a short noun phrase")
    target_recipe: ClaimView[str] = _claim(str, "the models/scale the claims are meant for")
    proxies: list[ProxyView] = Field(default_factory=list)
    identification: list[IdentificationView] = Field(default_factory=list)
    repeated_runs: ClaimView[bool] = _claim(
        bool, "main comparisons repeated over seeds/runs, or with confidence intervals / tests"
    )
    n_models: ClaimView[int] = _claim(int, "observational: number of distinct models analysed")
    pooled_families: ClaimView[bool] = _claim(bool, "observational: pooled across model families")
    target_validation: ClaimView[bool] = _claim(
        bool, "proxy designs: the proxy is checked against the target"
    )
    outcome_kind: ClaimView[OutcomeKind] = _claim(
        OutcomeKind, "which kind of outcome the claims are about"
    )
    treatment_proxy_kind: ClaimView[TreatmentProxyKind] = _claim(
        TreatmentProxyKind, "how a proxy treatment applies the change"
    )
    claims_beyond_scale: ClaimView[bool] = _claim(
        bool, "claims concern a larger scale than any model trained"
    )
    recipe_transfer: ClaimView[bool] = _claim(
        bool, "results transferred to another data mix, model family or hyperparameter setting"
    )
    recipes_validated: ClaimView[bool] = _claim(
        bool, "results shown to hold across the recipes they are applied to"
    )
    published_models: ClaimView[bool] = _claim(
        bool, "observational sample of published models or leaderboard entries"
    )
    within_family: ClaimView[bool] = _claim(
        bool, "within-family analyses or family interaction terms"
    )
    sparse_strata: ClaimView[bool] = _claim(bool, "treatment values rare or absent in some strata")
    systematic_groups: ClaimView[bool] = _claim(
        bool, "within-run treated and control units differ systematically (dedup, frequency, split)"
    )
    unit_level_claims: ClaimView[bool] = _claim(
        bool, "claims concern individual units (a document, a subword)"
    )
    unit_level_estimates: ClaimView[bool] = _claim(bool, "unit-level effect estimates are reported")
    discusses_interference: ClaimView[bool] = _claim(
        bool, "the paper discusses interference between units"
    )
    attribution_approximation: ClaimView[bool] = _claim(
        bool, "influence functions or other analytic attribution approximations"
    )
    loo_validated: ClaimView[bool] = _claim(
        bool, "the approximation is validated against leave-one-out retraining"
    )
    canaries_injected: ClaimView[bool] = _claim(
        bool, "canaries or signals are injected into training"
    )
    injection_effect_negligible: ClaimView[bool] = _claim(
        bool, "the injection is shown to leave the model essentially unchanged"
    )
    confidence: Literal["high", "medium", "low"] | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _maps_onto_design(self) -> DesignView:
        # Every field has a default and unknown keys are ignored, so without this any JSON
        # object (a weak model's `{}`, a tool-call blob copied from a hostile paper) would pass
        # as an empty design.
        if self.in_scope.value is None:
            raise ValueError("in_scope.value must be answered: true or false, with a quote")
        # Raise the Design's own complaint, as a plain sentence the model can act on.
        try:
            self.to_design()
        except ValidationError as exc:
            raise ValueError("; ".join(err["msg"] for err in exc.errors())) from None
        return self

    def to_design(self) -> Design:
        """The same answer as a `Design` (evidence not yet grounded)."""
        data: dict[str, Any] = {
            "scope_reason": self.scope_reason,
            "primary_strategy": self.primary_strategy,
            "research_question": self.research_question,
            "confidence": self.confidence,
            "notes": self.notes,
            "strategies": [
                {
                    "strategy": s.strategy,
                    "evidence": _evidence(s.quotes),
                    "confidence": s.confidence,
                }
                for s in self.strategies
            ],
            "identification": [
                {"method": m.method, "evidence": _evidence(m.quotes), "confidence": m.confidence}
                for m in self.identification
            ],
            "proxies": [
                {
                    "kind": p.kind,
                    "target": p.target,
                    "proxy": p.proxy,
                    "evidence": _evidence(p.quotes),
                    "confidence": p.confidence,
                }
                for p in self.proxies
            ],
        }
        for name in CODEBOOK_CLAIMS + DETAIL_CLAIMS:
            claim: ClaimView[Any] = getattr(self, name)
            data[name] = {
                "value": claim.value,
                "evidence": _evidence(claim.quotes),
                "confidence": claim.confidence,
            }
        return Design.model_validate(data)


def _evidence(quotes: list[Quote]) -> list[Evidence]:
    return [Evidence(quote=q.quote.strip(), page=q.page) for q in quotes if q.quote.strip()]


def schema_notes() -> str:
    """A short field guide appended to the prompt: allowed values of every enumerated field."""
    lines = ["## Allowed values", ""]
    lines.append("- strategies / primary_strategy: " + ", ".join(s.value for s in Strategy))
    lines.append("- identification.method: " + ", ".join(m.value for m in Identification))
    lines.append("- proxies.kind: " + ", ".join(k.value for k in ProxyKind))
    lines.append("- outcome_kind: " + ", ".join(k.value for k in OutcomeKind))
    lines.append("- treatment_proxy_kind: " + ", ".join(k.value for k in TreatmentProxyKind))
    lines.append("- confidence (record): high, medium, low")
    return "\n".join(lines)
