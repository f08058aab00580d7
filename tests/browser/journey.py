"""What the story's browser journeys share: signing in (with the TOTP step when one is asked
for), axe-core on every page visited, named steps with timings, and screenshots for the README.

Only ``sign_in`` knows how Postbag signs people in: when the sign-in flow changes, it is the one
place to change.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

from mpoffice.demo import DEMO_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DATA = Path(__file__).resolve().parent / "data"

_TWO_FACTOR_VERIFY = re.compile(r"/accounts/two-factor/verify/")
_TWO_FACTOR_SETUP = re.compile(r"/accounts/two-factor/setup/")


def sign_in(
    page: Page, username: str, password: str = DEMO_PASSWORD, *, check: Callable[[str], None] | None = None
) -> None:
    """Sign ``username`` in through the form, as a person would, ending on their home page.

    Whoever was signed in before is signed out first. When Postbag asks for a second factor
    (the MP and office staff), the code is worked out from the authenticator's secret, as the
    person's phone app would: from the key shown on the set-up page the first time, then from
    their confirmed device. ``check(label)`` is called on each page of the way (axe-core).
    """
    check = check or (lambda _label: None)
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    check("the sign-in page")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if _TWO_FACTOR_SETUP.search(page.url):
        check("two-factor set-up")
        key = page.locator("code").filter(has_text=re.compile(r"^[A-Z2-7=]{16,}$")).first.inner_text()
        page.get_by_label("Code from your app").fill(_totp_from_base32(key.strip()))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        check("the recovery codes")
        page.get_by_role("link", name=re.compile("continue", re.IGNORECASE)).click()
    elif _TWO_FACTOR_VERIFY.search(page.url):
        check("two-factor verification")
        page.get_by_label("Code").fill(_totp_for_user(username))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _totp_from_base32(key: str) -> str:
    from base64 import b32decode

    from django_otp.oath import TOTP

    return f"{TOTP(b32decode(key)).token():06d}"


def _totp_for_user(username: str) -> str:
    """The code the person's app shows now; a code is accepted once, so when the current one
    was used (a second sign-in within 30 seconds) it is the next one, which the tolerance of
    one step accepts, or, failing that, the one after a short wait."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).latest("pk")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while totp.t() + device.tolerance <= device.last_t:
        time.sleep(1)
    step = max(totp.t(), device.last_t + 1)
    totp.time = device.t0 + (step - device.drift) * device.step
    return f"{totp.token():0{device.digits}d}"


def _page_key(url: str) -> str:
    """A visited URL as a page kind: /letters/12/ and /letters/13/ are the same page."""
    path = re.sub(r"^https?://[^/]+", "", url).split("#")[0].split("?")[0]
    return re.sub(r"/\d+(?=/|$|\.)", "/<id>", path)


class Journey:
    """Runs the story's steps on one page: times each step, runs axe-core on the pages it is
    asked to check, and at the end fails if a page was visited but never checked."""

    def __init__(self, page: Page, axe_check: Callable) -> None:
        self.page = page
        self._axe_check = axe_check
        self.timings: list[tuple[str, float]] = []
        self.visited: dict[str, str] = {}
        self.checked: set[str] = set()
        page.on("framenavigated", self._on_navigation)

    def _on_navigation(self, frame) -> None:
        if frame == self.page.main_frame and frame.url.startswith("http"):
            self.visited.setdefault(_page_key(frame.url), frame.url)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except Exception as error:  # pytest.fail() is not an Exception: it passes through as it is
            raise AssertionError(f"Step “{name}” failed at {self.page.url}: {error}") from error
        finally:
            self.timings.append((name, time.monotonic() - started))

    def sign_in(self, username: str) -> None:
        sign_in(self.page, username, check=self.check)

    def check(self, label: str) -> None:
        """axe-core on the page as it is now (no serious or critical violation allowed)."""
        self.page.wait_for_load_state()
        self._axe_check(self.page, label)
        self.checked.add(_page_key(self.page.url))

    def shot(self, name: str, *, full_page: bool = True) -> None:
        """A README screenshot, written only when SCREENSHOTS=1 (``make screenshots``)."""
        if os.environ.get("SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def assert_every_page_checked(self) -> None:
        unchecked = sorted(key for key in self.visited if key not in self.checked)
        assert not unchecked, "Pages visited without an accessibility check: " + ", ".join(
            self.visited[key] for key in unchecked
        )

    def report(self) -> str:
        total = sum(seconds for _, seconds in self.timings)
        lines = [f"{seconds:6.1f} s  {name}" for name, seconds in self.timings]
        return "\n".join([*lines, f"{total:6.1f} s  in all"])
