"""How training tunes the thresholds on its held-out part: at the prevalence the fit assumes, the
highest review threshold about as good as the best, and demotion only where the model's own
words speak against a message."""

import numpy as np
import pytest

from bot.core.model import logit, sigmoid
from bot.train.fit import (
    CLEAN_BUDGET, F1_TOLERANCE, TrainError, _Held, _review_threshold, tune,
)


def _scores(*groups: tuple[int, float]) -> np.ndarray:
    """Log-odds: ``count`` messages scoring ``p``, for each group."""
    return np.concatenate([np.full(count, logit(p)) for count, p in groups])


def _labels(*groups: tuple[int, bool]) -> np.ndarray:
    return np.concatenate([np.full(count, label) for count, label in groups])


def test_a_file_collected_for_slurs_does_not_pull_the_review_threshold_down():
    """Half the violations score 0.3, as do 40 clean messages (within the clean budget).
    Counted as collected (as many violations as clean messages), flagging from 0.3 is best;
    at the prevalence the fit assumes (each violation counting for 0.02), those 40 clean
    messages cost more than the violations gain, and the threshold goes above them."""
    positive = _labels((500, True), (500, True), (1000, False), (40, False))
    z = _scores((500, 0.95), (500, 0.3), (1000, 0.05), (40, 0.3))
    assert 40 / 1040 <= CLEAN_BUDGET
    nothing = np.zeros(len(z), dtype=bool)
    everyone = np.ones(len(z), dtype=bool)
    as_collected = _review_threshold(positive, nothing, z, everyone, np.ones(len(z)))[1]
    weight = np.where(positive, 0.02, 1.0)
    at_prevalence = _review_threshold(positive, nothing, z, everyone, weight)[1]
    assert as_collected <= 0.3 < at_prevalence <= 0.95


def test_among_thresholds_about_as_good_the_highest_is_taken():
    """No message scores between 0.3 and 0.95: every threshold there flags the same messages,
    and the one chosen is the highest (the fewest messages of a community's chat in review
    for the same measured F1)."""
    positive = _labels((300, True), (1000, False), (30, False))
    z = _scores((300, 0.96), (1000, 0.05), (30, 0.3))
    everyone = np.ones(len(z), dtype=bool)
    f1, threshold = _review_threshold(positive, np.zeros(len(z), dtype=bool), z, everyone,
                                      np.ones(len(z)))
    assert threshold == 0.96 and f1 == 1.0
    # and a threshold a little worse than the best is taken only within the tolerance
    z = _scores((290, 0.96), (10, 0.5), (1000, 0.05), (30, 0.3))
    f1, threshold = _review_threshold(positive, np.zeros(len(z), dtype=bool), z, everyone,
                                      np.ones(len(z)))
    assert threshold == 0.5 and 1 - f1 < F1_TOLERANCE


def _held(word: np.ndarray, z: np.ndarray, positive: np.ndarray) -> _Held:
    n = len(z)
    return _Held(positive, word, np.zeros(n), z, z, np.array(["vi"] * n), np.full(n, 5),
                 np.ones(n))


def test_a_word_the_model_does_not_know_is_no_evidence_of_innocence():
    """A message of words the model never saw scores its bias alone. Word hits in messages the
    model scores a little above that (it knows nothing against them) keep their confidence;
    only messages its words pull below it are demoted."""
    bias = logit(0.04)
    # 100 violations the model knows (0.9), 20 clean collisions it knows are innocent (0.005),
    # 5 violations in words it never saw (0.06: above the bias, below 0.15)
    positive = _labels((100, True), (20, False), (5, True))
    z = _scores((100, 0.9), (20, 0.005), (5, 0.06))
    word = np.full(len(z), 0.9)
    thresholds, _, figures = tune(_held(word, z, positive), bias)
    assert thresholds.implausible <= sigmoid(bias) + 1e-9
    assert figures["acted"]["recall"] == 1.0  # the 5 unknown ones still acted on
    assert figures["acted"]["precision"] >= 0.85  # the collisions went to review


def test_without_the_models_evidence_no_demotion_makes_the_acted_tier_precise():
    """Collisions the model knows nothing about (scored just above its bias) cannot be told
    apart: training says the rules are not precise enough here rather than demote every word
    the model does not know."""
    bias = logit(0.04)
    positive = _labels((50, True), (50, False))
    z = _scores((50, 0.9), (50, 0.06))
    with pytest.raises(TrainError, match="precise"):
        tune(_held(np.full(100, 0.9), z, positive), bias)
