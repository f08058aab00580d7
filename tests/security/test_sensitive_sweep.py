"""The sensitive-case sweep: every URL of the project, walked as a caseworker of the SAME office
who is not the assignee of a sensitive case, with the objects derived from that case.

Like the office sweep (tests/test_isolation.py) it walks the URL configuration, so a URL added
later is covered without anyone remembering to: a pattern with arguments and no entry in
tests/security/sensitive.py fails with instructions. The case's markers (reference,
constituent's name and address, summary, the e-mail's and the contact's words) must appear in
no response, lists and search included; the assignee, staff and the MP still reach them.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from tests.inbound.factories import eml
from tests.isolation import BUILDERS as ISOLATION_BUILDERS
from tests.security.sensitive import (
    BUILDERS,
    CONTACT_WORDS,
    EMAIL_WORDS,
    LAST_NAME,
    NOT_CASE_DATA,
    SUMMARY,
    sensitive_world,
)
from tests.test_isolation import WITH_ARGS, WITHOUT_ARGS


def _text(response) -> str:
    """What the person receives, as text: a PDF's extracted text, any other body decoded."""
    if response.streaming:
        body = b"".join(response.streaming_content)
    elif hasattr(response, "file_to_stream") or not hasattr(response, "content"):
        body = b"".join(response)
    else:
        body = response.content
    if body.startswith(b"%PDF"):
        from pypdf import PdfReader

        try:
            return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        except Exception:  # the test PDFs of replies are minimal: their bytes are their text
            return body.decode("latin-1")
    return body.decode("utf-8", errors="replace")


def _leaks(world, response, typed: dict | None = None) -> list[str]:
    """The markers in the response, less any the person typed themselves (a search page
    rightly repeats its query)."""
    text = _text(response)
    echoed = " ".join((typed or {}).values())
    return [marker for marker in world.markers if marker in text and marker not in echoed]


@pytest.fixture
def world(office):
    return sensitive_world(office)


@pytest.mark.parametrize("url_name", WITH_ARGS)
def test_sensitive_case_objects_are_hidden_from_a_colleague(url_name, world, client_for):
    entry = BUILDERS.get(url_name)
    if entry is None and url_name not in NOT_CASE_DATA:
        pytest.fail(
            f"The URL pattern {url_name!r} takes arguments but the sensitive-case sweep does not know it. In "
            f"tests/security/sensitive.py register a builder with @sensitive({url_name!r}) returning the URL "
            "kwargs of an object derived from the sensitive case (add omitted=True for a page that may show a "
            "container of the case without it), or add it to NOT_CASE_DATA with the reason it cannot hold "
            "case data."
        )
    kwargs = entry.build(world) if entry else ISOLATION_BUILDERS[url_name](world.office)
    url = reverse(url_name, kwargs=kwargs)
    colleague = client_for(world.caseworker)
    for method in ("get", "post"):
        response = getattr(colleague, method)(url)
        assert response.status_code < 500, f"{method.upper()} {url}"
        if entry and not entry.omitted:
            # 403 or 405 only when the view refuses every caseworker before any lookup.
            assert response.status_code in (403, 404, 405), f"{method.upper()} {url}: {response.status_code}"
        assert not _leaks(world, response), f"{method.upper()} {url} shows {_leaks(world, response)}"

    if entry and not entry.omitted:
        for who in entry.seen_by:
            response = client_for(getattr(world, who)).get(url)
            assert response.status_code != 404, f"GET {url} as the {who}: they may see it"


LIST_QUERIES = [
    {},
    {"q": "REFERENCE"},
    {"q": LAST_NAME},
    {"q": f"Zephyrine {LAST_NAME}"},
    {"q": "MK9 3HQ"},
    {"q": SUMMARY.split()[1]},
    {"q": EMAIL_WORDS.split()[0]},
    {"q": CONTACT_WORDS.split()[0], "in": "contacts"},
    {"q": LAST_NAME, "in": "contacts"},
    {"status": "attached"},
    {"status": "pending"},
    {"status": "sent"},
    {"status": "reply_received"},
    {"status": "awaiting_approval"},
    {"status": "draft"},
]


def _queries(world):
    for query in LIST_QUERIES:
        yield {key: (world.case.reference if value == "REFERENCE" else value) for key, value in query.items()}


@pytest.mark.parametrize("url_name", WITHOUT_ARGS)
def test_lists_and_search_omit_the_sensitive_case(url_name, world, client_for):
    colleague = client_for(world.caseworker)
    for query in _queries(world):
        response = colleague.get(reverse(url_name), query)
        assert response.status_code < 500, f"{url_name} {query}"
        leaks = _leaks(world, response, query)
        assert not leaks, f"{url_name} {query} shows {leaks}"


@pytest.mark.parametrize("who", ["assignee", "staff", "mp"])
def test_the_assignee_staff_and_mp_still_see_the_sensitive_case(who, world, client_for):
    client = client_for(getattr(world, who))
    reference = world.case.reference
    pages = [
        (world.case.get_absolute_url(), SUMMARY),
        (world.constituent.get_absolute_url(), LAST_NAME),
        (reverse("casework:case-list"), reference),
        (reverse("casework:search") + f"?q={reference}", reference),
        (reverse("casework:constituent-search") + f"?q={LAST_NAME}", LAST_NAME),
        (world.letter_to_post.get_absolute_url(), LAST_NAME),
        (reverse("letters:preview", args=[world.letter_to_post.pk]), LAST_NAME),
        (world.covering_letter.get_absolute_url(), LAST_NAME),
        (reverse("letters:list"), world.letter_to_post.reference),
    ]
    if who != "mp":  # the inbox is the writers' (the MP reads casework, not the mail tray)
        pages += [
            (world.message.get_absolute_url(), EMAIL_WORDS),
            (reverse("inbound:inbound-list") + "?status=attached", world.message.subject),
        ]
    for url, marker in pages:
        response = client.get(url)
        assert response.status_code == 200, f"GET {url} as the {who}"
        assert marker in _text(response), f"GET {url} as the {who} should show {marker!r}"
    attachment = client.get(reverse("casework:attachment-download", args=[world.objects["attachment"].pk]))
    assert attachment.status_code == 200


def test_the_contact_search_finds_the_case_for_its_assignee_only(world, client_for):
    url = reverse("casework:search")
    query = {"q": CONTACT_WORDS.split()[0], "in": "contacts"}
    assert CONTACT_WORDS in _text(client_for(world.assignee).get(url, query))
    assert CONTACT_WORDS not in _text(client_for(world.caseworker).get(url, query))


def test_an_email_filed_on_the_sensitive_case_says_nothing_of_it_to_the_uploader(world, client_for):
    raw = eml(subject=f"Re: {world.case.reference}", body="Any news?\n", message_id="<followup@example.org>")
    response = client_for(world.caseworker).post(reverse("inbound:inbound-upload"), {"text": raw.decode()}, follow=True)
    assert response.status_code == 200
    assert "attached to case" not in _text(response)
    assert not [marker for marker in world.markers[1:] if marker in _text(response)]
