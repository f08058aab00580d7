"""Office isolation for every URL of the project, found by walking the URL configuration.

A URL added later is covered without anyone remembering to: if it takes arguments and has no
builder, this test fails and says how to add one.
"""

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

import tests
from mpoffice.models import Role
from tests.isolation import BUILDERS, EXEMPT, EXEMPT_NAMESPACES
from tests.mpoffice.factories import MembershipFactory

# Import every tests/<app>/builders.py so that its builders register themselves.
for module in pkgutil.walk_packages([str(Path(tests.__file__).parent)], prefix="tests."):
    if module.name.endswith(".builders"):
        importlib.import_module(module.name)

PUBLIC = {"login", "password_reset", "password_reset_done", "password_reset_complete", "healthz", "logout"}


def _walk(resolvers, namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            child_namespace = namespace
            if entry.namespace:
                child_namespace = f"{namespace}{entry.namespace}:"
            if entry.namespace in EXEMPT_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, child_namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _patterns():
    seen = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        seen.setdefault(name, pattern)
    return seen


ALL = _patterns()
WITH_ARGS = sorted(name for name, p in ALL.items() if p.pattern.regex.groups and name not in EXEMPT)
WITHOUT_ARGS = sorted(name for name, p in ALL.items() if not p.pattern.regex.groups and name not in PUBLIC)


@pytest.mark.parametrize("url_name", WITH_ARGS)
def test_another_offices_object_is_not_found(url_name, office, other_office, client, client_for):
    build = BUILDERS.get(url_name)
    if build is None:
        pytest.fail(
            f"The URL pattern {url_name!r} takes arguments but has no isolation builder. Register one in "
            f"tests/<app>/builders.py with @builder({url_name!r}) returning the URL kwargs of an object "
            "of the office passed in (see tests/isolation.py)."
        )
    kwargs = build(office)
    url = reverse(url_name, kwargs=kwargs)
    # The same URL for an object that exists nowhere: another office's object must get exactly
    # the answer a missing one gets, so that its existence is never confirmed.
    missing_url = reverse(url_name, kwargs={key: 10**9 + 7 for key in kwargs})
    allowed_roles = getattr(resolve(url).func, "office_roles", ()) or tuple(Role.values)

    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], f"anonymous POST {url}"

    for role in (Role.CASEWORKER, Role.STAFF, Role.MP):
        intruder = client_for(MembershipFactory(office=other_office, role=role))
        # A role that may not use the view at all is refused before any lookup (403 for any id);
        # every other role must get 404.
        expected = 404 if role in allowed_roles else 403
        for method in ("get", "post"):
            response = getattr(intruder, method)(url)
            missing = getattr(intruder, method)(missing_url)
            # A POST-only action may answer a GET, and a GET-only page a POST, with 405 before
            # looking anything up: the same answer for any id, as the comparison below checks.
            acceptable = {expected, 405}
            assert response.status_code in acceptable, f"{method.upper()} {url} as {role} of another office"
            assert missing.status_code == response.status_code, f"{method.upper()} {url}: differs from a missing id"


@pytest.mark.parametrize("url_name", WITHOUT_ARGS)
def test_office_pages_need_sign_in(url_name, client):
    response = client.get(reverse(url_name))
    assert response.status_code in (302, 405), url_name
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url_name", WITHOUT_ARGS)
def test_office_pages_answer_a_member_without_error(url_name, outsider, client_for):
    # A member of any office sees their own office's page, a 403 for their role or a 405 for a
    # POST-only action: never a server error, never someone else's data.
    response = client_for(outsider).get(reverse(url_name))
    assert response.status_code in (200, 302, 403, 405), url_name
