"""The Celery application. Settings come from Django's (the CELERY_ namespace)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import before_task_publish, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mpoffice.settings")

app = Celery("postbag")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The no-server broker (Kombu's filesystem transport) needs its folders before anyone
# publishes or consumes.
for _folder_key in ("data_folder_in", "processed_folder"):
    if _folder := (app.conf.broker_transport_options or {}).get(_folder_key):
        Path(_folder).mkdir(parents=True, exist_ok=True)

HEARTBEAT_TASK = "mpoffice.tasks.heartbeat"


@before_task_publish.connect
def _beat_published_heartbeat(sender: str | None = None, **kwargs) -> None:
    # Only beat sends the heartbeat task, so publishing it proves beat is alive: recorded
    # here, in the beat process, independently of whether a worker ever picks it up.
    if sender == HEARTBEAT_TASK:
        from mpoffice.services import heartbeat_record

        heartbeat_record(component="beat")


@worker_ready.connect
def _worker_started(**kwargs) -> None:
    from mpoffice.services import heartbeat_record

    heartbeat_record(component="worker")
