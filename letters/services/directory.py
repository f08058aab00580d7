"""The office's address book (organisations, their posts and who holds them) and its letter
templates. The forms validate what a person typed; these write it.

Names are unique per office (and a post's title per organisation): the forms report a
duplicate, and the database's constraint stops one a colleague saved a moment earlier, as an
``IntegrityError`` the view turns into the same message. So the checks here leave uniqueness to
the database rather than answer a race with a ``ValidationError`` nobody catches.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from letters.models import LetterTemplate, Organisation, Post, PostHolder
from mpoffice.models import Office


def _clean(row: Organisation | Post | PostHolder | LetterTemplate) -> None:
    row.full_clean(validate_unique=False, validate_constraints=False)


@transaction.atomic
def organisation_save(*, organisation: Organisation, office: Office) -> Organisation:
    """Add an organisation to the office's address book, or save changes to one of its own."""
    if organisation.office_id != office.pk:
        raise ValueError("An organisation is saved only in its own office's address book.")
    _clean(organisation)
    organisation.save()
    return organisation


@transaction.atomic
def post_add(*, post: Post, organisation: Organisation) -> Post:
    """Add a post (a job title letters are addressed to) to an organisation, in its office."""
    post.organisation = organisation
    post.office_id = organisation.office_id
    _clean(post)
    post.save()
    return post


@transaction.atomic
def post_holder_add(*, holder: PostHolder, organisation: Organisation) -> PostHolder:
    """Record who holds one of the organisation's posts, and from when."""
    if holder.post.organisation_id != organisation.pk:
        raise ValueError("The post must be one of this organisation's.")
    holder.office_id = organisation.office_id
    _clean(holder)
    holder.save()
    return holder


@transaction.atomic
def template_save(*, template: LetterTemplate, office: Office, by: User) -> LetterTemplate:
    """Add a letter template to the office (written by ``by``), or save changes to one of its own."""
    if template.office_id != office.pk:
        raise ValueError("A template is saved only in its own office.")
    if template.pk is None:
        template.created_by = by
    _clean(template)
    template.save()
    return template


# --- Signposting people outside the constituency ----------------------------------------------

SIGNPOSTING_TEMPLATE = (
    "Not our constituent: signposting",
    "Your enquiry ({{ case_reference }})",
    "Thank you for contacting me. By your postcode, your address lies outside {{ constituency }}, and "
    "Members of Parliament take up matters only for the people they represent.\n\n"
    "Your own MP can help you: you can find who they are, and how to contact them, by entering your postcode "
    "at members.parliament.uk or by calling the House of Commons enquiry service on 020 7219 4272.\n\n"
    "If you believe your address is in {{ constituency }}, please reply quoting {{ case_reference }} and I "
    "will look into it.",
)


def signposting_template_ensure(*, office: Office) -> LetterTemplate:
    """The office's reply to someone outside the constituency (kept if staff have edited it)."""
    name, subject, body = SIGNPOSTING_TEMPLATE
    template, _ = LetterTemplate.objects.get_or_create(
        office=office, name=name, defaults={"subject": subject, "body": body}
    )
    return template


def signposting_on_directory_change(office: Office | None) -> None:
    """Listener of geography: an office that sets its constituency gets the signposting template."""
    if office is not None:
        signposting_template_ensure(office=office)
