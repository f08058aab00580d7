"""Reading the office's Maildir: twice takes nothing twice, and the office's files never change."""

from __future__ import annotations

import mailbox
import os
import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from inbound.models import InboundMessage, MaildirEntry
from letters.models import Reply
from letters.services import letter_send
from tests.letters.factories import approved_letter, make_case
from tests.letters.test_inbound_replies import _answer

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the Maildir with its bytes and modification time."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _ingest(folder: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest_maildir", str(folder), office="MKS", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_reading_the_maildir_twice_takes_nothing_twice_and_changes_no_file(office, tmp_path):
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    corpus = sorted(MAIL.glob("*.eml"))
    for path in corpus:
        box.add(path.read_bytes())
    # An mbox export dropped into the folder: "From " line first, no closing newline.
    box.add(b"From jane@example.org Tue Nov 24 09:30:00 2026\n" + (MAIL / "01-gmail-alternative.eml").read_bytes()[:-2])
    (folder / "new" / "1795000000.M1P1.host").write_bytes(b"\x00\x01 a scanner's PDF saved by mistake")
    (folder / "cur" / "1795000001.M2P2.host:2,S").write_bytes(b"just a note someone typed\n")
    before = _snapshot(folder)

    first_out, first_err = _ingest(folder)
    second_out, second_err = _ingest(folder)

    assert _snapshot(folder) == before  # not moved, not flagged, not rewritten
    automated = 3  # the out-of-office, the X-Autoreply and the bounce
    # 20 messages (the mbox copy of the first is the same message): each kept once.
    assert InboundMessage.objects.count() == len(corpus)
    assert InboundMessage.objects.filter(status=InboundMessage.Status.DISMISSED).count() == automated
    assert f"{len(corpus) - automated} in the inbox for triage" in first_out
    assert "1 already received, 2 not e-mail." in first_out
    assert first_err.count("refused") == 2
    assert second_out.startswith("0 attached to cases, 0 in the inbox for triage, 0 set aside")
    assert "0 already received, 0 not e-mail." in second_out
    assert second_err == ""  # refused files are reported once, not on every run
    assert MaildirEntry.objects.filter(outcome=MaildirEntry.Outcome.REFUSED).count() == 2


def test_a_message_the_mail_program_moves_to_cur_is_not_taken_again(office, tmp_path):
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    key = box.add((MAIL / "17-no-subject-no-date-no-message-id.eml").read_bytes())
    _ingest(folder)

    # The office's mail program reads it: new/<key> becomes cur/<key>:2,S.
    shutil.move(folder / "new" / key, folder / "cur" / f"{key}:2,S")
    out, _ = _ingest(folder)

    assert InboundMessage.objects.count() == 1
    assert "0 in the inbox" in out and "0 already received" in out


def test_a_copy_delivered_twice_under_another_name_is_kept_once(office, tmp_path):
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    raw = (MAIL / "17-no-subject-no-date-no-message-id.eml").read_bytes()  # no Message-ID: by content
    box.add(raw)
    box.add(raw.replace(b"\n", b"\r\n"))  # the same message relayed with CRLF line endings

    out, _ = _ingest(folder)

    assert InboundMessage.objects.count() == 1
    assert "1 in the inbox for triage" in out and "1 already received" in out


def test_a_reply_to_a_letter_fetched_twice_is_recorded_once(office, mp, staff, tmp_path):
    case = make_case(office)
    letter = approved_letter(office, mp, cases=[case], subject=f"Knife crime ({case.reference})")
    letter_send(letter=letter, by=staff.user, channel="email", sent_on=date(2026, 10, 1))
    letter.refresh_from_db()
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    box.add(_answer(letter))
    _ingest(folder)
    # The mailbox is copied (a server migration): new file names, same messages.
    copy = tmp_path / "Copy"
    shutil.copytree(folder, copy)
    for path in (copy / "new").iterdir():
        os.rename(path, path.with_name("copied-" + path.name))
    _ingest(copy)
    _ingest(folder)

    assert Reply.objects.filter(letter=letter).count() == 1
    assert InboundMessage.objects.count() == 1
