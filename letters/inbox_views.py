"""From the inbox: record a waiting e-mail as the reply to one of our letters.

Casework's inbox cannot import letters, so letters offers this as a triage action
(``inbound.services.register_triage_action``, in ``LettersConfig.ready``): a picker of the sent
letters waiting for a reply that the member may see, shown on the inbox item's page and
posted here. The message is fetched through the inbox's own lookup (office, then role).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from inbound import services as inbound
from inbound.models import InboundMessage
from inbound.views import get_inbound_message as inbox_message
from letters.inbound_replies import inbound_reply_record, letters_awaiting_reply
from letters.models import Letter, Reply
from letters.services import LetterError
from letters.views import DRAFTERS
from mpoffice.access import office_required
from mpoffice.models import Membership


class LetterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, letter: Letter) -> str:
        to_whom = letter.recipient_post.organisation.name if letter.recipient_post_id else "a constituent"
        sent = f", sent {letter.sent_on:%d/%m/%Y}" if letter.sent_on else ""
        return f"{letter.reference} – {letter.subject} (to {to_whom}{sent})"


class InboundReplyForm(forms.Form):
    letter = LetterChoiceField(
        queryset=Letter.objects.none(),
        label="The letter it answers",
        empty_label="(choose a letter)",
        help_text="Sent letters still waiting for a reply, soonest due first.",
        error_messages={
            "required": "Choose the letter this e-mail answers.",
            "invalid_choice": "That letter is not waiting for a reply any more, or is not one you may see. "
            "Choose one from the list.",
        },
    )
    outcome = forms.ChoiceField(choices=Reply.Outcome.choices, initial=Reply.Outcome.OTHER)

    def __init__(self, *args, letters, message: InboundMessage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = letters
        self.message = message

    def clean_letter(self) -> Letter:
        letter = self.cleaned_data["letter"]
        sent_at = self.message.sent_at
        if sent_at is not None and timezone.localdate(sent_at) < letter.sent_on:
            raise ValidationError(
                f"This e-mail was written on {timezone.localdate(sent_at):%d/%m/%Y}, before letter "
                f"{letter.reference} was sent ({letter.sent_on:%d/%m/%Y}), so it cannot be its reply. "
                "Choose another letter, or attach the e-mail to a case."
            )
        return letter


def _form(membership: Membership, message: InboundMessage, data=None) -> InboundReplyForm:
    return InboundReplyForm(data, letters=letters_awaiting_reply(membership=membership), message=message)


def triage_action_context(membership: Membership, message: InboundMessage) -> dict | None:
    """The picker on the inbox item's page, for those who may record replies."""
    if not membership.has_role(*DRAFTERS):
        return None
    return {"message": message, "reply_form": _form(membership, message)}


TRIAGE_ACTION = inbound.TriageAction(template="letters/inbound/reply_action.html", context=triage_action_context)


@office_required()
def inbound_reply(request, pk: int):
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
