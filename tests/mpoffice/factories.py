import factory
from django.contrib.auth import get_user_model

from mpoffice.models import Membership, Office, Role, Ward

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Test Office {n}")
    constituency = factory.LazyAttribute(lambda o: o.name)
    mp_name = factory.Sequence(lambda n: f"Test MP {n}")
    reference_prefix = factory.Sequence(lambda n: "T" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))
    letterhead_address = "House of Commons\nLondon SW1A 0AA"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    office = factory.SubFactory(OfficeFactory)
    role = Role.CASEWORKER
