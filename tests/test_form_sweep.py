"""Every form of every page posts to a view that takes the POST, found by walking the URLs;
and every control of every page is styled (``form-select``, ``form-control``: crispy's
classes) and labelled.

For each role (caseworker, office staff, MP) the sweep fills one office with an object for
every URL pattern (tests/form_sweep.py), opens every page, and submits each
``<form method="post">`` as a browser would, to its action (no action: the page itself):

- the target must take the POST: a 405 there, or a page answered again unchanged (a view that
  ignores the POST), means the form saves nothing;
- a page that draws no form posting to itself is a GET-only view and must answer a POST with
  405, never a silent re-render.

Each submission runs in a savepoint that is rolled back, so every form meets the data its page
was drawn with. A URL pattern added later is swept without anyone remembering to; one that
takes arguments and has no builder fails here with instructions.
"""

from __future__ import annotations

import copy
import logging
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from mpoffice.middleware import SESSION_OFFICE_KEY
from mpoffice.models import Role
from mpoffice.notifications import notifications_create
from tests.conftest import verified_login
from tests.form_sweep import comparable, control_problems, import_isolation_builders, objects_for, post_forms
from tests.isolation import EXEMPT
from tests.mpoffice.factories import MembershipFactory
from tests.test_isolation import ALL

import_isolation_builders()

URL_NAMES = sorted(name for name in ALL if name not in EXEMPT)
WITH_ARGS = [name for name in URL_NAMES if ALL[name].pattern.regex.groups]


def _url_name(path: str) -> str:
    return resolve(path).view_name


class Sweep:
    """One member's sweep: ``visit`` each URL, then read ``problems``."""

    def __init__(self, membership):
        self.problems: list[str] = []
        self.forms_seen = 0
        self._answers: dict[tuple, str | None] = {}
        self.client = verified_login(Client(), membership.user)
        session = self.client.session
        session[SESSION_OFFICE_KEY] = membership.office_id  # the swept office, not the other one
        session.save()

    def rolled_back(self, request):
        """``request(client)`` in a savepoint that is then undone, the client's cookies put
        back as they were: a form that signs out, switches office or moves a letter on
        leaves no trace for the next one."""
        cookies = copy.deepcopy(self.client.cookies)
        with transaction.atomic():
            response = request(self.client)
            transaction.set_rollback(True)
        self.client.cookies = cookies
        return response

    def visit(self, url: str) -> None:
        page = self.client.get(url)
        if page.status_code != 200:
            return  # a redirect, a 403 for this role, a 405 for a POST-only action: not a page
        is_html = page.get("Content-Type", "").startswith("text/html")
        html = page.content.decode(errors="replace") if is_html else ""
        forms = post_forms(html) if is_html else []
        for problem in control_problems(html) if is_html else []:
            self.problems.append(f"{url} ({_url_name(url)}): {problem}")
        self.forms_seen += len(forms)
        posts_to_itself = False
        for form in forms:
            where = f"the form “{form.label or 'without a button'}” on {url} ({_url_name(url)})"
            if form.action:
                target = urljoin(url, form.action)
                fix = "Point its action at the view that saves it."
            else:
                target = url
                fix = (
                    "It has no action, so it posts to the page that drew it. If another view saves it, set "
                    "its target: helper.form_action in the form's crispy helper (or action= on the <form>)."
                )
            parts = urlsplit(target)
            path = parts.path
            try:
                resolve(path)
                if parts.netloc not in ("", "testserver"):
                    raise Resolver404
            except Resolver404:
                self.problems.append(f"{where} posts to {target}, which is no page of Postbag. {fix}")
                continue
            posts_to_itself = posts_to_itself or path == urlsplit(url).path
            problem = self.submit(form, target, page if target == url else None)
            if problem:
                self.problems.append(f"{where} posts to {target} ({_url_name(path)}), which {problem}. {fix}")
        if not posts_to_itself:
            answer = self.rolled_back(lambda client: client.post(url))
            # 403: the view takes POSTs, from roles that see a form posting to it.
            if answer.status_code not in (405, 403):
                self.problems.append(
                    f"{url} ({_url_name(url)}) draws no form that posts to it, so it is a GET-only page, but it "
                    f"answered a POST with {answer.status_code}: decorate the view with "
                    "@require_GET (django.views.decorators.http) under its access decorator."
                )

    def submit(self, form, target: str, page) -> str | None:
        """Why posting ``form`` to ``target`` as drawn saves nothing, or None. ``page``: the
        target's answer to a GET, when the form is on it. A form drawn on every page (signing
        out) is posted once."""
        key = (target, tuple(sorted(name for name, _ in form.fields)))
        if key not in self._answers:

            def get_then_post(client):
                before = page if page is not None else client.get(target)
                return before, client.post(target, form.data())

            before, answer = self.rolled_back(get_then_post)
            problem = None
            if answer.status_code in (404, 405):
                problem = f"answers the POST with {answer.status_code}: it does not take one"
            elif answer.status_code == before.status_code == 200 and comparable(answer) == comparable(before):
                problem = "answers the POST with the page a GET shows: it ignores the POST"
            self._answers[key] = problem
        return self._answers[key]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.STAFF, Role.MP])
def test_every_form_posts_to_a_view_that_takes_it(role, office, other_office, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # the 403s and 405s are expected here
    membership = MembershipFactory(office=office, role=role, user__username=f"sweep-{role}")
    # A second office, so that the navigation bar draws its office switcher (a form) too.
    MembershipFactory(office=other_office, role=Role.CASEWORKER, user=membership.user)
    notifications_create(office=office, users=[membership.user], kind="test", title="A letter awaits you")
    kwargs, missing = objects_for(office, WITH_ARGS)
    assert not missing, (
        f"These URL patterns take arguments but have no builder: {', '.join(missing)}. Register an isolation "
        "builder in tests/<app>/builders.py (see tests/isolation.py), or a sweep builder in tests/form_sweep.py "
        "when the page needs objects in several states to show all its forms."
    )
    sweep = Sweep(membership)
    for name in URL_NAMES:
        for url_kwargs in kwargs.get(name, [{}]):
            sweep.visit(reverse(name, kwargs=url_kwargs))
    assert sweep.forms_seen, "The sweep found no form at all: the parser or the pages are broken"
    assert not sweep.problems, f"{len(sweep.problems)} problem(s) as {role}:\n- " + "\n- ".join(sweep.problems)
