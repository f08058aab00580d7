"""Bulk reply benchmark: N personalised letters from one bulk run, end to end, with real Celery
worker processes. Run by hand, not in CI:

    createdb -h 127.0.0.1 -U postgres postbag_bench          # PostgreSQL, as in production
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postbag_bench
    export REDIS_URL=redis://127.0.0.1:6379/0                 # optional: else the no-server broker
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bulk.py                            # --letters 5000 --concurrency 2

It makes a fresh office with N constituents (each on a case of one campaign; a third prefer
post, the rest e-mail), prepares one bulk run, starts one worker with ``--concurrency`` pool
processes (the resume sweep queues the run, as after a restart), and waits for it to finish.
It prints letters per second, the total time, and the peak memory (RSS) of the worker's
processes. E-mail goes to files in a temporary folder. The bar: 5,000 letters in under
10 minutes on a 2-core machine, worker memory under 1 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import string
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpoffice.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.models import Campaign, CampaignCase  # noqa: E402
from casework.models import Case, CaseConstituent, Constituent  # noqa: E402
from letters.bulk import bulk_progress, bulk_run_prepare  # noqa: E402
from letters.models import BulkItem, BulkRun, Letter, LetterTemplate  # noqa: E402
from mpoffice.celery import app as celery_app  # noqa: E402
from mpoffice.models import Office  # noqa: E402
from tests.celery_helpers import celery_processes  # noqa: E402

TEMPLATE_BODY = (
    "Thank you for contacting me about knife crime in {{ constituency }}, and for sharing your experience.\n\n"
    "I have written to the Home Secretary and met the Police and Crime Commissioner to press for a long-term, "
    "joined-up response from the police, the courts and the Crown Prosecution Service. I will write again when "
    "I receive their replies.\n\nIf you would like to add anything, please quote the reference {{ case_reference }}."
)


def _tree_rss_kib(pid: int) -> tuple[int, int]:
    """(sum, largest) RSS in KiB of ``pid`` and its descendants, read from /proc."""
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the process ended meanwhile
                stack.extend(int(child) for child in (task / "children").read_text().split())
    sizes = []
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]))
        except OSError:
            pass
    return sum(sizes), max(sizes, default=0)


def build(letters: int) -> BulkRun:
    prefix = "B" + "".join(random.choices(string.ascii_uppercase, k=4))
    office = Office.objects.create(
        name=f"Bulk benchmark {prefix}",
        constituency="Milton Keynes South",
        mp_name="Iain Stewart",
        reference_prefix=prefix,
        letterhead_address="House of Commons\nLondon SW1A 0AA",
    )
    people = Constituent.objects.bulk_create(
        [
            Constituent(
                office=office,
                title=random.choice(["Mr", "Mrs", "Ms", "Dr"]),
                first_name=f"First{i}",
                last_name=f"Family{i}",
                address_line1=f"{i % 300 + 1} Saxon Gate",
                town="Milton Keynes",
                postcode="MK9 3HQ",
                email=f"constituent{i}@example.org",
                preferred_channel="post" if i % 3 == 0 else "email",
            )
            for i in range(letters)
        ],
        batch_size=1000,
    )
    year = timezone.localdate().year
    cases = Case.objects.bulk_create(
        [
            Case(
                office=office,
                reference=f"{prefix}-{year}-{i + 1:05d}",
                year=year,
                number=i + 1,
                summary="Knife crime near the school",
                status=Case.Status.OPEN,
            )
            for i in range(letters)
        ],
        batch_size=1000,
    )
    CaseConstituent.objects.bulk_create(
        [
            CaseConstituent(office=office, case=case, constituent=person)
            for case, person in zip(cases, people, strict=True)
        ],
        batch_size=1000,
    )
    campaign = Campaign.objects.create(office=office, name="Knife crime in Milton Keynes")
    CampaignCase.objects.bulk_create(
        [CampaignCase(office=office, campaign=campaign, case=case) for case in cases], batch_size=1000
    )
    template = LetterTemplate.objects.create(
        office=office, name="Knife crime reply", subject="Knife crime ({{ case_reference }})", body=TEMPLATE_BODY
    )
    run = bulk_run_prepare(
        office=office,
        by=None,
        template=template,
        cases=Case.objects.filter(campaigns=campaign),
        description=f"Campaign: {campaign.name}",
        campaign=campaign,
    )
    # Started as the start button starts it, less its on-commit nudge: the worker's resume
    # sweep queues it, so every task goes to the benchmark's own queue.
    BulkRun.objects.filter(pk=run.pk).update(
        status=BulkRun.Status.RUNNING, started_at=timezone.now(), last_progress_at=timezone.now() - timedelta(hours=1)
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--chunk", type=int, default=settings.BULK_CHUNK_SIZE)
    options = parser.parse_args()
    celery_app.conf.task_always_eager = False

    print(
        f"Machine: {platform.node()}, {os.cpu_count()} CPUs; database {connection.vendor}; broker "
        f"{'Redis' if settings.REDIS_URL else 'filesystem (no server)'}"
    )
    started = time.monotonic()
    run = build(options.letters)
    print(f"Data: {options.letters} constituents and cases built in {time.monotonic() - started:.1f} s; run #{run.pk}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = {
            "EMAIL_URL": f"filemail://{tmp_path / 'mail'}",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "BULK_CHUNK_SIZE": str(options.chunk),
            "LOG_LEVEL": "WARNING",
        }
        with celery_processes(tmp_path=tmp_path, extra_env=env, concurrency=options.concurrency) as celery:
            begun = time.monotonic()
            celery.send("letters.tasks.bulk_resume_stalled")
            peak_total = peak_single = 0
            last_print = 0.0
            while True:
                total, single = _tree_rss_kib(celery.worker.pid)
                peak_total, peak_single = max(peak_total, total), max(peak_single, single)
                run.refresh_from_db()
                if run.status == BulkRun.Status.FINISHED:
                    break
                if celery.worker.poll() is not None:
                    sys.exit(f"The worker died:\n{celery.log()[-3000:]}")
                now = time.monotonic()
                if now - last_print > 15:
                    progress = bulk_progress(run=run)
                    print(
                        f"  {now - begun:6.0f} s: {progress.done} done, {progress.failed} failed, {progress.left} left"
                    )
                    last_print = now
                time.sleep(0.5)
            elapsed = time.monotonic() - begun
            emails = len(list((tmp_path / "mail").glob("*")))

    progress = bulk_progress(run=run)
    made = Letter.objects.filter(template=run.template).count()
    per_constituent_max = (
        BulkItem.objects.filter(run=run).exclude(letter=None).values("constituent_id").distinct().count()
    )
    print()
    print(f"Letters made:      {made} ({progress.done} done, {progress.failed} failed) for {run.total} constituents")
    print(f"E-mailed:          {progress.emailed} (mail files: {emails}); print batches: {progress.batches}")
    print(f"Total time:        {elapsed:.1f} s  (bar: 600 s)")
    print(f"Letters/second:    {made / elapsed:.1f}")
    print(
        f"Peak worker RSS:   {peak_total / 1024:.0f} MiB for all worker processes "
        f"(largest single process {peak_single / 1024:.0f} MiB; bar: 1024 MiB)"
    )
    ok = made == run.total == per_constituent_max and elapsed < 600 and peak_total < 1024 * 1024
    print("Result:            " + ("within the bar" if ok else "NOT within the bar"))


if __name__ == "__main__":
    main()
