"""Contacts and attachments: letters, e-mails and calls logged on a case, and the files they carry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from casework.models import (
    Attachment,
    Case,
    Constituent,
    Contact,
)
from casework.services.cases import timeline_record
from casework.uploads import UploadRefused, content_type_check
from mpoffice.models import Office

# --- Contacts and attachments -------------------------------------------------------------


class AttachmentRefused(ValueError):
    pass


def attachment_check(upload: UploadedFile[bytes]) -> str:
    """The content type of an acceptable upload; raises AttachmentRefused saying what to do."""
    limit = settings.ATTACHMENT_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise AttachmentRefused(
            f"{upload.name} is {filesizeformat(size)}; attachments can be at most {filesizeformat(limit)}."
        )
    try:
        return content_type_check(upload)
    except UploadRefused as refused:
        raise AttachmentRefused(f"{upload.name} {refused}") from refused


def attachment_add(*, contact: Contact, upload: UploadedFile[bytes]) -> Attachment:
    content_type = attachment_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        office_id=contact.office_id,
        contact=contact,
        original_name=(upload.name or "attachment")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
    )
    attachment.file.save(upload.name or "attachment", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def contact_log(
    *,
    office: Office,
    by: User | None,
    channel: str,
    summary: str,
    constituent: Constituent | None = None,
    case: Case | None = None,
    direction: str = Contact.Direction.INBOUND,
    occurred_at: datetime | None = None,
    staff: User | None = None,
    body: str = "",
    attachments: Iterable[UploadedFile[bytes]] = (),
    on_timeline: bool = True,
) -> Contact:
    """Log one interaction; when it is about a case it also appears on the case's timeline
    (unless ``on_timeline`` is off: a sent letter has its own, richer entry there).

    Attachments are checked before anything is written, so a refused file saves nothing.
    """
    if constituent is None and case is None:
        raise ValueError("A contact is with a constituent or about a case.")
    if constituent is not None and constituent.office_id != office.pk:
        raise ValueError("The constituent must belong to this office.")
    if case is not None and case.office_id != office.pk:
        raise ValueError("The case must belong to this office.")
    uploads = list(attachments)
    for upload in uploads:
        attachment_check(upload)
    contact = Contact(
        office=office,
        constituent=constituent,
        case=case,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        staff=staff if staff is not None else by,
        summary=summary,
        body=body,
    )
    contact.full_clean()
    contact.save()
    for upload in uploads:
        attachment_add(contact=contact, upload=upload)
    if case is not None and on_timeline:
        timeline_record(
            case=case,
            kind="contact",
            title=str(contact),
            actor=contact.staff,
            occurred_at=contact.occurred_at,
            source=contact,
            data={"channel": channel, "direction": direction},
        )
    return contact


@transaction.atomic
def contact_attach(*, contact: Contact, case: Case, by: User) -> Contact:
    """Put a contact logged before its case existed onto that case, and onto its timeline.

    Only a contact not yet on a case, and only onto a case that concerns the same constituent:
    a contact never moves between cases silently.
    """
    if contact.case_id is not None:
        on_case = contact.case.reference if contact.case is not None else str(contact.case_id)
        raise ValueError(f"This contact is already on case {on_case}.")
    if (
        case.office_id != contact.office_id
        or contact.constituent_id is None
        or not case.case_constituents.filter(constituent_id=contact.constituent_id).exists()
    ):
        raise ValueError("Choose one of this constituent's cases.")
    claimed = Contact.objects.filter(pk=contact.pk, case=None).update(case=case)
    if not claimed:  # a colleague attached it a moment ago
        raise ValueError("This contact was put on a case a moment ago; reload the page.")
    contact.case = case
    timeline_record(
        case=case,
        kind="contact",
        title=str(contact),
        actor=by,
        occurred_at=contact.occurred_at,
        source=contact,
        data={"channel": contact.channel, "direction": contact.direction},
    )
    return contact
