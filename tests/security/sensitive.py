"""The sensitive-case world and the registry of URL builders for the sensitive-case sweep
(tests/security/test_sensitive_sweep.py).

The sweep walks every URL pattern as a caseworker of the SAME office who is not the assignee
of a sensitive case, with objects derived from that case: the case, its constituent, contacts,
attachments, the e-mail attached to it, letters about it and to its constituent, their
replies, a covering letter, PDFs, exports, a notification. Every URL pattern that takes
arguments needs one of:

- a builder returning the URL kwargs of such an object, registered with
  ``@sensitive("app:name", ...)``; by default the caseworker must get 404 (or the 403/405 the
  view gives every caseworker before any lookup), and the assignee, office staff and the MP
  must not get 404;
- a builder registered with ``@sensitive(..., omitted=True)`` for a page that shows a
  container of the case (a campaign, a bulk reply): it may answer 200, without the case;
- an entry in ``NOT_CASE_DATA`` saying why the pattern cannot reach case data; the sweep
  then uses the office-isolation builder (tests/isolation.py) and still checks the answer.

In every case the response body (text of a PDF included) must hold none of the case's
markers: its reference, its constituent's name and address, its summary, the e-mail's and
the contact's words.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from casework.models import Case, Constituent, Contact
from casework.services import case_open, contact_log
from inbound import services as inbound
from inbound.models import InboundMessage
from letters import services as letters
from letters.models import Letter
from letters.reminders import case_review_raise
from mpoffice.models import Membership, Office, Role
from tests.campaigns.factories import CampaignFactory
from tests.casework.factories import AttachmentFactory, ContactFactory
from tests.inbound.factories import eml
from tests.letters.factories import PDF_BYTES, TemplateFactory, make_post
from tests.mpoffice.factories import MembershipFactory

FIRST_NAME = "Zephyrine"
LAST_NAME = "Quillfeather"
STREET = "7 Larkspur Mews"
SUMMARY = "Protection order against a former partner"
EMAIL_WORDS = "Tamarisk refuge keyworker"
CONTACT_WORDS = "Brindlewood safe house"


@dataclass
class SensitiveWorld:
    office: Office
    assignee: Membership  # a caseworker: the case is theirs
    caseworker: Membership  # a caseworker of the same office, not the assignee
    staff: Membership
    mp: Membership
    constituent: Constituent
    case: Case
    contact: Contact
    loose_contact: Contact  # logged with the person before any case
    message: InboundMessage
    letter_to_person: Letter
    letter_to_post: Letter
    covering_letter: Letter
    objects: dict = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        return [self.case.reference, FIRST_NAME, LAST_NAME, STREET, SUMMARY, EMAIL_WORDS, CONTACT_WORDS]


def sensitive_world(office: Office) -> SensitiveWorld:
    assignee = MembershipFactory(office=office, role=Role.CASEWORKER, user__username="assignee")
    caseworker = MembershipFactory(office=office, role=Role.CASEWORKER, user__username="colleague")
    staff = MembershipFactory(office=office, role=Role.STAFF, user__username="manager")
    mp = MembershipFactory(office=office, role=Role.MP, user__username="member")
    person = Constituent.objects.create(
        office=office,
        title="Ms",
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        address_line1=STREET,
        town="Milton Keynes",
        postcode="MK9 3HQ",
        email="",  # by post: the bulk reply prints its letter in a PDF batch
    )
    # An ordinary case first, so that the sensitive case's reference (…-00002) is not the
    # "…-00001" that forms show as an example.
    case_open(office=office, by=staff.user, constituents=[], summary="Street lighting on the estate")
    loose_contact = ContactFactory(
        office=office, constituent=person, summary=f"First call: {CONTACT_WORDS}", body=CONTACT_WORDS
    )
    case = case_open(
        office=office,
        by=assignee.user,
        constituents=[person],
        summary=SUMMARY,
        description=f"Lives at {STREET}.",
        assignee=assignee.user,
        is_sensitive=True,
        review_by=datetime.date(2026, 1, 5),
    )
    contact = contact_log(
        office=office,
        by=assignee.user,
        constituent=person,
        case=case,
        channel=Contact.Channel.PHONE,
        direction=Contact.Direction.INBOUND,
        summary=f"Call about the {CONTACT_WORDS}",
        body=CONTACT_WORDS,
        attachments=[],
    )
    attachment = AttachmentFactory(contact=contact)
    raw = eml(
        sender="A Sender <sender@example.org>",
        subject=f"[{case.reference}] {SUMMARY}",
        body=f"Please write to me care of the {EMAIL_WORDS}, not at {STREET}.\n",
        message_id="<sensitive@example.org>",
    )
    message = inbound.inbound_receive(office=office, raw=raw, source=InboundMessage.Source.UPLOAD).message
    assert message.case_id == case.pk, "the e-mail should attach to the case by its reference"

    letter_to_person = letters.letter_create(
        office=office,
        by=assignee.user,
        subject="Your enquiry",
        body="{{ salutation }},\n\nAbout your case {{ case_reference }}.\n\n{{ mp_name }}",
        recipient_kind=Letter.RecipientKind.CONSTITUENT,
        recipient_post=None,
        recipient_constituent=person,
        cases=[case],
    )
    letter_to_post = letters.letter_create(
        office=office,
        by=assignee.user,
        subject="A constituent's protection",
        body="{{ salutation }},\n\nI write for {{ constituent_name }} of {{ constituent_address }} "
        "(our case {{ case_reference }}).\n\n{{ mp_name }}",
        recipient_post=make_post(office),
        cases=[case],
    )
    letters.letter_submit(letter=letter_to_post, by=assignee.user)
    letters.letter_approve(letter=letter_to_post, member=mp)
    letters.letter_send(letter=letter_to_post, by=staff.user, channel="post", sent_on=datetime.date(2026, 3, 2))
    reply = letters.reply_record(
        letter=letter_to_post,
        by=staff.user,
        received_on=datetime.date(2026, 3, 20),
        from_name="Private Office",
        summary="We have looked into it.",
        outcome="answered",
        document=SimpleUploadedFile("reply.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    (covering_letter,) = letters.reply_forward(reply=reply, by=staff.user, template=TemplateFactory(office=office))
    notification = case_review_raise(case)

    campaign = CampaignFactory(office=office)
    campaign.campaign_cases.create(office=office, case=case)

    world = SensitiveWorld(
        office=office,
        assignee=assignee,
        caseworker=caseworker,
        staff=staff,
        mp=mp,
        constituent=person,
        case=case,
        contact=contact,
        loose_contact=loose_contact,
        message=message,
        letter_to_person=letter_to_person,
        letter_to_post=letter_to_post,
        covering_letter=covering_letter,
    )
    world.objects.update(attachment=attachment, reply=reply, notification=notification, campaign=campaign)
    return world


@dataclass(frozen=True)
class SensitiveBuilder:
    build: Callable[[SensitiveWorld], dict]
    omitted: bool  # a container page: may answer, without the case
    seen_by: tuple[str, ...]  # who must still reach it (not 404)


BUILDERS: dict[str, SensitiveBuilder] = {}

# Patterns whose objects cannot hold a case's data, each with the reason. The sweep still
# requests them (with the office-isolation builder's object) and checks the answer.
NOT_CASE_DATA = {
    "privacy:shared-text-redact": (
        "staff-only (refused by role before any lookup): the review of an erased person's mentions on shared cases"
    ),
    "casework:import-detail": "a CSV import: rows become cases only when committed, and imports are staff-only",
    "casework:import-progress": "a CSV import (staff-only)",
    "casework:import-confirm": "a CSV import (staff-only)",
    "casework:import-cancel": "a CSV import (staff-only)",
    "casework:topic-edit": "reference data",
    "casework:topic-set-active": "reference data",
    "campaigns:survey-detail": "survey results are counts, never cases",
    "campaigns:survey-results-csv": "survey results are counts, never cases",
    "campaigns:survey-question-chart": "survey results are counts, never cases",
    "campaigns:survey-upload": "a survey's CSV upload",
    "campaigns:survey-mapping": "a survey's CSV upload",
    "campaigns:survey-problems": "the problems found in a survey's CSV upload (staff-only)",
    "campaigns:survey-finding": "a survey option",
    "campaigns:campaign-fact-add": "a campaign's key fact form (the campaign page is swept)",
    "campaigns:campaign-meeting-add": "a campaign's meeting form (the campaign page is swept)",
    "campaigns:meeting-action-add": "a campaign meeting's action form",
    "campaigns:meeting-action-done": "a campaign meeting's action",
    "inbound:mailbox-edit": "an office mailbox's connection settings (staff-only), never a message",
    "inbound:mailbox-test": "an office mailbox's connection test (staff-only)",
    "letters:organisation-detail": "the address book",
    "letters:organisation-edit": "the address book",
    "letters:post-create": "the address book",
    "letters:holder-create": "the address book",
    "letters:template-edit": "a letter template holds merge fields, never a case's values",
}


def sensitive(*url_names: str, omitted: bool = False, seen_by: tuple[str, ...] = ("assignee", "staff", "mp")):
    def register(function: Callable[[SensitiveWorld], dict]) -> Callable:
        for name in url_names:
            if name in BUILDERS or name in NOT_CASE_DATA:
                raise ValueError(f"Two sensitive-sweep entries for {name}")
            BUILDERS[name] = SensitiveBuilder(build=function, omitted=omitted, seen_by=seen_by)
        return function

    return register


@sensitive(
    "casework:case-detail",
    "casework:case-edit",
    "casework:case-status",
    "casework:case-assign",
    "casework:note-create",
    "casework:case-contact-create",
)
def _case(world):
    return {"pk": world.case.pk}


@sensitive("privacy:audit-trail")
def _case_trail(world):
    return {"kind": "case", "pk": world.case.pk}


@sensitive(
    "casework:constituent-detail",
    "casework:constituent-edit",
    "casework:constituent-merge",
    "casework:constituent-contact-create",
    "privacy:subject-access",
    "privacy:constituent-erase",
)
def _person(world):
    return {"pk": world.constituent.pk}


@sensitive("privacy:subject-access-detail", "privacy:subject-access-download")
def _export(world):
    from tests.security.factories import make_ready_export

    return {"pk": make_ready_export(world.office, world.constituent).pk}


@sensitive("casework:attachment-download")
def _attachment(world):
    return {"pk": world.objects["attachment"].pk}


@sensitive("casework:contact-attach")
def _loose_contact(world):
    return {"pk": world.loose_contact.pk}


@sensitive(
    "inbound:inbound-detail",
    "inbound:inbound-original",
    "inbound:inbound-attach",
    "inbound:inbound-open-case",
    "inbound:inbound-dismiss",
    "letters:inbound-reply",
)
def _message(world):
    return {"pk": world.message.pk}


@sensitive(
    "letters:detail",
    "letters:edit",
    "letters:submit",
    "letters:cosign",
    "letters:approve",
    "letters:return",
    "letters:send",
    "letters:close",
    "letters:publish",
    "letters:preview",
    "letters:pdf",
    "letters:reply-create",
)
def _letter(world):
    return {"pk": world.letter_to_post.pk}


@sensitive("letters:reply-document", "letters:reply-forward")
def _reply(world):
    return {"pk": world.objects["reply"].pk}


@sensitive("notification-read", seen_by=("assignee",))
def _notification(world):
    from mpoffice.models import Notification

    return {"pk": Notification.objects.get(reminder=world.objects["notification"]).pk}


@sensitive(
    "campaigns:campaign-detail",
    "campaigns:campaign-edit",
    "campaigns:campaign-case-add",
    "campaign-briefing",
    "campaign-briefing-pdf",
    "campaign-briefing-chart-trend",
    "campaign-briefing-chart-wards",
    omitted=True,
)
def _campaign(world):
    return {"pk": world.objects["campaign"].pk}


@sensitive("campaigns:campaign-case-remove")
def _campaign_case(world):
    return {"pk": world.objects["campaign"].pk, "case_pk": world.case.pk}


def _bulk_run(world):
    from letters.services import bulk_run_prepare

    return bulk_run_prepare(
        office=world.office,
        by=world.staff.user,
        template=TemplateFactory(office=world.office),
        cases=Case.objects.filter(pk=world.case.pk),
        description="Everyone",
        campaign=world.objects["campaign"],  # its one case is the sensitive one
    )


@sensitive(
    "letters:bulk-detail",
    "letters:bulk-progress",
    "letters:bulk-start",
    "letters:bulk-cancel",
    "letters:bulk-submit",
    "letters:bulk-approve",
    "letters:bulk-return",
    omitted=True,
)
def _bulk(world):
    return {"pk": _bulk_run(world).pk}


@sensitive("letters:bulk-batch", omitted=True)
def _bulk_batch(world):
    from letters.services import bulk_chunk_process
    from tests.reminders.test_bulk import start_run

    run = _bulk_run(world)
    start_run(run)
    bulk_chunk_process(run_id=run.pk)
    return {"pk": run.batches.get().pk}
