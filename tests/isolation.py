"""Registry of URL builders for the automatic office-isolation sweep (tests/test_isolation.py).

Every URL pattern that takes arguments needs a builder: a function that receives an office
and returns the URL kwargs of an object *of that office*. Register one next to the app's
factories, in ``tests/<app>/builders.py``::

    from tests.isolation import builder

    @builder("casework:case-detail", "casework:case-edit")
    def _case(office):
        return {"pk": CaseFactory(office=office).pk}

The sweep then requests each URL as members of another office and expects 404.
"""

from collections.abc import Callable

BUILDERS: dict[str, Callable] = {}

# Patterns that are not office data, each with the reason.
EXEMPT = {
    "password_reset_confirm": "a signed one-time token, not office data",
}
EXEMPT_NAMESPACES = {"admin": "superusers only, guarded by Django's admin"}


def builder(*url_names: str):
    def register(function: Callable) -> Callable:
        for name in url_names:
            if name in BUILDERS:
                raise ValueError(f"Two isolation builders for {name}")
            BUILDERS[name] = function
        return function

    return register
