"""Survey statistics: proportions with Wilson score intervals, and small-group suppression.

Kept free of Django so that the arithmetic can be checked against hand-computed values.
"""

from __future__ import annotations

import math
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
        return tuple(math.floor(value + 0.5) for value in (self.percent, self.ci_low, self.ci_high))


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
