"""Data protection services: subject access exports, erasure on request, and retention.

Privacy never imports the apps beside or above it. An app that holds personal data about a
constituent or a case (inbound e-mails, survey responses, letters) registers a
``SubjectDataSource`` in ``casework.subjectdata`` from its ``AppConfig.ready()``; this module
calls every registered source.

Every change here runs with auditlog's automatic entries switched off (they would copy the
very data being removed into the trail); instead the earlier entries about the rows are
redacted and one entry records the event, with counts and no personal data.
Files are deleted from storage only after the transaction commits.
"""

from casework.subjectdata import ANONYMISED, ExportSection, SubjectDataSource, register_source
from privacy.services.erasure import (
    _carries,
    _cases_strip,
    _constituent_erase,
    _contacts_remove,
    _file_carries,
    _orphans_erase,
    _relations_to_constituent,
    _still_referenced,
    _uploads_forget,
    case_anonymise,
    case_delete,
    constituent_erase,
    erasure_preview,
    uploaded_files_expire,
)
from privacy.services.redaction import (
    REMOVED,
    Outcome,
    _sources_condition,
    trail_redact,
)
from privacy.services.retention import (
    RetentionRefused,
    retention_cutoff,
    retention_decide,
    retention_due,
    retention_flag,
    retention_period_set,
)
from privacy.services.shared_text import (
    SHARED_TEXT_PAGE,
    SharedTextChanged,
    SharedTextItem,
    _cases_of_others,
    _shared_places,
    _shared_text_list,
    _spans,
    _text_sha256,
    identifiers,
    phone_forms,
    shared_text_pending,
    shared_text_resolve,
)
from privacy.services.subject_access import (
    SUBJECT_ACCESS_BUILDS,
    SUBJECT_ACCESS_KEEP,
    _audit_section,
    _progress,
    _queue_build,
    _row,
    subject_access_build,
    subject_access_downloaded,
    subject_access_expire,
    subject_access_failed,
    subject_access_recover,
    subject_access_request,
    subject_access_sections,
    zip_names,
)

__all__ = [
    "ANONYMISED",
    "ExportSection",
    "Outcome",
    "REMOVED",
    "RetentionRefused",
    "SHARED_TEXT_PAGE",
    "SUBJECT_ACCESS_BUILDS",
    "SUBJECT_ACCESS_KEEP",
    "SharedTextChanged",
    "SharedTextItem",
    "SubjectDataSource",
    "_audit_section",
    "_carries",
    "_cases_of_others",
    "_cases_strip",
    "_constituent_erase",
    "_contacts_remove",
    "_file_carries",
    "_orphans_erase",
    "_progress",
    "_queue_build",
    "_relations_to_constituent",
    "_row",
    "_shared_places",
    "_shared_text_list",
    "_sources_condition",
    "_spans",
    "_still_referenced",
    "_text_sha256",
    "_uploads_forget",
    "case_anonymise",
    "case_delete",
    "constituent_erase",
    "erasure_preview",
    "identifiers",
    "phone_forms",
    "register_source",
    "retention_cutoff",
    "retention_decide",
    "retention_due",
    "retention_flag",
    "retention_period_set",
    "shared_text_pending",
    "shared_text_resolve",
    "subject_access_build",
    "subject_access_downloaded",
    "subject_access_expire",
    "subject_access_failed",
    "subject_access_recover",
    "subject_access_request",
    "subject_access_sections",
    "trail_redact",
    "uploaded_files_expire",
    "zip_names",
]
