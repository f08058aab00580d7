"""Pagination that stays cheap at ten years' scale."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows, so a list of 150,000 cases never pays for counting them all.

    ``SELECT COUNT(*) FROM (… LIMIT cap + 1)`` stops just past the cap; beyond it the page says
    "400+" pages and asks the person to narrow the filters, which is what they need to do anyway.
    """

    cap = 10_000

    @cached_property
    def _bounded_count(self) -> int:
        return self.object_list[: self.cap + 1].count()  # type: ignore[attr-defined]  # a QuerySet here

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._bounded_count > self.cap
