"""Security headers on every page, and uploads that can never run in the browser."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.models import Attachment, Contact
from tests.casework.factories import AttachmentFactory, CaseFactory


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_every_page_has_a_content_security_policy_without_inline_scripts(caseworker, client_for, client):
    for response in (client.get(reverse("login")), client_for(caseworker).get(reverse("casework:case-list"))):
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], "no 'unsafe-inline', no 'unsafe-eval', no other host"
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]


def test_pages_carry_no_inline_script(caseworker, staff, mp, client_for):
    # Scripts only by src from our static files: the policy above would block anything else.
    for membership, url in (
        (caseworker, reverse("casework:case-list")),
        (staff, reverse("home")),
        (mp, reverse("home")),
        (staff, reverse("privacy:data-protection")),
    ):
        content = client_for(membership).get(url).content.decode()
        for tag in content.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), f"inline script on {url}: <script{tag[:80]}"
        assert " onclick=" not in content and " onload=" not in content


def test_permissions_policy_and_django_security_headers(caseworker, client_for):
    response = client_for(caseworker).get(reverse("home"))
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_is_an_inactivity_timeout():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_each_request_pushes_the_session_expiry_back(caseworker, client_for):
    client = client_for(caseworker)
    response = client.get(reverse("home"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_a_session_left_idle_past_its_age_is_signed_out(caseworker, client_for):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_for(caseworker)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'),
        ("notes.txt", b"Dear MP,\n<script>alert(document.cookie)</script>\n"),
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_html_and_svg_uploads_are_refused_whatever_their_name(name, content, caseworker, client_for):
    case = CaseFactory(office=caseworker.office)
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    before = (Contact.objects.count(), Attachment.objects.count())

    response = client_for(caseworker).post(
        reverse("casework:case-contact-create", args=[case.pk]),
        {
            "channel": "email",
            "direction": "in",
            "occurred_at": "2026-03-02T10:30",
            "staff": caseworker.user.pk,
            "summary": "Evidence",
            "attachments": upload,
        },
    )

    assert response.status_code == 200
    assert "not a file type Postbag accepts" in response.context["form"].errors["attachments"][0]
    assert (Contact.objects.count(), Attachment.objects.count()) == before


def test_attachments_are_stored_under_random_names_and_served_as_downloads(caseworker, client_for):
    attachment = AttachmentFactory(contact__office=caseworker.office, original_name="<script>.pdf")
    assert "script" not in attachment.file.name and "letter" not in attachment.file.name

    response = client_for(caseworker).get(attachment.get_absolute_url())

    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["reply.html", "reply.svg", "reply.pdf"])
def test_letters_reply_documents_are_checked_by_content_too(name):
    from django.core.exceptions import ValidationError

    from letters.services import reply_document_check

    with pytest.raises(ValidationError):
        reply_document_check(SimpleUploadedFile(name, b"<html><script>alert(1)</script></html>"))
