"""Headless Chromium (the Debian package, driven by Playwright for Python) against the session's running stack.

The browser is launched once per session with a fresh profile; each test gets its own tab. Screenshots go to
``$CARBONLINK_ARTIFACTS_DIR/e2e_browser`` (default ``var/artifacts/e2e_browser``). When Chromium or Playwright
is missing the tests are skipped with the reason (``make test`` installs Chromium when it can).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`: apt-get install -y chromium)")
    return path


@pytest.fixture(scope="session")
async def browser_context(tmp_path_factory: pytest.TempPathFactory):
    """One Chromium for the session, with a fresh user-data-dir."""
    executable = _chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright; no `playwright install`)")
    playwright = await async_playwright().start()
    try:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            await context.close()
    finally:
        await playwright.stop()


@pytest.fixture
async def tab(browser_context):
    """A fresh tab; at the end no script may have failed and the Content-Security-Policy nothing refused."""
    page = await browser_context.new_page()
    page.set_default_timeout(10_000)
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(f"script error: {error}"))
    page.on("console", lambda message: failures.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    yield page
    await page.close()
    assert not failures, failures


@pytest.fixture(scope="session")
def artifacts() -> Path:
    out = Path(os.environ.get("CARBONLINK_ARTIFACTS_DIR", "var/artifacts")) / "e2e_browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def base_url(running_stack) -> str:
    return running_stack.settings.order_entry_url


