"""Browser fixtures: the system Chromium driven by Playwright, against pytest-django's live server.

Never a Playwright browser download: office and CI machines use Debian's ``chromium`` package
(or the one named by CHROMIUM). Without it the browser tests skip locally and fail in CI.
When a browser test fails, a screenshot and the page's HTML are saved under test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls
# from the test body (factories), which are in fact synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Lets the page fixture know, at teardown, whether the test body failed.
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    need(executable is not None, "Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request) -> Iterator:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content())
        except Exception as exc:  # the page may be gone; the test's own failure matters more
            print(f"Could not save browser artifacts for {request.node.nodeid}: {exc}")
    context.close()


@pytest.fixture
def axe_check():
    """Run axe-core on the page; fail listing every serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, label: str) -> list[dict]:
        violations = axe.run(page).response["violations"]
        blocking = [v for v in violations if v.get("impact") in ("serious", "critical")]
        if blocking:
            lines = [f"axe-core found {len(blocking)} serious/critical violation(s) on {label} ({page.url}):"]
            for violation in blocking:
                lines.append(
                    f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
                )
                lines.extend(f"    {node['html'][:200]}" for node in violation["nodes"][:5])
            pytest.fail("\n".join(lines))
        if violations:  # shown with -s or on a later failure; worth fixing, not yet blocking
            print(f"axe-core minor/moderate on {label}: {', '.join(v['id'] for v in violations)}")
        return violations

    return check
