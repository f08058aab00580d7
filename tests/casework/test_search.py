import pytest
from django.db import connection
from django.urls import reverse

from casework.search import cases_matching, constituent_search, contacts_matching
from tests.casework.factories import CaseFactory, ConstituentFactory, ContactFactory
from tests.conftest import need

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(office, other_office):
    return {
        "jane": ConstituentFactory(
            office=office,
            first_name="Jane",
            last_name="Doe",
            postcode="MK9 3HQ",
            email="jane@example.org",
            phone="+441908123456",
        ),
        "john": ConstituentFactory(
            office=office, first_name="John", last_name="Doherty", postcode="MK6 2LB", email="john@example.org"
        ),
        "school": ConstituentFactory(
            office=office,
            kind="organisation",
            first_name="",
            last_name="",
            organisation_name="Oldbrook School",
            postcode="MK6 2XX",
            email="",
        ),
        "foreign": ConstituentFactory(
            office=other_office, first_name="Jane", last_name="Doe", postcode="MK9 3HQ", email="jane@example.org"
        ),
    }


def _found(membership, query):
    return set(constituent_search(membership=membership, query=query).results)


@pytest.mark.parametrize(
    ("query", "expected", "match"),
    [
        ("Doe", {"jane"}, "name"),
        ("do", {"jane", "john"}, "name"),
        ("jane doe", {"jane"}, "name"),
        ("j d", {"jane", "john"}, "name"),
        ("oldbrook", {"school"}, "name"),
        ("mk93hq", {"jane"}, "postcode"),
        ("MK6", {"john", "school"}, "district"),
        ("JANE@example.org", {"jane"}, "email"),
        ("01908 123456", {"jane"}, "phone"),
        ("+44 1908 123456", {"jane"}, "phone"),
        ("07700 900000", set(), "phone"),
        ("nobody", set(), "name"),
    ],
)
def test_constituent_search_by_what_a_caller_gives(office, caseworker, people, query, expected, match):
    found = constituent_search(membership=caseworker, query=query)
    assert found.match == match
    assert set(found.results) == {people[name] for name in expected}


def test_constituent_search_by_case_reference_respects_sensitivity(office, caseworker, staff, people):
    case = CaseFactory(office=office, constituents=[people["john"]])
    secret = CaseFactory(office=office, constituents=[people["jane"]], is_sensitive=True, assignee=staff.user)

    assert _found(caseworker, case.reference.lower()) == {people["john"]}
    assert _found(caseworker, f"[{case.reference}]") == {people["john"]}
    short = case.reference.rsplit("-", 1)[0] + "-" + str(case.number)  # MKS-2026-1
    assert _found(caseworker, short) == {people["john"]}
    assert _found(caseworker, secret.reference) == set()
    assert _found(staff, secret.reference) == {people["jane"]}


def test_constituent_search_page_for_every_role_never_shows_another_office(
    office, people, client_for, caseworker, staff, mp, outsider
):
    for member in (caseworker, staff, mp):
        page = client_for(member).get(reverse("casework:constituent-search"), {"q": "Doe"})
        assert page.status_code == 200
        assert people["jane"].get_absolute_url() in page.content.decode()
        assert people["foreign"].get_absolute_url() not in page.content.decode()
    page = client_for(outsider).get(reverse("casework:constituent-search"), {"q": "Doe"}).content.decode()
    assert people["foreign"].get_absolute_url() in page and people["jane"].get_absolute_url() not in page


def test_constituent_search_runs_fixed_queries(office, staff, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    ConstituentFactory(office=office, last_name="Smith")
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("casework:constituent-search"), {"q": "smith"})
    ConstituentFactory.create_batch(40, office=office, last_name="Smith")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("casework:constituent-search"), {"q": "smith"})
    assert response.content.decode().count("Smith") >= 25


# --- Full text ------------------------------------------------------------------------------


@pytest.fixture
def texts(office, other_office, staff):
    knife = CaseFactory(office=office, summary="Knife crime near Oldbrook school")
    housing = CaseFactory(office=office, summary="Damp and mould in a council flat")
    secret = CaseFactory(office=office, summary="Knife threat, sensitive", is_sensitive=True, assignee=staff.user)
    foreign = CaseFactory(office=other_office, summary="Knife crime in Bletchley")
    return {
        "knife": knife,
        "housing": housing,
        "secret": secret,
        "foreign": foreign,
        "call": ContactFactory(
            office=office,
            case=housing,
            summary="Phoned the housing association",
            body="The tenant reports black mould in the bathroom and a leaking roof.",
        ),
        "secret_call": ContactFactory(office=office, case=secret, summary="Call", body="black mould as well"),
        "foreign_call": ContactFactory(office=other_office, case=foreign, summary="Mould", body="black mould"),
    }


def _check_full_text(caseworker, staff, texts):
    assert list(cases_matching(membership=caseworker, query="knife")) == [texts["knife"]]
    assert set(cases_matching(membership=staff, query="knife")) == {texts["knife"], texts["secret"]}
    assert list(cases_matching(membership=staff, query="mould council")) == [texts["housing"]]
    assert list(contacts_matching(membership=caseworker, query="black mould")) == [texts["call"]]
    assert set(contacts_matching(membership=staff, query="mould")) == {texts["call"], texts["secret_call"]}
    assert list(contacts_matching(membership=staff, query="")) == []


@pytest.mark.postgres
def test_full_text_search_on_postgresql_stems_and_scopes(office, caseworker, staff, texts):
    need(connection.vendor == "postgresql", "full-text search needs PostgreSQL (set DATABASE_URL)")
    _check_full_text(caseworker, staff, texts)
    # PostgreSQL's search stems words and understands web-search syntax.
    assert list(cases_matching(membership=staff, query="knives")) == []  # a different stem: honest
    assert list(contacts_matching(membership=caseworker, query="leak")) == [texts["call"]]
    assert list(contacts_matching(membership=caseworker, query='"leaking roof"')) == [texts["call"]]
    assert list(contacts_matching(membership=caseworker, query="mould -roof")) == []
    (hit,) = contacts_matching(membership=caseworker, query="mould")
    assert "\x02mould\x03" in hit.snippet


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the fallback is for SQLite")
def test_full_text_search_falls_back_to_words_on_sqlite(office, caseworker, staff, texts):
    _check_full_text(caseworker, staff, texts)


def test_search_page_for_every_role_marks_matches_and_escapes_text(office, caseworker, staff, mp, client_for):
    case = CaseFactory(office=office, summary="Repairs")
    ContactFactory(office=office, case=case, summary="Email", body="<script>alert(1)</script> black mould here")
    for member in (caseworker, staff, mp):
        response = client_for(member).get(reverse("casework:search"), {"q": "mould", "in": "contacts"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "<mark>mould</mark>" in page or "<mark>Mould</mark>" in page
        assert "<script>alert(1)" not in page  # escaped (SQLite) or dropped by ts_headline (PostgreSQL)


def test_snippet_filter_escapes_text_and_marks_only_the_matches():
    from casework.templatetags.casework_search import search_snippet

    assert search_snippet("<b onclick=x>\x02mould\x03</b>") == "&lt;b onclick=x&gt;<mark>mould</mark>&lt;/b&gt;"


def test_search_page_runs_fixed_queries(office, staff, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    case = CaseFactory(office=office, summary="Mould")
    ContactFactory(office=office, case=case, summary="mould", body="mould")
    for scope in ("cases", "contacts"):
        with django_assert_max_num_queries(10) as few:
            client.get(reverse("casework:search"), {"q": "mould", "in": scope})
        counts = len(few.captured_queries)
        for _ in range(30):
            more = CaseFactory(office=office, summary="Mould again")
            ContactFactory(office=office, case=more, summary="mould", body="mould")
        with django_assert_max_num_queries(counts):
            response = client.get(reverse("casework:search"), {"q": "mould", "in": scope})
        assert "Next" in response.content.decode()
