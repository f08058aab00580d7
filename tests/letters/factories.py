"""Factories for letters. Letters are made through the services, as in production, so that
each has a real reference, its signatory and its transitions."""

from __future__ import annotations

import datetime

import factory

from casework.models import Constituent
from casework.services import case_open
from letters import services
from letters.models import Letter, LetterTemplate, Organisation, Post, PostHolder
from tests.mpoffice.factories import OfficeFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Test Department {n}")
    address = "2 Marsham Street\nLondon\nSW1P 4DF"
    email = factory.Sequence(lambda n: f"correspondence{n}@department.example.org")
    reply_target_working_days = 20


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    organisation = factory.SubFactory(OrganisationFactory)
    office = factory.LazyAttribute(lambda p: p.organisation.office)
    title = factory.Sequence(lambda n: f"Secretary of State {n}")
    salutation = ""


class PostHolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostHolder

    post = factory.SubFactory(PostFactory)
    office = factory.LazyAttribute(lambda h: h.post.office)
    name = factory.Sequence(lambda n: f"Minister {n}")
    started_on = datetime.date(2019, 7, 24)
    ended_on = None


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LetterTemplate

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Your case {{ case_reference }}"
    body = "{{ salutation }},\n\nThank you for writing to me. I enclose the reply I received.\n\n{{ mp_name }}"


def make_constituent(office, **fields) -> Constituent:
    values = {
        "title": "Ms",
        "first_name": "Jane",
        "last_name": "Fictional",
        "address_line1": "1 Example Close",
        "town": "Milton Keynes",
        "postcode": "MK9 3HQ",
        "email": "jane.fictional@example.org",
    }
    values.update(fields)
    return Constituent.objects.create(office=office, **values)


def make_case(office, *, constituents=None, summary="Knife crime near the school", **kwargs):
    constituents = constituents if constituents is not None else [make_constituent(office)]
    return case_open(office=office, by=None, constituents=constituents, summary=summary, **kwargs)


def make_post(office, *, holder="Priti Patel", title="Home Secretary", **org_fields) -> Post:
    organisation = OrganisationFactory(office=office, **org_fields)
    post = PostFactory(office=office, organisation=organisation, title=title)
    if holder:
        PostHolderFactory(post=post, name=holder)
    return post


def make_letter(
    office, *, by=None, post=None, cases=(), subject="Knife crime in Milton Keynes", body=None, **kwargs
) -> Letter:
    if post is None and kwargs.get("recipient_kind", Letter.RecipientKind.POST) == Letter.RecipientKind.POST:
        post = make_post(office)
    return services.letter_create(
        office=office,
        by=by,
        subject=subject,
        body=body or "{{ salutation }},\n\nI write about knife crime in {{ constituency }}.\n\nSecond paragraph.",
        recipient_post=post,
        cases=cases,
        **kwargs,
    )


def approved_letter(office, mp_membership, **kwargs) -> Letter:
    letter = make_letter(office, **kwargs)
    services.letter_submit(letter=letter, by=None)
    return services.letter_approve(letter=letter, member=mp_membership)
