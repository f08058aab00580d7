"""What the letters services refuse, with a message that says what to do."""

from __future__ import annotations

from django.utils import timezone

from letters.models import Letter


class LetterError(Exception):
    """A request the letter's state or data does not allow; the message says what to do."""


class LetterConflict(LetterError):
    """Someone else changed the letter after this editor opened it."""

    def __init__(self, letter: Letter) -> None:
        who = (letter.updated_by.get_full_name() or letter.updated_by.username) if letter.updated_by else "someone"
        when = timezone.localtime(letter.updated_at).strftime("%H:%M")
        super().__init__(
            f"This letter was changed by {who} at {when} since you opened it. Your text is below: "
            "copy it, reload the letter, and apply your changes again."
        )
        self.letter = letter
