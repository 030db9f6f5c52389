"""Browser journeys: Debian's Chromium driven by Playwright against a real server process.

The server runs `uvicorn app.asgi:app` in a subprocess on its own committed database, trusting the same real
OpenID Connect providers as the rest of the suite. Every app page a journey lands on is checked with axe-core.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from app.access.principal import SYSTEM
from app.core.config import PROJECT_ROOT
from app.core.db import build_engine, build_sessionmaker
from app.groups import service as groups
from app.groups.models import MembershipRole
from app.users import service as users
from app.users.models import Role
from tests.conftest import SECRET_KEY
from tests.support.databases import migrated_scratch_database

CHROMIUM = "/usr/bin/chromium"
AXE_SOURCE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Flags that keep Chromium off the network (this machine has none) and able to run as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def seed(url: str) -> None:
    """What the journeys start from: a secretariat officer, an admin and a US delegate pre-provisioned in a group."""
    engine = build_engine(url)
    with build_sessionmaker(engine)() as session, session.begin():
        users.create_user(
            session, SYSTEM, email="officer@quad-secretariat.example", display_name="Sam Officer", role=Role.secretariat
        )
        users.create_user(
            session, SYSTEM, email="ada@quad-secretariat.example", display_name="Ada Admin", role=Role.admin
        )
        alice = users.create_user(
            session,
            SYSTEM,
            email="alice@state.example.gov",
            display_name="Alice Walker",
            role=Role.delegate,
            country="US",
        )
        group = groups.create_group(
            session,
            SYSTEM,
            slug="semiconductors",
            name="Semiconductors Working Group",
            technology_area="semiconductors",
            charter="Maps the **semiconductor** supply chain.",
        )
        groups.add_member(session, SYSTEM, group, alice, MembershipRole.chair)
        hanako = users.create_user(
            session,
            SYSTEM,
            email="hanako@mofa.example.go.jp",
            display_name="Hanako Yamada",
            role=Role.delegate,
            country="JP",
        )
        groups.add_member(session, SYSTEM, group, hanako, MembershipRole.member)
    engine.dispose()


@pytest.fixture(scope="session")
def e2e_base_url(e2e_port: int, idp_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_scratch_database() as url:
        seed(url)
        base = f"http://127.0.0.1:{e2e_port}"
        env = {
            **os.environ,
            "QUAD_ENV": "test",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "QUAD_BASE_URL": base,
            "QUAD_IDP_FILE": str(idp_file),
            "QUAD_DATA_DIR": str(tmp_path_factory.mktemp("e2e-data")),
            # Every journey signs in from 127.0.0.1, many times a minute; the limits are tested on their own.
            "QUAD_LOGIN_RATE_LIMIT": "10000/minute",
        }
        log = tmp_path_factory.mktemp("e2e-log") / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(e2e_port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_ready(base, server, log)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the e2e server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the e2e server did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Visits:
    """Every app page the journeys landed on, and every accessibility problem axe found there."""

    paths: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def visits() -> Visits:
    return Visits()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


class Journey:
    """A person in a browser tab; checks every app page they land on with axe-core."""

    def __init__(self, page: Page, base_url: str, visits: Visits) -> None:
        self.page, self.base_url, self.visits = page, base_url, visits

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.check()

    def click(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check()

    def check(self) -> None:
        """Runs axe on the page when it is one of ours; serious and critical violations fail the journey."""
        url = self.page.url
        if not url.startswith(self.base_url):
            return
        path = url[len(self.base_url) :].split("?")[0] or "/"
        self.visits.paths.add(path)
        self.page.evaluate(AXE_SOURCE.read_text())
        result = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        for violation in serious:
            self.visits.violations.append(f"{path}: {violation['id']} ({violation['impact']}) {violation['nodes']}")
        assert not serious, f"axe found on {path}: {json.dumps(serious, indent=1)}"

    def sign_in(self, provider_label: str, login: str) -> None:
        """Through the real provider's login form."""
        self.goto("/login")
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=provider_label).click()
        self.page.fill("#login", login)
        with self.page.expect_navigation(url=re.compile(re.escape(self.base_url) + ".*")):
            self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        self.check()


@pytest.fixture
def journey(browser: Browser, e2e_base_url: str, visits: Visits, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield Journey(page, e2e_base_url, visits)
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
    context.close()
