"""Fixtures shared by every test.

The three actors of each view test (healthchecks' alice, bob and charlie): a member with the
role (``staff``), a member without it (``caseworker``), and a member of another office
(``outsider``). ``client_for(membership)`` signs one of them in.
"""

import os

import pytest
from django.test import Client

from mpoffice.celery import app as celery_app
from mpoffice.models import Role
from tests.mpoffice.factories import MembershipFactory, OfficeFactory

IN_CI = bool(os.environ.get("CI"))


def need(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file (one per xdist worker), not pytest-django's
    in-memory default, so that real worker and beat processes (tests/celery_helpers.py) and
    the browser tests' live server can open the same database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not database.get("TEST", {}).get("NAME"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # PBKDF2's deliberate slowness costs ~0.2 s per user created; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_runs_in_process():
    """View and service tests run queued tasks in-process through the real Celery app.

    Tests about workers, brokers and crashes start real worker processes instead
    (see tests/celery_helpers.py).
    """
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def office(db):
    return OfficeFactory(name="Milton Keynes South (test)", mp_name="Iain Stewart", reference_prefix="MKS")


@pytest.fixture
def other_office(db):
    return OfficeFactory(name="Milton Keynes North (test)", mp_name="Ben Everitt", reference_prefix="MKN")


@pytest.fixture
def caseworker(office):
    return MembershipFactory(office=office, role=Role.CASEWORKER, user__username="caseworker")


@pytest.fixture
def staff(office):
    return MembershipFactory(office=office, role=Role.STAFF, user__username="staff")


@pytest.fixture
def mp(office):
    return MembershipFactory(office=office, role=Role.MP, user__username="mp", user__first_name="Iain")


@pytest.fixture
def outsider(other_office):
    """A staff member of another office: every object of ``office`` must be a 404 to them."""
    return MembershipFactory(office=other_office, role=Role.STAFF, user__username="outsider")


def verified_login(client: Client, user) -> Client:
    """Sign ``user`` in as after password *and* two-factor code: the MP and staff roles need
    both (mpoffice.twofactor). Gives the user a confirmed authenticator if they have none."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for():
    def sign_in(membership) -> Client:
        return verified_login(Client(), membership.user)

    return sign_in
