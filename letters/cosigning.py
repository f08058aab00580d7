"""What a co-signing office sees of a joint letter: the letter, without the drafting office's
constituent data.

Each MP's office holds its constituents' data for itself; co-signing a letter does not share
it. So a co-signing office reads the letter with the constituent's name, address and greeting,
and the drafting office's case references, replaced by a placeholder wherever the letter's
merge fields would print them (recipient block, greeting, subject and body); a letter to a
post shows the post as addressed, since that is public. The MP still approves the letter's
words. Text the drafting office typed by hand is theirs to keep free of such data: only merge
values, which the letter knows, can be withheld reliably.
"""

from __future__ import annotations

from letters.models import Letter

# The merge fields whose values come from the drafting office's cases and constituents.
CONSTITUENT_FIELDS = ("constituent_name", "constituent_address", "case_reference")


def placeholder(letter: Letter) -> str:
    return f"[withheld: held by {letter.office.name}]"


def sees_redacted(letter: Letter, office) -> bool:
    """Every office but the one that drafted the letter sees it redacted."""
    return letter.office_id != office.pk


def redact(letter: Letter, recipient: dict, values: dict[str, str], subject: str) -> tuple[dict, dict, str]:
    """The recipient, merge values and (already filled) subject as a co-signing office sees them."""
    hidden = placeholder(letter)
    withheld = [values.get("constituent_name", ""), values.get("case_reference", "")]
    if letter.recipient_kind == Letter.RecipientKind.CONSTITUENT:
        withheld.append(recipient.get("name", ""))
        recipient = {
            "name": hidden,
            "post": "",
            "organisation": "",
            "address_lines": [],
            "email": "",
            "salutation": "Dear constituent",
        }
    values = {
        **values,
        **{name: hidden for name in CONSTITUENT_FIELDS},
        "salutation": recipient["salutation"],
        "recipient_name": recipient["name"],
    }
    # The subject was filled in when the letter was saved: withhold the values it received.
    for value in sorted({v for v in withheld if v}, key=len, reverse=True):
        subject = subject.replace(value, hidden)
    return recipient, values, subject


def subject_for(letter: Letter, office) -> str:
    """The letter's subject as ``office`` sees it (in lists): withheld values for a co-signer.
    Reads the letter's cases and their constituents: prefetch them for a list."""
    if not sees_redacted(letter, office):
        return letter.subject
    from letters.pdf import merge_values

    recipient = {"name": "", "post": "", "salutation": ""}
    if letter.recipient_kind == Letter.RecipientKind.CONSTITUENT and letter.recipient_constituent_id:
        recipient["name"] = letter.recipient_constituent.display_name
    values = merge_values(letter, letter.letter_date, recipient)
    return redact(letter, recipient, values, letter.subject)[2]
