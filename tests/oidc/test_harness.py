"""Proves the OIDC test providers are real: discovery, JWKS, code + PKCE, signed id_tokens.

No app involved: the "app" here is httpx doing what an OIDC client library does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # authlib.jose works in Authlib 1.x but warns that joserfc replaces it; authlib.deprecate
    # forces "always" for its warning at import, so it must be imported before this filter.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import BadSignatureError, JoseError

# Import the harness by path so this works under any pytest import mode and rootdir.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ClientSpec,
    IssuerSpec,
    LoginError,
    MisbehaveMode,
    OidcProviders,
    complete_login,
    complete_logout,
)

APP = "http://127.0.0.1:9"  # never contacted: the flow stops at the redirect to the app
ACCOUNTS = {
    "alice": {"email": "alice@state.example", "name": "Alice Example", "organisation": "Dept of State"},
    "bob": {"email": "bob@mod.example", "name": "Bob Example", "organisation": "Ministry of Defence"},
    "carol": {"email": "c@corp.example", "name": "Carol", "organisation": "Corp", "email_verified": False},
}


def _client(name: str, method: str = "client_secret_basic") -> ClientSpec:
    return ClientSpec(
        client_id=f"quad-{name}",
        client_secret=f"secret-{name}-{secrets.token_hex(8)}",
        redirect_uris=[f"{APP}/auth/callback/{name}"],
        post_logout_redirect_uris=[f"{APP}/"],
        token_endpoint_auth_method=method,
    )


CLIENTS = {"us-gov": _client("us-gov"), "jp-gov": _client("jp-gov", "client_secret_post")}


@pytest.fixture(scope="module")
def ops() -> Iterator[OidcProviders]:
    specs = [IssuerSpec(name, clients=[c], accounts=ACCOUNTS) for name, c in CLIENTS.items()]
    with OidcProviders(specs) as providers:
        yield providers


def _discover(ops: OidcProviders, name: str) -> dict[str, Any]:
    r = httpx.get(f"{ops.issuer_url(name)}/.well-known/openid-configuration")
    r.raise_for_status()
    return dict(r.json())


def _jwks(ops: OidcProviders, name: str) -> dict[str, Any]:
    r = httpx.get(_discover(ops, name)["jwks_uri"])
    r.raise_for_status()
    return dict(r.json())


@dataclass
class Flow:
    issuer: str
    client: ClientSpec
    state: str
    nonce: str
    verifier: str
    code: str
    meta: dict[str, Any]


def _login(ops: OidcProviders, name: str, login: str = "alice", browser: httpx.Client | None = None) -> Flow:
    """What the app does: authorize with PKCE S256 + state + nonce, then get the code back."""
    meta = _discover(ops, name)
    client = CLIENTS[name]
    state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorize_url = f"{meta['authorization_endpoint']}?{urlencode(params)}"
    own = browser is None
    browser = browser or httpx.Client(follow_redirects=False)
    try:
        resp = complete_login(browser, authorize_url, login)
    finally:
        if own:
            browser.close()
    assert resp.status_code in (302, 303)
    location = resp.headers["location"]
    assert location.startswith(client.redirect_uris[0] + "?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert q["state"] == state
    assert q["iss"] == ops.issuer_url(name)  # RFC 9207 iss in the authorization response
    return Flow(ops.issuer_url(name), client, state, nonce, verifier, q["code"], meta)


def _token(flow: Flow, verifier: str | None = None) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": flow.code,
        "redirect_uri": flow.client.redirect_uris[0],
        "code_verifier": verifier or flow.verifier,
    }
    auth: httpx.BasicAuth | None = None
    if flow.client.token_endpoint_auth_method == "client_secret_basic":
        auth = httpx.BasicAuth(flow.client.client_id, flow.client.client_secret)
    else:  # client_secret_post
        data |= {"client_id": flow.client.client_id, "client_secret": flow.client.client_secret}
    return httpx.post(flow.meta["token_endpoint"], data=data, auth=auth)


def _verify(id_token: str, jwks: dict[str, Any], flow: Flow) -> Any:
    """Full id_token validation, as the app must do it."""
    claims = JsonWebToken(["RS256"]).decode(
        id_token,
        JsonWebKey.import_key_set(jwks),
        claims_options={
            "iss": {"essential": True, "value": flow.issuer},
            "aud": {"essential": True, "value": flow.client.client_id},
            "nonce": {"essential": True, "value": flow.nonce},
            "exp": {"essential": True},
            "iat": {"essential": True},
        },
    )
    claims.validate(now=int(time.time()), leeway=30)
    return claims


def _unverified_claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_discovery_and_separate_keys(ops: OidcProviders) -> None:
    metas = {name: _discover(ops, name) for name in CLIENTS}
    for name, meta in metas.items():
        assert meta["issuer"] == ops.issuer_url(name)
        assert meta["issuer"].startswith("http://127.0.0.1:")
        for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "end_session_endpoint"):
            assert meta[key].startswith(meta["issuer"] + "/")
        assert meta["code_challenge_methods_supported"] == ["S256"]
        assert set(meta["scopes_supported"]) == {"openid", "email", "profile"}
        assert {"email", "email_verified", "name", "organisation"} <= set(meta["claims_supported"])
    assert metas["us-gov"]["issuer"] != metas["jp-gov"]["issuer"]
    a, b = (_jwks(ops, name)["keys"] for name in CLIENTS)
    assert len(a) == len(b) == 1 and a[0]["kty"] == "RSA" and "d" not in a[0]  # public only
    assert a[0]["n"] != b[0]["n"] and a[0]["kid"] != b[0]["kid"]


@pytest.mark.parametrize("name", list(CLIENTS))
def test_code_flow_with_pkce(ops: OidcProviders, name: str) -> None:
    flow = _login(ops, name, "alice")
    r = _token(flow)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"].lower() == "bearer"
    claims = _verify(body["id_token"], _jwks(ops, name), flow)
    assert claims["sub"] == "alice"
    assert claims["email"] == "alice@state.example"
    assert claims["email_verified"] is True
    assert claims["name"] == "Alice Example"
    assert claims["organisation"] == "Dept of State"

    info = httpx.get(flow.meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json()["organisation"] == "Dept of State"

    # The other issuer's keys must not verify this token.
    # (authlib raises ValueError "Key not found" for an unknown kid, not a JoseError.)
    other = next(n for n in CLIENTS if n != name)
    with pytest.raises((JoseError, ValueError)):
        _verify(body["id_token"], _jwks(ops, other), flow)


def test_unverified_email_account(ops: OidcProviders) -> None:
    flow = _login(ops, "jp-gov", "carol")
    claims = _verify(_token(flow).json()["id_token"], _jwks(ops, "jp-gov"), flow)
    assert claims["email"] == "c@corp.example" and claims["email_verified"] is False


def test_code_is_single_use(ops: OidcProviders) -> None:
    flow = _login(ops, "us-gov", "bob")
    assert _token(flow).status_code == 200
    again = _token(flow)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_wrong_pkce_verifier_refused(ops: OidcProviders) -> None:
    flow = _login(ops, "us-gov")
    r = _token(flow, verifier=secrets.token_urlsafe(48))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_pkce_is_required(ops: OidcProviders) -> None:
    meta = _discover(ops, "us-gov")
    c = CLIENTS["us-gov"]
    params = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uris[0],
        "scope": "openid",
        "state": "s",
        "nonce": "n",
    }
    r = httpx.get(f"{meta['authorization_endpoint']}?{urlencode(params)}")
    assert r.is_redirect
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["error"] == ["invalid_request"] and "PKCE" in q["error_description"][0]


def test_unknown_login_is_refused(ops: OidcProviders) -> None:
    with pytest.raises(LoginError) as e:
        _login(ops, "us-gov", "mallory")
    page = e.value.response
    assert page.status_code == 400
    assert 'lang="en"' in page.text and "<main>" in page.text and 'role="alert"' in page.text


def test_existing_session_skips_the_form(ops: OidcProviders) -> None:
    with httpx.Client(follow_redirects=False) as browser:
        _login(ops, "us-gov", "alice", browser)
        flow = _login(ops, "us-gov", "nobody-asked", browser)  # no form shown: session reused
    claims = _verify(_token(flow).json()["id_token"], _jwks(ops, "us-gov"), flow)
    assert claims["sub"] == "alice"


def test_rp_initiated_logout(ops: OidcProviders) -> None:
    with httpx.Client(follow_redirects=False) as browser:
        flow = _login(ops, "us-gov", "alice", browser)
        id_token = _token(flow).json()["id_token"]
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": flow.client.post_logout_redirect_uris[0],
            "state": "bye",
        }
        resp = complete_logout(browser, f"{flow.meta['end_session_endpoint']}?{urlencode(params)}")
        assert resp.is_redirect
        assert resp.headers["location"] == f"{flow.client.post_logout_redirect_uris[0]}?state=bye"
        # The provider session is gone: the next authorize shows the login form again.
        with pytest.raises(LoginError, match="rejected login"):
            _login(ops, "us-gov", "nobody", browser)


@pytest.mark.parametrize("mode", ["signature", "audience", "nonce", "issuer", "expired"])
def test_misbehave_once(ops: OidcProviders, mode: MisbehaveMode) -> None:
    name = "us-gov"
    jwks = _jwks(ops, name)
    ops.misbehave(name, mode)
    flow = _login(ops, name)
    bad = _token(flow).json()["id_token"]
    if mode == "signature":
        with pytest.raises(BadSignatureError):
            _verify(bad, jwks, flow)
    else:
        # Signed with the real key (signature OK) but one claim is wrong.
        claims = JsonWebToken(["RS256"]).decode(bad, JsonWebKey.import_key_set(jwks))
        expected = {
            "audience": ("aud", "someone-else"),
            "nonce": ("nonce", "wrong-nonce"),
            "issuer": ("iss", "http://127.0.0.1:1"),
        }
        if mode == "expired":
            assert claims["exp"] < time.time() - 3000 and claims["iat"] < claims["exp"]
        else:
            key, value = expected[mode]
            assert claims[key] == value
        with pytest.raises(JoseError):
            _verify(bad, jwks, flow)
    assert _unverified_claims(bad)["sub"] == "alice"

    # One-shot: the next token is normal again.
    flow = _login(ops, name)
    _verify(_token(flow).json()["id_token"], jwks, flow)


def test_misbehave_reset_and_validation(ops: OidcProviders) -> None:
    ops.misbehave("jp-gov", "nonce")
    ops.misbehave("jp-gov", None)
    flow = _login(ops, "jp-gov")
    _verify(_token(flow).json()["id_token"], _jwks(ops, "jp-gov"), flow)
    r = httpx.post(f"{ops.issuer_url('jp-gov')}/__test__/misbehave", json={"mode": "bogus"})
    assert r.status_code == 400
