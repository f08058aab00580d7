"""The survey arithmetic, checked against values computed by hand.

Wilson interval: centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n),
z = 1.959964. Each expected value below was worked through with that formula.
"""

import pytest

from campaigns.statistics import (
    difference_sentence,
    finding_sentence,
    is_suppressed,
    kish_effective_n,
    post_stratification_weights,
    proportion,
    proportion_difference,
    weighted_proportion,
    weighted_proportion_from_groups,
    wilson_interval,
)


def test_the_story_figure_39_percent_of_1210():
    # p = 472/1210 = 0.3900826; z²/n = 0.0031748; centre = 0.3904305; half = 0.0274420
    low, high = wilson_interval(472, 1210)
    assert low == pytest.approx(0.3629885, abs=1e-6)
    assert high == pytest.approx(0.4178725, abs=1e-6)
    assert proportion(472, 1210).rounded() == (39, 36, 42)


def test_interval_at_zero_percent_starts_at_zero_and_is_not_empty():
    # count 0, n 20: centre = half = 0.0805626 → [0, 0.1611252]
    low, high = wilson_interval(0, 20)
    assert low == 0.0
    assert high == pytest.approx(0.1611252, abs=1e-6)


def test_interval_at_one_hundred_percent_ends_at_one():
    # mirror image of the 0% case
    low, high = wilson_interval(20, 20)
    assert high == 1.0
    assert low == pytest.approx(1 - 0.1611252, abs=1e-6)


def test_interval_for_small_n():
    # 1 of 3: z²/n = 1.2804863; centre = 0.4269162; half = 0.3654242
    low, high = wilson_interval(1, 3)
    assert low == pytest.approx(0.0614919, abs=1e-6)
    assert high == pytest.approx(0.7923404, abs=1e-6)


def test_interval_for_one_response():
    # 1 of 1: the lower bound is 1/(1+z²) = 0.2065493
    low, high = wilson_interval(1, 1)
    assert low == pytest.approx(0.2065493, abs=1e-6)
    assert high == 1.0


def test_interval_is_symmetric_at_one_half():
    low, high = wilson_interval(50, 100)
    assert 0.5 - low == pytest.approx(high - 0.5)
    assert low == pytest.approx(0.4038315, abs=1e-6)


@pytest.mark.parametrize(("count", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_impossible_counts_are_refused(count, n):
    with pytest.raises(ValueError):
        wilson_interval(count, n)


@pytest.mark.parametrize(("n", "suppressed"), [(0, True), (9, True), (10, False), (250, False)])
def test_groups_under_ten_are_suppressed(n, suppressed):
    assert is_suppressed(n) is suppressed


def test_finding_sentence_states_figure_question_n_and_interval():
    sentence = finding_sentence(
        result=proportion(472, 1210),
        option="Tackling crime and anti-social behaviour",
        question="What should be the local priority?",
        survey="Build Back Better in Milton Keynes South",
    )
    assert sentence.startswith("39% of 1,210 respondents (95% CI 36–42%)")
    assert "Tackling crime and anti-social behaviour" in sentence
    assert "What should be the local priority?" in sentence


# --- Weighting and comparison ---------------------------------------------------------------


def test_kish_effective_sample_size_by_hand():
    # (1+1+2+2)² / (1+1+4+4) = 36 / 10
    assert kish_effective_n([1, 1, 2, 2]) == pytest.approx(3.6)
    assert kish_effective_n([0.5] * 40) == pytest.approx(40)


def test_weighted_share_with_its_wider_interval_by_hand():
    # Two wards of equal population; 30 respondents from A (15 ticked), 10 from B (8 ticked).
    # Weights: A 0.5/0.75 = 2/3, B 0.5/0.25 = 2. Weighted p = 0.5·0.5 + 0.5·0.8 = 0.65.
    # Kish n = (30·2/3 + 10·2)² / (30·4/9 + 10·4) = 1600 / 53.333 = 30.
    # Wilson at p 0.65, n 30: z²/n = 0.1280486, centre = 0.7140243/1.1280486 = 0.6329720,
    # half = 1.959964·sqrt(0.2275/30 + 3.841459/3600)/1.1280486 = 0.1615990 → [0.4713730, 0.7945710].
    weights = post_stratification_weights({"A": 30, "B": 10}, {"A": 50, "B": 50})
    assert weights == pytest.approx({"A": 2 / 3, "B": 2.0})
    ticked = [True] * 15 + [False] * 15 + [True] * 8 + [False] * 2
    result = weighted_proportion(ticked, [weights["A"]] * 30 + [weights["B"]] * 10)
    assert result.percent == pytest.approx(65.0)
    assert result.n == 40 and result.n_effective == pytest.approx(30.0)
    assert result.ci_low == pytest.approx(47.13730, abs=1e-3)
    assert result.ci_high == pytest.approx(79.45710, abs=1e-3)
    unweighted = proportion(23, 40)
    assert result.ci_high - result.ci_low > unweighted.ci_high - unweighted.ci_low


def test_groups_without_a_population_share_get_no_weight():
    weights = post_stratification_weights({"A": 10, "B": 10, "C": 5}, {"A": 0.3, "B": 0.3})
    assert set(weights) == {"A", "B"} and weights["A"] == pytest.approx(1.0)


def test_difference_of_two_surveys_newcombe_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 − 48/80,
    # hybrid score interval (method 10): 0.0524 to 0.3339.
    difference = proportion_difference(56, 70, 48, 80)
    assert difference.points == pytest.approx(20.0)
    assert difference.ci_low == pytest.approx(5.24, abs=0.01)
    assert difference.ci_high == pytest.approx(33.39, abs=0.01)
    assert difference.significant
    assert difference_sentence(difference, earlier_percent=60, earlier="the 2019 survey") == (
        "up 20 points from 60% in the 2019 survey (95% CI for the change: 5 to 33 points)"
    )


def test_a_change_within_the_noise_is_called_no_clear_change():
    difference = proportion_difference(33, 100, 31, 100)
    assert not difference.significant
    assert difference_sentence(difference, earlier_percent=31, earlier="2019").startswith("no clear change from 31%")


def test_weighted_share_from_ward_counts_equals_the_per_respondent_sum():
    weights = post_stratification_weights({"A": 30, "B": 10}, {"A": 50, "B": 50})
    grouped = weighted_proportion_from_groups([(15, 30, weights["A"]), (8, 10, weights["B"])])
    assert grouped.percent == pytest.approx(65.0)
    assert grouped.n_effective == pytest.approx(30.0)
    assert grouped.ci_low == pytest.approx(47.13730, abs=1e-3)
