"""A letter by e-mail: the one composer, and the outbox it leaves from, for single and bulk letters.

A letter sent by e-mail is recorded as sent at once and waits in the outbox
(``Letter.email_state``) until the mail server accepts it. The nudge queued after sending, a
bulk run's chunk and the sweep every minute all send from the outbox through
``mpoffice.outbox``: at least once, with a stable Message-ID.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import QuerySet

from letters.models import Letter
from letters.pdf import letter_document
from mpoffice.outbox import Claims, emails_send, message_id

LETTER_OUTBOX = Claims.email_outbox(Letter, timeout_seconds=lambda: settings.EMAIL_CLAIM_TIMEOUT_SECONDS)


def reply_address(letter: Letter) -> str:
    """The address replies to this letter go to: it identifies the letter on arrival."""
    return f"reply+{letter.reference}@{settings.LETTER_REPLY_DOMAIN}"


def letter_email_message(letter: Letter) -> EmailMessage:
    """The e-mail of a sent letter: its text as printed (greeting to signatures), its reference
    in the subject, a reply address that identifies it and a stable Message-ID; the signed PDF
    frozen when it was sent, and an enclosed reply's document, attached."""
    document = letter_document(letter)
    signers = "\n".join(
        f"{name} MP\nMember of Parliament for {constituency}" for name, constituency in document.signatories
    )
    parts = [f"{document.salutation},", *("\n".join(lines) for lines in document.paragraphs)]
    parts += ["Yours sincerely,", signers]
    if letter.pdf:
        parts.append("The signed letter is attached as a PDF.")
    parts.append(
        f"Our reference: {letter.reference}. To reply, reply to this e-mail, or keep this reference in the "
        "subject, so that your reply reaches the right case."
    )
    message = EmailMessage(
        subject=f"{document.subject} [{letter.reference}]",
        body="\n\n".join(parts),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[letter.sent_to],
        reply_to=[reply_address(letter)],
        # Stable per letter: a copy sent twice after a crash is recognisable as the same message.
        headers={"Message-ID": message_id(f"letter-{letter.reference}")},
    )
    if letter.pdf:
        with letter.pdf.open("rb") as pdf:
            message.attach(f"{letter.reference}.pdf", pdf.read(), "application/pdf")
    reply = letter.encloses_reply
    if reply is not None and reply.document:
        with reply.document.open("rb") as enclosed:
            message.attach(reply.document_name or "reply", enclosed.read(), reply.document_type)
    return message


def _sent(now: datetime) -> dict:
    return {"email_state": Letter.EmailState.SENT, "emailed_at": now}


def letter_emails_send(*, letters: QuerySet[Letter] | None = None, limit: int = 20) -> int:
    """Send up to ``limit`` waiting e-mails of ``letters`` (every letter by default); how many left.

    A letter is marked e-mailed only after the mail server accepted it; a mail-server error puts
    the rest back and is raised, so that the task retries with back-off."""
    letters = Letter.objects.all() if letters is None else letters
    return emails_send(
        LETTER_OUTBOX,
        queryset=letters.select_related("office", "recipient_constituent", "encloses_reply").prefetch_related(
            "signatories", "letter_cases__case__constituents"
        ),
        limit=limit,
        compose=letter_email_message,
        sent=_sent,
    )
