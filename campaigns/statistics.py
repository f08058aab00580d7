"""Survey statistics: proportions with Wilson score intervals, and small-group suppression.

Kept free of Django so that the arithmetic can be checked against hand-computed values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
SUPPRESS_BELOW = 10  # groups with fewer responses are shown as "fewer than 10"


@dataclass(frozen=True)
class Proportion:
    count: int
    n: int
    percent: float  # 0-100
    ci_low: float  # 0-100
    ci_high: float  # 0-100

    def rounded(self) -> tuple[int, int, int]:
        """Whole percentages, halves rounded up (as people expect, not to even)."""
        percent, low, high = (math.floor(value + 0.5) for value in (self.percent, self.ci_low, self.ci_high))
        return percent, low, high


def wilson_interval(count: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for count successes in n trials, as fractions (0-1).

    Unlike the textbook p ± z·sqrt(p(1-p)/n), it stays within [0, 1] and is not of zero
    width at 0% or 100%, which matters for the small groups a ward breakdown produces.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= count <= n:
        raise ValueError("count must be between 0 and n")
    p = count / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At the edges the formula gives exactly 0 and 1 in exact arithmetic; clamp float noise.
    low = 0.0 if count == 0 else max(0.0, centre - half_width)
    high = 1.0 if count == n else min(1.0, centre + half_width)
    return low, high


def proportion(count: int, n: int) -> Proportion:
    low, high = wilson_interval(count, n)
    return Proportion(count=count, n=n, percent=100 * count / n, ci_low=100 * low, ci_high=100 * high)


def is_suppressed(n: int) -> bool:
    return n < SUPPRESS_BELOW


def finding_sentence(*, result: Proportion, option: str, question: str, survey: str) -> str:
    """E.g. '39% of 1,210 respondents (95% CI 36–42%) answered "Tackling crime…" to "…?"'."""
    percent, low, high = result.rounded()
    return (
        f'{percent}% of {result.n:,} respondents (95% CI {low}–{high}%) chose "{option}" '
        f'in answer to "{question}" ({survey}).'
    )


def wilson_interval_fraction(p: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson interval for a proportion ``p`` (0-1) from an effective sample size ``n``,
    which may be fractional (a weighted estimate's Kish n)."""
    if n <= 0:
        raise ValueError("n must be positive")
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(max(0.0, p * (1 - p)) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if p <= 0 else max(0.0, centre - half_width)
    high = 1.0 if p >= 1 else min(1.0, centre + half_width)
    return low, high


def kish_effective_n(weights: Sequence[float]) -> float:
    """Kish's effective sample size, (Σw)² / Σw²: n when all weights are equal, less otherwise."""
    total = sum(weights)
    squares = sum(w * w for w in weights)
    return total * total / squares if squares else 0.0


def post_stratification_weights(sample: Mapping[str, int], population: Mapping[str, float]) -> dict[str, float]:
    """Each group's weight: its share of the population over its share of the respondents.

    ``population`` may be in per cent or fractions (it is normalised over the groups present
    in both); groups without a population share, or without respondents, get no weight.
    """
    groups = [g for g in sample if sample[g] > 0 and population.get(g, 0) > 0]
    respondents = sum(sample[g] for g in groups)
    population_total = sum(population[g] for g in groups)
    if not respondents or not population_total:
        return {}
    return {g: (population[g] / population_total) / (sample[g] / respondents) for g in groups}


@dataclass(frozen=True)
class WeightedProportion:
    percent: float  # 0-100, weighted
    ci_low: float
    ci_high: float
    n: int  # respondents behind the figure
    n_effective: float  # Kish

    def rounded(self) -> tuple[int, int, int]:
        percent, low, high = (math.floor(value + 0.5) for value in (self.percent, self.ci_low, self.ci_high))
        return percent, low, high


def weighted_proportion(ticked: Sequence[bool], weights: Sequence[float]) -> WeightedProportion:
    """The weighted share of respondents who ticked, with a Wilson interval on the Kish
    effective sample size, so the interval widens as the weights grow unequal."""
    if len(ticked) != len(weights) or not weights:
        raise ValueError("one weight per respondent, at least one respondent")
    total = sum(weights)
    p = sum(w for t, w in zip(ticked, weights, strict=True) if t) / total
    n_effective = kish_effective_n(weights)
    low, high = wilson_interval_fraction(p, n_effective)
    return WeightedProportion(
        percent=100 * p, ci_low=100 * low, ci_high=100 * high, n=len(weights), n_effective=n_effective
    )


@dataclass(frozen=True)
class Difference:
    points: float  # percentage points, first minus second
    ci_low: float
    ci_high: float

    @property
    def significant(self) -> bool:
        """Whether the 95% interval excludes no change."""
        return self.ci_low > 0 or self.ci_high < 0


def proportion_difference(count1: int, n1: int, count2: int, n2: int, z: float = Z_95) -> Difference:
    """The difference of two independent proportions with Newcombe's hybrid score interval
    (his method 10, built from the two Wilson intervals), in percentage points."""
    p1, p2 = count1 / n1, count2 / n2
    l1, u1 = wilson_interval(count1, n1, z)
    l2, u2 = wilson_interval(count2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(points=100 * d, ci_low=100 * low, ci_high=100 * high)


def difference_sentence(difference: Difference, *, earlier_percent: float, earlier: str) -> str:
    """E.g. 'up 8 points from 31% in the 2019 survey (95% CI for the change: 4 to 12 points)'."""
    points = math.floor(abs(difference.points) + 0.5)
    low, high = (math.floor(v + 0.5) for v in (difference.ci_low, difference.ci_high))
    before = f"from {math.floor(earlier_percent + 0.5)}% in {earlier}"
    if not difference.significant:
        head = f"no clear change {before}"
    else:
        direction = "up" if difference.points > 0 else "down"
        head = f"{direction} {points} point{'s' if points != 1 else ''} {before}"
    return f"{head} (95% CI for the change: {low} to {high} points)"


def weighted_proportion_from_groups(groups: Sequence[tuple[int, int, float]]) -> WeightedProportion:
    """``weighted_proportion`` from (count ticked, respondents, weight) per group, for results
    computed from grouped counts rather than one row per respondent."""
    groups = [(count, n, weight) for count, n, weight in groups if n > 0]
    if not groups:
        raise ValueError("at least one group with respondents")
    total = sum(n * weight for _, n, weight in groups)
    squares = sum(n * weight * weight for _, n, weight in groups)
    p = sum(count * weight for count, _, weight in groups) / total
    n_effective = total * total / squares
    low, high = wilson_interval_fraction(p, n_effective)
    return WeightedProportion(
        percent=100 * p,
        ci_low=100 * low,
        ci_high=100 * high,
        n=sum(n for _, n, _ in groups),
        n_effective=n_effective,
    )
