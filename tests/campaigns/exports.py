"""Survey exports in the exporters' own layouts, for the import tests.

The Google Forms and SurveyMonkey exports are files in ``tests/campaigns/data``. Microsoft Forms
only offers an Excel download ("Open results in Excel"), so its workbook is built here with the
layout Forms writes: ID, Start time, Completion time, Email, Name, Last modified time, then one
column per question; dates as Excel date cells; "anonymous" as the e-mail of an anonymous form;
multiple choice as the ticked options each followed by ";".
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).parent / "data"
GOOGLE_FORMS = DATA / "google_forms_sheets.csv"
SURVEYMONKEY = DATA / "surveymonkey.csv"

PRIORITY = "What should be the top local priority for Milton Keynes South?"
SERVICES = "Which local services have you used in the last year?"
SAFETY = "How safe do you feel in your neighbourhood? (1 = very unsafe, 5 = very safe)"
POSTCODE = "What is your postcode?"
COMMENTS = "Anything else you would like to tell us?"
PRIORITY_OPTIONS = [
    "Tackling crime and anti-social behaviour",
    "Housing",
    "Jobs and the economy",
    "Roads, potholes and parking",
]
SERVICE_OPTIONS = ["GP surgery", "Buses", "Libraries", "Leisure centres, pools and parks"]

MICROSOFT_HEADERS = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
MICROSOFT_ROWS = [
    (
        1,
        datetime(2021, 6, 6, 20, 40, 2),
        datetime(2021, 6, 6, 20, 47, 39),
        PRIORITY_OPTIONS[0],
        "GP surgery;Buses;",
        4,
        "MK2 2HB",
        None,
    ),
    (
        2,
        datetime(2021, 6, 7, 9, 1, 15),
        datetime(2021, 6, 7, 9, 5, 40),
        "Housing",
        "GP surgery;",
        3,
        "MK3 5JT",
        "More affordable homes, please",
    ),
    (
        3,
        datetime(2021, 6, 7, 10, 12, 0),
        datetime(2021, 6, 7, 10, 20, 31),
        PRIORITY_OPTIONS[0],
        "Buses;Libraries;Leisure centres, pools and parks;",
        2,
        "MK4 4EN",
        None,
    ),
    (
        4,
        datetime(2021, 6, 8, 13, 0, 0),
        datetime(2021, 6, 8, 13, 7, 7),
        "Roads, potholes and parking",
        "Leisure centres, pools and parks;",
        5,
        "MK2 2HB",
        None,
    ),
    (
        5,
        datetime(2021, 6, 13, 19, 30, 30),
        datetime(2021, 6, 13, 19, 35, 45),
        "Better buses to Bletchley",
        "Buses;Citizens Advice, twice a year;",
        3,
        "MK2 2HB",
        None,
    ),
    (
        6,
        datetime(2021, 6, 14, 23, 59, 0),
        datetime(2021, 6, 15, 0, 4, 9),
        "Jobs and the economy",
        "GP surgery;Libraries;",
        6,
        "NN1 1AA",
        "I live in Northampton",
    ),
    (
        7,
        datetime(2021, 6, 15, 6, 0, 0),
        datetime(2021, 6, 15, 6, 2, 59),
        PRIORITY_OPTIONS[0],
        "GP surgery;Buses;Leisure centres, pools and parks;",
        1,
        "MK3 5JT",
        None,
    ),
    (
        8,
        datetime(2021, 6, 15, 14, 15, 0),
        datetime(2021, 6, 15, 14, 20, 0),
        "Housing",
        "Libraries;",
        4,
        "MK4 4EN",
        None,
    ),
]


def microsoft_forms_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(MICROSOFT_HEADERS + [PRIORITY, SERVICES, SAFETY, POSTCODE, COMMENTS])
    for number, start, completed, priority, services, safety, postcode, comment in MICROSOFT_ROWS:
        sheet.append([number, start, completed, "anonymous", None, None, priority, services, safety, postcode, comment])
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "m/d/yy h:mm:ss"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
