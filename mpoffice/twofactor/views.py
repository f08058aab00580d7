"""The two-factor pages: verify at sign-in, set up an authenticator, recovery codes."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from mpoffice.access import SignedInRequest
from mpoffice.twofactor import services, two_factor_required
from mpoffice.twofactor.forms import SetupForm, TokenForm


def _is_verified(request: SignedInRequest) -> bool:
    return bool(request.user.is_verified())  # type: ignore[attr-defined]  # django_otp's OTPMiddleware adds it


def _next_url(request: SignedInRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _verified(request: SignedInRequest, device) -> None:
    # A new session key once the second factor is in, as Django does after a password.
    request.session.cycle_key()
    django_otp.login(request, device)


@never_cache
@login_required
def verify(request: SignedInRequest) -> HttpResponse:
    if _is_verified(request):
        return redirect(_next_url(request))
    if not user_has_device(request.user):
        return redirect("two-factor-setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.token_check(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = services.recovery_codes_left(user=request.user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Make new ones from Two-factor sign-in.",
                )
            return redirect(_next_url(request))
        form.add_error("token", "That code was not accepted. Check the time on your phone and try the newest code.")
    return render(
        request,
        "mpoffice/twofactor/verify.html",
        {"title": "Enter your sign-in code", "form": form, "next": _next_url(request)},
    )


@never_cache
@login_required
def setup(request: SignedInRequest) -> HttpResponse:
    """Add (or, once verified, replace) the authenticator app, then show recovery codes once."""
    if user_has_device(request.user) and not _is_verified(request):
        return redirect("two-factor-verify")
    pending = services.totp_pending(user=request.user)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_confirm(user=request.user, device=pending.device, token=form.cleaned_data["token"])
        if codes is not None:
            _verified(request, TOTPDevice.objects.get(pk=pending.device.pk))
            return render(
                request,
                "mpoffice/twofactor/recovery_codes.html",
                {"title": "Your recovery codes", "codes": codes, "next": _next_url(request)},
            )
        form.add_error("token", "That code did not match. Scan the QR code again and type the newest code.")
    return render(
        request,
        "mpoffice/twofactor/setup.html",
        {
            "title": "Set up two-factor sign-in",
            "form": form,
            "pending": pending,
            "required": two_factor_required(request),
            "next": _next_url(request),
        },
    )


@never_cache
@login_required
@require_GET
def overview(request: SignedInRequest) -> HttpResponse:
    return render(
        request,
        "mpoffice/twofactor/overview.html",
        {
            "title": "Two-factor sign-in",
            "has_authenticator": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "codes_left": services.recovery_codes_left(user=request.user),
            "required": two_factor_required(request),
        },
    )


@never_cache
@require_POST
@login_required
def recovery_codes(request: SignedInRequest) -> HttpResponse:
    if not _is_verified(request):
        return redirect("two-factor-verify")
    codes = services.recovery_codes_issue(user=request.user)
    return render(
        request, "mpoffice/twofactor/recovery_codes.html", {"title": "Your recovery codes", "codes": codes, "next": "/"}
    )


@require_POST
@login_required
def remove(request: SignedInRequest) -> HttpResponse:
    """Only for people whose role does not require two-factor sign-in."""
    if two_factor_required(request):
        raise PermissionDenied("Your role requires two-factor sign-in.")
    services.two_factor_remove(user=request.user)
    messages.success(request, "Two-factor sign-in is off for your account.")
    return redirect("two-factor")
