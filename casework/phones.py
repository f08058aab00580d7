"""UK telephone numbers, validated with Google's libphonenumber and stored as E.164."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

PHONE_ERROR = "Enter a UK telephone number such as 01908 123456 or 07400 123456."
# The Crown Dependencies share the UK numbering plan.
_UK_REGIONS = {"GB", "GG", "JE", "IM"}


def phone_normalise(value: str) -> str:
    """ "01908 123456" -> "+441908123456"; raises ValidationError for anything not a UK number."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(PHONE_ERROR, code="invalid_phone") from error
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) not in _UK_REGIONS:
        raise ValidationError(PHONE_ERROR, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str) -> str:
    """ "+441908123456" -> "01908 123456" for people; anything unparsable is shown as stored."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
