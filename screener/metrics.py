"""Pure agreement metrics for the gold-set evaluation (no I/O, no screener types).

Conventions for empty cases, used everywhere in the evaluation report:
- precision is None when nothing was predicted (tp + fp == 0);
- recall is None when there is nothing to find (tp + fn == 0);
- F1 is 2tp / (2tp + fp + fn), so it is 0.0 as soon as there is any error and no hit, and
  None only when the class is absent from both gold and prediction (nothing to score);
- accuracy and kappa are None over zero items;
- quadratic-weighted kappa whose chance disagreement is zero (both raters gave one and the
  same level to every item) is 1.0: the ratings agree perfectly and kappa's formula is 0/0.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts they come from."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None

    @property
    def support(self) -> int:
        """Gold positives."""
        return self.tp + self.fn

    def as_dict(self) -> dict[str, float | int | None]:
        return {**asdict(self), "support": self.support}


def prf(tp: int, fp: int, fn: int) -> PRF:
    """P/R/F1 from counts, with the empty-case conventions of the module docstring."""
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return PRF(tp, fp, fn, precision, recall, f1)


def multiset_counts(
    gold: Iterable[Hashable], predicted: Iterable[Hashable]
) -> tuple[int, int, int]:
    """(tp, fp, fn) of two multisets: an item listed twice must be matched twice."""
    gold_count, pred_count = Counter(gold), Counter(predicted)
    tp = sum((gold_count & pred_count).values())
    return tp, sum(pred_count.values()) - tp, sum(gold_count.values()) - tp


def micro_prf(pairs: Iterable[tuple[Iterable[Hashable], Iterable[Hashable]]]) -> PRF:
    """Micro-averaged P/R/F1 over items: counts summed over (gold, predicted) pairs."""
    tp = fp = fn = 0
    for gold, predicted in pairs:
        a, b, c = multiset_counts(gold, predicted)
        tp, fp, fn = tp + a, fp + b, fn + c
    return prf(tp, fp, fn)


def per_class_prf(
    pairs: Sequence[tuple[Iterable[Hashable], Iterable[Hashable]]], classes: Iterable[Hashable]
) -> dict[Hashable, PRF]:
    """P/R/F1 of each class, treating each item's label sets as one-vs-rest decisions."""
    sets = [(set(gold), set(predicted)) for gold, predicted in pairs]
    result: dict[Hashable, PRF] = {}
    for label in classes:
        tp = sum(1 for g, p in sets if label in g and label in p)
        fp = sum(1 for g, p in sets if label not in g and label in p)
        fn = sum(1 for g, p in sets if label in g and label not in p)
        result[label] = prf(tp, fp, fn)
    return result


def macro_f1(per_class: dict[Hashable, PRF], classes: Iterable[Hashable]) -> float | None:
    """Mean F1 over `classes` (the caller passes the classes present in the gold file)."""
    scores = [per_class[c].f1 for c in classes if c in per_class]
    # A gold class always has support, so its F1 is a number; guard anyway.
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None


def accuracy(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float | None:
    if not gold:
        return None
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)


def confusion_matrix(
    gold: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> list[list[int]]:
    """Rows are gold labels, columns predicted labels, both in the order of `labels`."""
    position = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[position[g]][position[p]] += 1
    return matrix


def quadratic_kappa(
    gold: Sequence[Hashable], predicted: Sequence[Hashable], categories: Sequence[Hashable]
) -> float | None:
    """Cohen's kappa with quadratic weights over ordered `categories`.

    kappa = 1 - sum(w * observed) / sum(w * expected), w_ij = (i - j)^2 / (k - 1)^2, where
    `expected` is the outer product of the two raters' marginals scaled to n.
    """
    n = len(gold)
    if n == 0:
        return None
    k = len(categories)
    observed = np.array(confusion_matrix(gold, predicted, categories), dtype=float)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    idx = np.arange(k)
    weights = (idx[:, None] - idx[None, :]) ** 2 / max(k - 1, 1) ** 2
    chance = float((weights * expected).sum())
    if chance == 0.0:
        # Zero chance disagreement means both raters used one and the same level throughout.
        return 1.0 if list(gold) == list(predicted) else 0.0
    return 1.0 - float((weights * observed).sum()) / chance


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> list[str]:
    """SQuAD-style tokens: lower case, punctuation and English articles removed."""
    text = text.lower().translate(_PUNCTUATION)
    return _ARTICLES.sub(" ", text).split()


def token_f1(predicted: str | None, gold: str | None) -> float:
    """Bag-of-tokens F1 between two phrases; a missing prediction scores 0.

    Two phrases that are both empty after normalisation agree (1.0); one empty side scores 0.
    """
    gold_tokens = normalize_answer(gold or "")
    if predicted is None:
        return 0.0
    pred_tokens = normalize_answer(predicted)
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    common = sum((Counter(gold_tokens) & Counter(pred_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def bootstrap_ci(
    n: int,
    statistic: Callable[[Sequence[int]], dict[str, float | None]],
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap intervals for every metric `statistic` returns.

    `statistic` maps a list of item indices (a resample of range(n), with repetition) to a
    dict of named metrics. Resamples where a metric is None (e.g. no in-scope paper drawn) are
    left out for that metric; a metric None in every resample gets None.
    """
    if n == 0 or resamples <= 0:
        return {}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(resamples):
        sample = rng.integers(0, n, size=n).tolist()
        for name, value in statistic(sample).items():
            bucket = draws.setdefault(name, [])
            if value is not None:
                bucket.append(float(value))
    tail = (1.0 - level) / 2 * 100
    return {
        name: (
            float(np.percentile(values, tail)),
            float(np.percentile(values, 100 - tail)),
        )
        if values
        else None
        for name, values in draws.items()
    }
