"""Casework demo data for the two Milton Keynes offices of the reference story.

Everything here goes through the services, as the pages do. Idempotent: rows are looked up by
natural keys (topic name and parent, postcode, constituent e-mail, case summary and
constituent, campaign name), so a second run adds nothing. Deterministic: one seeded random.
The constituents are invented (e-mail at example.org, phone numbers from Ofcom's drama range).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from casework import geography, services
from casework.models import Case, Constituent, PostcodeWard, Topic
from mpoffice.models import Office

TOPICS = {
    "Crime & policing": ["Knife crime", "Anti-social behaviour", "Policing"],
    "Housing": ["Repairs", "Homelessness", "Social housing allocation"],
    "Immigration": ["Visas", "Asylum"],
    "Benefits": ["Universal Credit", "Personal Independence Payment"],
    "Transport": ["Roads", "Buses"],
    "Health": ["GP access", "Hospital waiting times"],
    "Education": ["School places", "Special educational needs"],
}

FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Priya",
    "Tomasz",
    "Grace",
    "Kwame",
    "Hannah",
    "Declan",
    "Fatima",
    "Rhys",
    "Chloe",
    "Marek",
    "Aisha",
    "Callum",
    "Niamh",
    "Joseph",
    "Sofia",
    "Imran",
    "Bethany",
    "Arjun",
]
# Titles are drawn at random, then matched to the first name, so no "Mr Priya" or "Ms Joseph".
FEMALE_NAMES = {"Amelia", "Priya", "Grace", "Hannah", "Fatima", "Chloe", "Aisha", "Niamh", "Sofia", "Bethany"}


def _title_for(first_name: str, drawn: str) -> str:
    if first_name in FEMALE_NAMES:
        return "Ms" if drawn == "Mr" else drawn
    return "Mr" if drawn in ("Mrs", "Ms") else drawn


LAST_NAMES = [
    "Ashcombe",
    "Brindley",
    "Coldharbour",
    "Dunmore",
    "Elderfield",
    "Fenwright",
    "Gatesby",
    "Hollinshead",
    "Ivesworth",
    "Jarrowby",
    "Kestrell",
    "Larchmont",
    "Merriton",
    "Northcote",
    "Oakhanger",
    "Pemberley",
    "Quenby",
    "Rowanhurst",
    "Saltmarsh",
    "Thornbury",
]
STREETS = [
    "Larkspur Grove",
    "Heronsgate Close",
    "Juniper Walk",
    "Millstream Lane",
    "Kingfisher Court",
    "Copperbeech Row",
    "Foxglove Place",
    "Willowbank Drive",
    "Saxon Mead",
    "Orchard Chase",
]
ORGANISATIONS = ["Residents' Association (demo)", "Primary School PTA (demo)"]

# (topic, sub-topic, summary, tags, share of constituents who raise it)
SCENARIOS = [
    (
        "Crime & policing",
        "Knife crime",
        "Worried about knife crime after the stabbing at MK College",
        ["knife crime"],
        0.30,
    ),
    (
        "Crime & policing",
        "Knife crime",
        "Asks what is being done about young people carrying knives",
        ["knife crime", "youth"],
        0.10,
    ),
    ("Crime & policing", "Anti-social behaviour", "Anti-social behaviour and motorbikes on the redways", ["ASB"], 0.15),
    ("Housing", "Repairs", "Damp and mould not repaired by the landlord", ["housing", "damp"], 0.12),
    ("Housing", "Homelessness", "Family facing eviction needs emergency housing", ["housing"], 0.05),
    ("Immigration", "Visas", "Spouse visa application delayed", [], 0.06),
    ("Benefits", "Universal Credit", "Universal Credit payment stopped after a change of circumstances", [], 0.08),
    ("Transport", "Roads", "Potholes on the grid road", ["roads"], 0.06),
    ("Health", "GP access", "Cannot get a GP appointment", [], 0.08),
]

CONTACT_LINES = [
    ("email", "in", "E-mail from the constituent setting out the problem"),
    ("phone", "in", "Phoned the office for an update"),
    ("phone", "out", "Called back with progress"),
    ("letter", "out", "Wrote to the constituent with the reply received"),
    ("surgery", "in", "Raised at the MP's surgery"),
    ("email", "out", "E-mailed the constituent an acknowledgement"),
]


def load(*, log: Callable[[str], None]) -> None:
    rng = random.Random(20_211_005)  # deterministic: the same demo every time
    now = timezone.now()
    User = get_user_model()
    for office in Office.objects.filter(reference_prefix__in=["MKN", "MKS"]).order_by("reference_prefix"):
        topics = _topics(office)
        _postcodes(office, log)
        caseworker = User.objects.filter(username=f"{office.reference_prefix.lower()}-caseworker").first()
        staff = User.objects.filter(username=f"{office.reference_prefix.lower()}-staff").first()
        constituents = _constituents(office, rng, by=caseworker, log=log)
        _cases(office, rng, constituents, topics, caseworker=caseworker, staff=staff, now=now, log=log)
    # The knife crime campaign, its survey, key facts and meetings: campaigns/demo.py (run after this).


def _topics(office: Office) -> dict[str, Topic]:
    topics = {}
    for parent_name, children in TOPICS.items():
        parent, _ = Topic.objects.get_or_create(office=office, parent=None, name=parent_name)
        topics[parent_name] = parent
        for child_name in children:
            child, _ = Topic.objects.get_or_create(office=office, parent=parent, name=child_name)
            topics[f"{parent_name} > {child_name}"] = child
    return topics


def _postcodes(office: Office, log) -> None:
    """The office's wards and postcode table come from the postcode directory (geography.demo)."""
    changed = geography.office_geography_sync(office)
    if changed:
        log(f"{office.reference_prefix}: postcode table, {changed} postcodes from the directory")


def _office_postcodes(office: Office) -> list[str]:
    return list(PostcodeWard.objects.for_office(office).order_by("postcode").values_list("postcode", flat=True))


def _constituents(office: Office, rng: random.Random, *, by: User, log) -> list[Constituent]:
    postcodes = _office_postcodes(office)
    prefix = office.reference_prefix.lower()
    people = []
    created = 0
    for n in range(40):
        first, last = FIRST_NAMES[(n * 7 + len(prefix)) % 20], LAST_NAMES[(n * 3 + (prefix == "mks")) % 20]
        email = f"{first}.{last}.{prefix}{n}@example.org".lower()
        postcode = postcodes[rng.randrange(len(postcodes))]
        street = f"{rng.randint(1, 120)} {STREETS[rng.randrange(len(STREETS))]}"
        # Every random draw happens whether or not the row exists, so a second run sees the same sequence.
        title, channel, vulnerable = (
            rng.choice(["", "Mr", "Mrs", "Ms", "Dr"]),
            rng.choice(["email", "email", "post", "phone"]),
            rng.random() < 0.08,
        )
        title = _title_for(first, title)
        constituent = Constituent.objects.for_office(office).filter(email=email).first()
        if constituent is None:
            constituent = services.constituent_create(
                office=office,
                by=by,
                first_name=first,
                last_name=last,
                title=title,
                address_line1=street,
                town="Milton Keynes",
                postcode=postcode,
                email=email,
                # Ofcom's drama range (07700 900000-900999): never a real line, and accepted by
                # the form (casework.phones), so a demo constituent can be opened and saved.
                phone=f"07700 900{n:03d}",
                preferred_channel=channel,
                is_vulnerable=vulnerable,
                consent_to_contact=True,
                contact_by_email=True,
                contact_by_post=channel == "post",
                contact_by_phone=channel == "phone",
            )
            created += 1
        people.append(constituent)
    for n, kind in enumerate(ORGANISATIONS):
        email = f"org{n}.{prefix}@example.org"
        if not Constituent.objects.for_office(office).filter(email=email).exists():
            estate = "Fishermead" if prefix == "mks" else "Stantonbury"
            services.constituent_create(
                office=office,
                by=by,
                kind=Constituent.Kind.ORGANISATION,
                organisation_name=f"{estate} {kind}",
                address_line1=f"Community Centre, {STREETS[n]}",
                town="Milton Keynes",
                postcode=postcodes[n],
                email=email,
            )
            created += 1
    if created:
        log(f"{office.reference_prefix}: {created} demo constituents")
    return people


def _cases(office, rng, constituents, topics, *, caseworker, staff, now, log) -> list[Case]:
    knife_cases = []
    opened = 0
    for constituent in constituents:
        roll = rng.random()
        cumulative = 0.0
        scenario = None
        for candidate in SCENARIOS:
            cumulative += candidate[4]
            if roll < cumulative:
                scenario = candidate
                break
        days_ago = rng.randint(5, 720)
        contact_gaps = [rng.randint(1, 20) for _ in range(rng.randint(1, 4))]
        contact_lines = [CONTACT_LINES[rng.randrange(len(CONTACT_LINES))] for _ in contact_gaps]
        hours, to_staff = rng.randint(0, 8), rng.random() >= 0.8
        priority, review_in = rng.choice(["normal", "normal", "high", "low"]), rng.randint(-20, 30)
        outcome, open_status = (
            rng.choice(Case.Outcome.values),
            rng.choice([Case.Status.OPEN, Case.Status.AWAITING_ORGANISATION]),
        )
        if scenario is None:
            continue
        parent, child, summary, tags, _share = scenario
        case = (
            Case.objects.for_office(office).filter(summary=summary, case_constituents__constituent=constituent).first()
        )
        if case is None:
            opened_at = now - timedelta(days=days_ago, hours=hours)
            case = services.case_open(
                office=office,
                by=caseworker,
                constituents=[constituent],
                summary=summary,
                topic=topics[f"{parent} > {child}"],
                assignee=staff if to_staff else caseworker,
                priority=priority,
                review_by=(now + timedelta(days=review_in)).date() if days_ago < 120 else None,
                opened_at=opened_at,
            )
            services.case_set_tags(case=case, names=tags)
            when = opened_at
            for gap, (channel, direction, line) in zip(contact_gaps, contact_lines, strict=True):
                when = min(when + timedelta(days=gap), now - timedelta(hours=1))
                services.contact_log(
                    office=office,
                    by=caseworker,
                    constituent=constituent,
                    case=case,
                    channel=channel,
                    direction=direction,
                    occurred_at=when,
                    summary=line,
                    body=f"{summary}. {line}.",
                )
            if days_ago > 200:
                services.case_set_status(case=case, by=caseworker, status=Case.Status.CLOSED, outcome=outcome)
            elif days_ago > 30:
                services.case_set_status(case=case, by=caseworker, status=open_status)
            opened += 1
        if child == "Knife crime":
            knife_cases.append(case)
    if opened:
        log(f"{office.reference_prefix}: {opened} demo cases with their contacts")
    return knife_cases
