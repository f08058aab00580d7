"""Charts drawn on the server as SVG (pygal): no JavaScript, no CDN, printable in the PDF.

Every chart is shown with a table of the same numbers, for screen readers and for copying.
"""

from __future__ import annotations

import re

import pygal
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0b5ed7", "#198754", "#6f42c1", "#fd7e14"),
    font_family="sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=12,
    title_font_size=14,
)


def _config(**extra) -> dict:
    # js=[] stops pygal from linking its tooltip script from the internet.
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "width": 800,
        "height": 320,
        "explicit_size": False,
        **extra,
    }


def _svg(chart, description: str) -> SafeString:
    svg = chart.render(is_unicode=True)
    # pygal always embeds a small configuration <script>; without its tooltip library it does
    # nothing, and the Content Security Policy allows no inline scripts.
    svg = _SCRIPT.sub("", svg)
    # pygal builds the SVG as an XML tree, so labels from the data are already escaped; the
    # description is escaped here. role="img" with a label lets screen readers skip to the table.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(description)}" ', 1)
    return mark_safe(svg)  # noqa: S308 - built by pygal's XML writer from escaped text


def _count_ticks(largest: int) -> list[int]:
    """Whole-number ticks (1, 2 or 5 times a power of ten apart) for an axis of counts: left to
    itself pygal labels a small count's axis 0.2, 0.4, ... cases."""
    steps = (multiple * 10**power for power in range(12) for multiple in (1, 2, 5))
    step = next(step for step in steps if largest / step <= 8)
    return list(range(0, max(largest, 1) + step, step))


def monthly_bar_chart(*, months, counts, description: str) -> SafeString:
    counts = list(counts)
    chart = pygal.Bar(
        **_config(
            x_label_rotation=45,
            show_minor_x_labels=False,
            x_labels_major_every=3,
            y_labels=_count_ticks(max(counts, default=0)),
        )
    )
    chart.x_labels = [month.strftime("%b %Y") for month in months]
    chart.add("Cases opened", counts)
    return _svg(chart, description)


def horizontal_bar_chart(*, tallies, description: str) -> SafeString:
    tallies = list(tallies)[:12]
    largest = max((tally.value for tally in tallies), default=0)
    chart = pygal.HorizontalBar(**_config(height=max(160, 28 * len(tallies) + 60), y_labels=_count_ticks(largest)))
    chart.x_labels = [tally.label for tally in reversed(tallies)]
    chart.add("Cases", [tally.value for tally in reversed(tallies)])
    return _svg(chart, description)
