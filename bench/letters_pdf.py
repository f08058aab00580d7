"""How long one letter's PDF takes to render (WeasyPrint), on a throwaway in-memory database.

    .venv/bin/python bench/letters_pdf.py [runs]

Builds the demo offices and the joint knife-crime letter (two signatories, six paragraphs),
renders it once to warm up (font loading), then ``runs`` times, and prints the median and
the slowest render in milliseconds and the PDF's size.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite:///:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpoffice.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def main(runs: int) -> None:
    call_command("migrate", verbosity=0)
    from mpoffice import demo as office_demo

    office_demo.load(log=lambda line: None)
    from letters import demo as letters_demo
    from letters.models import Letter
    from letters.pdf import letter_pdf

    letters_demo.load(log=lambda line: None)
    letter = Letter.objects.get(office__reference_prefix="MKS", subject=letters_demo.JOINT_SUBJECT)
    letter_pdf(letter, letter.sent_on)  # warm-up: fonts and stylesheets
    timings = []
    size = 0
    for _ in range(runs):
        letter = Letter.objects.get(pk=letter.pk)  # cold object: the queries are part of the cost
        start = time.perf_counter()
        size = len(letter_pdf(letter, letter.sent_on))
        timings.append((time.perf_counter() - start) * 1000)
    buffer = io.StringIO()
    buffer.write(
        f"letter PDF render ({letter.reference}, {runs} runs): median {statistics.median(timings):.0f} ms, "
        f"slowest {max(timings):.0f} ms, {size / 1024:.0f} KiB"
    )
    print(buffer.getvalue())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
