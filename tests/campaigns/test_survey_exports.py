"""Survey exports imported as offices download them: Google Forms, Microsoft Forms, SurveyMonkey.

Expected figures are computed here from the fixture files with the csv module or openpyxl,
not with the code under test.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import Answer, Response, SurveyUpload
from campaigns.survey_exports import Layout, SurveyFileError, parse_timestamp, split_choices, survey_file_parse
from campaigns.surveys import guess_scale
from casework.models import PostcodeWard
from mpoffice.models import Ward
from tests.campaigns.exports import (
    COMMENTS,
    GOOGLE_FORMS,
    POSTCODE,
    PRIORITY,
    PRIORITY_OPTIONS,
    SAFETY,
    SERVICE_OPTIONS,
    SERVICES,
    SURVEYMONKEY,
    microsoft_forms_xlsx,
)
from tests.campaigns.factories import SurveyFactory

LONDON = ZoneInfo("Europe/London")


def _google_rows() -> tuple[list[str], list[list[str]]]:
    with GOOGLE_FORMS.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    return table[0], [row for row in table[1:] if any(cell.strip() for cell in row)]


# --- Reading files -----------------------------------------------------------------------------


def test_google_forms_export_is_read_as_downloaded():
    headers, rows = _google_rows()
    parsed = survey_file_parse(GOOGLE_FORMS.read_bytes())
    assert parsed.layout == Layout.GOOGLE_FORMS
    assert parsed.description.startswith("Recognised a Google Forms export (CSV, UTF-8, comma-delimited): 20 responses")
    assert parsed.headers == headers
    assert [[row[h] for h in headers] for row in parsed.rows] == [[c.strip() for c in row] for row in rows]
    # The 11th response's comment runs over two lines, so the 12th starts on line 14.
    assert parsed.lines[10:12] == [12, 14]
    assert parsed.rows[10][COMMENTS] == "Two lines:\nmore police on foot"


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline", "kind"),
    [
        ("utf-16", "\t", "\r\n", "CSV, UTF-16, tab-delimited"),  # Excel's "Unicode text"
        ("cp1252", ";", "\r\n", "CSV, Windows-1252, semicolon-delimited"),  # Excel on a European locale
        ("utf-8-sig", ",", "\n", "CSV, UTF-8, comma-delimited"),  # "CSV UTF-8" with its byte-order mark
    ],
)
def test_the_same_export_saved_by_a_spreadsheet_reads_the_same(encoding, delimiter, newline, kind):
    headers, rows = _google_rows()
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows([headers, *rows])
    parsed = survey_file_parse(out.getvalue().encode(encoding))
    assert parsed.file_kind == kind
    assert parsed.layout == Layout.GOOGLE_FORMS
    assert [[row[h] for h in headers] for row in parsed.rows] == [[c.strip() for c in row] for row in rows]
    assert "Council tax is up £100 a year" in [row[COMMENTS] for row in parsed.rows]


def test_surveymonkey_two_header_rows_become_one_column_per_question():
    with SURVEYMONKEY.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    first, second, body = table[0], table[1], table[2:]
    option_columns = [i for i, label in enumerate(second) if label in SERVICE_OPTIONS]
    parsed = survey_file_parse(SURVEYMONKEY.read_bytes())

    assert parsed.layout == Layout.SURVEYMONKEY
    assert parsed.known_options[SERVICES] == [second[i] for i in option_columns]
    assert parsed.lines[0] == 3 and len(parsed.rows) == len(body)
    for row, cells in zip(parsed.rows, body, strict=True):
        ticked = [second[i] for i in option_columns if cells[i]]
        assert split_choices(row[SERVICES], ";", SERVICE_OPTIONS) == ticked
        assert row["Respondent ID"] == cells[0]
    other = f"{SERVICES} — Other (please specify)"
    assert other in parsed.headers
    assert first.count("") > 0  # the file really has the blank headings that the fold fills


def test_microsoft_forms_workbook_is_read_with_its_dates():
    data = microsoft_forms_xlsx()
    sheet = load_workbook(io.BytesIO(data)).active
    table = list(sheet.iter_rows(values_only=True))
    parsed = survey_file_parse(data)
    assert parsed.layout == Layout.MICROSOFT_FORMS
    assert parsed.file_kind == "Excel workbook"
    assert len(parsed.rows) == len(table) - 1
    assert parsed.rows[0]["Completion time"] == table[1][2].strftime("%Y-%m-%d %H:%M:%S")
    assert parsed.rows[0][SERVICES] == table[1][7]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel (.xls) file"),
        (b"PK\x03\x04 not really a workbook", "cannot be opened"),
        (b"\n\n", "no header row"),
        (b"Timestamp,Priority\r\n,\r\n", "no responses"),
        (b"Timestamp,Priority\r\n06/06/2021 20:47:39,Housing,Extra\r\n", "Line 2 has more cells"),
    ],
)
def test_unreadable_files_say_what_to_do(data, message):
    with pytest.raises(SurveyFileError, match=re.escape(message)):
        survey_file_parse(data)


def test_timestamps_in_the_exporters_formats_keep_their_seconds():
    moment = datetime(2021, 6, 6, 20, 47, 39)
    assert parse_timestamp("06/06/2021 20:47:39") == moment
    assert parse_timestamp("2021-06-06 20:47:39") == moment
    assert parse_timestamp("06/06/2021 08:47:39 PM", day_first=False) == moment
    assert parse_timestamp("06/15/2021 12:04:09 AM", day_first=False) == datetime(2021, 6, 15, 0, 4, 9)
    google = parse_timestamp("2021/06/06 8:47:39 PM GMT+1")
    assert google.astimezone(LONDON).replace(tzinfo=None) == moment
    with pytest.raises(ValueError):
        parse_timestamp("06/15/2021 08:47:39")  # month 15 read day first


def test_multiple_choice_split_keeps_options_with_the_separator_and_other_text():
    assert split_choices("GP surgery, Leisure centres, pools and parks, Buses", ",", SERVICE_OPTIONS) == [
        "GP surgery",
        "Leisure centres, pools and parks",
        "Buses",
    ]
    assert split_choices("Buses, Citizens Advice, twice a year", ",", SERVICE_OPTIONS) == [
        "Buses",
        "Citizens Advice, twice a year",
    ]
    assert split_choices("GP surgery;Buses;", ";") == ["GP surgery", "Buses"]  # Microsoft's trailing ";"


def test_rating_scale_from_the_wording_or_the_data_not_a_stray_answer():
    assert guess_scale(["7", "3"], "How safe (1 = very unsafe, 5 = very safe)") == (1, 5)
    assert guess_scale([str(1 + i % 5) for i in range(40)] + ["7"]) == (1, 5)
    assert guess_scale([str(i % 11) for i in range(44)]) == (0, 10)


def test_the_row_fingerprint_is_stable_and_counts_identical_rows():
    parsed = survey_file_parse(b"Ward,Priority\r\nTattenhoe,Housing\r\nTattenhoe,Housing\r\nTattenhoe,Jobs\r\n")
    again = survey_file_parse(b"Ward;Priority\nTattenhoe;Housing\nTattenhoe;Housing\nTattenhoe;Jobs\nTattenhoe;Crime\n")
    first = parsed.fingerprints()
    assert len(set(first)) == 3
    assert again.fingerprints()[:3] == first


# --- Through the pages ------------------------------------------------------------------------


@pytest.fixture
def survey(office):
    east = Ward.objects.create(office=office, name="Bletchley East")
    tattenhoe = Ward.objects.create(office=office, name="Tattenhoe")
    for postcode, ward in (("MK2 2HB", east), ("MK3 5JT", east), ("MK4 4EN", tattenhoe)):
        PostcodeWard.objects.create(office=office, postcode=postcode, ward=ward)
    return SurveyFactory(office=office, title="Build Back Better in Milton Keynes South")


def _upload(client, survey, data: bytes, name: str):
    return client.post(reverse("campaigns:survey-upload", args=[survey.pk]), {"file": SimpleUploadedFile(name, data)})


def _form_data(form, **changes) -> dict[str, str]:
    """The mapping form as a person would submit it after reading it: every field as shown."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    data.update(changes)
    return data


def _field(form, header: str, kind: str) -> str:
    return f"{kind}_{form.headers.index(header)}"


def test_google_forms_export_imports_as_downloaded_with_bad_rows_listed(survey, staff, client_for):
    client = client_for(staff)
    headers, rows = _google_rows()
    uploaded = _upload(
        client, survey, GOOGLE_FORMS.read_bytes(), "Build Back Better (Responses) - Form responses 1.csv"
    )
    assert uploaded.status_code == 302
    page = client.get(uploaded["Location"])
    assert "Recognised a Google Forms export" in page.content.decode()
    form = page.context["form"]
    plans = SurveyUpload.objects.get().mapping
    assert [plans[h]["role"] for h in headers] == [
        "submitted_at",
        "single",
        "multiple",
        "rating",
        "postcode",
        "free_text",
    ]
    assert sorted(plans[PRIORITY]["options"]) == sorted(PRIORITY_OPTIONS)
    assert sorted(plans[SERVICES]["options"]) == sorted(SERVICE_OPTIONS)
    assert plans[SAFETY]["scale"] == [1, 5]

    # As guessed: "Other" answers are not options, so they are problems, not new options.
    checked = client.post(uploaded["Location"], _form_data(form, check="1"))
    check = checked.context["check"]
    by_reason = Counter((e.column, e.value) for e in check.errors)
    assert by_reason[(PRIORITY, "Better buses to Bletchley")] == 1
    assert by_reason[(SERVICES, "Citizens Advice, twice a year")] == 1
    assert by_reason[(SAFETY, "7")] == 1
    assert by_reason[(POSTCODE, "NN1 1AA")] == 1
    assert len(check.errors) == 4
    assert Response.objects.count() == 0

    # The questions had an Other box: such answers count as "Other" with their text.
    other = {_field(form, PRIORITY, "other"): "on", _field(form, SERVICES, "other"): "on"}
    checked = client.post(uploaded["Location"], _form_data(form, check="1", **other))
    check = checked.context["check"]
    seven = next(i for i, row in enumerate(rows) if row[3] == "7")
    outside = next(i for i, row in enumerate(rows) if row[4] == "NN1 1AA")
    assert [(e.row, e.column, e.fatal) for e in check.errors] == [
        (2 + outside, POSTCODE, False),
        (2 + seven, SAFETY, True),
    ]
    assert check.errors[0].message.startswith("Outside the constituency")
    html = checked.content.decode()
    assert "Import the 19 valid rows, leave out 1" in html

    imported = client.post(uploaded["Location"], _form_data(form, import_valid="1", **other))
    assert imported.status_code == 302
    good = [row for i, row in enumerate(rows) if i != seven]
    assert Response.objects.filter(survey=survey).count() == len(good) == 19
    # Every option counted per respondent, computed here from the file's text.
    for label in PRIORITY_OPTIONS:
        expected = sum(1 for row in good if row[1] == label)
        assert Answer.objects.filter(question__text=PRIORITY, option__label=label).count() == expected
    for label in SERVICE_OPTIONS:
        expected = sum(1 for row in good if label in row[2])
        assert Answer.objects.filter(question__text=SERVICES, option__label=label).count() == expected
    other_answer = Answer.objects.get(question__text=SERVICES, option__label="Other")
    assert other_answer.text == "Citizens Advice, twice a year"
    assert not Answer.objects.filter(question__text=PRIORITY, option__label="Better buses to Bletchley").exists()
    assert Answer.objects.filter(question__text=SAFETY).count() == sum(1 for row in good if row[3])
    first = Response.objects.get(answers__text="More affordable homes, please")
    assert first.submitted_at == datetime(2021, 6, 6, 21, 2, 11, tzinfo=LONDON)
    outsider = Response.objects.get(answers__text__startswith="I work in Milton Keynes")
    assert outsider.ward is None and outsider.outside_area
    assert Response.objects.filter(outside_area=True).count() == 1
    results = client.get(survey.get_absolute_url()).content.decode()
    assert "<strong>1</strong> respondent gave a ward or postcode outside the constituency" in results
    assert "Outside the constituency</th>" in results
    assert rows[outside][4] == "NN1 1AA"

    # The same file again adds nothing; the corrected file adds only the row that was left out.
    again = _upload(client, survey, GOOGLE_FORMS.read_bytes(), "again.csv")
    form = client.get(again["Location"]).context["form"]
    check = client.post(again["Location"], _form_data(form, check="1", **other)).context["check"]
    assert (check.new_responses, check.already_imported, check.bad_rows) == (0, 19, 1)
    corrected = GOOGLE_FORMS.read_bytes().replace(b"Libraries,7,MK4 4EN", b"Libraries,5,MK4 4EN")
    fixed = _upload(client, survey, corrected, "corrected.csv")
    form = client.get(fixed["Location"]).context["form"]
    assert client.post(fixed["Location"], _form_data(form, check="1", **other)).context["check"].ok
    assert client.post(fixed["Location"], _form_data(form, **{"import": "1"}, **other)).status_code == 302
    assert Response.objects.filter(survey=survey).count() == 20


def test_microsoft_forms_workbook_imports_with_options_confirmed(survey, staff, client_for):
    client = client_for(staff)
    data = microsoft_forms_xlsx()
    table = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    head, body = list(table[0]), table[1:]
    column = {name: head.index(name) for name in head}
    uploaded = _upload(client, survey, data, "Build Back Better(1-8).xlsx")
    page = client.get(uploaded["Location"])
    assert "Recognised a Microsoft Forms export (Excel workbook): 8 responses" in page.content.decode()
    form = page.context["form"]
    # Eight answers show only two recurring priorities: staff complete the list they know.
    changes = {
        _field(form, PRIORITY, "options"): "\n".join(PRIORITY_OPTIONS),
        _field(form, PRIORITY, "other"): "on",
        _field(form, SERVICES, "other"): "on",
    }
    check = client.post(uploaded["Location"], _form_data(form, check="1", **changes)).context["check"]
    fatal = [e for e in check.errors if e.fatal]
    bad = [row for row in body if not 1 <= row[column[SAFETY]] <= 5]
    assert [(e.column, e.value) for e in fatal] == [(SAFETY, str(row[column[SAFETY]])) for row in bad]
    client.post(uploaded["Location"], _form_data(form, import_valid="1", **changes))

    good = [row for row in body if row not in bad]
    assert Response.objects.filter(survey=survey).count() == len(good)
    assert set(Response.objects.values_list("external_id", flat=True)) == {str(row[0]) for row in good}
    for label in SERVICE_OPTIONS:
        expected = sum(1 for row in good if label in row[column[SERVICES]].split(";"))
        assert Answer.objects.filter(question__text=SERVICES, option__label=label).count() == expected
    assert Answer.objects.filter(question__text=PRIORITY, option__label="Other").count() == sum(
        1 for row in good if row[column[PRIORITY]] not in PRIORITY_OPTIONS
    )
    first = Response.objects.get(external_id=str(good[0][0]))
    assert first.submitted_at == good[0][column["Completion time"]].replace(tzinfo=LONDON)
    assert first.constituent is None  # "anonymous" is no e-mail address


def test_surveymonkey_export_imports_with_us_dates_and_option_columns(survey, staff, client_for):
    client = client_for(staff)
    with SURVEYMONKEY.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    second, body = table[1], table[2:]
    uploaded = _upload(client, survey, SURVEYMONKEY.read_bytes(), "Sheet_1.csv")
    page = client.get(uploaded["Location"])
    assert "Recognised a SurveyMonkey export" in page.content.decode()
    form = page.context["form"]
    changes = {_field(form, PRIORITY, "options"): "\n".join(PRIORITY_OPTIONS)}
    checked = client.post(uploaded["Location"], _form_data(form, check="1", **changes))
    assert checked.context["problems"] == [] and checked.context["form"].errors == {}
    check = checked.context["check"]
    safety = table[0].index(SAFETY)
    bad_lines = {3 + i for i, row in enumerate(body) if not 1 <= int(row[safety]) <= 5}
    assert check.bad_lines == bad_lines
    client.post(uploaded["Location"], _form_data(form, import_valid="1", **changes))

    good = [row for i, row in enumerate(body) if 3 + i not in bad_lines]
    assert Response.objects.filter(survey=survey).count() == len(good)
    for label in SERVICE_OPTIONS:
        index = second.index(label)
        expected = sum(1 for row in good if row[index])
        assert Answer.objects.filter(question__text=SERVICES, option__label=label).count() == expected
    first = Response.objects.get(external_id=good[0][0])
    assert first.submitted_at == datetime(2021, 6, 6, 20, 47, 39, tzinfo=LONDON)
    other_text = f"{SERVICES} — Other (please specify)"
    assert Answer.objects.filter(question__text=other_text, text="Citizens Advice, twice a year").exists()


def test_every_problem_is_listed_by_page_and_in_the_csv(survey, staff, client_for):
    client = client_for(staff)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Timestamp", PRIORITY, SAFETY])
    for i in range(260):
        writer.writerow(
            [f"{1 + i % 28:02d}/06/2021 10:{i % 60:02d}:00", PRIORITY_OPTIONS[i % 4], "9" if i % 2 else "3"]
        )
    writer.writerow(["", "", ""])
    uploaded = _upload(client, survey, out.getvalue().encode(), "responses.csv")
    form = client.get(uploaded["Location"]).context["form"]
    assert form[_field(form, SAFETY, "scale_max")].value() == 5  # the wording says 1 to 5
    page = client.post(uploaded["Location"], _form_data(form, check="1"))
    assert page.context["errors"].paginator.count == 130
    assert "Problems 1–100 of 130" in page.content.decode()
    second = client.get(uploaded["Location"] + "?problems=1&page=2")
    assert "Problems 101–130 of 130" in second.content.decode()
    assert [e.row for e in second.context["errors"]] == [2 + i for i in range(260) if i % 2][100:]

    download = client.get(reverse("campaigns:survey-problems", args=[survey.pk, SurveyUpload.objects.get().pk]))
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == ["Line", "Column", "Value", "Problem", "Effect"]
    assert len(lines) == 131
    assert lines[1] == ["3", SAFETY, "9", "Not a whole number from 1 to 5.", "Row not imported"]


def test_a_bad_file_loses_nothing_already_imported(survey, staff, client_for):
    client = client_for(staff)
    uploaded = _upload(client, survey, GOOGLE_FORMS.read_bytes(), "responses.csv")
    form = client.get(uploaded["Location"]).context["form"]
    client.post(uploaded["Location"], _form_data(form, import_valid="1"))
    kept = Response.objects.filter(survey=survey).count()
    _, rows = _google_rows()

    def valid(row: list[str]) -> bool:
        services = row[2]
        for label in SERVICE_OPTIONS:
            services = services.replace(label, "")
        return row[1] in PRIORITY_OPTIONS and not services.strip(", ") and 1 <= int(row[3]) <= 5

    assert kept == sum(1 for row in rows if valid(row))
    refused = _upload(client, survey, b"\xd0\xcf\x11\xe0" + b"\0" * 64, "old.xls")
    assert "old Excel (.xls) file" in refused.content.decode()
    # "Import" of a file with problems writes nothing; only "import the valid rows" does.
    again = _upload(client, survey, GOOGLE_FORMS.read_bytes().replace(b"Housing", b"Housing!"), "edited.csv")
    form = client.get(again["Location"]).context["form"]
    page = client.post(again["Location"], _form_data(form, **{"import": "1"}))
    assert page.status_code == 200
    assert Response.objects.filter(survey=survey).count() == kept
