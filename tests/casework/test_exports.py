import csv
import io

import pytest
from django.urls import reverse

from casework.exports import csv_safe
from tests.casework.factories import CaseFactory, ConstituentFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+441908123456", "'+441908123456"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Jane = Doe", "Jane = Doe"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert csv_safe(value) == expected


def test_case_export_follows_the_list_filters_and_neutralises_injection(office, staff, client_for):
    evil = ConstituentFactory(office=office, first_name="=cmd|' /C calc'!A0", last_name="Smith")
    topic = TopicFactory(office=office, name="Housing")
    wanted = CaseFactory(office=office, constituents=[evil], topic=topic, summary="@SUM(1+1) damp")
    CaseFactory(office=office, summary="Another topic")

    response = client_for(staff).get(reverse("casework:case-export"), {"topic": topic.pk})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    header, *rows = _rows(response)
    assert header[0] == "reference"
    assert [row[0] for row in rows] == [wanted.reference]
    assert rows[0][1] == "'@SUM(1+1) damp"
    assert rows[0][6].startswith("=cmd") is False and "Smith" in rows[0][6]


def test_case_export_respects_sensitivity_and_office(office, other_office, staff, mp, client_for):
    secret = CaseFactory(office=office, is_sensitive=True)
    foreign = CaseFactory(office=other_office)
    for member in (staff, mp):
        references = [row[0] for row in _rows(client_for(member).get(reverse("casework:case-export")))[1:]]
        assert secret.reference in references and foreign.reference not in references


def test_caseworker_cannot_export_and_outsider_gets_only_their_office(
    office, other_office, caseworker, outsider, client_for
):
    mine = CaseFactory(office=office)
    assert client_for(caseworker).get(reverse("casework:case-export")).status_code == 403
    assert client_for(caseworker).get(reverse("casework:constituent-export")).status_code == 403
    rows = _rows(client_for(outsider).get(reverse("casework:case-export")))
    assert mine.reference not in [row[0] for row in rows]


def test_case_export_query_count_does_not_grow_with_rows(office, staff, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    CaseFactory(office=office, tags=["a"])
    with django_assert_max_num_queries(20) as few:
        _rows(client.get(reverse("casework:case-export")))
    for n in range(40):
        CaseFactory(office=office, tags=[f"t{n}"], constituents=[ConstituentFactory(office=office)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = _rows(client.get(reverse("casework:case-export")))
    assert len(rows) == 42


def test_constituent_export_of_a_search_can_be_reimported(office, staff, client_for):
    ConstituentFactory(office=office, last_name="Doe", phone="+441908123456", email="doe@example.org")
    ConstituentFactory(office=office, last_name="Other")

    header, *rows = _rows(client_for(staff).get(reverse("casework:constituent-export"), {"q": "doe"}))

    assert header == [
        "title",
        "first_name",
        "last_name",
        "organisation_name",
        "address_line1",
        "address_line2",
        "town",
        "postcode",
        "ward",
        "email",
        "phone",
    ]
    assert len(rows) == 1 and rows[0][2] == "Doe" and rows[0][10] == "'+441908123456"
