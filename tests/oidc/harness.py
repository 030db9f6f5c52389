"""Real OpenID Connect providers for tests, run by ``server.mjs`` (npm ``oidc-provider``).

Pure Python, no app imports. Typical use::

    with OidcProviders([IssuerSpec("us-gov", clients=[ClientSpec(...)], accounts={...})]) as ops:
        url = ops.issuer_url("us-gov")      # http://127.0.0.1:PORT, real discovery + JWKS
        ops.misbehave("us-gov", "nonce")    # the next id_token from /token has a wrong nonce
        resp = complete_login(browser, authorize_url, "alice")  # 302/303 to the app callback
        resp = complete_logout(browser, end_session_url)  # confirms "Sign out", 303 to the app

Clients authenticate at the token endpoint with ``client_secret_basic`` unless
``ClientSpec.token_endpoint_auth_method`` says otherwise. PKCE (S256) is always required.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import IO, Literal
from urllib.parse import urljoin, urlsplit

import httpx

HERE = Path(__file__).resolve().parent
SERVER = HERE / "server.mjs"
READY_TIMEOUT = 30.0

MisbehaveMode = Literal["signature", "audience", "nonce", "issuer", "expired"]


@dataclass(frozen=True)
class ClientSpec:
    client_id: str
    client_secret: str
    redirect_uris: Sequence[str]
    post_logout_redirect_uris: Sequence[str] = ()
    # "client_secret_basic" (default) or "client_secret_post".
    token_endpoint_auth_method: str = "client_secret_basic"


@dataclass(frozen=True)
class IssuerSpec:
    name: str
    clients: Sequence[ClientSpec] = ()
    # account id (what is typed into the login form) -> {"email", "name", "organisation"},
    # optionally "email_verified": False or a string (default True); None leaves the claim out.
    accounts: Mapping[str, Mapping[str, str | bool | None]] = field(default_factory=dict)
    # None: the OS picks a free port inside the node process (no pick-then-bind race).
    port: int | None = None


class LoginError(RuntimeError):
    """The provider did not accept the login or answered with something unexpected."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        super().__init__(f"{message} (HTTP {response.status_code} from {response.request.url})")
        self.response = response


def _run(cmd: list[str]) -> None:
    try:
        subprocess.run(cmd, cwd=HERE, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"`{' '.join(cmd)}` failed in {HERE}:\n{e.stdout}\n{e.stderr}") from e


def ensure_installed() -> None:
    """Install oidc-provider into tests/oidc/node_modules if it is missing."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    cmd = (
        ["npm", "ci", "--no-audit", "--no-fund"]
        if (HERE / "package-lock.json").exists()
        else ["npm", "install", "--no-audit", "--no-fund"]
    )
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"`{tool}` not found on PATH: install Node.js 20+ and npm, then run `{' '.join(cmd)}` in {HERE}"
            )
    # A lock file, so parallel test workers (pytest-xdist) don't run npm at the same time.
    with open(Path(tempfile.gettempdir()) / "quad-dialogue-oidc-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
            _run(cmd)


def _config(specs: Sequence[IssuerSpec]) -> dict[str, object]:
    return {
        "issuers": [
            {
                "name": s.name,
                "port": s.port or 0,
                "clients": [
                    {
                        "client_id": c.client_id,
                        "client_secret": c.client_secret,
                        "redirect_uris": list(c.redirect_uris),
                        "post_logout_redirect_uris": list(c.post_logout_redirect_uris),
                        "token_endpoint_auth_method": c.token_endpoint_auth_method,
                    }
                    for c in s.clients
                ],
                "accounts": {k: dict(v) for k, v in s.accounts.items()},
            }
            for s in specs
        ]
    }


class OidcProviders:
    """Context manager running one node process that serves every issuer on its own port."""

    def __init__(self, issuers: Sequence[IssuerSpec], *, ready_timeout: float = READY_TIMEOUT) -> None:
        names = [s.name for s in issuers]
        if len(set(names)) != len(names):
            raise ValueError(f"issuer names must be unique: {names}")
        self._specs = list(issuers)
        self._ready_timeout = ready_timeout
        self._urls: dict[str, str] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._stderr: IO[str] | None = None

    def __enter__(self) -> OidcProviders:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _start(self) -> None:
        ensure_installed()
        if shutil.which("node") is None:
            raise RuntimeError("`node` not found on PATH: install Node.js 20+ to run the OIDC test providers")
        self._tmpdir = tempfile.TemporaryDirectory(prefix="oidc-test-")
        config = Path(self._tmpdir.name) / "config.json"
        # The config holds client secrets: keep it private to this user.
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(_config(self._specs), f)
        # stderr goes to a file (not a pipe) so a chatty provider can never block on a full pipe.
        self._stderr = open(Path(self._tmpdir.name) / "stderr.log", "w+")  # noqa: SIM115
        self._proc = subprocess.Popen(
            ["node", str(SERVER), str(config), "--exit-on-stdin-close"],
            cwd=HERE,
            stdin=subprocess.PIPE,  # held open; node exits when we die and it closes
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self._proc.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + self._ready_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"OIDC test providers not READY after {self._ready_timeout}s{self._log()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self._proc.wait()
                raise RuntimeError(f"OIDC test providers exited with {code} before READY{self._log()}")
            if line.startswith("READY "):
                self._urls = json.loads(line[len("READY ") :])
                return

    @staticmethod
    def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
        assert stream is not None
        for line in stream:  # keeps draining stdout for the life of the process
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def _log(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return f"; stderr:\n{self._stderr.read()[-4000:]}"

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()  # SIGTERM: server.mjs exits
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    @property
    def issuers(self) -> dict[str, str]:
        """{name: issuer URL} for every running issuer."""
        return dict(self._urls)

    def issuer_url(self, name: str) -> str:
        return self._urls[name]

    def misbehave(self, name: str, mode: MisbehaveMode | None) -> None:
        """Make the next token response's id_token from issuer `name` bad in the given way (None resets)."""
        r = httpx.post(f"{self.issuer_url(name)}/__test__/misbehave", json={"mode": mode}, timeout=5)
        r.raise_for_status()


class _FormFinder(HTMLParser):
    """The first <form>'s action and its hidden inputs (e.g. the logout page's xsrf token)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self._in_form = a.get("action") or "", True
        elif tag == "input" and self._in_form and a.get("type") == "hidden" and a.get("name"):
            self.hidden[a["name"] or ""] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def _origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    u = urlsplit(str(url))
    return (u.scheme, u.hostname or "", u.port)


def _next_url(resp: httpx.Response) -> str:
    return urljoin(str(resp.url), resp.headers["location"])


def complete_login(client: httpx.Client, authorize_url: str, login: str, *, max_hops: int = 10) -> httpx.Response:
    """Sign in as `login` at the provider and return its final redirect back to the app (not followed).

    `client` must keep cookies and must not follow redirects. If the provider already has a
    session for this client's cookie jar, no form is shown and the redirect comes straight back.
    """
    if client.follow_redirects:
        raise ValueError("complete_login needs an httpx.Client with follow_redirects=False")
    provider = _origin(authorize_url)
    resp = client.get(authorize_url)
    for _ in range(max_hops):
        if resp.is_redirect:
            if _origin(_next_url(resp)) != provider:
                return resp  # back to the app: done
            resp = client.get(_next_url(resp))
            continue
        if resp.status_code != 200:
            raise LoginError(f"provider error page: {resp.text[:500]}", resp)
        finder = _FormFinder()
        finder.feed(resp.text)
        if finder.action is None:
            raise LoginError("no login form on provider page", resp)
        resp = client.post(urljoin(str(resp.url), finder.action), data={"login": login})
        if resp.status_code == 400 and "<form" in resp.text:
            raise LoginError(f"provider rejected login {login!r}", resp)
    raise LoginError(f"more than {max_hops} hops at the provider", resp)


def complete_logout(client: httpx.Client, end_session_url: str) -> httpx.Response:
    """Confirm "Sign out" on the provider's logout page; return its redirect (or page) without following.

    oidc-provider always asks the user to confirm RP-initiated logout, hence the form post.
    With a registered post_logout_redirect_uri the result is a redirect to it.
    """
    provider = _origin(end_session_url)
    resp = client.get(end_session_url)
    if resp.status_code != 200:
        raise LoginError(f"provider refused logout: {resp.text[:500]}", resp)
    finder = _FormFinder()
    finder.feed(resp.text)
    if finder.action is None:
        raise LoginError("no logout form on provider page", resp)
    resp = client.post(urljoin(str(resp.url), finder.action), data={**finder.hidden, "logout": "yes"})
    for _ in range(10):
        if not (resp.is_redirect and _origin(_next_url(resp)) == provider):
            break
        resp = client.get(_next_url(resp))
    return resp
