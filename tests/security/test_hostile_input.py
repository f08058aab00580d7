"""Hostile input (hypothesis): every form of the project gets arbitrary text, oversized fields,
odd Unicode (NUL bytes, right-to-left marks, emoji, lone surrogates sent as raw bytes) and
malformed dates. The answer must be a page with errors (200) or a redirect, never a server
error, and a refused form must leave every table as it was. HTML typed anywhere is shown as
text, in PDFs too, and CSV exports neutralise formula cells.

Bounded: 25 examples per form, no deadline, so the suite stays fast.
"""

from __future__ import annotations

import datetime
import io
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from casework.exports import csv_safe
from letters import services as letter_services
from mpoffice.models import Role
from tests.campaigns.factories import CampaignFactory
from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.conftest import verified_login
from tests.letters.factories import make_case, make_letter
from tests.mpoffice.factories import MembershipFactory

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "👩🏽‍⚕️🏳️‍🌈",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    '=HYPERLINK("http://evil")',
    "x" * 5000,
    "Ω" * 20_000,
    "2026-02-30",
    "31/02/2026",
    "99999-01-01",
    "-1",
    "1e400",
    "NaN",
    "../../etc/passwd",
    "'; DROP TABLE casework_case; --",
]
MALFORMED_DATES = ["2026-02-30", "2026-13-01", "0000-00-00", "31/02/2026", "yesterday", "2026-02-28T25:61", "9" * 40]
# Raw, percent-encoded bytes that are not UTF-8: lone surrogates and stray continuation bytes.
RAW_BYTES = ["%ED%A0%80", "%ED%BF%BF", "%C0%AF", "%FF%FE", "%80"]

text_values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=400))
date_values = st.one_of(st.sampled_from(MALFORMED_DATES), st.text(max_size=30))
HYPOTHESIS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


class _FormFields(HTMLParser):
    """The names of a page's inputs, and the option values of its selects."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in ("input", "textarea") and name and name != "csrfmiddlewaretoken":
            if attrs.get("type") in ("file", "submit", "hidden") and name != "version":
                return
            self.fields.setdefault(name, [])
            if attrs.get("type") in ("checkbox", "radio"):
                self.fields[name].append(attrs.get("value") or "on")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and attrs.get("value"):
            self.fields[self._select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_fields(html: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for app in ("casework", "letters")
        for model in apps.get_app_config(app).get_models()
    }


def _is_date(name: str) -> bool:
    return bool(re.search(r"(date|_at|_on|_by|when|^due)", name))


@st.composite
def hostile_post(draw, fields: dict[str, list[str]]) -> str:
    """A urlencoded body: each field gets a real choice, hostile text, a bad date or raw bytes."""
    parts = []
    for name, choices in fields.items():
        kind = draw(st.sampled_from(["choice", "text", "raw", "omit"] if choices else ["text", "raw", "omit"]))
        if kind == "omit":
            continue
        if kind == "choice":
            value = quote(draw(st.sampled_from(choices)))
        elif kind == "raw":
            value = draw(st.sampled_from(RAW_BYTES)) + quote(draw(st.sampled_from(HOSTILE[:12])))
        else:
            value = quote(draw(date_values if _is_date(name) else text_values), safe="")
        parts.append(f"{quote(name)}={value}")
    return "&".join(parts)


def _member(office, role) -> Client:
    return verified_login(Client(), MembershipFactory(office=office, role=role).user)


def _sent_letter(office):
    mp = MembershipFactory(office=office, role=Role.MP)
    letter = make_letter(office, cases=[make_case(office)])
    letter_services.letter_submit(letter=letter, by=None)
    letter_services.letter_approve(letter=letter, by=mp)
    letter_services.letter_send(letter=letter, by=None, channel="post", sent_on=datetime.date(2026, 3, 2))
    return letter


# (name, role, page showing the form, URL posted to). Builders take the office.
FORMS = {
    "constituent": (Role.CASEWORKER, lambda o: (reverse("casework:constituent-create"),) * 2),
    "constituent-edit": (
        Role.CASEWORKER,
        lambda o: (reverse("casework:constituent-edit", args=[ConstituentFactory(office=o).pk]),) * 2,
    ),
    "case": (Role.CASEWORKER, lambda o: (reverse("casework:case-create"),) * 2),
    "case-edit": (Role.CASEWORKER, lambda o: (reverse("casework:case-edit", args=[CaseFactory(office=o).pk]),) * 2),
    "contact": (
        Role.CASEWORKER,
        lambda o: (reverse("casework:case-contact-create", args=[CaseFactory(office=o).pk]),) * 2,
    ),
    "note": (
        Role.CASEWORKER,
        lambda o: (lambda c: (c.get_absolute_url(), reverse("casework:note-create", args=[c.pk])))(
            CaseFactory(office=o)
        ),
    ),
    "case-status": (
        Role.CASEWORKER,
        lambda o: (lambda c: (c.get_absolute_url(), reverse("casework:case-status", args=[c.pk])))(
            CaseFactory(office=o)
        ),
    ),
    "topic": (Role.STAFF, lambda o: (reverse("casework:topic-create"),) * 2),
    "letter": (Role.STAFF, lambda o: (reverse("letters:create"),) * 2),
    "letter-template": (Role.STAFF, lambda o: (reverse("letters:template-create"),) * 2),
    "organisation": (Role.STAFF, lambda o: (reverse("letters:organisation-create"),) * 2),
    "reply": (Role.STAFF, lambda o: (reverse("letters:reply-create", args=[_sent_letter(o).pk]),) * 2),
    "survey": (Role.STAFF, lambda o: (reverse("campaigns:survey-create"),) * 2),
    "campaign": (Role.STAFF, lambda o: (reverse("campaigns:campaign-create"),) * 2),
    "key-fact": (
        Role.STAFF,
        lambda o: (lambda c: (c.get_absolute_url(), reverse("campaigns:campaign-fact-add", args=[c.pk])))(
            CampaignFactory(office=o)
        ),
    ),
    "meeting": (
        Role.STAFF,
        lambda o: (lambda c: (c.get_absolute_url(), reverse("campaigns:campaign-meeting-add", args=[c.pk])))(
            CampaignFactory(office=o)
        ),
    ),
    # The form sits on the data-protection page and posts to its own view.
    "retention-period": (
        Role.STAFF,
        lambda o: (reverse("privacy:data-protection"), reverse("privacy:retention-period")),
    ),
    "two-factor": (Role.STAFF, lambda o: (reverse("two-factor-setup"), reverse("two-factor-setup"))),
}


@pytest.mark.parametrize(
    "form_name",
    sorted(FORMS),
)
def test_hostile_input_never_breaks_a_form_or_half_saves(form_name, office):
    role, build = FORMS[form_name]
    client = _member(office, role)
    page_url, post_url = build(office)
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    fields = form_fields(page.content.decode())
    assert fields, f"no form fields found on {page_url}"

    @HYPOTHESIS
    @given(body=hostile_post(fields))
    def post_hostile(body):
        before = row_counts()
        response = client.post(post_url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 302), (response.status_code, body[:300])
        if response.status_code == 200:
            assert row_counts() == before, f"a refused form saved rows: {body[:300]}"

    post_hostile()


# --- shown as text everywhere -------------------------------------------------------------------

PAYLOAD = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def test_html_in_user_fields_is_shown_as_text_on_every_page(office, staff, client_for):
    person = ConstituentFactory(office=office, first_name=PAYLOAD, notes=PAYLOAD)
    case = CaseFactory(office=office, constituents=[person], summary=PAYLOAD[:200], description=PAYLOAD)
    letter = make_letter(office, cases=[case], subject=PAYLOAD, body=PAYLOAD)
    client = client_for(staff)
    for url in (
        person.get_absolute_url(),
        case.get_absolute_url(),
        reverse("casework:case-list"),
        reverse("casework:constituent-list"),
        letter.get_absolute_url(),
        reverse("letters:list"),
        reverse("privacy:audit-trail", args=["case", case.pk]),
        reverse("privacy:audit-trail", args=["constituent", person.pk]),
    ):
        content = client.get(url).content.decode()
        assert "<script>alert(" not in content and "<img src=x" not in content, url
        assert "&lt;script&gt;" in content, url


def test_html_in_a_letter_is_printed_literally_in_its_pdf(office, staff, client_for):
    letter = make_letter(office, body=f"Dear Minister,\n\n{PAYLOAD}\n\nYours")

    response = client_for(staff).get(reverse("letters:pdf", args=[letter.pk]))

    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert '<script>alert("pwned")</script>' in text.replace("\n", "")


# --- CSV injection ------------------------------------------------------------------------------


@given(st.sampled_from("=+-@\t\r"), st.text(max_size=50))
@settings(max_examples=50, deadline=None)
def test_csv_cells_that_could_be_formulas_are_neutralised(first, rest):
    cell = csv_safe(first + rest)
    assert cell[0] not in "=+-@\t\r"


@pytest.mark.parametrize("url_name", ["casework:case-export", "casework:constituent-export"])
def test_every_csv_export_neutralises_formulas(url_name, office, staff, client_for):
    formula = '=HYPERLINK("http://evil.example","x")'
    person = ConstituentFactory(office=office, first_name=formula, last_name="+SUM(A1)", town="@cmd", postcode="")
    CaseFactory(office=office, constituents=[person], summary="-2+3")

    response = client_for(staff).get(reverse(url_name))

    content = b"".join(response.streaming_content).decode("utf-8-sig")
    import csv

    for row in csv.reader(io.StringIO(content)):
        for cell in row:
            assert not cell or cell[0] not in "=+-@", (url_name, cell)
    assert "HYPERLINK" in content  # present, but as text
