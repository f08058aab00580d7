"""A letter as the recipient sees it: the HTML preview and the A4 PDF on the office letterhead.

Both come from one view model (``letter_document``) and one Django template of ours; the
letter's own text only ever passes through the safe merge renderer (``letters.merge``) and
is then escaped by the template like any other value. The stylesheet is a static file
(``letters/letter.css``) and the logo a data: URI; the PDF is made by ``mpoffice.pdf``, whose
URL fetcher reads those and reaches nothing else.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date

from django.template.loader import render_to_string
from django.utils.dateformat import format as date_format

from casework.models import Case, Constituent
from letters import cosigning, merge
from letters.models import Letter
from mpoffice.models import Office
from mpoffice.pdf import pdf_render


@dataclass
class LetterDocument:
    office_name: str
    office_constituency: str
    letterhead_lines: list[str]
    office_email: str
    date_text: str
    reference: str
    recipient_lines: list[str]
    salutation: str
    subject: str
    paragraphs: list[list[str]]
    signatories: list[tuple[str, str]]
    enclosure: str = ""
    logo_data_uri: str = ""
    case_references: list[str] = field(default_factory=list)


def uk_date(day: date) -> str:
    return date_format(day, "j F Y")


def _first_constituent(letter: Letter):
    if letter.recipient_constituent_id:
        return letter.recipient_constituent
    for link in letter.letter_cases.all():
        constituents = list(link.case.constituents.all())
        if constituents:
            return constituents[0]
    return None


def recipient_details(letter: Letter, day: date) -> dict:
    """Name, post, organisation, postal address lines and e-mail of the recipient on ``day``."""
    if letter.recipient_kind == Letter.RecipientKind.CONSTITUENT:
        return constituent_recipient(letter.recipient_constituent)
    post = letter.recipient_post
    if post is None:
        return {"name": "", "post": "", "organisation": "", "address_lines": [], "email": "", "salutation": ""}
    holder = post.holder_on(day)
    holder_name = holder.name if holder else ""
    return {
        "name": holder_name,
        "post": post.title,
        "organisation": post.organisation.name,
        "address_lines": post.organisation.address_lines,
        "email": post.organisation.email,
        "salutation": post.salutation or (f"Dear {holder_name}" if holder_name else "Dear Sir or Madam"),
    }


def constituent_recipient(person: Constituent | None) -> dict:
    """``recipient_details`` of a letter to this constituent (also before the letter exists)."""
    if person is None:
        return {"name": "", "post": "", "organisation": "", "address_lines": [], "email": "", "salutation": ""}
    return {
        "name": person.display_name,
        "post": "",
        "organisation": "",
        "address_lines": person.address_lines,
        "email": person.email,
        "salutation": person.salutation,
    }


def merge_values_for(
    *,
    office: Office,
    constituent: Constituent | None,
    case: Case | None,
    recipient: dict,
    day: date,
    letter_reference: str,
) -> dict[str, str]:
    """The one builder of the values a letter's merge fields are filled with: for a letter
    (``merge_values``) and for a bulk reply's letters before they exist (preview and checks)."""
    return {
        "constituent_name": constituent.display_name if constituent else "",
        "constituent_address": "\n".join(constituent.address_lines) if constituent else "",
        "salutation": recipient["salutation"],
        "case_reference": case.reference if case else "",
        "mp_name": office.mp_name,
        "constituency": office.constituency,
        "date": uk_date(day),
        "recipient_name": recipient["name"],
        "recipient_post": recipient["post"],
        "letter_reference": letter_reference,
    }


def merge_values(letter: Letter, day: date, recipient: dict) -> dict[str, str]:
    first_link = next(iter(letter.letter_cases.all()), None)
    return merge_values_for(
        office=letter.office,
        constituent=_first_constituent(letter),
        case=first_link.case if first_link else None,
        recipient=recipient,
        day=day,
        letter_reference=letter.reference,
    )


def _paragraphs(text: str) -> list[list[str]]:
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


def letter_document(letter: Letter, day: date | None = None, *, redacted: bool = False) -> LetterDocument:
    """Everything printed on the letter, as of ``day`` (the sent date, or today for a draft);
    ``redacted``: as a co-signing office sees it (letters.cosigning)."""
    day = day or letter.letter_date
    snapshot = letter.recipient_snapshot if letter.sent_on else None
    recipient = snapshot or recipient_details(letter, day)
    values = merge_values(letter, day, recipient)
    subject = letter.subject
    if redacted:
        recipient, values, subject = cosigning.redact(letter, recipient, values, subject)
    recipient_lines = [
        line
        for line in [recipient["name"], recipient["post"], recipient["organisation"], *recipient["address_lines"]]
        if line
    ]
    paragraphs = _paragraphs(merge.render(letter.body, values))
    # Bodies usually open with "{{ salutation }}," (the demo's and most templates do), and the
    # letter prints the greeting itself above the subject: without this it would print twice.
    if paragraphs and [line.strip().rstrip(",").strip() for line in paragraphs[0]] == [recipient["salutation"]]:
        paragraphs = paragraphs[1:]
    enclosure = ""
    if letter.encloses_reply_id:
        enclosure = f"Enclosure: reply from {letter.encloses_reply.from_name}"
    return LetterDocument(
        office_name=f"{letter.office.mp_name} MP",
        office_constituency=letter.office.constituency,
        letterhead_lines=[line for line in letter.office.letterhead_address.splitlines() if line.strip()],
        office_email=letter.office.email,
        date_text=uk_date(day),
        reference=letter.reference,
        recipient_lines=recipient_lines,
        salutation=recipient["salutation"],
        subject=merge.render(subject, values),
        paragraphs=paragraphs,
        signatories=[(s.signer_name, s.constituency) for s in letter.signatories.all()],
        enclosure=enclosure,
        logo_data_uri=_logo_data_uri(letter.office),
    )


def letter_html(letter: Letter, day: date | None = None, *, redacted: bool = False) -> str:
    return render_to_string("letters/pdf/letter.html", {"doc": letter_document(letter, day, redacted=redacted)})


def _logo_data_uri(office) -> str:
    if not office.logo:
        return ""
    try:
        with office.logo.open("rb") as handle:
            data = handle.read()
    except OSError:  # a missing file must not stop a letter: it prints the office name instead
        return ""
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def letter_pdf(letter: Letter, day: date | None = None, *, redacted: bool = False) -> bytes:
    return pdf_render(letter_html(letter, day, redacted=redacted)).content
