from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.services import case_open
from inbound.models import InboundMessage
from letters.models import Letter, Status
from tests.letters.factories import make_letter


def _case(office, **kwargs):
    return case_open(office=office, by=None, constituents=[], summary=kwargs.pop("summary", "A concern"), **kwargs)


def _letter(office, status, reply_due_on=None, **kwargs):
    letter = make_letter(office, **kwargs)
    Letter.objects.filter(pk=letter.pk).update(status=status, reply_due_on=reply_due_on)  # set-up only
    return letter


def test_caseworker_home_lists_their_open_cases_and_reviews_due(office, caseworker, staff, client_for):
    today = timezone.localdate()
    mine = _case(
        office, summary="Knife crime near MK College", assignee=caseworker.user, review_by=today - timedelta(days=1)
    )
    later = _case(office, summary="Street lighting", assignee=caseworker.user, review_by=today + timedelta(days=9))
    _case(office, summary="Someone else's case", assignee=staff.user)

    html = client_for(caseworker).get(reverse("home")).content.decode()

    assert "My open cases (2)" in html and mine.reference in html and later.reference in html
    assert "Someone else&#x27;s case" not in html
    reviews = html.split("Reviews due (1)")[1]
    assert mine.reference in reviews and later.reference not in reviews


def test_staff_home_lists_mail_to_triage_letters_to_send_and_overdue_replies(office, staff, client_for):
    InboundMessage.objects.create(office=office, raw="x.eml", sha256="0" * 64, source="upload", subject="Knife crime")
    to_send = _letter(office, Status.APPROVED, subject="Joint letter to the Home Secretary")
    overdue = _letter(office, Status.SENT, subject="Patrols in Netherfield", reply_due_on=date(2026, 1, 5))

    html = client_for(staff).get(reverse("home")).content.decode()

    assert "Inbox to triage (1)" in html and "Knife crime" in html
    assert "Approved letters to send (1)" in html and to_send.reference in html
    assert "Overdue replies (1)" in html and overdue.reference in html


def test_home_pages_run_the_same_queries_for_few_or_many_rows(office, caseworker, staff, client_for):
    def count(membership):
        with CaptureQueriesContext(connection) as queries:
            client_for(membership).get(reverse("home"))
        return len(queries.captured_queries)

    _case(office, assignee=caseworker.user)
    before = (count(caseworker), count(staff))
    for _ in range(15):
        _case(office, assignee=caseworker.user, review_by=date(2026, 1, 1))
        _letter(office, Status.APPROVED)
    # Past the list length the panel adds one COUNT; never a query per row.
    assert count(caseworker) <= before[0] + 2
    assert count(staff) <= before[1] + 1
