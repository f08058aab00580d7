"""The one date format and the one date-and-time format (``en_GB/formats.py``), for text
built in Python (messages, notifications) as well as templates."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone


def day(value: date) -> str:
    """``date(2026, 11, 24)`` -> "24 Nov 2026"."""
    return formats.date_format(value, "DATE_FORMAT")


def moment(value: datetime) -> str:
    """An aware datetime -> "24 Nov 2026, 14:34" in London time."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
