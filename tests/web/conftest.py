"""Browser tests: Debian's chromium, headless and kept off the network, driven by Playwright.

The page runs against a live ``relex serve`` on a free loopback port over a small real run
(random-weight smallcnn64 on synthetic shapes) and a synthetic wide run for the size check.
Tests skip with a reason when chromium or the vendored cytoscape.js is missing; the set-up
command (scripts/setup.sh) installs both.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port
from tests.web.data import ingest_small_run, write_dag_run, write_wide_run

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
RELEX = [sys.executable, "-m", "relex"]

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
    """Console errors and uncaught exceptions seen by one page, but for those a test expects
    (chromium logs every 4xx/5xx answer as a console error)."""

    messages: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect(self, text: str) -> None:
        """Console errors that contain ``text`` are part of the test, not a failure."""
        self.expected.append(text)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(text in message.text for text in self.expected):
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


@pytest.fixture(scope="session")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store with the small real run, the wide synthetic run and the DAG one."""
    folder = tmp_path_factory.mktemp("web-store")
    path = folder / "graph.kuzu"
    ingest_small_run(path, folder)
    write_wide_run(path)
    write_dag_run(path)
    return path


@pytest.fixture(scope="session")
def server(served_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live ``relex serve`` on a free loopback port; yields its base URL."""
    if importlib.util.find_spec("relex.api.app") is None:
        pytest.skip("the API (api.app) is not there yet")
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    log = (folder / "serve.log").open("wb")
    environment = {
        **os.environ,
        "RELEX_DATA_DIR": str(folder / "data"),
        "RELEX_DEVICE": "cpu",
        "RELEX_API_TOKEN": "",
    }
    command = [*RELEX, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--store", str(served_store)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, folder / "serve.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"relex serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/api/runs", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"relex serve did not answer within 90 s:\n{log.read_text()}")


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    """An HTTP client on the live server, for the answers the page should show."""
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client
