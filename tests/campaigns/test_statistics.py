"""The survey arithmetic, checked against values computed by hand.

Wilson interval: centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n),
z = 1.959964. Each expected value below was worked through with that formula.
"""

import pytest

from campaigns.statistics import finding_sentence, is_suppressed, proportion, wilson_interval


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
