"""CSV imports of constituents and cases: upload, preview with every row's errors, commit.

- ``import_start`` (the upload) checks the columns and the encoding at once and refuses a
  wrong file with a message listing the expected columns; nothing is saved then.
- ``import_validate`` (a Celery task) reads the file as a stream, checks every row and
  records per-row errors (row number as a spreadsheet shows it, column, message), what is
  new and what is already held, with progress for the page to show.
- ``import_commit`` (a Celery task) saves every new row in one transaction: all or nothing.

Both tasks wait on a message. A worker claims the batch first (``IMPORT_JOBS``, the claim helper
of ``mpoffice.outbox``), and ``import_jobs_recover`` (every minute) queues again a batch whose
message was lost or whose worker was killed, once its claim is older than
``JOB_CLAIM_TIMEOUT_SECONDS``. The commit's final UPDATE is conditional on the claim, inside
the same transaction as the rows, so a file is saved exactly once however often it is queued.

Re-importing is harmless: the same file (by SHA-256) is refused once it was imported, and
rows already held (natural keys: a constituent's e-mail, else name and postcode; a case's
constituent, summary and opening date) are skipped, so an extended file adds only its new rows.
"""

from casework.imports.jobs import (
    IMPORT_JOBS,
    ImportNotReady,
    _claim,
    _displayable,
    _progress_autocommit,
    _queue,
    _SideProgress,
    _walk,
    import_cancel,
    import_commit,
    import_fail,
    import_files_expire,
    import_jobs_recover,
    import_run_commit,
    import_start,
    import_validate,
)
from casework.imports.rows import (
    CHECKERS,
    Outcome,
    RowError,
    _CaseChecker,
    _cell,
    _Checker,
    _choice,
    _ConstituentChecker,
    _length,
    _parse_date,
    _rows,
)
from casework.imports.specs import (
    CHUNK,
    ERRORS_KEPT,
    MAX_ROWS,
    PREVIEW_ROWS,
    PROGRESS_EVERY,
    SPECS,
    ImportRefused,
    ImportSpec,
    _check_header,
    _encoding_refusal,
    _header_names,
)
from casework.imports.writers import (
    _CaseWriter,
    _ConstituentWriter,
    _RollBack,
    _Superseded,
)

__all__ = [
    "CHECKERS",
    "CHUNK",
    "ERRORS_KEPT",
    "IMPORT_JOBS",
    "ImportNotReady",
    "ImportRefused",
    "ImportSpec",
    "MAX_ROWS",
    "Outcome",
    "PREVIEW_ROWS",
    "PROGRESS_EVERY",
    "RowError",
    "SPECS",
    "_CaseChecker",
    "_CaseWriter",
    "_Checker",
    "_ConstituentChecker",
    "_ConstituentWriter",
    "_RollBack",
    "_SideProgress",
    "_Superseded",
    "_cell",
    "_check_header",
    "_choice",
    "_claim",
    "_displayable",
    "_encoding_refusal",
    "_header_names",
    "_length",
    "_parse_date",
    "_progress_autocommit",
    "_queue",
    "_rows",
    "_walk",
    "import_cancel",
    "import_commit",
    "import_fail",
    "import_files_expire",
    "import_jobs_recover",
    "import_run_commit",
    "import_start",
    "import_validate",
]
