from casework.models.cases import Case, CaseConstituent, CaseReferenceCounter, Tag
from casework.models.constituents import Constituent, ConstituentMerge, PostcodeWard
from casework.models.contacts import Attachment, Contact
from casework.models.imports import ImportBatch
from casework.models.timeline import TimelineEntry
from casework.models.topics import Topic

__all__ = [
    "Attachment",
    "Case",
    "CaseConstituent",
    "CaseReferenceCounter",
    "Constituent",
    "ConstituentMerge",
    "Contact",
    "ImportBatch",
    "PostcodeWard",
    "Tag",
    "TimelineEntry",
    "Topic",
]
