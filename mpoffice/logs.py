"""Logging helpers named in settings.LOGGING."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 403 or 404 is the person's request refused as designed: one line says so. Django
    attaches the PermissionDenied or Http404 exception to the record, and a console full of
    tracebacks for refusals hides the errors that matter (5xx keep theirs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.name.startswith("django.") and status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
