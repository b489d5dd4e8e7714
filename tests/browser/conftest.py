"""A real Chromium, driven by Playwright, against the test server (pytest-django's
``live_server``).

The browser is Debian's Chromium, launched by its path; Playwright never downloads one.
Without it the tests skip, saying how to install it, except in CI (``CI=true``), where a
missing browser fails them: CI installs it (``.ci/run``), so a skip there would hide a broken
install.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

#: Where Debian's ``chromium`` package puts the browser; ``CATALOG_CHROMIUM`` overrides it.
CHROMIUM = Path(os.environ.get("CATALOG_CHROMIUM", "/usr/bin/chromium"))

#: Screenshots of the main pages, for a person to look at (ignored by git).
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots"

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Browser:
    """Chromium, for the tests of one module (and only while they run: see below)."""
    if not CHROMIUM.is_file():
        message = (
            f"No Chromium at {CHROMIUM}: install Debian's (`apt-get install chromium`) or point "
            "CATALOG_CHROMIUM at one."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} CI installs it (.ci/run), so its absence is an error.")
        pytest.skip(message)
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    # Playwright's sync API keeps an event loop running in this thread, which Django's ORM
    # would take for an async context and refuse to work in while the browser is open.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Page:
    """A fresh browser tab on the test server; each test logs in itself."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot(page: Page):
    """Save the page's screenshot as ``.screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
