"""Take the messages of a Maildir folder into an office's inbox.

    manage.py ingest_maildir /var/mail/mks --office MKS

Each message is matched (a reply to one of our letters, sender address, case reference in the
subject) exactly as an uploaded one, with no person adding it. A message already received
(uploaded, pasted or ingested before, however encoded) is recognised by its Message-ID, or
its content when it has none, and skipped, so the command can run every few minutes from
cron; ingested messages are marked seen (moved from new/ to cur/) unless --keep is given.
A file that is not an e-mail is reported and left alone.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inbound.models import InboundMessage
from inbound.services import NotAnEmail, inbound_receive
from mpoffice.models import Office


class Command(BaseCommand):
    help = "Ingest the messages of a Maildir folder into an office's inbox."

    def add_arguments(self, parser):
        parser.add_argument("maildir", type=Path)
        parser.add_argument("--office", required=True, help="The office's reference prefix, e.g. MKS.")
        parser.add_argument("--keep", action="store_true", help="Leave messages in new/ instead of marking them seen.")

    def handle(self, *args, maildir: Path, office: str, keep: bool, **options):
        try:
            target = Office.objects.get(reference_prefix=office.upper())
        except Office.DoesNotExist as error:
            raise CommandError(f"No office has the reference prefix {office!r}.") from error
        if not (maildir / "new").is_dir() or not (maildir / "cur").is_dir():
            raise CommandError(f"{maildir} is not a Maildir folder (it needs new/ and cur/ folders).")
        box = mailbox.Maildir(maildir, factory=None, create=False)
        counts = {"attached": 0, "inbox": 0, "known": 0, "refused": 0}
        for key in list(box.iterkeys()):
            raw = box.get_bytes(key)
            try:
                received = inbound_receive(office=target, raw=raw, source=InboundMessage.Source.MAILDIR)
            except NotAnEmail as error:
                counts["refused"] += 1
                self.stderr.write(f"{key}: refused: {error}")
                continue
            if not received.created:
                counts["known"] += 1
            elif received.message.status == InboundMessage.Status.ATTACHED:
                counts["attached"] += 1
            else:
                counts["inbox"] += 1
            if not keep:
                message = box.get_message(key)
                if message.get_subdir() == "new":
                    message.set_subdir("cur")
                    message.add_flag("S")
                    box[key] = message
        self.stdout.write(
            f"{counts['attached']} attached to cases, {counts['inbox']} in the inbox for triage, "
            f"{counts['known']} already received, {counts['refused']} not e-mail."
        )
