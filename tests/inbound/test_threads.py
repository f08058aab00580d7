"""Follow-ups find their case by In-Reply-To / References, as mail clients thread them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.models import Case, Contact
from inbound.models import InboundMessage
from inbound.services import inbound_receive

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"
FIRST_ID = "<CAJx7Lq0p3kT0vGm2n5nRz=Y9wJ8b+X1Q3sFh4Ux6D2_kP1mZ@mail.gmail.com>"
# Gmail's reply to its own earlier message: no case reference, "Re:" subject, both headers.
FOLLOW_UP = f"""MIME-Version: 1.0
From: Priya Chaudhry <priya.chaudhry@example.org>
Date: Thu, 26 Nov 2026 19:40:02 +0000
Message-ID: <CAJx7Lq2followup7b1Q@mail.gmail.com>
In-Reply-To: {FIRST_ID}
References: <older-unrelated@example.org>
 {FIRST_ID}
Subject: Re: Street lights out on Willen Road
To: mks-office@postbag.example
Content-Type: text/plain; charset="UTF-8"

Still dark tonight - two more lights have gone out by the underpass.

On Tue, 24 Nov 2026 at 09:12, Priya Chaudhry <priya.chaudhry@example.org> wrote:
> Dear Mr Stewart,
""".replace("\n", "\r\n").encode()


def _upload(client, raw: bytes):
    return client.post(reverse("inbound:inbound-upload"), {"file": SimpleUploadedFile("m.eml", raw)})


def test_a_reply_to_an_email_on_a_case_joins_that_case(office, staff, caseworker, client_for):
    _upload(client_for(caseworker), (MAIL / "01-gmail-alternative.eml").read_bytes())
    first = InboundMessage.objects.get()
    client_for(staff).post(reverse("inbound:inbound-open-case", args=[first.pk]), {"summary": "Street lights"})
    case = Case.objects.get()

    _upload(client_for(caseworker), FOLLOW_UP)

    follow_up = InboundMessage.objects.get(message_id="<CAJx7Lq2followup7b1Q@mail.gmail.com>")
    assert follow_up.status == InboundMessage.Status.ATTACHED and follow_up.case == case
    contact = Contact.objects.get(inbound_message=follow_up)
    assert contact.case == case and "two more lights have gone out" in contact.body


def test_a_reply_in_a_thread_on_a_case_hidden_from_the_member_waits_and_says_nothing(
    office, staff, caseworker, client_for
):
    first = inbound_receive(office=office, raw=(MAIL / "01-gmail-alternative.eml").read_bytes(), source="maildir")
    client_for(staff).post(reverse("inbound:inbound-open-case", args=[first.message.pk]), {"summary": "Street lights"})
    Case.objects.update(is_sensitive=True, assignee=staff.user)

    _upload(client_for(caseworker), FOLLOW_UP)

    follow_up = InboundMessage.objects.get(message_id="<CAJx7Lq2followup7b1Q@mail.gmail.com>")
    assert follow_up.status == InboundMessage.Status.PENDING and follow_up.case is None


def test_a_reply_to_an_email_still_waiting_in_the_inbox_waits_too(office, caseworker, client_for):
    _upload(client_for(caseworker), (MAIL / "01-gmail-alternative.eml").read_bytes())

    _upload(client_for(caseworker), FOLLOW_UP)

    assert InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).count() == 2
