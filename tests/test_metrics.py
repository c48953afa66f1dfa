"""Metric functions on tiny cases whose answers are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from screener import metrics

LEVELS = ("ok", "careful", "key")


def test_prf_from_counts() -> None:
    # tp=2, fp=1, fn=3: P = 2/3, R = 2/5, F1 = 2*2 / (2*2 + 1 + 3) = 4/8 = 0.5
    # (the same as 2PR/(P+R) = (8/15) / (16/15) = 0.5).
    result = metrics.prf(2, 1, 3)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(0.4)
    assert result.f1 == pytest.approx(0.5)
    assert result.support == 5


def test_prf_empty_cases() -> None:
    # Nothing predicted and nothing to find: every score undefined.
    assert metrics.prf(0, 0, 0) == metrics.PRF(0, 0, 0, None, None, None)
    # Two false alarms, no gold positives: precision 0/2 = 0, recall undefined, F1 0/(0+2) = 0.
    alarms = metrics.prf(0, 2, 0)
    assert (alarms.precision, alarms.recall, alarms.f1) == (0.0, None, 0.0)
    # Two misses, no predictions: precision undefined, recall 0/2 = 0, F1 0.
    misses = metrics.prf(0, 0, 2)
    assert (misses.precision, misses.recall, misses.f1) == (None, 0.0, 0.0)


def test_multiset_counts_match_each_copy_once() -> None:
    # gold {model, model, outcome}, predicted {model, treatment}: one model matches (tp=1),
    # treatment is spurious (fp=1), the second model and the outcome are missed (fn=2).
    assert metrics.multiset_counts(["model", "model", "outcome"], ["model", "treatment"]) == (
        1,
        1,
        2,
    )


# Three items with label sets (gold, predicted):
#   1: {A}    vs {A}
#   2: {A, B} vs {A}
#   3: {B}    vs {C}
PAIRS = [({"A"}, {"A"}), ({"A", "B"}, {"A"}), ({"B"}, {"C"})]


def test_per_class_and_macro_over_gold_classes_only() -> None:
    per_class = metrics.per_class_prf(PAIRS, ["A", "B", "C", "D"])
    # A: found in items 1 and 2, never spurious -> tp=2, fp=0, fn=0 -> F1 = 1.
    assert per_class["A"].f1 == 1.0
    # B: gold in items 2 and 3, never predicted -> tp=0, fn=2 -> P undefined, R = 0, F1 = 0.
    assert (per_class["B"].precision, per_class["B"].recall, per_class["B"].f1) == (None, 0.0, 0.0)
    assert per_class["B"].support == 2
    # C: predicted once, never gold -> P = 0, R undefined, F1 = 0.
    assert (per_class["C"].precision, per_class["C"].recall, per_class["C"].f1) == (0.0, None, 0.0)
    # D: absent from both sides -> nothing to score.
    assert per_class["D"].f1 is None
    # Macro over the gold classes A and B: (1 + 0) / 2 = 0.5. Had C been averaged in (it has
    # no gold support), the result would wrongly be 1/3.
    assert metrics.macro_f1(per_class, ["A", "B"]) == pytest.approx(0.5)
    assert metrics.macro_f1(per_class, []) is None


def test_micro_prf_sums_counts() -> None:
    # tp: A in 1 and 2 = 2; fp: C in 3 = 1; fn: B in 2 and 3 = 2.
    # P = 2/3, R = 2/4 = 0.5, F1 = 4 / (4 + 1 + 2) = 4/7.
    result = metrics.micro_prf(PAIRS)
    assert (result.tp, result.fp, result.fn) == (2, 1, 2)
    assert result.f1 == pytest.approx(4 / 7)


def test_accuracy_and_confusion_matrix() -> None:
    gold, predicted = ["a", "a", "b"], ["a", "b", "b"]
    # Two of three agree.
    assert metrics.accuracy(gold, predicted) == pytest.approx(2 / 3)
    assert metrics.accuracy([], []) is None
    # Rows are gold: gold a -> predicted a once and b once; gold b -> predicted b once.
    assert metrics.confusion_matrix(gold, predicted, ["a", "b"]) == [[1, 1], [0, 1]]


def test_quadratic_kappa_by_hand() -> None:
    gold = ["ok", "ok", "careful", "key", "key"]
    predicted = ["ok", "careful", "careful", "key", "careful"]
    # Observed (rows gold ok/careful/key, columns predicted):
    #   ok      [1, 1, 0]      row sums 2, 1, 2; column sums 1, 3, 1; n = 5
    #   careful [0, 1, 0]
    #   key     [0, 1, 1]
    # Weights (i-j)^2 / (k-1)^2 = (i-j)^2 / 4: adjacent cells 0.25, ok<->key 1.
    # Weighted observed disagreement: (ok,careful) 1*0.25 + (key,careful) 1*0.25 = 0.5.
    # Expected counts r_i * c_j / n:
    #   [0.4, 1.2, 0.4]
    #   [0.2, 0.6, 0.2]
    #   [0.4, 1.2, 0.4]
    # Weighted expected: 1.2*.25 + 0.4*1 + 0.2*.25 + 0.2*.25 + 0.4*1 + 1.2*.25 = 1.5.
    # kappa = 1 - 0.5 / 1.5 = 2/3.
    assert metrics.quadratic_kappa(gold, predicted, LEVELS) == pytest.approx(2 / 3)


def test_quadratic_kappa_edge_cases() -> None:
    # Perfect agreement on varied levels: observed disagreement 0 -> kappa 1.
    assert metrics.quadratic_kappa(["ok", "key"], ["ok", "key"], LEVELS) == pytest.approx(1.0)
    # Both raters say 'careful' throughout: chance disagreement is 0 (0/0); defined as 1.0.
    assert metrics.quadratic_kappa(["careful"] * 3, ["careful"] * 3, LEVELS) == 1.0
    # Gold all ok, prediction all careful: observed = expected = 3 * 0.25 -> kappa 1 - 1 = 0.
    assert metrics.quadratic_kappa(["ok"] * 3, ["careful"] * 3, LEVELS) == pytest.approx(0.0)
    # Systematic reversal ok<->key: observed 2*1 = 2; marginals (1,0,1) both sides give
    # expected [[.5,0,.5],[0,0,0],[.5,0,.5]], weighted 0.5 + 0.5 = 1 -> kappa = 1 - 2 = -1.
    assert metrics.quadratic_kappa(["ok", "key"], ["key", "ok"], LEVELS) == pytest.approx(-1.0)
    assert metrics.quadratic_kappa([], [], LEVELS) is None


def test_token_f1_squad_style() -> None:
    # "A larger learning rate" -> [larger, learning, rate] (article dropped);
    # "learning rate schedule" -> [learning, rate, schedule]; overlap 2:
    # P = 2/3, R = 2/3, F1 = 2/3.
    assert metrics.token_f1("A larger learning rate", "learning rate schedule") == pytest.approx(
        2 / 3
    )
    # Case, punctuation and articles do not matter.
    assert metrics.token_f1("The BLEU score.", "bleu score") == 1.0
    # Punctuation is deleted, not split on: "learning-rate" is one token "learningrate".
    assert metrics.normalize_answer("the learning-rate") == ["learningrate"]
    # Bag of tokens: repeated tokens count once per copy. pred [loss, loss] vs gold [loss]:
    # overlap 1, P = 1/2, R = 1, F1 = 2/3.
    assert metrics.token_f1("loss loss", "loss") == pytest.approx(2 / 3)
    # A missing prediction scores 0; both empty agree; one empty side scores 0.
    assert metrics.token_f1(None, "validation loss") == 0.0
    assert metrics.token_f1("", "") == 1.0
    assert metrics.token_f1("the", "loss") == 0.0


def _mean_statistic(values: list[float]):
    def statistic(sample):
        drawn = [values[i] for i in sample]
        return {"mean": sum(drawn) / len(drawn), "never": None}

    return statistic


def test_bootstrap_ci_contains_estimate_and_is_deterministic() -> None:
    values = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    point = sum(values) / len(values)  # 0.7
    first = metrics.bootstrap_ci(len(values), _mean_statistic(values), resamples=300, seed=7)
    again = metrics.bootstrap_ci(len(values), _mean_statistic(values), resamples=300, seed=7)
    assert first == again
    low, high = first["mean"]
    assert 0.0 <= low <= point <= high <= 1.0
    assert low < high
    # A metric that is undefined in every resample gets no interval.
    assert first["never"] is None


def test_bootstrap_ci_of_a_constant_is_a_point() -> None:
    values = [0.5] * 6
    assert metrics.bootstrap_ci(6, _mean_statistic(values), resamples=50, seed=0)["mean"] == (
        0.5,
        0.5,
    )
    assert metrics.bootstrap_ci(0, _mean_statistic(values), resamples=50, seed=0) == {}
