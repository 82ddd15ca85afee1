"""Browser fixtures: the real app with the demo catalog on a loopback port, and headless
Chromium driven by Playwright for Python.

The browser is the system's Chromium (`scripts/browser.sh` installs Debian's package); it is
never downloaded by `playwright install`. Outside CI a missing browser or Playwright skips the
browser tests; in CI (CI=true) it fails them. Screenshots and other files a test wants a human
to look at are registered with `artifacts` and listed at the end of the pytest run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from api.app import create_app
from api.demo import load_demo
from api.services import Services, build_services
from api.settings import Settings
from catalog.principal import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path(os.environ.get("IRS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Copy of every artifact goes here too when set (for CI to upload).
ARTIFACT_DIR_ENV = "IRS_BROWSER_ARTIFACTS"
_ARTIFACTS = pytest.StashKey[list[tuple[str, Path]]]()


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} (CI must provide it)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of the system Chromium; skip (fail in CI) when it or Playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium not found at {CHROMIUM}: run scripts/browser.sh")
    return str(CHROMIUM)


@dataclass(frozen=True)
class DemoServer:
    """The running app: where it listens and an auditor's bearer token."""

    base_url: str
    token: str
    services: Services


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The real app over the demo catalog, served by uvicorn on 127.0.0.1 in a thread."""
    services = build_services(Settings(data_dir=tmp_path_factory.mktemp("irs-data")))
    load_demo(services)
    token = services.clients.create(name="审计 浏览器测试", role=Role.AUDITOR).token
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on: no race with other tests
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(services), log_level="warning", lifespan="on", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="irs-browser-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            services.close()
            pytest.fail("the API server did not start")
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(f"{base_url}/lineage", timeout=10) as response:  # noqa: S310
            assert response.status == 200
    except urllib.error.HTTPError as err:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        pytest.fail(
            f"GET /lineage answered {err.code}: add `*page_routes()` (from api.pages) to the "
            "routes of create_app in api/app.py"
        )
    try:
        yield DemoServer(base_url, token, services)
    finally:
        server.should_exit = True  # the app's lifespan closes the services on shutdown
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def page(chromium_executable: str) -> Iterator[Page]:
    """A fresh headless Chromium page (own context: empty sessionStorage), Shanghai time."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(
                viewport={"width": 1440, "height": 960},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
            context.close()
        finally:
            browser.close()


class Artifacts:
    """Files a test produced for people to look at; listed in the run's summary."""

    def __init__(self, config: pytest.Config, nodeid: str) -> None:
        self._config = config
        self._nodeid = nodeid

    def add(self, path: Path) -> Path:
        """Register `path` (and copy it to $IRS_BROWSER_ARTIFACTS when set)."""
        self._config.stash.setdefault(_ARTIFACTS, []).append((self._nodeid, path))
        target_dir = os.environ.get(ARTIFACT_DIR_ENV)
        if target_dir:
            Path(target_dir).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(target_dir) / path.name)
        return path


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Artifacts:
    return Artifacts(request.config, request.node.nodeid)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    listed = config.stash.get(_ARTIFACTS, [])
    if listed:
        terminalreporter.section("browser artifacts")
        for nodeid, path in listed:
            terminalreporter.write_line(f"{nodeid}: {path}")
