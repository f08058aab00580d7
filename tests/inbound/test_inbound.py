import mailbox
import threading
from email import message_from_bytes, policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from casework.models import Attachment, Case, Constituent, Contact, TimelineEntry
from inbound.models import InboundMessage
from inbound.services import inbound_receive
from mpoffice.models import Role
from tests.casework.factories import PDF_BYTES, CaseFactory, ConstituentFactory
from tests.conftest import need
from tests.inbound.factories import eml, inbound_message
from tests.mpoffice.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(office):
    return ConstituentFactory(office=office, first_name="Jane", last_name="Doe", email="jane@example.org")


def _receive(office, **kwargs):
    return inbound_receive(office=office, raw=eml(**kwargs), source=InboundMessage.Source.UPLOAD).message


# --- Matching -------------------------------------------------------------------------------


def test_reference_in_subject_attaches_message_to_case_with_contact_and_timeline(office, jane):
    case = CaseFactory(office=office, constituents=[jane])

    message = _receive(office, subject=f"Re: [{case.reference}] Knife crime near the school")

    assert message.status == InboundMessage.Status.ATTACHED
    assert message.case == case and message.constituent == jane
    contact = message.contact
    assert contact.channel == Contact.Channel.EMAIL and contact.direction == Contact.Direction.INBOUND
    assert contact.case == case and contact.constituent == jane
    assert "another stabbing" in contact.body
    entry = TimelineEntry.objects.get(case=case, kind="contact")
    assert entry.source == contact


def test_reference_of_another_office_is_not_matched(office, other_office, jane):
    foreign = CaseFactory(office=other_office)

    message = _receive(office, subject=f"[{foreign.reference}] hello")

    assert message.status == InboundMessage.Status.PENDING and message.case is None
    assert not Contact.objects.filter(case=foreign).exists()


def test_known_sender_without_reference_waits_in_inbox_matched_to_constituent(office, jane):
    message = _receive(office, sender="JANE@Example.org", subject="Anti-social behaviour")

    assert message.status == InboundMessage.Status.PENDING
    assert message.constituent == jane
    assert not Contact.objects.exists()


def test_same_message_received_twice_is_kept_once(office):
    raw = eml()
    first = inbound_receive(office=office, raw=raw, source=InboundMessage.Source.UPLOAD)
    second = inbound_receive(office=office, raw=raw, source=InboundMessage.Source.MAILDIR)

    assert first.created and not second.created
    assert second.message == first.message
    assert InboundMessage.objects.count() == 1


def test_original_and_acceptable_attachments_are_kept_and_forbidden_ones_refused(office, jane):
    case = CaseFactory(office=office, constituents=[jane])
    raw = eml(
        subject=f"[{case.reference}] photos",
        attachments=(
            ("report.pdf", PDF_BYTES, "application/pdf"),
            ("run-me.exe", b"MZ\x90\x00" * 50, "application/octet-stream"),
        ),
    )

    message = inbound_receive(office=office, raw=raw, source=InboundMessage.Source.UPLOAD).message

    with message.raw.open("rb") as handle:
        assert handle.read() == raw
    assert message.raw.name.startswith(f"inbound/{office.pk}/") and "jane" not in message.raw.name
    assert message.attachment_names == ["report.pdf", "run-me.exe"]
    (attachment,) = Attachment.objects.filter(contact=message.contact)
    assert attachment.original_name == "report.pdf" and attachment.content_type == "application/pdf"
    assert "run-me.exe" in message.contact.body  # the refusal is noted on the contact


# --- Views ------------------------------------------------------------------------------------


def test_caseworker_uploads_eml_file(office, caseworker, client_for, jane):
    upload = SimpleUploadedFile("message.eml", eml(), content_type="message/rfc822")

    response = client_for(caseworker).post(reverse("inbound:inbound-upload"), {"file": upload})

    message = InboundMessage.objects.get()
    assert response.status_code == 302 and response["Location"] == message.get_absolute_url()
    assert message.source == InboundMessage.Source.UPLOAD and message.received_by == caseworker.user
    assert message.constituent == jane


def test_staff_pastes_a_message(office, staff, client_for):
    response = client_for(staff).post(reverse("inbound:inbound-upload"), {"text": eml().decode()})

    assert response.status_code == 302
    assert InboundMessage.objects.get().source == InboundMessage.Source.PASTE


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4 not an e-mail at all",
        b"Just some words someone typed.\n",
        b"\x00\x01\x02binary",
        b"From: x\n\nno address",
    ],
)
def test_file_that_is_not_an_email_is_refused_with_a_message(office, caseworker, client_for, content):
    upload = SimpleUploadedFile("message.eml", content)

    response = client_for(caseworker).post(reverse("inbound:inbound-upload"), {"file": upload})

    assert response.status_code == 200
    assert "not an e-mail message" in response.content.decode() or "no sender address" in response.content.decode()
    assert not InboundMessage.objects.exists()


def test_mp_cannot_use_the_inbox(office, mp, client_for):
    message = inbound_message(office)
    client = client_for(mp)
    for url in (
        reverse("inbound:inbound-list"),
        reverse("inbound:inbound-upload"),
        message.get_absolute_url(),
        reverse("inbound:inbound-original", args=[message.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("inbound:inbound-dismiss", args=[message.pk])).status_code == 403
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.PENDING


def test_outsider_cannot_see_or_triage_a_message(office, outsider, client_for):
    message = inbound_message(office)
    client = client_for(outsider)

    assert client.get(message.get_absolute_url()).status_code == 404
    assert client.post(reverse("inbound:inbound-dismiss", args=[message.pk])).status_code == 404
    assert message.subject not in client.get(reverse("inbound:inbound-list")).content.decode()


def test_inbox_lists_pending_messages_in_fixed_queries(office, caseworker, client_for, django_assert_max_num_queries):
    client = client_for(caseworker)
    inbound_message(office)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("inbound:inbound-list"))
    for _ in range(20):
        inbound_message(office, sender="Someone <someone@example.org>")
    ConstituentFactory(office=office, email="someone@example.org")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("inbound:inbound-list"))
    assert response.status_code == 200


def test_caseworker_triages_by_attaching_to_a_case(office, caseworker, client_for, jane):
    case = CaseFactory(office=office, constituents=[jane])
    message = _receive(office, subject="About my neighbour")
    client = client_for(caseworker)

    page = client.get(message.get_absolute_url())
    assert case.reference in page.content.decode()  # offered: the sender's open case
    response = client.post(reverse("inbound:inbound-attach", args=[message.pk]), {"case": case.reference.lower()})

    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.ATTACHED and message.triaged_by == caseworker.user
    assert Contact.objects.get(case=case).staff == caseworker.user
    assert TimelineEntry.objects.filter(case=case, kind="contact").count() == 1


def test_caseworker_cannot_attach_to_a_sensitive_case_they_may_not_see(office, caseworker, staff, client_for):
    secret = CaseFactory(office=office, is_sensitive=True, assignee=staff.user)
    message = inbound_message(office)

    response = client_for(caseworker).post(
        reverse("inbound:inbound-attach", args=[message.pk]), {"case": secret.reference}
    )

    assert response.status_code == 400
    assert "No case of this office has that reference" in response.content.decode()
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.PENDING and not Contact.objects.exists()


def test_staff_opens_a_case_for_an_unknown_sender(office, staff, client_for):
    message = inbound_message(office, sender="Sam Example <sam@example.net>", subject="Pothole on Saxon Street")

    response = client_for(staff).post(
        reverse("inbound:inbound-open-case", args=[message.pk]), {"summary": "Pothole on Saxon Street"}
    )

    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    sam = Constituent.objects.get(email="sam@example.net")
    assert (sam.first_name, sam.last_name) == ("Sam", "Example")
    assert list(case.constituents.all()) == [sam]
    assert Contact.objects.get().case == case
    assert list(case.timeline.values_list("kind", flat=True).order_by("pk")) == ["opened", "contact"]


def test_dismissed_message_is_kept_and_cannot_be_triaged_twice(office, caseworker, client_for):
    message = inbound_message(office)
    client = client_for(caseworker)

    assert client.post(reverse("inbound:inbound-dismiss", args=[message.pk])).status_code == 302
    second = client.post(reverse("inbound:inbound-open-case", args=[message.pk]), {"summary": "x"}, follow=True)

    assert "already dealt with" in second.content.decode()
    message.refresh_from_db()
    assert message.status == InboundMessage.Status.DISMISSED
    assert not Case.objects.exists()


def test_original_message_downloads_as_eml(office, caseworker, client_for):
    message = inbound_message(office)

    response = client_for(caseworker).get(reverse("inbound:inbound-original", args=[message.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"Subject: " + message.subject.encode() in b"".join(response.streaming_content)


# --- Maildir ----------------------------------------------------------------------------------


def test_ingest_maildir_matches_leaves_the_files_alone_and_is_idempotent(office, jane, tmp_path):
    case = CaseFactory(office=office, constituents=[jane])
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(eml(subject=f"[{case.reference}] update", message_id="<a@x>"))
    box.add(eml(subject="New problem", message_id="<b@x>"))
    (tmp_path / "mail" / "new" / "junk").write_bytes(b"\x00\x01 not mail")

    call_command("ingest_maildir", str(tmp_path / "mail"), office="mks")
    call_command("ingest_maildir", str(tmp_path / "mail"), office="MKS")

    assert InboundMessage.objects.count() == 2
    assert InboundMessage.objects.get(status=InboundMessage.Status.ATTACHED).case == case
    assert InboundMessage.objects.get(status=InboundMessage.Status.PENDING).source == InboundMessage.Source.MAILDIR
    assert Contact.objects.count() == 1
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 3  # nothing moved, flagged or rewritten


# --- Matching only what the member may see ----------------------------------------------------


def _upload(client, raw: bytes):
    return client.post(
        reverse("inbound:inbound-upload"),
        {"file": SimpleUploadedFile("message.eml", raw, content_type="message/rfc822")},
        follow=True,
    )


def test_an_email_naming_a_sensitive_case_the_caseworker_may_not_see_waits_without_revealing_it(
    office, caseworker, staff, client_for, jane
):
    secret = CaseFactory(
        office=office, constituents=[jane], is_sensitive=True, assignee=staff.user, summary="Domestic abuse referral"
    )

    page = _upload(client_for(caseworker), eml(subject=f"Re: [{secret.reference}] an update"))

    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.PENDING and message.case is None
    # Jane is known to the office only through the hidden case: the sender is not matched to her.
    assert message.constituent is None
    assert not Contact.objects.exists() and not TimelineEntry.objects.filter(case=secret, kind="contact").exists()
    html = page.content.decode()
    assert "waiting for triage" in html and "attached to case" not in html
    assert secret.summary not in html and secret.get_absolute_url() not in html


@pytest.mark.parametrize("who", ["staff", "assignee"])
def test_an_email_naming_a_sensitive_case_reaches_it_when_added_by_someone_who_may_see_it(
    office, staff, client_for, jane, who
):
    assignee = MembershipFactory(office=office, role=Role.CASEWORKER, user__username="assignee")
    secret = CaseFactory(office=office, constituents=[jane], is_sensitive=True, assignee=assignee.user)

    page = _upload(client_for(staff if who == "staff" else assignee), eml(subject=f"Re: [{secret.reference}] update"))

    assert InboundMessage.objects.get().case == secret and Contact.objects.get().case == secret
    assert f"attached to case {secret.reference}" in page.content.decode()


def test_mailbox_ingestion_has_no_person_so_it_attaches_to_a_sensitive_case(office, staff, jane, tmp_path):
    secret = CaseFactory(office=office, constituents=[jane], is_sensitive=True, assignee=staff.user)
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(eml(subject=f"Re: [{secret.reference}] update"))

    call_command("ingest_maildir", str(tmp_path / "mail"), office="MKS")

    assert InboundMessage.objects.get().case == secret and Contact.objects.get().case == secret


# --- The same message, whatever way it arrives, is kept once ---------------------------------


def _crlf(raw: bytes) -> bytes:
    return message_from_bytes(raw, policy=policy.default).as_bytes(policy=policy.SMTP)


@pytest.mark.parametrize("message_id", ["<CAF=3d+x1@mail.example.org>", ""])
def test_the_same_email_uploaded_then_pasted_then_ingested_is_kept_once_and_says_so(
    office, caseworker, client_for, jane, tmp_path, message_id
):
    def message(**kwargs) -> bytes:
        return eml(message_id=message_id or None, **kwargs)

    uploaded = _crlf(message())  # saved from Outlook: CRLF
    client = client_for(caseworker)
    _upload(client, uploaded)
    kept = InboundMessage.objects.get()

    pasted = client.post(reverse("inbound:inbound-upload"), {"text": message().decode()}, follow=True)
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(message(cte="base64"))  # re-encoded on the way to the mailbox
    call_command("ingest_maildir", str(tmp_path / "mail"), office="MKS")

    assert InboundMessage.objects.count() == 1
    assert pasted.redirect_chain[-1][0] == kept.get_absolute_url()
    html = pasted.content.decode()
    assert "was already received on" in html and "(uploaded .eml file)" in html
    assert "so it was not added again: here is that copy" in html


def test_different_emails_without_a_message_id_are_all_kept(office):
    for body in ("First problem.\n", "Second problem.\n"):
        inbound_receive(office=office, raw=eml(body=body, message_id=None), source=InboundMessage.Source.UPLOAD)

    assert InboundMessage.objects.count() == 2


def test_the_same_message_id_in_two_offices_is_kept_by_each(office, other_office):
    for receiving in (office, other_office):
        inbound_receive(office=receiving, raw=eml(), source=InboundMessage.Source.UPLOAD)

    assert InboundMessage.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_arrivals_of_one_email_at_the_same_moment_keep_one(office):
    """A paste lands while an ingest run still holds the same message uncommitted: the unique
    constraint makes the paste wait, then find the ingested copy."""
    need(connection.vendor == "postgresql", "needs PostgreSQL for real concurrent transactions")
    inserted, done = threading.Event(), threading.Event()
    results, errors = {}, []

    def ingest():
        try:
            with transaction.atomic():
                results["ingest"] = inbound_receive(
                    office=office, raw=_crlf(eml()), source=InboundMessage.Source.MAILDIR
                )
                inserted.set()
                done.wait(timeout=2)  # the paste is blocked on our row meanwhile
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            inserted.set()
            connection.close()

    def paste():
        try:
            inserted.wait(timeout=10)
            results["paste"] = inbound_receive(office=office, raw=eml(), source=InboundMessage.Source.PASTE)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=ingest), threading.Thread(target=paste)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert InboundMessage.objects.count() == 1
    assert results["ingest"].created and not results["paste"].created
    assert results["paste"].message.pk == results["ingest"].message.pk
