"""Postbag's one date format and one date-and-time format, for every page.

Django's own en_GB formats (which win over the settings of the same name) mix "24 Nov 2026"
with "24/11/2026" and "2:34 p.m."; templates use ``|date`` for a day and
``|date:"DATETIME_FORMAT"`` for a moment, and a bare datetime renders the same way.
Input formats are not set here, so Django's en_GB ones still parse what people type.
"""

DATE_FORMAT = "j M Y"  # 24 Nov 2026
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"  # 24 Nov 2026, 14:34
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
