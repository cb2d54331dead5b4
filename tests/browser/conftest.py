"""Browser suite: Debian's Chromium, driven by Playwright, against the platform of scripts/up.

The platform is the end-to-end suite's own fixture (tests/integration/conftest.py): the same
scripts/up on the ``careforall_e2e_*`` databases and ``var/e2e``, or CAREFORALL_E2E_URL. When
both suites run in one pytest session, the platform is started once: this suite runs last and
takes the platform the end-to-end suite already started (a fixture imported into a second
conftest is a second fixture with its own cache, which would start scripts/up twice).

Chromium is not downloaded by Playwright: the Debian package at /usr/bin/chromium is used
(CAREFORALL_CHROMIUM overrides the path).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from integration import conftest as integration
from integration.conftest import Platform
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

# The end-to-end suite's fixtures, for this directory too (``platform`` is overridden below).
gateway = integration.gateway
staff_token = integration.staff_token

ROOT = integration.ROOT
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMIUM = Path(os.environ.get("CAREFORALL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HERE = Path(__file__).resolve().parent

# Platform objects set up in this session, by either suite's fixture.
_platforms: list[Platform] = []
# Measurements printed at the end of the session and saved to var/test-artifacts/metrics.json.
METRICS: dict[str, Any] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests after every other test, so they reuse an already started platform;
    a test marked ``after_every_browser_test`` (it inspects what they all left) runs last."""
    items.sort(
        key=lambda item: (
            HERE in Path(str(item.path)).parents,
            item.get_closest_marker("after_every_browser_test") is not None,
        )
    )


class PlatformWatcher:
    """Notes every Platform a ``platform`` fixture sets up, in any directory.

    A plugin, not a hook of this conftest: a conftest's fixture hooks only see its own directory.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Any:
        value = yield
        if fixturedef.argname == "platform" and isinstance(value, Platform):
            _platforms.append(value)
        return value


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(PlatformWatcher(), "careforall-browser-platform-watcher")
    config.addinivalue_line(
        "markers", "after_every_browser_test: run after the other browser tests of the session"
    )


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    """The end-to-end suite's platform: the running one, or one started (and stopped) here."""
    if _platforms:
        yield _platforms[0]
        return
    yield from integration.platform.__wrapped__()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium "
            "(scripts/test installs it on Debian as root)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, gateway: str, request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """``open_page(path, phone=False)``: a page in a fresh context (no session) at ``path``.

    Each page's final state is saved to var/test-artifacts/<test>[-n].png, and an uncaught
    script error or a Content-Security-Policy violation on any page fails the test.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    errors: list[str] = []

    def open_(path: str = "/", *, phone: bool = False) -> Page:
        context = browser.new_context(
            base_url=gateway,
            viewport=PHONE if phone else DESKTOP,
            locale="en-US",
            timezone_id="UTC",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Anything the Content-Security-Policy blocks, in the page or in a provider's frame.
        page.on(
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        pages.append(page)
        if path:
            page.goto(path)
        return page

    yield open_

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for index, page in enumerate(pages):
        suffix = "" if index == 0 else f"-{index + 1}"
        if not page.is_closed():
            page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert not errors, f"uncaught script errors: {errors}"


def bundle_size() -> dict[str, int]:
    """Bytes of the built JavaScript, raw and gzipped (as ``gzip -c dist/assets/*.js | wc -c``)."""
    files = sorted((ROOT / "frontend" / "dist" / "assets").glob("*.js"))
    raw = sum(len(path.read_bytes()) for path in files)
    packed = sum(len(gzip.compress(path.read_bytes(), compresslevel=6)) for path in files)
    return {"js_files": len(files), "js_bytes": raw, "js_gzip_bytes": packed}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not METRICS:
        return
    METRICS.update(bundle_size())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "metrics.json").write_text(json.dumps(METRICS, indent=2) + "\n")
    terminalreporter.section("donor site measurements")
    for key, value in METRICS.items():
        terminalreporter.write_line(f"{key}: {value}")
    terminalreporter.write_line(f"(saved to {ARTIFACTS / 'metrics.json'})")
