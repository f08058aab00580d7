"""The demo loader: the reference story's offices and users, safe to run again, never in production."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from mpoffice.demo import DEMO_PASSWORD
from mpoffice.models import Membership, Office, Role, Ward


def row_counts() -> dict[str, int]:
    # Every model of every app, so that later apps' demo data is held to the same rule.
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_load_demo_creates_the_two_milton_keynes_offices_and_a_user_per_role(db, settings):
    settings.DEBUG = True

    call_command("load_demo", stdout=StringIO())

    north, south = Office.objects.get(reference_prefix="MKN"), Office.objects.get(reference_prefix="MKS")
    assert (north.name, north.mp_name) == ("Milton Keynes North", "Ben Everitt")
    assert (south.name, south.mp_name) == ("Milton Keynes South", "Iain Stewart")
    assert Ward.objects.for_office(north).filter(name="Stony Stratford").exists()
    assert Ward.objects.for_office(south).filter(name="Bletchley Park").exists()
    for prefix, office in (("mkn", north), ("mks", south)):
        for role in Role:
            membership = Membership.objects.get(user__username=f"{prefix}-{role.value}")
            assert (membership.office, membership.role) == (office, role)
    relief = get_user_model().objects.get(username="caseworker")
    assert {m.office for m in relief.memberships.all()} == {north, south}


def test_load_demo_twice_changes_nothing(db, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo")
    first = row_counts()
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    call_command("load_demo")

    assert row_counts() == first
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    output = capsys.readouterr().out
    assert "mkn-caseworker" in output and DEMO_PASSWORD in output


def test_demo_caseworker_signs_in_and_lands_in_mk_north(db, settings, client):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())

    response = client.post(reverse("login"), {"username": "caseworker", "password": DEMO_PASSWORD}, follow=True)

    assert response.wsgi_request.office.name == "Milton Keynes North"
    assert 'id="office-switcher"' in response.content.decode()


def test_load_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo")

    assert not get_user_model().objects.exists()
    assert not Office.objects.exists()
