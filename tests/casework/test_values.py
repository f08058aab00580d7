import pytest
from django.core.exceptions import ValidationError

from casework.phones import phone_display, phone_normalise
from casework.postcodes import postcode_normalise


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("mk93hq", "MK9 3HQ"), (" MK9  3HQ ", "MK9 3HQ"), ("sw1a0aa", "SW1A 0AA"), ("m11ae", "M1 1AE")],
)
def test_postcodes_are_normalised(typed, stored):
    assert postcode_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["", "MK9", "12345", "MK9 3HQQ", "QK9 3HQ", "MK9 3CI"])
def test_bad_postcodes_are_refused_with_an_example(typed):
    with pytest.raises(ValidationError, match="MK9 3HQ"):
        postcode_normalise(typed)


def test_uk_phone_numbers_are_stored_as_e164_and_shown_nationally():
    assert phone_normalise("01908 123456") == "+441908123456"
    assert phone_normalise("+44 (0)7400 123456") == "+447400123456"
    assert phone_display("+441908123456") == "01908 123456"


@pytest.mark.parametrize("typed", ["12345", "+33 1 23 45 67 89", "call me"])
def test_non_uk_or_bad_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError, match="01908 555125"):
        phone_normalise(typed)
