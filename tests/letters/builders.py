"""Office-isolation builders for every letters URL with arguments (see tests/isolation.py)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from letters import services
from mpoffice.models import Role
from tests.isolation import builder
from tests.letters.factories import PDF_BYTES, OrganisationFactory, TemplateFactory, make_case, make_letter
from tests.mpoffice.factories import MembershipFactory


@builder(
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
def _letter(office):
    # A single-office letter: a joint letter is (rightly) visible to its co-signing office.
    return {"pk": make_letter(office, cases=[make_case(office)]).pk}


@builder("letters:reply-document", "letters:reply-forward")
def _reply(office):
    mp = MembershipFactory(office=office, role=Role.MP)
    letter = make_letter(office, cases=[make_case(office)])
    services.letter_submit(letter=letter, by=None)
    services.letter_approve(letter=letter, member=mp)
    services.letter_send(letter=letter, by=None, channel="post", sent_on=datetime.date(2026, 3, 2))
    reply = services.reply_record(
        letter=letter,
        by=None,
        received_on=datetime.date(2026, 3, 20),
        from_name="Private Office",
        summary="Thank you.",
        outcome="answered",
        document=SimpleUploadedFile("reply.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    return {"pk": reply.pk}


@builder("letters:organisation-detail", "letters:organisation-edit", "letters:post-create", "letters:holder-create")
def _organisation(office):
    return {"pk": OrganisationFactory(office=office).pk}


@builder("letters:template-edit")
def _template(office):
    return {"pk": TemplateFactory(office=office).pk}
