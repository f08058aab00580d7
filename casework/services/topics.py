"""Topics: the office's list of subjects a case can be filed under."""

from __future__ import annotations

from django.db import transaction

from casework.models import (
    Topic,
)

# --- Topics -------------------------------------------------------------------------------


def topic_save(*, topic: Topic) -> Topic:
    topic.full_clean()
    topic.save()
    return topic


@transaction.atomic
def topic_set_active(*, topic: Topic, active: bool) -> Topic:
    """Deactivate (or reactivate) a topic; deactivating a parent deactivates its children.

    Topics are never deleted: old cases keep theirs, new cases can no longer pick it.
    """
    topic.is_active = active
    topic.save(update_fields=["is_active"])
    if not active:
        topic.children.update(is_active=False)
    return topic
