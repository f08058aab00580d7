"""System status shows a member their own office only: sweeps run for every office at once, so
their totals are not shown, only when they ran and this office's rows they could not handle;
and a row's error is a short message, the traceback only in the server log."""

import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from letters import services
from letters.models import Letter
from letters.reminders import sweep_replies_overdue
from mpoffice.models import Role, SweepError
from mpoffice.reminders import sweep_run
from tests.letters.factories import approved_letter, make_case
from tests.mpoffice.factories import MembershipFactory


def _overdue_letter(office, mp, *, broken: bool) -> Letter:
    letter = services.letter_send(
        letter=approved_letter(office, mp), by=None, channel="post", sent_on=timezone.localdate() - timedelta(days=60)
    )
    if broken:  # as after an old import: due a reply, but addressed to nobody a chaser can go to
        constituent = make_case(office).constituents.get()
        Letter.objects.filter(pk=letter.pk).update(
            recipient_kind=Letter.RecipientKind.CONSTITUENT, recipient_post=None, recipient_constituent=constituent
        )
    return letter


def _sweep_row(html: str, name: str) -> str:
    match = re.search(rf'<tr><th scope="row">{name}</th>(.*?)</tr>', html)
    assert match, f"no row for the {name} sweep"
    return match.group(1)


def _counts(row: str) -> list[str]:
    """The numbers in a sweep's row (cells holding only a number, perhaps in a badge)."""
    return re.findall(r"<td>(?:<span[^>]*>)?(\d+)(?:</span>)?</td>", row)


@pytest.fixture
def other_mp(other_office):
    return MembershipFactory(office=other_office, role=Role.MP, user__username="other-mp")


def test_each_office_sees_only_its_own_rows_of_a_sweep_that_ran_for_both(
    office, other_office, staff, mp, other_mp, client_for
):
    _overdue_letter(office, mp, broken=False)
    ours = _overdue_letter(office, mp, broken=True)
    theirs = [_overdue_letter(other_office, other_mp, broken=True) for _ in range(2)]
    result = sweep_replies_overdue()
    assert (result.examined, result.raised, result.failed) == (4, 1, 3)  # the sweep's totals: both offices

    our_page = client_for(staff).get(reverse("system-status")).content.decode()
    their_page = client_for(other_mp).get(reverse("system-status")).content.decode()

    our_row, their_row = _sweep_row(our_page, "replies-overdue"), _sweep_row(their_page, "replies-overdue")
    assert _counts(our_row) == ["1"]  # our one broken row, no totals
    assert _counts(their_row) == ["2"]
    assert ours.reference in our_page and not any(letter.reference in our_page for letter in theirs)
    assert all(letter.reference in their_page for letter in theirs) and ours.reference not in their_page
    assert other_office.name not in our_page


def test_a_sweep_error_is_a_short_message_and_its_traceback_goes_to_the_server_log(
    office, staff, mp, client_for, caplog
):
    broken = _overdue_letter(office, mp, broken=True)

    def handle_with_a_bug(row):
        return {}["internal_setting"]

    with caplog.at_level(logging.ERROR, logger="mpoffice.reminders"):
        sweep_replies_overdue()  # a ValueError saying what is wrong with the record
        sweep_run(name="case-review", rows=[broken], handle=handle_with_a_bug, describe=lambda r: (office.pk, "case X"))

    page = client_for(staff).get(reverse("system-status")).content.decode()

    assert f"Letter {broken.reference} is not to a post, so there is nobody to chase." in page
    assert "Unexpected error: the server log has the details." in page
    for internal in ("Traceback", "ValueError", "KeyError", "internal_setting", 'File "', ".py"):
        assert internal not in page, internal
    assert set(SweepError.objects.values_list("error", flat=True)) == {
        f"Letter {broken.reference} is not to a post, so there is nobody to chase.",
        "Unexpected error: the server log has the details.",
    }
    logged = "\n".join(record.exc_text or "" for record in caplog.records)
    assert "KeyError: 'internal_setting'" in logged and "nobody to chase" in logged


def test_errors_recorded_with_a_traceback_before_are_cut_to_the_short_message(office, staff, client_for):
    from importlib import import_module

    from django.apps import apps

    old = SweepError.objects.create(
        office=office,
        sweep="replies-overdue",
        source="letter X",
        error="KeyError: 'x'\n\nTraceback (most recent call last):\n  File \"/app/letters/reminders.py\", line 9",
    )
    short = SweepError.objects.create(
        office=office, sweep="replies-overdue", source="letter Y", error="Nobody to chase."
    )

    import_module("mpoffice.migrations.0006_sweep_errors_without_tracebacks").forwards(apps, None)

    old.refresh_from_db()
    short.refresh_from_db()
    assert (old.error, short.error) == ("Unexpected error: the server log has the details.", "Nobody to chase.")
    assert "Traceback" not in client_for(staff).get(reverse("system-status")).content.decode()
