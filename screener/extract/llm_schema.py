"""The LLM-facing view of `Design`, derived from it field by field.

`Design` is the one field list: every field reaches the model under the same name with the
description written on the `Design` field (the prompt's wording of that field), unless it is
named in `EXCLUDED`. Only the shapes change, to what a model fills in easily: each claim becomes
`{value, quotes: [{quote, page}], confidence}`, and the strategies, identification methods and
proxies carry `quotes` instead of evidence. `DesignView.to_design()` maps an answer back 1:1;
the view refuses answers that `Design` would refuse (a primary strategy that is not listed,
strategies for an out-of-scope paper), so that instructor re-asks with the reason.

New `Design` fields must have defaults meaning "not said": answers written for an older view
(users' Batch API results, the recorded answers in ../shared/replay) keep validating.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo

from screener.design import (
    SCHEMA_VERSION,
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

# Bump when the view changes shape; part of every cache key together with Design's version.
VIEW_VERSION = "3"  # 3: an answer must say whether the paper is in scope
CACHE_SCHEMA_VERSION = f"design{SCHEMA_VERSION}.view{VIEW_VERSION}"

# Design fields the model is not asked for, each with the reason. (None today.)
EXCLUDED: dict[str, str] = {}

# A model that omits a confidence has not said how sure it is: midway, not certain.
DEFAULT_CONFIDENCE = 0.5

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
    confidence: float = Field(default=DEFAULT_CONFIDENCE, ge=0.0, le=1.0)


def _item_view(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The view of a list item of Design (StrategyUse, IdentificationUse, Proxy)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name == "evidence":
            fields["quotes"] = (list[Quote], Field(default_factory=list))
        elif field_name == "confidence":
            fields["confidence"] = (float, Field(default=DEFAULT_CONFIDENCE, ge=0.0, le=1.0))
        else:
            fields[field_name] = (info.annotation, _copy_field(info))
    return create_model(name, __config__=ConfigDict(extra="ignore"), **fields)


def _copy_field(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return Field(default_factory=info.default_factory, description=info.description)
    return Field(default=info.default, description=info.description)


StrategyView = _item_view(StrategyUse, "StrategyView")
IdentificationView = _item_view(IdentificationUse, "IdentificationView")
ProxyView = _item_view(Proxy, "ProxyView")
_ITEM_VIEWS: dict[str, type[BaseModel]] = {
    "strategies": StrategyView,
    "identification": IdentificationView,
    "proxies": ProxyView,
}


def _claim_type(info: FieldInfo) -> Any | None:
    """T for a `Claim[T]` field, else None."""
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, Claim):
        return annotation.__pydantic_generic_metadata__["args"][0]
    return None


def _view_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, info in Design.model_fields.items():
        if name in EXCLUDED:
            continue
        kind = _claim_type(info)
        if kind is not None:
            fields[name] = (
                ClaimView[kind],
                Field(default_factory=ClaimView[kind], description=info.description),
            )
        elif name in _ITEM_VIEWS:
            fields[name] = (
                list[_ITEM_VIEWS[name]],
                Field(default_factory=list, description=info.description),
            )
        else:
            fields[name] = (info.annotation, _copy_field(info))
    return fields


class _ViewBase(BaseModel):
    """The research design of one paper, with verbatim evidence for every value."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="after")
    def _maps_onto_design(self) -> _ViewBase:
        # Every field has a default and unknown keys are ignored, so without this any JSON
        # object (a weak model's `{}`, a tool-call blob copied from a hostile paper) would pass
        # as an empty design.
        scope = getattr(self, "in_scope", None)
        if scope is not None and scope.value is None:
            raise ValueError("in_scope.value must be answered: true or false, with a quote")
        # Raise the Design's own complaint, as a plain sentence the model can act on.
        try:
            self.to_design()
        except ValidationError as exc:
            raise ValueError("; ".join(err["msg"] for err in exc.errors())) from None
        return self

    def to_design(self) -> Design:
        """The same answer as a `Design` (evidence not yet grounded)."""
        data: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, ClaimView):
                data[name] = {
                    "value": value.value,
                    "evidence": _evidence(value.quotes),
                    "confidence": value.confidence,
                }
            elif name in _ITEM_VIEWS:
                data[name] = [_item(item) for item in value]
            else:
                data[name] = value
        return Design.model_validate(data)


def _item(item: BaseModel) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in type(item).model_fields if name != "quotes"}
    return {**values, "evidence": _evidence(item.quotes)}


def _evidence(quotes: list[Quote]) -> list[Evidence]:
    return [Evidence(quote=q.quote.strip(), page=q.page) for q in quotes if q.quote.strip()]


# The tool (and JSON schema) name the model sees; recorded answers name it too.
DesignView = create_model(
    "DesignView", __base__=_ViewBase, __doc__=_ViewBase.__doc__, **_view_fields()
)


def view_field_names() -> set[str]:
    return set(DesignView.model_fields)


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


__all__ = [
    "CACHE_SCHEMA_VERSION",
    "EXCLUDED",
    "ClaimView",
    "DesignView",
    "IdentificationView",
    "ProxyView",
    "Quote",
    "StrategyView",
    "schema_notes",
    "view_field_names",
]
