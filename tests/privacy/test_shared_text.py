"""Mentions of an erased person on a case another person shares: listed for staff, removed
or kept with one click, refused with a clear message when the text changed since."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from casework.models import TimelineEntry
from privacy.models import SharedTextReview
from tests.security.factories import make_shared_text_review

pytestmark = pytest.mark.django_db


def _url(review):
    return reverse("privacy:shared-text-redact", args=[review.pk])


def test_staff_remove_the_mention_and_keep_the_rest(office, staff, client_for):
    review = make_shared_text_review(office)
    client = client_for(staff)
    page = client.get(reverse("privacy:data-protection")).content.decode()
    assert "<mark>Pat Erased</mark>" in page

    response = client.post(_url(review), {"action": "redact"})

    assert response.status_code == 302
    note = TimelineEntry.objects.get(pk=review.object_id)
    assert note.body == "Nora says [removed] saw the lamp fail too."
    review.refresh_from_db()
    assert review.resolution == "redacted" and review.resolved_by == staff.user
    assert LogEntry.objects.filter(additional_data__event="shared-text-redacted").count() == 1
    assert client.post(_url(review)).status_code == 404  # done: not listed any more


def test_changed_text_is_refused_with_what_to_do_then_kept(office, staff, client_for):
    review = make_shared_text_review(office)
    TimelineEntry.objects.filter(pk=review.object_id).update(body="Rewritten by hand.")
    client = client_for(staff)

    response = client.post(_url(review), {"action": "redact"}, follow=True)

    assert "The text has changed since it was listed" in response.content.decode()
    assert SharedTextReview.objects.get(pk=review.pk).resolved_at is None
    client.post(_url(review), {"action": "keep"})
    assert SharedTextReview.objects.get(pk=review.pk).resolution == "kept"
    assert TimelineEntry.objects.get(pk=review.object_id).body == "Rewritten by hand."


def test_only_staff_resolve_and_only_by_post(office, caseworker, mp, client_for):
    review = make_shared_text_review(office)
    assert client_for(caseworker).post(_url(review)).status_code == 403
    assert client_for(mp).post(_url(review)).status_code == 403
    assert SharedTextReview.objects.get(pk=review.pk).resolved_at is None
