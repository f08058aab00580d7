"""Take the messages of a Maildir folder into an office's inbox.

    manage.py ingest_maildir /var/mail/mks --office MKS

Each message is matched (a reply to one of our letters, sender address, case reference in the
subject) exactly as an uploaded one, with no person adding it. The office's files are never
changed, moved or flagged: what was read is recorded in the database (``MaildirEntry``, by the
file's Maildir key, which a mail program keeps when it moves the file from new/ to cur/), so
the command can run every few minutes from cron and takes nothing twice. A message already
received another way (uploaded, pasted, over IMAP) is recognised by its Message-ID, or its
content when it has none. A file that is not an e-mail is reported once, on the run that
first meets it.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from inbound.models import InboundMessage, MaildirEntry
from inbound.services import NotAnEmail, inbound_receive
from mpoffice.models import Office


class Command(BaseCommand):
    help = "Ingest the messages of a Maildir folder into an office's inbox (the folder is left untouched)."

    def add_arguments(self, parser):
        parser.add_argument("maildir", type=Path)
        parser.add_argument("--office", required=True, help="The office's reference prefix, e.g. MKS.")

    def handle(self, *args, maildir: Path, office: str, **options):
        try:
            target = Office.objects.get(reference_prefix=office.upper())
        except Office.DoesNotExist as error:
            raise CommandError(f"No office has the reference prefix {office!r}.") from error
        if not (maildir / "new").is_dir() or not (maildir / "cur").is_dir():
            raise CommandError(f"{maildir} is not a Maildir folder (it needs new/ and cur/ folders).")
        folder = str(maildir.resolve())
        box = mailbox.Maildir(maildir, factory=None, create=False)
        already_read = set(MaildirEntry.objects.for_office(target).filter(folder=folder).values_list("key", flat=True))
        counts = {"attached": 0, "inbox": 0, "known": 0, "refused": 0, "automated": 0}
        for key in sorted(set(box.iterkeys()) - already_read):
            try:
                raw = box.get_bytes(key)
            except (FileNotFoundError, KeyError):  # moved by the mail program while we read
                continue
            try:
                received = inbound_receive(office=target, raw=raw, source=InboundMessage.Source.MAILDIR)
            except NotAnEmail as error:
                if self._record(target, folder, key, MaildirEntry.Outcome.REFUSED, reason=str(error)):
                    counts["refused"] += 1
                    self.stderr.write(f"{key}: refused: {error}")
                continue
            self._record(target, folder, key, MaildirEntry.Outcome.TAKEN, message=received.message)
            if not received.created:
                counts["known"] += 1
            elif received.message.status == InboundMessage.Status.ATTACHED:
                counts["attached"] += 1
            elif received.message.status == InboundMessage.Status.DISMISSED:
                counts["automated"] += 1
            else:
                counts["inbox"] += 1
        self.stdout.write(
            f"{counts['attached']} attached to cases, {counts['inbox']} in the inbox for triage, "
            f"{counts['automated']} set aside (auto-replies, bounces), {counts['known']} already received, "
            f"{counts['refused']} not e-mail."
        )

    @staticmethod
    def _record(office: Office, folder: str, key: str, outcome: str, *, reason: str = "", message=None) -> bool:
        """Remember the file was read; False when another run recorded it first."""
        try:
            with transaction.atomic():
                MaildirEntry.objects.create(
                    office=office, folder=folder, key=key[:255], outcome=outcome, reason=reason[:500], message=message
                )
        except IntegrityError:
            return False
        return True
