from tests.casework.factories import CaseFactory, ConstituentFactory
from tests.isolation import builder
from tests.security.factories import make_ready_export, make_shared_text_review


@builder("privacy:audit-trail")
def _case_trail(office):
    return {"kind": "case", "pk": CaseFactory(office=office).pk}


@builder("privacy:subject-access", "privacy:constituent-erase")
def _constituent(office):
    return {"pk": ConstituentFactory(office=office).pk}


@builder("privacy:subject-access-detail", "privacy:subject-access-download")
def _export(office):
    return {"pk": make_ready_export(office).pk}


@builder("privacy:shared-text-redact")
def _shared_text_review(office):
    return {"pk": make_shared_text_review(office).pk}
