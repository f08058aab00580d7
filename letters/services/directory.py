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
