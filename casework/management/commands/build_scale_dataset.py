"""Build one office's ten years of casework for the benchmarks (bench/casework.py).

    manage.py build_scale_dataset            # 75,000 constituents, 150,000 cases, 1,000,000 contacts
    manage.py build_scale_dataset --scale 0.1

Rows are written with PostgreSQL's COPY (psycopg 3) with ids assigned here, so a million
contacts take minutes, not the hours of one save() per row; the full-text columns are filled
by the same triggers as in production. On SQLite (for a quick try) rows go in with executemany.
Every name, address and e-mail is fictional (example.org, MK postcodes, 01908 numbers).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from casework.management.commands._scale_words import (
    CHANNELS,
    FIRST,
    LAST,
    OUTCOMES,
    PLACES,
    SENTENCES,
    STREETS,
    SUBJECTS,
    TOPICS,
)
from casework.management.commands._scale_writer import Writer
from casework.models import (
    Case,
    CaseConstituent,
    CaseReferenceCounter,
    Constituent,
    Contact,
    TimelineEntry,
    Topic,
)
from mpoffice.models import Membership, Office, Role, Ward

FULL = {"constituents": 75_000, "cases": 150_000, "contacts": 1_000_000}
YEARS = 10
LONG_CASES = 20  # cases with exactly 50 timeline entries, for the case-page benchmark
BENCH_PASSWORD = "postbag-bench"  # noqa: S105 - a throwaway benchmark database's users


class Command(BaseCommand):
    help = "Build one office's ten years of casework (75k constituents, 150k cases, 1M contacts) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 is the full ten-year office; 0.1 a tenth.")
        parser.add_argument("--prefix", default="BEN", help="Reference prefix of the benchmark office (default BEN).")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, scale: float, prefix: str, seed: int, **options):
        if not 0 < scale <= 2:
            raise CommandError("--scale must be between 0 and 2.")
        prefix = prefix.upper()
        if Office.objects.filter(reference_prefix=prefix, memberships__isnull=False).exists() and (
            Constituent.objects.filter(office__reference_prefix=prefix).exists()
        ):
            raise CommandError(
                f"The office {prefix} already has data. Build into a fresh database "
                "(createdb, DATABASE_URL=..., manage.py migrate), or pick another --prefix."
            )
        self.random = random.Random(seed)
        sizes = {name: max(1, int(count * scale)) for name, count in FULL.items()}
        started = time.monotonic()
        writer = Writer()
        with transaction.atomic():
            office, users = self._office(prefix)
            wards = list(Ward.objects.for_office(office).values_list("pk", flat=True))
            topics = self._topics(office)
            constituent_ids = self._constituents(writer, office, wards, sizes["constituents"])
            self._step("constituents", sizes["constituents"], started)
            cases = self._cases(writer, office, users, topics, constituent_ids, sizes["cases"])
            self._step("cases", sizes["cases"], started)
            contacts = self._contacts(writer, office, users, cases, constituent_ids, sizes["contacts"])
            self._step(f"contacts and {contacts['timeline']:,} timeline entries", contacts["contacts"], started)
            for model in (Constituent, Case, CaseConstituent, Contact, TimelineEntry):
                writer.reset_sequence(model)
        if writer.postgres:
            with connection.cursor() as cursor:
                for model in (Constituent, Case, CaseConstituent, Contact, TimelineEntry):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            f"Office {prefix} built in {time.monotonic() - started:.0f} s. Sign in as bench-caseworker, "
            f"bench-staff or bench-mp (password {BENCH_PASSWORD!r}); run bench/casework.py --prefix {prefix}."
        )

    def _step(self, what: str, count: int, started: float) -> None:
        self.stdout.write(f"  {count:>9,} {what} ({time.monotonic() - started:.0f} s)")

    # -- reference data ---------------------------------------------------------------------
    def _office(self, prefix: str):
        office, _ = Office.objects.get_or_create(
            reference_prefix=prefix,
            defaults={
                "name": f"Benchmark office {prefix}",
                "constituency": "Milton Keynes Central (benchmark)",
                "mp_name": "Alex Benchmark",
            },
        )
        for name in ("Bletchley East", "Bletchley Park", "Bletchley West", "Central Milton Keynes", "Woughton"):
            Ward.objects.get_or_create(office=office, name=name)
        User = get_user_model()
        users = []
        roles = [("caseworker", Role.CASEWORKER), ("staff", Role.STAFF), ("mp", Role.MP)]
        roles += [(f"caseworker{n}", Role.CASEWORKER) for n in range(2, 7)]
        for name, role in roles:
            user, created = User.objects.get_or_create(
                username=f"bench-{name}-{prefix.lower()}" if prefix != "BEN" else f"bench-{name}",
                defaults={"first_name": name.capitalize(), "last_name": "Bench"},
            )
            if created:
                user.set_password(BENCH_PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, office=office, defaults={"role": role})
            if role != Role.MP:
                users.append(user.pk)
        return office, users

    def _topics(self, office) -> list[tuple[int, str]]:
        leaves = []
        for parent_name, children in TOPICS.items():
            parent, _ = Topic.objects.get_or_create(office=office, parent=None, name=parent_name)
            for child in children:
                topic, _ = Topic.objects.get_or_create(office=office, parent=parent, name=child)
                leaves.append((topic.pk, child))
        return leaves

    # -- people -------------------------------------------------------------------------------
    def _postcode(self) -> str:
        r = self.random
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"MK{r.randint(1, 19)} {r.randint(0, 9)}{r.choice(letters)}{r.choice(letters)}"

    def _constituents(self, writer: Writer, office, wards, count: int) -> list[int]:
        r = self.random
        first_id = writer.next_id(Constituent)
        now = timezone.now()

        def rows() -> Iterator[dict]:
            for n in range(count):
                first, last = r.choice(FIRST), r.choice(LAST)
                organisation = n % 97 == 0
                yield {
                    "id": first_id + n,
                    "office_id": office.pk,
                    "kind": Constituent.Kind.ORGANISATION if organisation else Constituent.Kind.PERSON,
                    "first_name": "" if organisation else first,
                    "last_name": "" if organisation else last,
                    "organisation_name": f"{r.choice(PLACES)} Residents' Association {n}" if organisation else "",
                    "title": r.choice(("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "")),
                    "address_line1": f"{r.randint(1, 200)} {r.choice(STREETS)}",
                    "town": "Milton Keynes",
                    "postcode": self._postcode(),
                    "ward_id": r.choice(wards),
                    "email": f"{first}.{last}.{n}@example.org".lower().replace("'", ""),
                    "phone": f"+441908{r.randint(200000, 999999)}" if n % 3 else "",
                    "is_vulnerable": n % 41 == 0,
                    "created_at": now,
                    "updated_at": now,
                }

        writer.write(Constituent, rows())
        return list(range(first_id, first_id + count))

    # -- cases ----------------------------------------------------------------------------------
    def _subject(self, topic_name: str) -> str:
        r = self.random
        template = r.choice(SUBJECTS[topic_name])
        return template.format(place=r.choice(PLACES), street=r.choice(STREETS))

    def _cases(self, writer: Writer, office, users, topics, constituent_ids, count: int) -> list[dict]:
        r = self.random
        now = timezone.now()
        start = now - timedelta(days=365 * YEARS)
        span = (now - start).total_seconds()
        opened = sorted(start + timedelta(seconds=r.random() * span) for _ in range(count))
        first_id = writer.next_id(Case)
        numbers: dict[int, int] = {}
        cases = []
        for n, opened_at in enumerate(opened):
            year = timezone.localtime(opened_at).year
            numbers[year] = numbers.get(year, 0) + 1
            topic_id, topic_name = r.choice(topics)
            age = now - opened_at
            closed = age > timedelta(days=120) and r.random() < 0.97 or (age > timedelta(days=20) and r.random() < 0.5)
            status = Case.Status.CLOSED if closed else r.choice(Case.OPEN_STATUSES)
            closed_at = min(opened_at + timedelta(days=r.randint(5, 120)), now) if closed else None
            cases.append(
                {
                    "id": first_id + n,
                    "office_id": office.pk,
                    "reference": f"{office.reference_prefix}-{year}-{numbers[year]:05d}",
                    "year": year,
                    "number": numbers[year],
                    "topic_id": topic_id,
                    "summary": self._subject(topic_name).capitalize()[:200],
                    "description": r.choice(SENTENCES).format(
                        n=r.randint(2, 9), place=r.choice(PLACES), street=r.choice(STREETS)
                    ),
                    "status": status,
                    "outcome": r.choice(OUTCOMES) if closed else "",
                    "priority": r.choices(Case.Priority.values, weights=(10, 70, 15, 5))[0],
                    "assignee_id": r.choice(users),
                    "review_by": None if closed else (now + timedelta(days=r.randint(-30, 60))).date(),
                    "is_sensitive": r.random() < 0.03,
                    "opened_at": opened_at,
                    "closed_at": closed_at,
                    "updated_at": closed_at or opened_at,
                    "constituent_id": r.choice(constituent_ids),
                    "topic_name": topic_name,
                }
            )
        writer.write(Case, iter(cases))
        link_id = writer.next_id(CaseConstituent)

        def links() -> Iterator[dict]:
            n = 0
            for case in cases:
                people = [case["constituent_id"]]
                if r.random() < 0.08:
                    other = r.choice(constituent_ids)
                    if other != people[0]:
                        people.append(other)
                for constituent_id in people:
                    yield {
                        "id": link_id + n,
                        "office_id": office.pk,
                        "case_id": case["id"],
                        "constituent_id": constituent_id,
                        "added_at": case["opened_at"],
                    }
                    n += 1

        writer.write(CaseConstituent, links())
        for year, last in numbers.items():
            CaseReferenceCounter.objects.update_or_create(office=office, year=year, defaults={"last_number": last})
        return cases

    # -- contacts and the timeline --------------------------------------------------------------
    def _contacts(self, writer: Writer, office, users, cases, constituent_ids, count: int) -> dict:
        r = self.random
        now = timezone.now()
        on_cases = int(count * 0.85)
        # The long cases take 49 contacts each (50 entries with "opened"), the others share the rest.
        long_cases = cases[-LONG_CASES * 40 :: 40][:LONG_CASES] if len(cases) > LONG_CASES * 40 else cases[:1]
        long_ids = {case["id"] for case in long_cases}
        per_case: dict[int, int] = {case["id"]: 0 for case in cases}
        for case in long_cases:
            per_case[case["id"]] = 49
        regular = [case for case in cases if case["id"] not in long_ids]
        for _ in range(max(0, on_cases - 49 * len(long_cases))):
            per_case[r.choice(regular)["id"] if regular else cases[0]["id"]] += 1

        channels = [c for c, _ in CHANNELS]
        weights = [w for _, w in CHANNELS]
        contact_first = writer.next_id(Contact)
        contact_type = ContentType.objects.get_for_model(Contact).pk
        channel_labels = dict(Contact.Channel.choices)

        def body(topic_name: str) -> str:
            sentences = r.sample(SENTENCES, r.randint(2, 4))
            text = " ".join(
                s.format(n=r.randint(2, 12), place=r.choice(PLACES), street=r.choice(STREETS)) for s in sentences
            )
            return f"About {self._subject(topic_name)}. {text}"

        def rows() -> Iterator[dict]:
            n = 0
            for case in cases:
                end = case["closed_at"] or now
                window = max((end - case["opened_at"]).total_seconds(), 3600)
                for _ in range(per_case[case["id"]]):
                    occurred = case["opened_at"] + timedelta(seconds=r.random() * window)
                    channel = r.choices(channels, weights)[0]
                    direction = "in" if r.random() < 0.6 else "out"
                    summary = f"{channel_labels[channel]} about {self._subject(case['topic_name'])}"[:300]
                    contact_id = contact_first + n
                    staff_id = r.choice(users)
                    yield {
                        "id": contact_id,
                        "office_id": office.pk,
                        "constituent_id": case["constituent_id"],
                        "case_id": case["id"],
                        "channel": channel,
                        "direction": direction,
                        "occurred_at": occurred,
                        "staff_id": staff_id,
                        "summary": summary,
                        "body": body(case["topic_name"]),
                        "created_at": occurred,
                    }
                    n += 1
            start = now - timedelta(days=365 * YEARS)
            for _ in range(count - n):
                occurred = start + timedelta(seconds=r.random() * (now - start).total_seconds())
                topic = r.choice(list(SUBJECTS))
                yield {
                    "id": contact_first + n,
                    "office_id": office.pk,
                    "constituent_id": r.choice(constituent_ids),
                    "case_id": None,
                    "channel": r.choices(channels, weights)[0],
                    "direction": "in",
                    "occurred_at": occurred,
                    "staff_id": r.choice(users),
                    "summary": f"Enquiry about {self._subject(topic)}"[:300],
                    "body": body(topic),
                    "created_at": occurred,
                }
                n += 1

        written = writer.write(Contact, rows())

        first = writer.next_id(TimelineEntry)  # not inside the generator: no query during COPY

        def timeline() -> Iterator[dict]:
            n = 0
            for case in cases:
                yield {
                    "id": first + n,
                    "office_id": office.pk,
                    "case_id": case["id"],
                    "kind": "opened",
                    "occurred_at": case["opened_at"],
                    "title": f"Case {case['reference']} opened",
                    "data": {},
                    "created_at": case["opened_at"],
                }
                n += 1
                if case["closed_at"] and case["id"] not in long_ids:
                    yield {
                        "id": first + n,
                        "office_id": office.pk,
                        "case_id": case["id"],
                        "kind": "status",
                        "occurred_at": case["closed_at"],
                        "actor_id": case["assignee_id"],
                        "title": f"Status: New → Closed ({Case.Outcome(case['outcome']).label})",
                        "data": {"from": "new", "to": "closed"},
                        "created_at": case["closed_at"],
                    }
                    n += 1

        entries = writer.write(TimelineEntry, timeline())
        writer.reset_sequence(TimelineEntry)  # the rows below take ids from the sequence
        entries += self._contact_timeline(office, contact_type, contact_first)
        return {"contacts": written, "timeline": entries}

    def _contact_timeline(self, office, contact_type: int, first_contact_id: int) -> int:
        """One timeline entry per case contact, written by the database from the contacts."""
        channel = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in Contact.Channel.choices)
        direction = " ".join(f"WHEN '{value}' THEN '{label.lower()}'" for value, label in Contact.Direction.choices)
        if connection.vendor == "postgresql":
            data = "jsonb_build_object('channel', c.channel, 'direction', c.direction)"
            title = f"left((CASE c.channel {channel} END) || ' ' || (CASE c.direction {direction} END) || ': ' || c.summary, 300)"  # noqa: E501
        else:
            data = "json_object('channel', c.channel, 'direction', c.direction)"
            title = f"substr((CASE c.channel {channel} END) || ' ' || (CASE c.direction {direction} END) || ': ' || c.summary, 1, 300)"  # noqa: E501
        sql = f"""
            INSERT INTO {TimelineEntry._meta.db_table}
                (office_id, case_id, kind, occurred_at, actor_id, title, body, data,
                 source_type_id, source_id, created_at)
            SELECT c.office_id, c.case_id, 'contact', c.occurred_at, c.staff_id, {title}, '', {data},
                   %s, c.id, c.created_at
            FROM {Contact._meta.db_table} c
            WHERE c.office_id = %s AND c.id >= %s AND c.case_id IS NOT NULL
            ORDER BY c.id
        """  # noqa: S608 - only our own labels and table names are interpolated
        with connection.cursor() as cursor:
            cursor.execute(sql, [contact_type, office.pk, first_contact_id])
            return cursor.rowcount
