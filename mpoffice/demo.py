"""Demo data for the core app: the two Milton Keynes offices of the reference story.

Each app may have a ``demo`` module with ``load(*, log)``; ``manage.py load_demo`` calls them
in the order of INSTALLED_APPS. Every loader is idempotent: it looks rows up by natural keys
and changes nothing on a second run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model

from mpoffice.models import Membership, Office, Role, Ward
from mpoffice.twofactor.services import demo_device_ensure

DEMO_PASSWORD = "postbag-demo"

OFFICES = [
    {
        "name": "Milton Keynes North",
        "constituency": "Milton Keynes North",
        "mp_name": "Ben Everitt",
        "reference_prefix": "MKN",
        "letterhead_address": "Ben Everitt MP\nHouse of Commons\nLondon SW1A 0AA",
        "email": "mkn-office@postbag.invalid",
        "wards": [
            "Broughton",
            "Campbell Park & Old Woughton",
            "Newport Pagnell North & Hanslope",
            "Newport Pagnell South",
            "Olney",
            "Stantonbury",
            "Stony Stratford",
            "Wolverton",
            "Bradwell",
            "Monkston",
        ],
    },
    {
        "name": "Milton Keynes South",
        "constituency": "Milton Keynes South",
        "mp_name": "Iain Stewart",
        "reference_prefix": "MKS",
        "letterhead_address": "Iain Stewart MP\nHouse of Commons\nLondon SW1A 0AA",
        "email": "mks-office@postbag.invalid",
        "wards": [
            "Bletchley East",
            "Bletchley Park",
            "Bletchley West",
            "Central Milton Keynes",
            "Danesborough & Walton",
            "Loughton & Shenley",
            "Shenley Brook End",
            "Tattenhoe",
            "Woughton & Fishermead",
        ],
    },
]

# (username, first name, last name, {office prefix: role}). The MPs are the public office
# holders of the story; everyone else is fictional.
USERS = [
    ("mkn-caseworker", "Alex", "Demo (caseworker, MKN)", {"MKN": Role.CASEWORKER}),
    ("mkn-staff", "Sam", "Demo (office manager, MKN)", {"MKN": Role.STAFF}),
    ("mkn-mp", "Ben", "Everitt", {"MKN": Role.MP}),
    ("mks-caseworker", "Jo", "Demo (caseworker, MKS)", {"MKS": Role.CASEWORKER}),
    ("mks-staff", "Robin", "Demo (office manager, MKS)", {"MKS": Role.STAFF}),
    ("mks-mp", "Iain", "Stewart", {"MKS": Role.MP}),
    # Covers both offices, to show the office switcher; lands in MK North.
    ("caseworker", "Charlie", "Demo (relief caseworker)", {"MKN": Role.CASEWORKER, "MKS": Role.CASEWORKER}),
]


def load(*, log: Callable[[str], None]) -> None:
    offices = {}
    for spec in OFFICES:
        fields = {key: value for key, value in spec.items() if key != "wards"}
        office, created = Office.objects.get_or_create(reference_prefix=spec["reference_prefix"], defaults=fields)
        offices[office.reference_prefix] = office
        for ward in spec["wards"]:
            Ward.objects.get_or_create(office=office, name=ward)
        if created:
            log(f"Created office {office.name}")

    User = get_user_model()
    for username, first_name, last_name, roles in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@postbag.invalid"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            log(f"Created demo user {username}")
        for prefix, role in roles.items():
            Membership.objects.get_or_create(user=user, office=offices[prefix], defaults={"role": role})
        # Two-factor sign-in is enforced for the MP and staff, demo included: the demo accounts
        # share a public authenticator key (README; `manage.py demo_totp_code`).
        needs_otp = any(role in settings.OTP_REQUIRED_ROLES for role in roles.values())
        if needs_otp and demo_device_ensure(user=user):
            log(f"Gave {username} the demo authenticator")
