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
def test_a_design_that_rules_nothing_out_keeps_its_base_row(strategy: str) -> None:
    # Nothing said beyond the strategy: every threat that explains a base cell fires.
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
    # More seeds do not add independent models: the few-models clause has no mitigation.
    ("STAT-SMALL-N", ["observational"], {"n_models": 12}, None, CAREFUL, None),
    ("STAT-SMALL-N", ["target_experiment"], {"repeated_runs": False}, None, CAREFUL, None),
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
        ("EXT-RECIPE", ["proxy_model"], {"recipe_transfer": False}),
        ("EXT-RECIPE", ["observational"], {"pooled_families": True}),
        ("EXT-EMERGENCE", ["proxy_model"], {"outcome_kind": "pretraining_loss"}),
        (
            "CON-PRIVACY-FT",
            ["proxy_treatment"],
            {"treatment_proxy_kind": "fine_tuning", "outcome_kind": "downstream"},
        ),
        ("INT-SELECTION", ["observational"], {"published_models": False}),
        (
            "INT-POSITIVITY",
            ["observational"],
            {"identification": ["adjustment"], "sparse_strata": False},
        ),
        ("STAT-SMALL-N", ["observational"], {"n_models": 30}),
        ("STAT-SMALL-N", ["target_experiment"], {"repeated_runs": True}),
        ("STAT-SMALL-N", ["proxy_model"], {"repeated_runs": True}),
        ("STAT-SMALL-N", ["within_run"], {"repeated_runs": False}),
        ("INT-EXCHANGEABILITY", ["within_run"], {"systematic_groups": False}),
        ("EXT-UNITS", ["within_run"], {"unit_level_claims": False}),
        ("EXT-CANARY", ["theoretical_control"], {"canaries_injected": False}),
        ("STAT-APPROX", ["theoretical_control"], {"attribution_approximation": False}),
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


def test_combined_row_is_elementwise_maximum_of_rows_and_threats() -> None:
    judgment = judge(design(["proxy_model", "within_run", "proxy_outcome"]))
    rows = judgment.profile.rows
    for validity in ValidityType:
        assert judgment.profile.level(validity) == Level.highest(
            [r.level(validity) for r in rows]
            + [t.level for t in judgment.threats if t.validity == validity]
        )
    # Statistical: neither proxy comparison reports repetition (STAT-SMALL-N).
    assert levels(judgment) == (CAREFUL, KEY, KEY, KEY)


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


# Facts that lower nothing: no mitigation shown, and no trigger ruled out.
NO_MITIGATION = {
    "target_validation": False,
    "within_family": False,
    "recipes_validated": False,
    "unit_level_estimates": False,
    "loo_validated": False,
    "injection_effect_negligible": False,
}
RULED_OUT_BY = (
    "claims_beyond_scale",
    "recipe_transfer",
    "published_models",
    "pooled_families",
    "systematic_groups",
    "unit_level_claims",
    "attribution_approximation",
    "canaries_injected",
    "n_models",
)


@settings(max_examples=200, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    facts=facts_strategy,
)
def test_levels_never_fall_below_base_rows_unless_the_design_rules_a_threat_out(
    strategies, facts
) -> None:
    facts = {**facts, **NO_MITIGATION, "identification": ["randomized"]}
    facts.update(dict.fromkeys(RULED_OUT_BY))
    judgment = judge(design(strategies, **facts))
    for strategy in strategies:
        for validity, base in zip(ValidityType, BASE_ROWS[strategy], strict=True):
            assert judgment.profile.level(validity).rank >= base.rank


def _headline_design(draw_strategies, draw_confidences, facts, primary_index):
    uses = [
        {"strategy": s, "confidence": c}
        for s, c in zip(draw_strategies, draw_confidences, strict=False)
    ]
    primary = draw_strategies[primary_index % len(draw_strategies)]
    return design(uses, primary_strategy=primary, **facts)


confidences = st.lists(st.sampled_from([0.2, 0.35, 0.49, 0.5, 0.8, 1.0]), min_size=7, max_size=7)


@settings(max_examples=400, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    confidence=confidences,
    primary=st.integers(0, 6),
    facts=facts_strategy,
)
def test_every_cell_above_ok_names_a_threat(strategies, confidence, primary, facts) -> None:
    judgment = judge(_headline_design(strategies, confidence, facts, primary))
    for validity in ValidityType:
        level = judgment.profile.level(validity)
        if level is OK:
            continue
        named = [
            t
            for t in judgment.threats
            if t.headline and t.validity == validity and t.level == level
        ]
        assert named, f"{validity.value} is {level.value} with no threat at that level"
    for row in judgment.profile.rows:
        for validity in ValidityType:
            cell = row.level(validity)
            assert cell is OK or any(
                t.headline
                and t.validity == validity
                and row.strategy in t.strategies
                and t.level.rank >= cell.rank
                for t in judgment.threats
            ), f"{row.strategy.value} {validity.value} cell {cell.value} is unexplained"


@settings(max_examples=300, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    confidence=confidences,
    primary=st.integers(0, 6),
    facts=facts_strategy,
)
def test_also_present_strategies_never_raise_the_profile(
    strategies, confidence, primary, facts
) -> None:
    full = judge(_headline_design(strategies, confidence, facts, primary))
    headline = [row.strategy.value for row in full.profile.rows]
    alone = judge(design(headline, primary_strategy=headline[0], **facts))
    assert levels(full) == levels(alone)
    assert {s.strategy for s in full.also_present} | set(headline) == set(strategies)
    for found in full.threats:
        if not found.headline:
            assert found.level.rank <= CAREFUL.rank
            assert not set(found.strategies) & set(headline)


@settings(max_examples=200, deadline=None)
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), unique=True, min_size=1, max_size=7),
    facts=facts_strategy,
)
def test_cells_stay_within_base_rows_and_threats_move_one_step(strategies, facts) -> None:
    judgment = judge(design(strategies, **facts))
    for row in judgment.profile.rows:
        for validity in ValidityType:
            assert row.level(validity).rank <= row.base[validity].rank
    for found in judgment.threats:
        assert found.level in (found.base_level, found.base_level.lowered())


# --- headline strategies ------------------------------------------------------------------


def test_low_confidence_secondary_strategy_is_also_present_not_profiled() -> None:
    # The GQA pattern: a target experiment, with proxy_treatment guessed at confidence 0.35.
    uses = [
        {"strategy": "target_experiment", "confidence": 0.9},
        {"strategy": "proxy_treatment", "confidence": 0.35},
    ]
    judgment = judge(design(uses, primary_strategy="target_experiment", repeated_runs=False))
    assert [r.strategy for r in judgment.profile.rows] == [Strategy.TARGET_EXPERIMENT]
    assert judgment.profile.construct is OK
    (also,) = judgment.also_present
    assert also.strategy is Strategy.PROXY_TREATMENT and "0.35" in also.reason
    shown = threat(judgment, "CON-TREATMENT")
    assert not shown.headline and shown.level is CAREFUL and shown.base_level is KEY


def test_extractor_can_say_a_strategy_carries_no_headline_claim() -> None:
    uses = [
        {"strategy": "target_experiment"},
        {"strategy": "observational", "confidence": 0.9, "headline": False},
    ]
    judgment = judge(design(uses, primary_strategy="target_experiment", repeated_runs=True))
    assert levels(judgment) == (OK, OK, OK, OK)
    assert judgment.also_present[0].reason.startswith("no claim")
    assert all(not t.headline for t in judgment.threats)


def test_primary_strategy_is_headline_whatever_its_confidence() -> None:
    uses = [{"strategy": "proxy_model", "confidence": 0.2, "headline": False}]
    judgment = judge(design(uses, primary_strategy="proxy_model"))
    assert judgment.profile.external is KEY and not judgment.also_present


def test_without_a_qualifying_strategy_the_most_confident_one_is_headline() -> None:
    uses = [
        {"strategy": "proxy_outcome", "confidence": 0.3},
        {"strategy": "observational", "confidence": 0.4},
    ]
    judgment = judge(design(uses))
    assert [r.strategy for r in judgment.profile.rows] == [Strategy.OBSERVATIONAL]
    assert [s.strategy for s in judgment.also_present] == [Strategy.PROXY_OUTCOME]


def test_silence_about_repetition_is_no_repetition() -> None:
    judgment = judge(design(["target_experiment"]))
    found = threat(judgment, "STAT-SMALL-N")
    assert found.level is CAREFUL and found.explanation.startswith("No repetition reported")
    assert judgment.profile.statistical is CAREFUL


def test_proxy_model_whose_claims_stay_within_trained_sizes_leaves_no_unexplained_key() -> None:
    facts = {"claims_beyond_scale": False, "recipe_transfer": False, "repeated_runs": True}
    judgment = judge(design(["proxy_model"], **facts))
    assert "EXT-SCALE" not in threat_ids(judgment)
    assert judgment.profile.external is OK
    assert judgment.profile.rows[0].base[ValidityType.EXTERNAL] is KEY


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
        (lambda t: t["params"].pop("headline_min_confidence"), "headline_min_confidence"),
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
    used = [Strategy.OBSERVATIONAL]
    assert not cond.holds(design(["observational"]), used)
    assert cond.holds(design(["observational"], n_models=4), used)
    assert parse_condition("claims_beyond_scale is not false", {}).holds(
        design(["proxy_model"]), [Strategy.PROXY_MODEL]
    )


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
    assert threat_ids(judgment) == {"EXT-SCALE", "EXT-RECIPE", "STAT-SMALL-N"}
    assert [r.strategy for r in judgment.profile.rows] == [
        Strategy.PROXY_MODEL,
        Strategy.TARGET_EXPERIMENT,
    ]
