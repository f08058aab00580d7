"""UK postcodes: normalise to the Royal Mail form ("MK9 3HQ") and validate the shape."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

EXAMPLE = "MK9 3HQ"
POSTCODE_ERROR = f"Enter a UK postcode such as {EXAMPLE}."

# Outward code (area, district) and inward code (sector, unit); the inward unit letters never
# use C, I, K, M, O or V. GIR 0AA is Girobank's historic code, still valid.
_SHAPE = re.compile(r"^(GIR0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def postcode_normalise(value: str) -> str:
    """Upper case, one space before the inward code: " mk93hq " -> "MK9 3HQ".

    Raises ValidationError (with an example of the right form) when it is not a UK postcode.
    """
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _SHAPE.match(compact):
        raise ValidationError(POSTCODE_ERROR, code="invalid_postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_is_valid(value: str) -> bool:
    try:
        postcode_normalise(value)
    except ValidationError:
        return False
    return True


def postcode_compact_is_valid(compact: str) -> bool:
    """For bulk readers that have already upper-cased and removed the spaces ("MK93HQ")."""
    return _SHAPE.match(compact) is not None
