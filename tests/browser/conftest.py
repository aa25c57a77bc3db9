"""Browser tests: the app served on loopback, driven by Debian's chromium through Playwright,
with axe-core run on every page a test visits."""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("EIA_CHROMIUM", "/usr/bin/chromium")
AXE_SOURCE = (Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js").read_text()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Screenshots named guide-* are the user guides' figures: `make guide-screenshots` copies them to
# docs/images (tests/test_docs.py checks each figure a guide shows is one of them). They are the size of
# the window, to keep them small; the others are the whole page, for looking into a failure.
GUIDE_PREFIX = "guide-"
VIEWPORT = {"width": 1280, "height": 900}
# WCAG 2.2 AA and best practice: every rule axe has for them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


# werkzeug's development server (the live server here; production runs gunicorn) drains the socket in
# a `finally` before it closes the response (serving.py, execute()): when the browser resets a
# connection it abandoned, the read raises first and a static file is left to the garbage collector,
# which warns. Only that, only for our static files, only in browser tests.
_DEV_SERVER_LEAKS = (
    pytest.mark.filterwarnings("ignore:unclosed file <_io.BufferedReader name='[^']*/eia/static/:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO name='[^']*/eia/static/:pytest.PytestUnraisableExceptionWarning"
    ),
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.path.parts:
            for mark in _DEV_SERVER_LEAKS:
                item.add_marker(mark)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian's chromium is needed at {CHROMIUM}: apt-get install -y chromium (make test does this as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # The machine's network is closed: keep chromium from reaching out at all.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(demo):
    """The demo app served by a real HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server):
    """A browser tab; any Content-Security-Policy violation or script error in it fails the test.

    Chromium reports a CSP violation as a console error "Refused to ... Content Security Policy";
    other console errors (a 400 page loading, on purpose) are not failures."""
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            console_errors.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
    yield page
    context.close()
    assert console_errors == [], "the browser reported CSP violations or script errors"


def beside_playwright(build):
    """Run ``build`` (setting data up through the test client) in a thread of its own; returns its result.
    Playwright's event loop runs in the test's thread, and sealing a signed record runs its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(build).result()


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; returns the violations (empty means none)."""
    page.evaluate(AXE_SOURCE)  # evaluated through the DevTools protocol, so the page's CSP allows it
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def save_screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=not name.startswith(GUIDE_PREFIX))


def assert_accessible(page, name: str | None = None) -> None:
    violations = axe_violations(page)
    if name:
        save_screenshot(page, name)
    assert violations == [], f"axe found problems on {page.url}: {violations}"
