"""The Celery application. Settings come from Django's (the CELERY_ namespace)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_ready

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


_in_beat_process = False


@beat_init.connect
def _beat_started(**kwargs) -> None:
    global _in_beat_process
    _in_beat_process = True
    # As the worker does when ready: /healthz shows beat alive at once, not only after the
    # first scheduled heartbeat a minute later.
    from mpoffice.services import heartbeat_record

    heartbeat_record(component="beat")


@before_task_publish.connect
def _beat_published_heartbeat(sender: str | None = None, **kwargs) -> None:
    # Beat publishing the heartbeat proves beat is alive: recorded here, in the beat process,
    # independently of whether a worker ever picks it up. A heartbeat sent from anywhere else
    # (a shell, a test) must not make a dead beat look alive.
    if sender == HEARTBEAT_TASK and _in_beat_process:
        from mpoffice.services import heartbeat_record

        heartbeat_record(component="beat")


@worker_ready.connect
def _worker_started(**kwargs) -> None:
    from mpoffice.services import heartbeat_record

    heartbeat_record(component="worker")
