"""The form sweep's tools (tests/test_form_sweep.py): an office filled with one object of every
kind a URL pattern needs, the forms found in a page's HTML, and what a browser would post.

Objects come from the office-isolation builders (tests/<app>/builders.py): each builder is
called once, and the object it returns serves every URL pattern it is registered for, so that
list pages have rows too. Where one object is not enough to show every form of a page (a
letter's page shows different forms in each state of its workflow), register a sweep builder
here returning the URL kwargs of several objects::

    @sweep_builder("letters:detail")
    def _letters(office):
        return [{"pk": letter.pk} for letter in ...]
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import tests
from tests.isolation import BUILDERS

SWEEP_BUILDERS: dict[str, Callable] = {}


def sweep_builder(*url_names: str):
    def register(function: Callable) -> Callable:
        for name in url_names:
            if name in SWEEP_BUILDERS:
                raise ValueError(f"Two sweep builders for {name}")
            SWEEP_BUILDERS[name] = function
        return function

    return register


def import_isolation_builders() -> None:
    """Every tests/<app>/builders.py registers its builders on import."""
    for module in pkgutil.walk_packages([str(Path(tests.__file__).parent)], prefix="tests."):
        if module.name.endswith(".builders"):
            importlib.import_module(module.name)


def objects_for(office, url_names) -> tuple[dict[str, list[dict]], list[str]]:
    """The URL kwargs to visit for each pattern that takes arguments, made in ``office``, and
    the patterns that have no builder at all."""
    made: dict[Callable, list[dict]] = {}
    kwargs: dict[str, list[dict]] = {}
    missing = []
    for name in url_names:
        if name in SWEEP_BUILDERS:
            build = SWEEP_BUILDERS[name]
            if build not in made:
                made[build] = build(office)
        elif name in BUILDERS:
            # One isolation builder serves several patterns: one object for all of them.
            build = BUILDERS[name]
            if build not in made:
                made[build] = [build(office)]
        else:
            missing.append(name)
            continue
        kwargs[name] = made[build]
    return kwargs, missing


# --- Forms in a page -----------------------------------------------------------------------


@dataclass
class Form:
    action: str | None
    label: str  # the submit button's text, to name the form in a failure
    fields: list[tuple[str, str]] = field(default_factory=list)

    def data(self) -> dict[str, list[str]]:
        """What a browser posts when the form is submitted as it is drawn (a file input with
        no file chosen reaches Django as no file at all)."""
        data: dict = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data


class _PostForms(HTMLParser):
    """Collects every ``<form method="post">`` with its action and the values a browser would
    send: named inputs (checkboxes and radios when checked), selects, textareas and the first
    submit button."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._button: dict | None = None
        self._submitted = False

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self._form = Form(action=attrs.get("action"), label="")
                self._submitted = False
            return
        form = self._form
        if form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "image"):
                self._submit(name, attrs.get("value", "Submit"), attrs.get("value", ""))
            elif kind == "file":
                pass
            elif kind in ("checkbox", "radio"):
                if name and "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
            elif kind not in ("button", "reset") and name:
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            self._button = {"name": name, "value": attrs.get("value", "")}
            self._text = []
        elif tag == "select" and name:
            self._select, self._select_value, self._select_first = name, None, None
        elif tag == "option" and self._select:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs}
            self._text = []
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        form = self._form
        if form is None:
            return
        text = "".join(self._text)
        if tag == "form":
            self.forms.append(form)
            self._form = None
        elif tag == "button" and self._button is not None:
            self._submit(self._button["name"], " ".join(text.split()), self._button["value"])
            self._button = None
        elif tag == "option" and self._option is not None:
            value = self._option["value"] if self._option["value"] is not None else text.strip()
            if self._select_first is None:
                self._select_first = value
            if self._option["selected"]:
                self._select_value = value
            self._option = None
        elif tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._select_first
            if value is not None:
                form.fields.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea:
            form.fields.append((self._textarea, text.removeprefix("\n")))
            self._textarea = None

    def _submit(self, name, label, value):
        form = self._form
        if not form.label:
            form.label = label
        if name and not self._submitted:  # the button pressed is the first one
            form.fields.append((name, value))
        self._submitted = True


def post_forms(html: str) -> list[Form]:
    parser = _PostForms()
    parser.feed(html)
    parser.close()
    return parser.forms


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def comparable(response) -> str:
    """A page's HTML without its per-request CSRF tokens: two renderings of an unchanged page
    compare equal."""
    return _CSRF.sub("csrf", response.content.decode(errors="replace"))


# --- Objects that show every form of a page ---------------------------------------------------


@sweep_builder("letters:detail")
def _letter_in_every_state(office):
    """A letter's page offers what its state allows: submit (draft), approve and return
    (awaiting approval), send (approved), reply, publish and close (sent)."""
    from letters import services
    from mpoffice.models import Role
    from tests.letters.factories import make_case, make_letter
    from tests.mpoffice.factories import MembershipFactory

    mp = MembershipFactory(office=office, role=Role.MP, user__username=f"sweep-mp-{office.pk}")
    draft = make_letter(office, cases=[make_case(office)])
    awaiting = services.letter_submit(letter=make_letter(office, cases=[make_case(office)]), by=None)
    approved = make_letter(office, cases=[make_case(office)])
    services.letter_submit(letter=approved, by=None)
    services.letter_approve(letter=approved, by=mp)
    sent = make_letter(office, cases=[make_case(office)])
    services.letter_submit(letter=sent, by=None)
    services.letter_approve(letter=sent, by=mp)
    services.letter_send(letter=sent, by=None, channel="post", sent_on=datetime.date(2026, 3, 2))
    return [{"pk": letter.pk} for letter in (draft, awaiting, approved, sent)]


def _bulk_run(office, *, processed: bool):
    """A bulk reply to a campaign of its own (the isolation builders name theirs after the
    office, so two of them cannot share one office)."""
    from campaigns.services import campaign_case_link
    from letters.bulk import bulk_chunk_process
    from tests.campaigns.factories import CampaignFactory
    from tests.letters.factories import make_case, make_constituent
    from tests.reminders.test_bulk import make_run, start_run

    campaign = CampaignFactory(office=office)
    by_post = make_constituent(office, preferred_channel="post")  # a print batch, as well as an e-mail
    by_email = make_constituent(office, preferred_channel="email")
    for constituent in (by_post, by_email):
        campaign_case_link(campaign=campaign, case=make_case(office, constituents=[constituent]), by=None)
    run = make_run(office, campaign)
    if processed:
        start_run(run)
        bulk_chunk_process(run_id=run.pk)
    return run


@sweep_builder("letters:bulk-detail", "letters:bulk-progress", "letters:bulk-start", "letters:bulk-cancel")
def _bulk_runs(office):
    """A bulk reply before it starts (start, discard) and after its letters are made."""
    return [{"pk": _bulk_run(office, processed=False).pk}, {"pk": _bulk_run(office, processed=True).pk}]


@sweep_builder("letters:bulk-batch")
def _bulk_batch(office):
    return [{"pk": _bulk_run(office, processed=True).batches.get().pk}]


@sweep_builder("campaigns:survey-mapping")
def _survey_upload_with_its_file(office):
    """An uploaded file of responses waiting for its columns to be mapped (the isolation
    builder's upload has no file: outsiders never reach it)."""
    from django.core.files.base import ContentFile

    from campaigns.models import SurveyUpload
    from campaigns.surveys import mapping_guess, survey_file_parse
    from tests.campaigns.factories import SurveyFactory, story_rows, survey_csv

    data = survey_csv(story_rows(count=3, crime=1))
    parsed = survey_file_parse(data)
    upload = SurveyUpload(
        office=office,
        survey=SurveyFactory(office=office),
        original_name="responses.csv",
        headers=parsed.headers,
        mapping=mapping_guess(parsed),
    )
    upload.file.save("responses.csv", ContentFile(data), save=True)
    return [{"pk": upload.survey_id, "upload_pk": upload.pk}]


@sweep_builder("casework:constituent-merge")
def _constituent_with_a_duplicate(office):
    """The merge page offers a form for each likely duplicate: give it one (same e-mail)."""
    from tests.casework.factories import ConstituentFactory

    merged = ConstituentFactory(office=office, email="same.person@example.org")
    ConstituentFactory(office=office, email="same.person@example.org")
    return [{"pk": merged.pk}]


@sweep_builder("campaigns:campaign-detail", "campaign-briefing", "campaign-briefing-pdf")
def _campaign_with_everything(office):
    """A campaign with a case, a key fact and a meeting with open actions (one with an owner,
    one without, as the form allows): its page draws the forms to add each, mark an action
    done and take the case off, and its briefing lists the actions."""
    from campaigns.models import FollowUpAction, KeyFact, Meeting
    from campaigns.services import campaign_case_link
    from mpoffice.models import Role
    from tests.campaigns.factories import CampaignFactory
    from tests.letters.factories import make_case
    from tests.mpoffice.factories import MembershipFactory

    campaign = CampaignFactory(office=office)
    campaign_case_link(campaign=campaign, case=make_case(office), by=None)
    KeyFact.objects.create(
        office=office,
        campaign=campaign,
        statement="Knife crime up 90% in two years",
        source="Police data",
        stated_on="2021-05-01",
    )
    meeting = Meeting.objects.create(
        office=office, campaign=campaign, held_on="2021-06-10", place="Oldbrook", attendees="PCC"
    )
    owner = MembershipFactory(office=office, role=Role.CASEWORKER).user
    for description, action_owner in (("Call the PCC", owner), ("Send the figures", None)):
        FollowUpAction.objects.create(
            office=office, meeting=meeting, description=description, due_on="2021-07-01", owner=action_owner
        )
    return [{"pk": campaign.pk}]
