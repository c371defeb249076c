"""Browser tests: Debian's chromium, headless and kept off the network, driven by Playwright.

The page runs against a live ``relex serve`` on a free loopback port over a small real run
(random-weight smallcnn64 on synthetic shapes) and a synthetic wide run for the size check.
Tests skip with a reason when chromium or the vendored cytoscape.js is missing; the set-up
command (scripts/setup.sh) installs both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "api" / "web"
VENDORED = WEB / "vendor" / "cytoscape.esm.min.mjs"
VIEWPORT = {"width": 1280, "height": 800}
# No proxy, every host name unresolvable except loopback, none of chromium's own traffic.
OFFLINE_ARGS = [
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-quic",
    "--no-first-run",
    "--no-sandbox",
]
SCREENSHOTS_ENV = "RELEX_SCREENSHOTS"

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (bash scripts/setup.sh installs it)", allow_module_level=True
    )
if not VENDORED.exists():
    pytest.skip(
        f"{VENDORED.relative_to(ROOT)} is missing (bash scripts/setup.sh vendors it)",
        allow_module_level=True,
    )

from playwright.sync_api import (  # noqa: E402  (only once the browser is known to exist)
    Browser,
    ConsoleMessage,
    Page,
    sync_playwright,
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=OFFLINE_ARGS
        )
        yield launched
        launched.close()


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions seen by one page."""

    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text} ({message.location})")

    def exception(self, error: Exception) -> None:
        self.messages.append(f"uncaught: {error}")


@pytest.fixture
def page_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(browser: Browser, page_errors: BrowserErrors) -> Iterator[Page]:
    """A fresh 1280x800 page; the test fails if the browser logged any error meanwhile."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    opened = context.new_page()
    opened.on("console", page_errors.console)
    opened.on("pageerror", page_errors.exception)
    yield opened
    context.close()
    assert page_errors.messages == []


@pytest.fixture
def screenshot(page: Page, tmp_path: Path) -> Callable[[str], Path]:
    """``screenshot(name)`` saves the page under the test's folder and, when RELEX_SCREENSHOTS
    names a folder (docs/screenshots for the README), a copy there."""
    copies = os.environ.get(SCREENSHOTS_ENV)

    def take(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        if copies:
            target = Path(copies)
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.name)
        return path

    return take
