"""Letters' part in the audit trail and in data protection (registered from ``LettersConfig.ready``).

casework never imports letters: it calls what is registered here when it exports, erases or
anonymises a constituent's or a case's data.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.db.models import Model, Q

from casework.audit import register_trail
from casework.subjectdata import ANONYMISED, ExportSection, SubjectDataSource, file_delete_on_commit, register_source
from letters.models import BulkBatch, BulkItem, Letter, LetterCase, LetterSignatory, LetterTransition, Reply


def _letter_related(letter: Letter):
    return [
        (Reply, letter.replies.values_list("pk", flat=True)),
        (LetterCase, letter.letter_cases.values_list("pk", flat=True)),
    ]


def _letters_of_office(*, membership):
    from letters.selectors import letters_drafted_by

    return letters_drafted_by(membership=membership)


def _letters_about(constituent, case_ids: list[int]):
    return Letter.objects.filter(
        Q(recipient_constituent=constituent) | Q(letter_cases__case_id__in=case_ids)
    ).distinct()


def collect(constituent, case_ids: list[int]) -> list[ExportSection]:
    letters = list(_letters_about(constituent, case_ids).order_by("created_at", "pk"))
    replies = list(Reply.objects.filter(letter__in=letters).select_related("letter").order_by("received_on", "pk"))
    letter_section = ExportSection(
        title="Letters",
        rows=[
            {
                "reference": letter.reference,
                "subject": letter.subject,
                "status": letter.get_status_display(),
                "sent_on": letter.sent_on,
                "sent_to": letter.sent_to,
                "body": letter.body,
            }
            for letter in letters
        ],
        files=[(f"letters/{letter.reference}.pdf", letter.pdf) for letter in letters if letter.pdf],
        audited=[(Letter, [letter.pk for letter in letters])],
    )
    reply_section = ExportSection(
        title="Replies received",
        rows=[
            {
                "letter": reply.letter.reference,
                "received_on": reply.received_on,
                "from": reply.from_name,
                "summary": reply.summary,
                "outcome": reply.get_outcome_display(),
            }
            for reply in replies
        ],
        files=[
            (f"replies/{reply.pk}-{reply.document_name or 'document'}", reply.document)
            for reply in replies
            if reply.document
        ],
        audited=[(Reply, [reply.pk for reply in replies])],
    )
    return [letter_section, reply_section]


def _redact(letters) -> tuple[int, int, list[tuple[type[Model], list[int]]]]:
    """Remove the text, the PDF and the replies' documents of ``letters`` (rows kept for counts).

    Their history keeps who moved them and when, without the words that named the recipient
    ("Sent by post to ...", "Reply from ..."); a bulk print batch that included one of them is
    deleted whole (a PDF of many letters cannot be edited; each other letter keeps its own PDF).
    """
    letter_ids = [letter.pk for letter in letters]
    for letter in letters:
        file_delete_on_commit(letter.pdf)
    replies = list(Reply.objects.filter(letter_id__in=letter_ids))
    for reply in replies:
        file_delete_on_commit(reply.document)
    Reply.objects.filter(letter_id__in=letter_ids).update(
        from_name=ANONYMISED, summary=ANONYMISED, document="", document_name="", document_sha256=""
    )
    LetterTransition.objects.filter(letter_id__in=letter_ids).exclude(comment="").update(comment="")
    batches = BulkBatch.objects.filter(items__letter_id__in=letter_ids).exclude(pdf="").distinct()
    for batch in batches:
        file_delete_on_commit(batch.pdf)
    BulkBatch.objects.filter(pk__in=[batch.pk for batch in batches]).update(pdf="")
    Letter.objects.filter(pk__in=letter_ids).update(
        subject=ANONYMISED,
        body="",
        sent_to="",
        recipient_snapshot={},
        pdf="",
        pdf_sha256="",
        recipient_constituent=None,
    )
    signatory_ids = list(LetterSignatory.objects.filter(letter_id__in=letter_ids).values_list("pk", flat=True))
    audited = [(Letter, letter_ids), (Reply, [reply.pk for reply in replies]), (LetterSignatory, signatory_ids)]
    return len(letter_ids), len(replies), audited


def erase_constituent(constituent):
    letters, replies, audited = _redact(list(Letter.objects.filter(recipient_constituent=constituent)))
    return {"letters to the person anonymised": letters, "replies anonymised": replies}, audited


def shared_text(case_ids: list[int]):
    """Letters' free text on cases that other people share: checked for mentions of an erased person."""
    letters = Letter.objects.filter(letter_cases__case_id__in=case_ids).distinct()
    return [
        (letters, ["subject", "body"]),
        (Reply.objects.filter(letter__in=letters), ["from_name", "summary"]),
    ]


def anonymise_cases(case_ids: list[int], delete: bool):
    """Letters only about these cases lose their text and files; letters also about other
    cases (a campaign letter) stay, and only their link to these cases goes."""
    links = LetterCase.objects.filter(case_id__in=case_ids)
    letter_ids = set(links.values_list("letter_id", flat=True))
    other = set(
        LetterCase.objects.filter(letter_id__in=letter_ids)
        .exclude(case_id__in=case_ids)
        .values_list("letter_id", flat=True)
    )
    only_these = list(Letter.objects.filter(pk__in=letter_ids - other))
    letters, replies, audited = _redact(only_these)
    link_ids = list(links.filter(letter_id__in=other).values_list("pk", flat=True))
    unlinked = LetterCase.objects.filter(pk__in=link_ids).delete()[0]
    audited.append((LetterCase, link_ids))
    # A bulk reply's item ties the person to the case it answered; the run keeps its total.
    items = BulkItem.objects.filter(case_id__in=case_ids).delete()[0]
    counts = {"letters anonymised": letters, "replies anonymised": replies, "shared letters unlinked": unlinked}
    return counts | {"bulk reply items": items}, audited


def ready() -> None:
    auditlog.register(Letter, exclude_fields=["updated_at", "version", "pdf_sha256"])
    auditlog.register(Reply, exclude_fields=["document_sha256"])
    auditlog.register(LetterCase)
    register_trail("letter", "Letter", scope=_letters_of_office, related=_letter_related)
    register_source(
        SubjectDataSource(
            name="letters",
            collect=collect,
            erase_constituent=erase_constituent,
            anonymise_cases=anonymise_cases,
            shared_text=shared_text,
        )
    )
