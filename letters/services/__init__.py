"""State changes of letters, one module per concern; import them from here.

- ``letters``: references, drafting, co-signers, approval;
- ``sending``: the one send path (``letter_record_sent``, used by single and bulk letters), close, publish;
- ``replies``: recording and forwarding replies;
- ``bulk``: a bulk reply's life (prepare, approve, start, cancel, resume, progress);
- ``bulk_letters``: the bulk worker (a chunk of letters, print batches, e-mails) and the preview;
- ``directory``: the address book (organisations, posts, post-holders) and letter templates;
- ``errors``: what the services refuse.
"""

from letters.services.bulk import (
    BULK_PARALLEL,
    BulkItemError,
    BulkRunError,
    BulkStart,
    Progress,
    bulk_progress,
    bulk_recipients,
    bulk_run_approve,
    bulk_run_cancel,
    bulk_run_prepare,
    bulk_run_return,
    bulk_run_start,
    bulk_run_submit,
    bulk_runs_resume,
    bulk_runs_waiting_for_mp,
)
from letters.services.bulk_letters import Sample, bulk_chunk_process, bulk_emails_send, bulk_preview
from letters.services.directory import (
    organisation_save,
    post_add,
    post_holder_add,
    signposting_on_directory_change,
    signposting_template_ensure,
    template_save,
)
from letters.services.errors import LetterConflict, LetterError
from letters.services.letters import (
    letter_approve,
    letter_create,
    letter_edit,
    letter_from_template,
    letter_invite_cosigner,
    letter_reference_next,
    letter_return,
    letter_submit,
)
from letters.services.replies import reply_document_check, reply_forward, reply_record
from letters.services.sending import letter_close, letter_destination, letter_publish, letter_record_sent, letter_send

__all__ = [
    "BULK_PARALLEL",
    "BulkItemError",
    "BulkRunError",
    "BulkStart",
    "LetterConflict",
    "LetterError",
    "Progress",
    "Sample",
    "bulk_chunk_process",
    "bulk_emails_send",
    "bulk_preview",
    "bulk_progress",
    "bulk_recipients",
    "bulk_run_approve",
    "bulk_run_cancel",
    "bulk_run_prepare",
    "bulk_run_return",
    "bulk_run_start",
    "bulk_run_submit",
    "bulk_runs_resume",
    "bulk_runs_waiting_for_mp",
    "letter_approve",
    "letter_close",
    "letter_create",
    "letter_destination",
    "letter_edit",
    "letter_from_template",
    "letter_invite_cosigner",
    "letter_publish",
    "letter_record_sent",
    "letter_reference_next",
    "letter_return",
    "letter_send",
    "letter_submit",
    "organisation_save",
    "post_add",
    "post_holder_add",
    "reply_document_check",
    "reply_forward",
    "reply_record",
    "signposting_on_directory_change",
    "signposting_template_ensure",
    "template_save",
]
