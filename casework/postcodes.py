"""UK postcodes: the normalising and validating live in ``geography.postcodes``, beside the
postcode directory; this module keeps the names casework, surveys and inbound mail import."""

from __future__ import annotations

from geography.postcodes import EXAMPLE, POSTCODE_ERROR, postcode_is_valid, postcode_normalise

__all__ = ["EXAMPLE", "POSTCODE_ERROR", "postcode_is_valid", "postcode_normalise"]
