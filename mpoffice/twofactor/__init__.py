"""Two-factor sign-in: TOTP authenticators with single-use recovery codes (django-otp).

The MP and office staff (``settings.OTP_REQUIRED_ROLES``) must confirm an authenticator
before they can use anything; caseworkers may add one, and once they have, they are asked
for a code at every sign-in too. ``TwoFactorRequiredMiddleware`` sends a signed-in person
who still owes a code to the verify page, or, with no authenticator yet, to the set-up page.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Paths a signed-in but unverified person may still reach: the two-factor pages themselves,
# signing out, static files and the health check.
_OPEN_URL_NAMES = ("two-factor-setup", "two-factor-verify", "logout", "healthz")


def two_factor_required(request) -> bool:
    """Whether the person's role in any of their offices requires a second factor."""
    required = set(settings.OTP_REQUIRED_ROLES)
    return any(membership.role in required for membership in request.memberships)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or self._is_open(request):
            return self.get_response(request)
        from django_otp import user_has_device

        if user_has_device(user):
            target = "two-factor-verify"
        elif two_factor_required(request):
            target = "two-factor-setup"
        else:
            return self.get_response(request)
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _is_open(request) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        return request.path_info in {reverse(name) for name in _OPEN_URL_NAMES}
