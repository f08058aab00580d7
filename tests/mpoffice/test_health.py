"""/healthz and the System status panel: up when every part runs, 503 with the reason when not."""

import socket
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mpoffice.celery import app as celery_app
from mpoffice.models import Heartbeat


def beat_and_worker_seen(seconds_ago: float = 5, **overrides: float | None) -> None:
    for component in ("worker", "beat"):
        age = overrides.get(component, seconds_ago)
        if age is not None:
            Heartbeat.objects.create(component=component, last_seen=timezone.now() - timedelta(seconds=age))


@pytest.fixture
def unreachable_broker():
    """Point the real Celery app at a Redis port on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port}/0"
    yield
    celery_app.conf.broker_url = saved


def test_healthz_is_ok_when_every_part_runs(db, client):
    beat_and_worker_seen(seconds_ago=30)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
        "beat": True,
    }
    assert 29 <= body["checks"]["worker"]["age_seconds"] < 40
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_worker_heartbeat_is_stale(db, client, settings):
    beat_and_worker_seen(worker=settings.HEARTBEAT_MAX_AGE_SECONDS + 60)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["detail"].startswith("no heartbeat for")
    assert body["checks"]["beat"]["ok"] is True


def test_healthz_is_503_when_beat_has_never_run(db, client):
    beat_and_worker_seen(beat=None)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {
        "ok": False,
        "last_seen": None,
        "age_seconds": None,
        "detail": "never seen",
    }


def test_healthz_is_503_when_the_broker_cannot_be_reached(db, client, unreachable_broker):
    beat_and_worker_seen()

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "Error" in broker["detail"] or "refused" in broker["detail"].lower()
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_needs_no_sign_in_and_shows_no_office_data(db, client):
    response = client.get(reverse("healthz"))

    assert set(response.json()) == {"ok", "checked_at", "checks"}


def test_system_status_panel_shows_each_part(staff, client_for):
    beat_and_worker_seen(seconds_ago=12)

    content = client_for(staff).get(reverse("system-status")).content.decode()

    assert "Everything is running." in content
    for part in ("Database", "Broker", "Worker", "Beat"):
        assert f'<th scope="row">{part}</th>' in content
    assert content.count("Running</span>") == 4
    assert "last seen 12 s ago" in content


def test_system_status_panel_says_what_is_down(staff, client_for, settings):
    beat_and_worker_seen(worker=settings.HEARTBEAT_MAX_AGE_SECONDS + 60, beat=None)

    content = client_for(staff).get(reverse("system-status")).content.decode()

    assert "Something needs attention." in content
    assert "nothing is lost while they wait" in content
    assert content.count("Down</span>") == 2
    assert "never seen" in content
