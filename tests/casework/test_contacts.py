import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.models import Attachment, Contact
from tests.casework.factories import PDF_BYTES, AttachmentFactory, CaseFactory, ConstituentFactory, ContactFactory

# A real 1x1 PNG: images must parse as images (casework.uploads), not only start like one.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)
EML_BYTES = b"From: a@example.org\r\nTo: office@example.org\r\nSubject: Knife crime\r\n\r\nPlease help.\r\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _contact_data(**extra):
    return {
        "channel": "phone",
        "direction": "in",
        "occurred_at": "2026-03-02T10:30",
        "summary": "Rang about knife crime",
        "body": "",
        **extra,
    }


def test_log_a_call_from_constituent_page_in_two_clicks(office, caseworker, client_for):
    constituent = ConstituentFactory(office=office)
    client = client_for(caseworker)
    url = reverse("casework:constituent-contact-create", args=[constituent.pk])

    form_page = client.get(url + "?channel=phone")  # click one: the form, pre-filled
    assert form_page.context["form"].initial["channel"] == "phone"
    assert form_page.context["form"].initial["staff"] == caseworker.user.pk
    response = client.post(url + "?channel=phone", _contact_data(staff=caseworker.user.pk))  # click two

    assert response.status_code == 302
    contact = Contact.objects.get(constituent=constituent)
    assert (contact.channel, contact.staff, contact.office) == ("phone", caseworker.user, office)


def test_contact_logged_on_a_case_appears_on_its_timeline(office, caseworker, client_for):
    case = CaseFactory(office=office)
    response = client_for(caseworker).post(
        reverse("casework:case-contact-create", args=[case.pk]), _contact_data(staff=caseworker.user.pk)
    )
    assert response.status_code == 302
    contact = Contact.objects.get(case=case)
    assert contact.constituent == case.constituents.get()
    entry = case.timeline.get(kind="contact")
    assert entry.source == contact


def test_mp_cannot_log_contacts(office, mp, client_for):
    constituent = ConstituentFactory(office=office)
    url = reverse("casework:constituent-contact-create", args=[constituent.pk])
    assert client_for(mp).post(url, _contact_data()).status_code == 403
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("letter.pdf", PDF_BYTES, "application/pdf"),
        ("photo.png", PNG_BYTES, "image/png"),
        ("message.eml", EML_BYTES, "message/rfc822"),
        ("notes.txt", "Café notes".encode(), "text/plain"),
        ("report.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_allowed_attachment_is_stored_with_type_from_content(
    office, caseworker, client_for, name, content, content_type
):
    constituent = ConstituentFactory(office=office)
    response = client_for(caseworker).post(
        reverse("casework:constituent-contact-create", args=[constituent.pk]),
        _contact_data(staff=caseworker.user.pk, attachments=[_upload(name, content)]),
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (name, content_type, len(content))
    assert name not in attachment.file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evil.pdf", b"<html><script>alert(1)</script></html>"),
        ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        ("archive.docx", b"PK\x03\x04not really a zip"),
        ("drawing.txt", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
)
def test_forbidden_type_is_refused_by_content_even_with_an_allowed_name(office, caseworker, client_for, name, content):
    constituent = ConstituentFactory(office=office)
    response = client_for(caseworker).post(
        reverse("casework:constituent-contact-create", args=[constituent.pk]),
        _contact_data(staff=caseworker.user.pk, attachments=[_upload(name, content, "application/pdf")]),
    )
    assert response.status_code == 200
    assert "not a file type Postbag accepts" in response.context["form"].errors["attachments"][0]
    assert "PDF" in response.context["form"].errors["attachments"][0]
    assert not Contact.objects.exists() and not Attachment.objects.exists()


def test_oversize_attachment_is_refused_with_the_limit_and_nothing_saved(office, caseworker, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    case = CaseFactory(office=office)
    timeline_before = case.timeline.count()
    response = client_for(caseworker).post(
        reverse("casework:case-contact-create", args=[case.pk]),
        _contact_data(staff=caseworker.user.pk, attachments=[_upload("big.pdf", PDF_BYTES + b"0" * 2048)]),
    )
    assert response.status_code == 200
    assert "at most 1.0\xa0KB" in response.context["form"].errors["attachments"][0]
    assert not Contact.objects.exists()
    assert case.timeline.count() == timeline_before


def test_attachment_downloads_as_attachment_with_nosniff(office, mp, client_for):
    attachment = AttachmentFactory(contact=ContactFactory(office=office))
    response = client_for(mp).get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;") and "letter.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_attachment_is_404_for_another_office(office, outsider, client_for):
    attachment = AttachmentFactory(contact=ContactFactory(office=office))
    assert client_for(outsider).get(attachment.get_absolute_url()).status_code == 404


def test_attachment_on_a_sensitive_case_is_404_for_other_caseworkers(office, staff, caseworker, client_for):
    case = CaseFactory(office=office, is_sensitive=True, assignee=staff.user)
    attachment = AttachmentFactory(contact=ContactFactory(office=office, case=case))
    assert client_for(caseworker).get(attachment.get_absolute_url()).status_code == 404
    assert client_for(staff).get(attachment.get_absolute_url()).status_code == 200
