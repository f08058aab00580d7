"""Isolation builders for every casework URL that takes arguments (see tests/isolation.py)."""

from tests.casework.factories import (
    AttachmentFactory,
    CaseFactory,
    ConstituentFactory,
    ContactFactory,
    TopicFactory,
    import_batch,
)
from tests.isolation import builder


@builder(
    "casework:case-detail",
    "casework:case-edit",
    "casework:case-status",
    "casework:case-assign",
    "casework:note-create",
    "casework:case-contact-create",
)
def _case(office):
    return {"pk": CaseFactory(office=office).pk}


@builder(
    "casework:constituent-detail",
    "casework:constituent-edit",
    "casework:constituent-merge",
    "casework:constituent-contact-create",
)
def _constituent(office):
    return {"pk": ConstituentFactory(office=office).pk}


@builder("casework:topic-edit", "casework:topic-set-active")
def _topic(office):
    return {"pk": TopicFactory(office=office).pk}


@builder("casework:attachment-download")
def _attachment(office):
    return {"pk": AttachmentFactory(contact=ContactFactory(office=office)).pk}


@builder("casework:contact-attach")
def _unattached_contact(office):
    return {"pk": ContactFactory(office=office, case=None).pk}


@builder("casework:import-detail", "casework:import-progress", "casework:import-confirm", "casework:import-cancel")
def _import_batch(office):
    return {"pk": import_batch(office).pk}
