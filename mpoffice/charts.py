"""Charts drawn on the server as SVG (pygal): no JavaScript, no CDN, printable in the PDF.

A chart is its own SVG image: pages show it with ``<img>`` from an office-scoped URL (so the
page's Content Security Policy needs no inline styles: pygal's ``<style>`` lives inside the
image), and PDFs embed the same SVG as a ``data:`` URI. Every chart is shown with a table of
the same numbers, for screen readers and for copying.
"""

from __future__ import annotations

import base64
import re

import pygal
from django.http import HttpResponse
from django.utils.html import escape
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)

# A chart is an image, scaled to its column: its labels shrink with it. Drawn 560 units wide
# with 17-unit labels, a chart shown full size on a desk (a half-width dashboard column is about
# 470 px) has labels of 14-17 px, and on a 390 px phone (358 px of content) still above 10 px.
CHART_WIDTH = 560
LABEL_FONT_SIZE = 17

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0b5ed7", "#198754", "#6f42c1", "#fd7e14"),
    font_family="sans-serif",
    label_font_size=LABEL_FONT_SIZE,
    major_label_font_size=LABEL_FONT_SIZE,
    value_font_size=LABEL_FONT_SIZE,
    value_label_font_size=LABEL_FONT_SIZE,
    legend_font_size=LABEL_FONT_SIZE,
    tooltip_font_size=LABEL_FONT_SIZE,
    title_font_size=LABEL_FONT_SIZE + 2,
)


def _config(**extra) -> dict:
    # js=[] stops pygal from linking its tooltip script from the internet.
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": False,
        "width": CHART_WIDTH,
        "height": 340,
        "explicit_size": True,  # an image with its own size, scaled down to fit by the page
        **extra,
    }


# What an SVG chart may do when opened on its own: draw with its own <style>, nothing else
# (no script, no fetch). Shown through <img>, an SVG can do neither anyway.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


def _svg(chart, description: str) -> str:
    svg = chart.render(is_unicode=True)
    # pygal always embeds a small configuration <script>; without its tooltip library it does
    # nothing, and an image must carry no script.
    svg = _SCRIPT.sub("", svg)
    # pygal builds the SVG as an XML tree, so labels from the data are already escaped; the
    # description is escaped here, for anyone who opens the image on its own.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(description)}" ', 1)


def svg_response(svg: str) -> HttpResponse:
    """A chart as an image file of its own: live office data, so never cached."""
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = SVG_POLICY
    response["Cache-Control"] = "private, no-store"
    return response


def svg_data_uri(svg: str) -> str:
    """The chart embedded in a document (the briefing PDF, which fetches nothing by URL)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _count_ticks(largest: int) -> list[int]:
    """Whole-number ticks (1, 2 or 5 times a power of ten apart) for an axis of counts: left to
    itself pygal labels a small count's axis 0.2, 0.4, ... cases."""
    steps = (multiple * 10**power for power in range(12) for multiple in (1, 2, 5))
    step = next(step for step in steps if largest / step <= 8)
    return list(range(0, max(largest, 1) + step, step))


def monthly_bar_chart(*, trend, description: str) -> str:
    """Cases per month: ``trend`` has ``months`` and their ``counts`` (briefings.selectors.Trend)."""
    months, counts = trend.months, list(trend.counts)
    chart = pygal.Bar(
        **_config(
            x_label_rotation=45,
            show_minor_x_labels=False,
            x_labels_major_every=4,
            y_labels=_count_ticks(max(counts, default=0)),
        )
    )
    chart.x_labels = [month.strftime("%b %Y") for month in months]
    chart.add("Cases opened", counts)
    return _svg(chart, description)


def horizontal_bar_chart(*, tallies, description: str) -> str:
    tallies = list(tallies)[:12]
    largest = max((tally.value for tally in tallies), default=0)
    chart = pygal.HorizontalBar(**_config(height=max(180, 36 * len(tallies) + 70), y_labels=_count_ticks(largest)))
    chart.x_labels = [tally.label for tally in reversed(tallies)]
    chart.add("Cases", [tally.value for tally in reversed(tallies)])
    return _svg(chart, description)


def share_bar_chart(*, labels: list[str], percents: list[float], description: str) -> str:
    """Shares in per cent (a survey question's answers), largest first, on a 0–100 axis."""
    labels, percents = labels[:12], percents[:12]
    chart = pygal.HorizontalBar(
        **_config(
            height=max(160, 28 * len(labels) + 60),
            range=(0, 100),
            y_labels=[0, 20, 40, 60, 80, 100],
            value_formatter=lambda value: f"{value:.0f}%",
            print_values=True,
        )
    )
    chart.x_labels = [label[:60] for label in reversed(labels)]
    chart.add("Per cent", list(reversed(percents)))
    return _svg(chart, description)
