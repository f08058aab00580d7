"""UK telephone numbers, validated with Google's libphonenumber and stored as E.164."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

PHONE_ERROR = "Enter a UK telephone number such as 01908 555125 or 07700 900123."
# The Crown Dependencies share the UK numbering plan.
_UK_REGIONS = {"GB", "GG", "JE", "IM"}
# Ofcom's numbers reserved for drama (TV, radio, training material and demos): never a real
# line, so libphonenumber calls some of them invalid. Postbag accepts them, so that demo and
# training records can be saved through the same form as real ones. National significant
# number prefixes; each range is the prefix followed by the rest of a ten-digit number.
OFCOM_DRAMA_PREFIXES = (
    "7700900",  # 07700 900000-900999 (mobile)
    "1632960",  # 01632 960000-960999
    "1134960",  # 0113 496 0000-0999
    "1144960",
    "1154960",
    "1164960",
    "1174960",
    "1184960",
    "1214960",
    "1314960",
    "1414960",
    "1514960",
    "1614960",
    "1914980",  # 0191 498 0000-0999
    "2079460",  # 020 7946 0000-0999
    "2896496",  # 028 9649 6000-6999
    "2920180",  # 029 2018 0000-0999
    "3069990",  # 0306 999 0000-0999
    "8081570",  # 0808 157 0000-0999
    "9098790",  # 0909 879 0000-0999
)


def is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return number.country_code == 44 and len(national) == 10 and national.startswith(OFCOM_DRAMA_PREFIXES)


def phone_normalise(value: str) -> str:
    """ "01908 555125" -> "+441908555125"; raises ValidationError for anything not a UK number."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(PHONE_ERROR, code="invalid_phone") from error
    uk_number = (
        phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in _UK_REGIONS
    ) or is_drama_number(number)
    if not uk_number:
        raise ValidationError(PHONE_ERROR, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str) -> str:
    """ "+441908555125" -> "01908 555125" for people; anything unparsable is shown as stored."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
