"""From the inbox: record a waiting e-mail as the reply to one of our letters.

Casework's inbox cannot import letters, so letters offers this as a triage action
(``inbound.services.register_triage_action``, in ``LettersConfig.ready``): a picker of the sent
letters waiting for a reply that the member may see, shown on the inbox item's page and
posted here. The message is fetched through the inbox's own lookup (office, then role).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from inbound import services as inbound
from inbound.models import InboundMessage
from inbound.views import get_inbound_message as inbox_message
from letters.forms import InboundReplyForm
from letters.inbound_replies import inbound_reply_record, letters_awaiting_reply
from letters.services import LetterError
from letters.views.letters import DRAFTERS
from mpoffice.access import OfficeRequest, office_required
from mpoffice.models import Membership


def _form(membership: Membership, message: InboundMessage, data=None) -> InboundReplyForm:
    return InboundReplyForm(data, letters=letters_awaiting_reply(membership=membership), message=message)


def triage_action_context(membership: Membership, message: InboundMessage) -> dict | None:
    """The picker on the inbox item's page, for those who may record replies."""
    if not membership.has_role(*DRAFTERS):
        return None
    return {"message": message, "reply_form": _form(membership, message)}


TRIAGE_ACTION = inbound.TriageAction(template="letters/inbound/reply_action.html", context=triage_action_context)


@office_required()
def inbound_reply(request: OfficeRequest, pk: int) -> HttpResponse:
    message = inbox_message(request, pk)  # another office's: 404; a role without the inbox: 403
    if message.status != InboundMessage.Status.PENDING:
        messages.warning(request, "Someone has already dealt with this message.")
        return redirect(message.get_absolute_url())
    form = _form(request.membership, message, request.POST if request.method == "POST" else None)
    if form.is_valid():
        letter = form.cleaned_data["letter"]
        try:
            inbound_reply_record(
                message=message,
                letter=letter,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=f"Recorded by {request.user.get_full_name() or request.user} as the reply to letter "
                f"{letter.reference}.",
            )
        except inbound.AlreadyTriaged as error:
            messages.warning(request, str(error))
            return redirect(message.get_absolute_url())
        except (ValidationError, LetterError) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            form.add_error(None, f"The reply could not be recorded: {text}")
        else:
            messages.success(request, f"Recorded as the reply to letter {letter.reference}; its reminders stop.")
            return redirect(letter.get_absolute_url())
    return render(
        request,
        "letters/inbound/reply_form.html",
        {"title": "Record as the reply to a letter", "message": message, "reply_form": form},
        status=400 if form.is_bound else 200,
    )
