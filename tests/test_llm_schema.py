"""The LLM-facing view is derived from `Design`; prompt versions and answers from absence.

Answers here are fictional and written by us; the paper is the one of tests/test_llm.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from screener.design import Claim, Design, IdentificationUse, Proxy, StrategyUse
from screener.extract.llm_schema import (
    EXCLUDED,
    DesignView,
    IdentificationView,
    ProxyView,
    StrategyView,
)
from screener.extract.prompt import load_prompt
from screener.rules import judge
from tests.openai_server import ScriptedServer, Step
from tests.test_llm import SETUP, answer, make_document, make_extractor

V1_SHA256 = "77a27074f6b584f6767c2365f00e92f92434270bc7002ff8c97357794060f19f"


def _tool_schema() -> dict[str, Any]:
    import instructor

    return instructor.generate_openai_schema(DesignView)["parameters"]


def test_every_design_field_reaches_the_model_or_is_excluded_by_name() -> None:
    properties = _tool_schema()["properties"]
    for name, info in Design.model_fields.items():
        if name in EXCLUDED:
            assert EXCLUDED[name], f"{name}: an exclusion needs its reason"
            continue
        assert name in properties, f"Design.{name} does not reach the model"
        assert info.description, f"Design.{name} has no wording for the model"
        assert properties[name].get("description") == info.description
    assert set(properties) == set(Design.model_fields) - set(EXCLUDED)


@pytest.mark.parametrize(
    ("item", "view"),
    [(StrategyUse, StrategyView), (IdentificationUse, IdentificationView), (Proxy, ProxyView)],
)
def test_list_items_keep_their_fields(item: type[BaseModel], view: type[BaseModel]) -> None:
    expected = {"quotes" if name == "evidence" else name for name in item.model_fields}
    assert set(view.model_fields) == expected


def test_claim_fields_become_value_quotes_confidence() -> None:
    claims = [
        name
        for name, info in Design.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, Claim)
    ]
    assert {"in_scope", "repeated_runs", "claims_beyond_scale"} <= set(claims)
    schema = DesignView.model_json_schema()
    for name in claims:
        ref = schema["properties"][name]["$ref"].rsplit("/", 1)[-1]
        assert set(schema["$defs"][ref]["properties"]) == {"value", "quotes", "confidence"}


def test_an_answer_maps_onto_design_one_to_one() -> None:
    record = answer()
    record["strategies"].append(
        {"strategy": "observational", "confidence": 0.9, "headline": False, "quotes": []}
    )
    design = DesignView.model_validate(record).to_design()
    assert [(s.strategy.value, s.headline) for s in design.strategies] == [
        ("proxy_model", None),
        ("observational", False),
    ]
    assert design.treatment.evidence[0].quote == SETUP
    assert design.repeated_runs.value is True
    # The rules see the second strategy as also present, not as a headline one.
    assert [s.strategy.value for s in judge(design).also_present] == ["observational"]


def test_an_answer_written_for_the_v1_view_still_validates() -> None:
    # v1 answers carry no `headline`; fields unknown to the view are ignored.
    record = answer()
    record["strategies"][0].pop("headline", None)
    record["some_field_from_the_future"] = {"value": 1}
    design = DesignView.model_validate_json(json.dumps(record)).to_design()
    assert design.strategies[0].headline is None


def test_view_refuses_what_design_refuses() -> None:
    with pytest.raises(ValueError, match="primary_strategy"):
        DesignView.model_validate(answer(primary_strategy="within_run"))


def test_prompt_versions_live_side_by_side() -> None:
    current, first = load_prompt("extract_design"), load_prompt("extract_design-v1")
    assert (current.name, current.version) == ("extract_design", "v2")
    assert (first.name, first.version) == ("extract_design", "v1")
    assert first.sha256 == V1_SHA256, "the recorded answers name this exact file"
    assert current.sha256 != first.sha256


def test_prompt_v2_states_the_codebook_v2_rules() -> None:
    system = load_prompt("extract_design").messages[0][1]
    for phrase in (
        "abstract and the",
        "inference time",
        "not null",
        "untrained target",
        "headline",
        "copied from other papers",
        "Uptraining",
        "stand-in is good",
        "supports the claim",
    ):
        assert phrase in system, phrase


def test_prompt_setting_selects_the_prompt_and_changes_the_cache_key(tmp_path: Path) -> None:
    with ScriptedServer([]) as server:
        current = make_extractor(tmp_path, server)
        first = make_extractor(tmp_path, server, prompt="extract_design-v1")
    assert first.prompt.sha256 == V1_SHA256
    document = make_document()
    assert first.key_for(document) != current.key_for(document)


def test_repetition_answered_from_absence_is_accepted(tmp_path: Path) -> None:
    # Codebook rule 16: no repetition reported -> false, quoted with the main-result sentence.
    main_result = {"value": False, "quotes": [{"quote": SETUP, "page": 2}], "confidence": 0.7}
    with ScriptedServer([Step(answer=answer(repeated_runs=main_result))]) as server:
        design = make_extractor(tmp_path, server).extract(make_document())
        assert server.count == 1, "a grounded absence answer is not sent back"
    assert design.repeated_runs.value is False
    assert design.repeated_runs.evidence[0].grounded is True
    assert any(t.id == "STAT-SMALL-N" for t in judge(design).threats)


def test_designs_cached_before_headline_existed_still_load() -> None:
    # A design stored by schema 1 (no `headline` on strategies) is read back unchanged.
    stored = DesignView.model_validate(answer()).to_design().model_dump(mode="json")
    for use in stored["strategies"]:
        del use["headline"]
    design = Design.model_validate(stored)
    assert design.strategies[0].headline is None
    assert judge(design).profile.external is not None


def test_context_keeps_the_conclusion_when_method_sections_overflow() -> None:
    # Rule 9: the conclusion's claims decide which strategies count, so it is read even when
    # long method sections alone would fill the budget.
    from screener.document import Document, Paragraph, Section
    from screener.extract.context import classify_heading, select_context

    filler = "We train the fictional model on the Lantern corpus with a fixed schedule. " * 40
    sections = tuple(
        Section(heading=f"Experimental setup {i}", paragraphs=(Paragraph(text=filler, page=i),))
        for i in range(2, 12)
    ) + (
        Section(
            heading="Conclusion",
            paragraphs=(Paragraph(text="Our conclusion holds for the trained sizes.", page=12),),
        ),
    )
    document = Document(
        source="x.pdf", sha256="b" * 64, parser="test", title="A", abstract="B", sections=sections
    )
    context = select_context(document, budget=4000)
    assert "Our conclusion holds" in context.text
    assert classify_heading("5 Conclusions and Future Work") == "conclusion"
    assert classify_heading("Discussion") == "limitations"
