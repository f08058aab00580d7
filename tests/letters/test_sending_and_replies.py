import hashlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.models import Contact, TimelineEntry
from letters import services
from letters.emails import letter_emails_send
from letters.models import Letter, Reply, Status
from letters.selectors import replies_awaiting, replies_overdue, reply_times_by_organisation
from tests.letters.factories import PDF_BYTES, TemplateFactory, approved_letter, make_case, make_constituent, make_post


@pytest.fixture
def cases(office):
    return [make_case(office), make_case(office, summary="Another knife-crime concern")]


def test_send_by_email_attaches_the_pdf_with_the_reference_and_a_reply_address(
    office, mp, staff, cases, settings, django_capture_on_commit_callbacks
):
    settings.LETTER_REPLY_DOMAIN = "replies.example.org"
    letter = approved_letter(office, mp, cases=cases)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(letter=letter, by=staff.user, channel="email")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert letter.reference in message.subject
    assert message.to == [letter.recipient_post.organisation.email]
    assert message.reply_to == [f"reply+{letter.reference}@replies.example.org"]
    ((name, content, mimetype),) = message.attachments
    assert name == f"{letter.reference}.pdf" and mimetype == "application/pdf" and content.startswith(b"%PDF")
    letter.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == letter.pdf_sha256
    assert letter.emailed_at is not None
    # The claim makes the e-mail task idempotent: running it again sends nothing.
    assert letter_emails_send(letters=Letter.objects.filter(pk=letter.pk)) == 0
    assert len(mail.outbox) == 1


def test_send_records_a_contact_and_a_timeline_entry_on_every_linked_case(office, mp, staff, cases):
    letter = approved_letter(office, mp, cases=cases)
    services.letter_send(letter=letter, by=staff.user, channel="post", sent_on=date(2026, 3, 2))
    assert letter.status == Status.SENT and letter.sent_on == date(2026, 3, 2)
    assert letter.reply_due_on == date(2026, 3, 30)  # 20 working days
    for case in cases:
        assert Contact.objects.filter(case=case, channel="letter", direction="out").count() == 1
        entry = TimelineEntry.objects.get(case=case, kind="letter")
        assert letter.reference in entry.title and "Priti Patel" in entry.title
    assert not mail.outbox


def test_the_sent_pdf_never_changes_and_editing_is_refused_after_sending(office, mp, staff, client_for):
    letter = approved_letter(office, mp)
    services.letter_send(letter=letter, by=staff.user, channel="post")
    stored = letter.pdf.read()
    letter.office.mp_name = "Someone Else"
    letter.office.save()
    response = client_for(staff).get(f"/letters/{letter.pk}/letter.pdf")
    assert b"".join(response.streaming_content) == stored
    with pytest.raises(services.LetterError, match="can no longer change"):
        services.letter_edit(
            letter=letter,
            by=staff.user,
            expected_version=letter.version,
            subject="x",
            body="y",
            recipient_kind="post",
            recipient_post=letter.recipient_post,
            recipient_constituent=None,
            campaign=None,
            cases=[],
        )
    response = client_for(staff).post(f"/letters/{letter.pk}/edit/", {"subject": "x", "body": "y"}, follow=True)
    assert "can no longer change" in response.content.decode()
    letter.refresh_from_db()
    assert letter.subject != "x"


def test_recipient_without_an_email_address_is_refused_with_a_message(office, mp, staff, client_for):
    letter = approved_letter(office, mp, post=make_post(office, email=""))
    response = client_for(staff).post(f"/letters/{letter.pk}/send/", {"channel": "email", "sent_on": "2026-03-02"})
    assert response.status_code == 200
    assert (
        "has no e-mail address" in response.content.decode() and "send the letter by post" in response.content.decode()
    )
    letter.refresh_from_db()
    assert letter.status == Status.APPROVED and not letter.pdf
    assert not mail.outbox


def test_recipient_without_a_postal_address_is_refused(office, mp, staff):
    letter = approved_letter(office, mp, post=make_post(office, address=""))
    with pytest.raises(services.LetterError, match="no postal address"):
        services.letter_send(letter=letter, by=staff.user, channel="post")


def test_letter_to_a_post_nobody_held_on_the_day_is_refused(office, mp, staff):
    letter = approved_letter(office, mp, post=make_post(office, holder=None))
    with pytest.raises(services.LetterError, match="Nobody holds the post"):
        services.letter_send(letter=letter, by=staff.user, channel="post")


def test_letter_is_addressed_to_the_holder_on_its_date(office, mp, staff):
    from tests.letters.factories import PostHolderFactory

    post = make_post(office, holder=None)
    PostHolderFactory(
        post=post, name="The previous holder (test)", started_on=date(2018, 4, 30), ended_on=date(2019, 7, 23)
    )
    PostHolderFactory(post=post, name="Priti Patel", started_on=date(2019, 7, 24))
    assert post.holder_on(date(2019, 1, 1)).name == "The previous holder (test)"
    assert post.holder_on(date(2021, 6, 1)).name == "Priti Patel"
    assert post.holder_on(date(2017, 1, 1)) is None
    letter = approved_letter(office, mp, post=post)
    services.letter_send(letter=letter, by=staff.user, channel="post", sent_on=date(2019, 6, 3))
    assert letter.recipient_snapshot["name"] == "The previous holder (test)"


def _sent(office, mp, staff, *, sent_on, cases=()):
    letter = approved_letter(office, mp, cases=cases)
    return services.letter_send(letter=letter, by=staff.user, channel="post", sent_on=sent_on)


def test_awaiting_and_overdue_lists_and_average_reply_times(office, mp, staff, client_for):
    today = timezone.localdate()
    overdue = _sent(office, mp, staff, sent_on=today - timedelta(days=60))
    recent = _sent(office, mp, staff, sent_on=today - timedelta(days=1))
    answered = _sent(office, mp, staff, sent_on=today - timedelta(days=30))
    services.reply_record(
        letter=answered,
        by=staff.user,
        received_on=today - timedelta(days=20),
        from_name="Private Office",
        summary="Thanks",
        outcome="answered",
    )
    assert list(replies_awaiting(membership=staff)) == [overdue, recent]
    assert list(replies_overdue(membership=staff)) == [overdue]
    (row,) = reply_times_by_organisation(membership=staff)
    assert row["average_days"] == 10 and row["replies"] == 1
    response = client_for(staff).get("/letters/replies/")
    content = response.content.decode()
    assert (
        "1 overdue" in content
        and overdue.reference in content
        and answered.reference not in content.split("Reply times")[0]
    )


def test_recording_a_reply_moves_the_letter_and_adds_a_reply_on_each_case(
    office, mp, staff, caseworker, cases, client_for
):
    letter = _sent(office, mp, staff, sent_on=date(2026, 3, 2), cases=cases)
    response = client_for(caseworker).post(
        f"/letters/{letter.pk}/replies/new/",
        {
            "received_on": "2026-03-20",
            "from_name": "Private Office",
            "summary": "A full answer.",
            "outcome": "answered",
            "document": SimpleUploadedFile("reply.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Status.REPLY_RECEIVED
    reply = letter.replies.get()
    assert reply.days_to_reply == 18 and reply.document_type == "application/pdf"
    assert all(TimelineEntry.objects.filter(case=case, kind="reply").count() == 1 for case in cases)
    download = client_for(staff).get(f"/letters/replies/{reply.pk}/document/")
    assert b"".join(download.streaming_content) == PDF_BYTES


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("reply.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
            "not an allowed type",
        ),
        (SimpleUploadedFile("reply.exe", b"MZ\x90\x00\x03\x00\x00\x00" * 10, "application/pdf"), "not an allowed type"),
        (SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 2048, "application/pdf"), "the limit is"),
    ],
)
def test_bad_reply_document_is_refused_with_a_message_and_nothing_typed_is_lost(
    office, mp, staff, client_for, settings, upload, message
):
    settings.LETTER_REPLY_MAX_BYTES = 1024 if "big" in upload.name else 10 * 1024 * 1024
    letter = _sent(office, mp, staff, sent_on=date(2026, 3, 2))
    response = client_for(staff).post(
        f"/letters/{letter.pk}/replies/new/",
        {
            "received_on": "2026-03-20",
            "from_name": "Private Office",
            "summary": "My careful summary",
            "outcome": "answered",
            "document": upload,
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "My careful summary" in content
    assert not Reply.objects.exists()
    letter.refresh_from_db()
    assert letter.status == Status.SENT


def test_forwarding_a_reply_drafts_one_covering_letter_per_constituent_with_the_reply(
    office, mp, staff, client_for, django_capture_on_commit_callbacks
):
    first = make_constituent(office, first_name="Ann", last_name="One", email="ann@example.org")
    second = make_constituent(office, first_name="Bob", last_name="Two", email="bob@example.org")
    cases = [make_case(office, constituents=[first]), make_case(office, constituents=[second])]
    letter = _sent(office, mp, staff, sent_on=date(2026, 3, 2), cases=cases)
    reply = services.reply_record(
        letter=letter,
        by=staff.user,
        received_on=date(2026, 3, 20),
        from_name="Private Office",
        summary="Answer",
        outcome="answered",
        document=SimpleUploadedFile("reply.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    template = TemplateFactory(office=office)
    response = client_for(staff).post(f"/letters/replies/{reply.pk}/forward/", {"template": template.pk})
    assert response.status_code == 302
    covering = list(Letter.objects.filter(encloses_reply=reply).order_by("pk"))
    assert [c.recipient_constituent for c in covering] == [first, second]
    assert all(c.status == Status.AWAITING_APPROVAL for c in covering)
    for case, cover in zip(cases, covering, strict=True):
        assert TimelineEntry.objects.filter(case=case, kind="letter", title__contains=cover.reference).exists()
    # Forwarding again does not duplicate.
    with pytest.raises(services.LetterError):
        services.reply_forward(reply=reply, by=staff.user, template=template)
    # Approved and e-mailed, the covering letter carries the reply too.
    cover = covering[0]
    services.letter_approve(letter=cover, member=mp)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(letter=cover, by=staff.user, channel="email")
    (message,) = mail.outbox
    assert message.to == ["ann@example.org"]
    assert [name for name, *_ in message.attachments] == [f"{cover.reference}.pdf", "reply.pdf"]
    assert Contact.objects.filter(case=cases[0], constituent=first, channel="email", direction="out").exists()
