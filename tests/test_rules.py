"""The rule engine against the spec (VALIDITY_RULES.md §3-§5), case by case."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.design import Design, Identification, OutcomeKind, Strategy, TreatmentProxyKind
from screener.errors import RulesError
from screener.profile import Level, ValidityType
from screener.rules import RULES_VERSION, judge
from screener.rules.engine import RULES_PATH, build_rules, parse_condition

OK, CAREFUL, KEY = Level.OK, Level.CAREFUL, Level.KEY

# Spec §3, typed out again here so that a change to the table shows up as a failing test.
BASE_ROWS = {
    "proxy_model": (OK, OK, KEY, OK),
    "proxy_treatment": (OK, OK, OK, KEY),
    "proxy_outcome": (OK, OK, OK, KEY),
    "observational": (CAREFUL, KEY, CAREFUL, OK),
    "within_run": (OK, KEY, KEY, OK),
    "theoretical_control": (CAREFUL, KEY, CAREFUL, CAREFUL),
    "target_experiment": (OK, OK, OK, OK),
}


def design(strategies: list[str], **fields: Any) -> Design:
    return Design.model_validate({"in_scope": True, "strategies": strategies, **fields})


def levels(judgment) -> tuple[Level, ...]:
    return tuple(judgment.profile.level(v) for v in ValidityType)


def threat_ids(judgment) -> set[str]:
    return {t.id for t in judgment.threats}


def threat(judgment, threat_id: str):
    return next(t for t in judgment.threats if t.id == threat_id)


@pytest.mark.parametrize("strategy", list(BASE_ROWS))
def test_base_row_is_the_floor_of_an_unmitigated_design(strategy: str) -> None:
    # Facts that trigger nothing beyond what the strategy carries by construction.
    judgment = judge(design([strategy]))
    row = judgment.profile.rows[0]
    assert tuple(row.base[v] for v in ValidityType) == BASE_ROWS[strategy]
    assert tuple(row.level(v) for v in ValidityType) == BASE_ROWS[strategy]
    assert all(a.rank >= b.rank for a, b in zip(levels(judgment), BASE_ROWS[strategy], strict=True))


def test_only_the_target_experiment_row_is_all_ok() -> None:
    all_ok = [s for s, row in BASE_ROWS.items() if set(row) == {OK}]
    assert all_ok == ["target_experiment"]


def test_out_of_scope_or_no_strategy_gives_no_profile() -> None:
    judgment = judge(Design.model_validate({"in_scope": False, "strategies": []}))
    assert not judgment.profile.applicable
    assert judgment.profile.statistical is None
    assert judgment.threats == ()
    assert judgment.rules_version == RULES_VERSION


# Each threat: the design that triggers it, the facts that mitigate it (None: none exists),
# its level before and after mitigation.
THREAT_CASES = [
    ("EXT-SCALE", ["proxy_model"], {}, {"target_validation": True}, KEY, CAREFUL),
    (
        "EXT-RECIPE",
        ["proxy_model"],
        {"recipe_transfer": True},
        {"recipes_validated": True},
        CAREFUL,
        OK,
    ),
    (
        "EXT-RECIPE",
        ["observational"],
        {"recipe_transfer": True},
        {"recipes_validated": True},
        CAREFUL,
        OK,
    ),
    ("EXT-EMERGENCE", ["proxy_model"], {"outcome_kind": "downstream"}, None, CAREFUL, None),
    ("CON-TREATMENT", ["proxy_treatment"], {}, {"target_validation": True}, KEY, CAREFUL),
    (
        "CON-PRIVACY-FT",
        ["proxy_treatment"],
        {"treatment_proxy_kind": "fine_tuning", "outcome_kind": "privacy"},
        None,
        KEY,
        None,
    ),
    ("CON-OUTCOME", ["proxy_outcome"], {}, {"target_validation": True}, KEY, CAREFUL),
    ("INT-CONFOUNDING", ["observational"], {}, {"identification": ["did"]}, KEY, CAREFUL),
    ("INT-SELECTION", ["observational"], {"published_models": True}, None, CAREFUL, None),
    ("INT-POSITIVITY", ["observational"], {"identification": ["adjustment"]}, None, CAREFUL, None),
    ("INT-POSITIVITY", ["within_run"], {"identification": ["adjustment"]}, None, CAREFUL, None),
    ("STAT-SMALL-N", ["observational"], {"n_models": 12}, {"repeated_runs": True}, CAREFUL, OK),
    (
        "STAT-SMALL-N",
        ["target_experiment"],
        {"repeated_runs": False},
        {"repeated_runs": True},
        CAREFUL,
        OK,
    ),
    (
        "EXT-POOLING",
        ["observational"],
        {"pooled_families": True},
        {"within_family": True},
        CAREFUL,
        OK,
    ),
    ("INT-INTERFERENCE", ["within_run"], {}, None, KEY, None),
    ("INT-INTERFERENCE", ["theoretical_control"], {}, None, KEY, None),
    ("INT-EXCHANGEABILITY", ["within_run"], {}, {"identification": ["rdd"]}, KEY, CAREFUL),
    ("EXT-UNITS", ["within_run"], {}, {"unit_level_estimates": True}, KEY, CAREFUL),
    (
        "STAT-APPROX",
        ["theoretical_control"],
        {"attribution_approximation": True},
        {"loo_validated": True},
        CAREFUL,
        OK,
    ),
    (
        "CON-APPROX-TREATMENT",
        ["theoretical_control"],
        {"treatment_proxy_kind": "reweighting"},
        None,
        CAREFUL,
        None,
    ),
    (
        "EXT-CANARY",
        ["theoretical_control"],
        {"canaries_injected": True},
        {"injection_effect_negligible": True},
        CAREFUL,
        OK,
    ),
]


@pytest.mark.parametrize(
    ("threat_id", "strategies", "trigger", "mitigation", "level", "lowered"), THREAT_CASES
)
def test_threat_trigger_and_mitigation(
    threat_id, strategies, trigger, mitigation, level, lowered
) -> None:
    triggered = judge(design(strategies, **trigger))
    found = threat(triggered, threat_id)
    assert found.level == level and found.base_level == level
    assert not found.mitigations
    assert found.explanation.endswith(".") and "{" not in found.explanation
    if mitigation is None:
        return
    mitigated = threat(judge(design(strategies, **{**trigger, **mitigation})), threat_id)
    assert mitigated.level == lowered
    assert mitigated.base_level == level, "a mitigation lowers a threat, it never deletes it"
    assert mitigated.mitigations and mitigated.mitigations[0].description


def test_every_catalogue_threat_has_a_case() -> None:
    catalogue = {t["id"] for t in tomllib.loads(RULES_PATH.read_text())["threats"]}
    assert catalogue == {case[0] for case in THREAT_CASES}
    assert len(catalogue) == 17


@pytest.mark.parametrize(
    ("threat_id", "strategies", "facts"),
    [
        ("EXT-SCALE", ["proxy_model"], {"claims_beyond_scale": False}),
        ("EXT-SCALE", ["target_experiment"], {}),
        ("EXT-RECIPE", ["proxy_model"], {}),
        ("EXT-EMERGENCE", ["proxy_model"], {"outcome_kind": "pretraining_loss"}),
        (
            "CON-PRIVACY-FT",
            ["proxy_treatment"],
            {"treatment_proxy_kind": "fine_tuning", "outcome_kind": "downstream"},
        ),
        ("INT-SELECTION", ["observational"], {}),
        (
            "INT-POSITIVITY",
            ["observational"],
            {"identification": ["adjustment"], "sparse_strata": False},
        ),
        ("STAT-SMALL-N", ["observational"], {"n_models": 30}),
        ("STAT-SMALL-N", ["proxy_model"], {"repeated_runs": False}),
        ("STAT-SMALL-N", ["target_experiment"], {}),
        ("INT-EXCHANGEABILITY", ["within_run"], {"systematic_groups": False}),
        ("EXT-UNITS", ["within_run"], {"unit_level_claims": False}),
        ("EXT-CANARY", ["theoretical_control"], {}),
    ],
)
def test_threat_not_triggered(threat_id, strategies, facts) -> None:
    assert threat_id not in threat_ids(judge(design(strategies, **facts)))


def test_observational_with_proxy_treatment_gives_construct_key() -> None:
    judgment = judge(design(["observational", "proxy_treatment"]))
    assert levels(judgment) == (CAREFUL, KEY, CAREFUL, KEY)
    assert {"INT-CONFOUNDING", "CON-TREATMENT"} <= threat_ids(judgment)


def test_mitigated_key_threat_lowers_its_cell_but_careful_threats_remain() -> None:
    # A scaling-law paper that verifies its prediction at the target scale, and reuses its
    # fit for another data mix: external drops from key to careful, not to ok.
    judgment = judge(design(["proxy_model"], target_validation=True, recipe_transfer=True))
    assert judgment.profile.external is CAREFUL
    assert threat(judgment, "EXT-SCALE").level is CAREFUL
    assert threat(judgment, "EXT-RECIPE").level is CAREFUL


def test_unmitigable_threat_keeps_the_cell_at_key() -> None:
    # Within-run: interference cannot be mitigated, so internal stays key even with an RDD.
    judgment = judge(design(["within_run"], identification=["rdd"]))
    assert threat(judgment, "INT-EXCHANGEABILITY").level is CAREFUL
    assert judgment.profile.internal is KEY


def test_privacy_fine_tuning_keeps_construct_key_after_treatment_validation() -> None:
    facts = {
        "treatment_proxy_kind": "fine_tuning",
        "outcome_kind": "privacy",
        "target_validation": True,
    }
    judgment = judge(design(["proxy_treatment"], **facts))
    assert threat(judgment, "CON-TREATMENT").level is CAREFUL
    assert threat(judgment, "CON-PRIVACY-FT").level is KEY
    assert judgment.profile.construct is KEY


def test_combined_row_is_elementwise_maximum_of_rows() -> None:
    judgment = judge(design(["proxy_model", "within_run", "proxy_outcome"]))
    rows = judgment.profile.rows
    for validity in ValidityType:
        assert judgment.profile.level(validity) == Level.highest([r.level(validity) for r in rows])
    assert levels(judgment) == (OK, KEY, KEY, KEY)


def test_explanation_names_this_papers_treatment_outcome_and_proxies() -> None:
    judgment = judge(
        design(
            ["proxy_model"],
            treatment="adding code to the pre-training mix",
            outcome="validation loss on a math corpus",
            target_recipe="a 70B model",
            proxies=[
                {
                    "kind": "model",
                    "target": "a 70B model",
                    "proxy": "models from 60M to 1B parameters",
                }
            ],
        )
    )
    text = threat(judgment, "EXT-SCALE").explanation
    for phrase in (
        "adding code to the pre-training mix",
        "validation loss on a math corpus",
        "a 70B model",
        "models from 60M to 1B",
    ):
        assert phrase in text


def test_threat_carries_the_triggering_evidence() -> None:
    quote = {"quote": "We fit a power law to six small models.", "page": 3}
    judgment = judge(
        design(
            [{"strategy": "proxy_model", "evidence": [quote]}],
            target_validation={
                "value": True,
                "evidence": [{"quote": "The 7B run lands on the curve.", "page": 6}],
            },
        )
    )
    found = threat(judgment, "EXT-SCALE")
    assert [e.quote for e in found.evidence] == [quote["quote"]]
    assert found.mitigations[0].evidence[0].page == 6


def test_interference_discussion_is_reported_without_lowering() -> None:
    judgment = judge(design(["within_run"], discusses_interference=True))
    found = threat(judgment, "INT-INTERFERENCE")
    assert found.level is KEY and found.notes


def test_replacing_assumption_is_named() -> None:
    judgment = judge(design(["within_run"], identification=["did"]))
    assert (
        "parallel outcome trends"
        in threat(judgment, "INT-EXCHANGEABILITY").mitigations[0].description
    )


def test_judge_is_deterministic() -> None:
    d = design(["observational", "proxy_outcome"], n_models=8, pooled_families=True)
    assert judge(d).model_dump() == judge(d).model_dump()


# --- monotonicity: adding a strategy never lowers a level --------------------------------

STRATEGY_NAMES = [s.value for s in Strategy]
maybe_bool = st.sampled_from([None, True, False])
facts_strategy = st.fixed_dictionaries(
    {
        "repeated_runs": maybe_bool,
        "target_validation": maybe_bool,
        "pooled_families": maybe_bool,
        "within_family": maybe_bool,
        "claims_beyond_scale": maybe_bool,
        "recipe_transfer": maybe_bool,
        "recipes_validated": maybe_bool,
        "published_models": maybe_bool,
        "systematic_groups": maybe_bool,
        "unit_level_claims": maybe_bool,
        "unit_level_estimates": maybe_bool,
        "attribution_approximation": maybe_bool,
        "loo_validated": maybe_bool,
        "canaries_injected": maybe_bool,
        "injection_effect_negligible": maybe_bool,
        "sparse_strata": maybe_bool,
        "n_models": st.one_of(st.none(), st.integers(1, 200)),
        "outcome_kind": st.one_of(st.none(), st.sampled_from([k.value for k in OutcomeKind])),
        "treatment_proxy_kind": st.one_of(
            st.none(), st.sampled_from([k.value for k in TreatmentProxyKind])
        ),
        "identification": st.lists(
            st.sampled_from([m.value for m in Identification]), unique=True, max_size=3
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=4),
    extra=st.sampled_from(STRATEGY_NAMES),
    facts=facts_strategy,
)
def test_adding_a_strategy_never_lowers_a_level(strategies, extra, facts) -> None:
    before = judge(design(strategies, **facts))
    after = judge(design(sorted(set(strategies) | {extra}), **facts))
    for validity in ValidityType:
        assert after.profile.level(validity).rank >= before.profile.level(validity).rank


NO_MITIGATION = {
    "repeated_runs": False,
    "target_validation": False,
    "within_family": False,
    "recipes_validated": False,
    "unit_level_estimates": False,
    "loo_validated": False,
    "injection_effect_negligible": False,
}


@settings(max_examples=200, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    facts=facts_strategy,
)
def test_levels_never_fall_below_base_rows_without_mitigation(strategies, facts) -> None:
    facts = {**facts, **NO_MITIGATION, "identification": ["randomized"]}
    judgment = judge(design(strategies, **facts))
    for strategy in strategies:
        for validity, base in zip(ValidityType, BASE_ROWS[strategy], strict=True):
            assert judgment.profile.level(validity).rank >= base.rank


@settings(max_examples=200, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    facts=facts_strategy,
)
def test_mitigation_lowers_at_most_one_step_below_base(strategies, facts) -> None:
    judgment = judge(design(strategies, **facts))
    for strategy in strategies:
        for validity, base in zip(ValidityType, BASE_ROWS[strategy], strict=True):
            assert judgment.profile.level(validity).rank >= base.rank - 1
    for found in judgment.threats:
        assert found.level in (found.base_level, found.base_level.lowered())


# --- the table itself --------------------------------------------------------------------


def _table() -> dict[str, Any]:
    return tomllib.loads(RULES_PATH.read_text())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t["threats"][0]["trigger"][0]["when"].append("n_modles < 3"),
            "unknown design field",
        ),
        (
            lambda t: t["threats"][0]["trigger"][0]["when"].append("uses proxy_modle"),
            "unknown Strategy",
        ),
        (
            lambda t: t["threats"][0]["trigger"][0]["when"].append("n_models ~ 3"),
            "not in the condition language",
        ),
        (lambda t: t["threats"][0]["trigger"][0]["when"].append("uses $nope"), "unknown parameter"),
        (lambda t: t["threats"][0].update(explanation="{treatmnt} moves"), "unknown placeholders"),
        (lambda t: t["threats"][0].update(level="severe"), "malformed"),
        (
            lambda t: t["threats"][0]["trigger"][0].update(when=["target_validation is true"]),
            "uses",
        ),
        (lambda t: t["strategies"].pop("within_run"), "lacks base rows"),
        (lambda t: t["threats"].append(copy.deepcopy(t["threats"][0])), "twice"),
    ],
)
def test_malformed_table_is_refused_at_load(edit, message) -> None:
    table = _table()
    edit(table)
    with pytest.raises(RulesError, match=message):
        build_rules(table)


def test_condition_on_unknown_value() -> None:
    cond = parse_condition("n_models < 30", {})
    assert not cond.holds(design(["observational"]))
    assert cond.holds(design(["observational"], n_models=4))
    assert parse_condition("claims_beyond_scale is not false", {}).holds(design(["proxy_model"]))


def test_rules_only_on_a_codebook_record() -> None:
    record = {
        "id": "x",
        "title": "A fictional scaling study",
        "in_scope": True,
        "strategies": ["proxy_model", "target_experiment"],
        "primary_strategy": "target_experiment",
        "repeated_runs": False,
        "target_validation": True,
        "identification": ["randomized"],
        "proxies": [{"kind": "model", "target": "larger models", "proxy": "a small ladder"}],
        "profile": {"statistical": "careful"},
        "threats": ["EXT-SCALE"],
        "evidence": {"strategies": "p.2"},
    }
    judgment = judge(Design.from_codebook(record))
    assert levels(judgment) == (CAREFUL, OK, CAREFUL, OK)
    assert threat_ids(judgment) == {"EXT-SCALE", "STAT-SMALL-N"}
    assert [r.strategy for r in judgment.profile.rows] == [
        Strategy.PROXY_MODEL,
        Strategy.TARGET_EXPERIMENT,
    ]
