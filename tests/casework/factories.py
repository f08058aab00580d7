"""Factories for casework rows. Cases are opened through ``case_open`` so that every case has a
real, unique reference and its "opened" timeline entry, as in production."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from casework import services
from casework.models import Attachment, Case, Constituent, Contact, ImportBatch, Topic
from tests.mpoffice.factories import OfficeFactory, UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class ConstituentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Constituent

    office = factory.SubFactory(OfficeFactory)
    first_name = factory.Sequence(lambda n: f"Alex{n}")
    last_name = factory.Sequence(lambda n: f"Testperson{n}")
    address_line1 = factory.Sequence(lambda n: f"{n % 90 + 1} Fictional Close")
    town = "Milton Keynes"
    postcode = "MK9 3HQ"
    email = factory.Sequence(lambda n: f"constituent{n}@example.org")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    parent = None


class CaseFactory(factory.django.DjangoModelFactory):
    """``CaseFactory(office=o)``; pass ``constituents=[...]`` to choose whom it concerns."""

    class Meta:
        model = Case

    office = factory.SubFactory(OfficeFactory)
    summary = factory.Sequence(lambda n: f"Test case {n}")

    @classmethod
    def _create(cls, model_class, *, office, constituents=None, by=None, status=None, tags=(), **kwargs):
        if constituents is None:
            constituents = [ConstituentFactory(office=office)]
        case = services.case_open(office=office, by=by, constituents=constituents, **kwargs)
        if status and status != Case.Status.NEW:
            outcome = Case.Outcome.RESOLVED if status == Case.Status.CLOSED else ""
            services.case_set_status(case=case, by=by, status=status, outcome=outcome)
        if tags:
            services.case_set_tags(case=case, names=tags)
        return case


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    office = factory.SubFactory(OfficeFactory)
    channel = Contact.Channel.PHONE
    summary = factory.Sequence(lambda n: f"Phoned about test case {n}")

    @classmethod
    def _create(cls, model_class, *, office, case=None, constituent=None, by=None, **kwargs):
        if case is None and constituent is None:
            constituent = ConstituentFactory(office=office)
        if constituent is None:
            constituent = case.constituents.first()
        return services.contact_log(office=office, by=by, case=case, constituent=constituent, **kwargs)


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    contact = factory.SubFactory(ContactFactory)
    office = factory.SelfAttribute("contact.office")
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="letter.pdf"))
    original_name = "letter.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = "0" * 64


__all__ = ["UserFactory"]


def import_batch(office, *, status=ImportBatch.Status.PREVIEW, kind=ImportBatch.Kind.CONSTITUENTS) -> ImportBatch:
    batch = ImportBatch(office=office, kind=kind, original_name="people.csv", sha256="0" * 64, status=status)
    batch.file.save("import.csv", ContentFile(b"first_name,last_name,postcode,email,phone\n"), save=False)
    batch.save()
    return batch
