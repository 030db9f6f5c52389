"""OpenID Connect with Authlib: authorization code + PKCE (S256), state and nonce.

Authlib keeps state, nonce and the PKCE verifier in the signed session cookie under a key named after the
provider, so a code from provider A is never accepted at provider B's callback, and nothing lives in memory
that another instance would need. It checks the id_token's signature (provider JWKS), issuer, audience,
expiry and nonce.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError

from app.auth.providers import IdentityProvider, ProviderRegistry
from app.auth.signin import SignInRefused, VerifiedIdentity
from app.core.errors import N_, NotFound, ServiceUnavailable

log = logging.getLogger("app.auth.oidc")
PROVIDER_TIMEOUT_SECONDS = 10


class OidcClients:
    def __init__(self, registry: ProviderRegistry) -> None:
        self.registry = registry
        self.oauth = OAuth()
        for provider in registry.providers.values():
            self.oauth.register(
                provider.name,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": provider.scopes,
                    "code_challenge_method": "S256",
                    "timeout": PROVIDER_TIMEOUT_SECONDS,
                },
            )

    def provider(self, name: str) -> tuple[IdentityProvider, StarletteOAuth2App]:
        provider = self.registry.get(name)
        if provider is None:
            raise NotFound(N_("There is no sign-in service of that name."))
        client = self.oauth.create_client(name)
        assert isinstance(client, StarletteOAuth2App)
        return provider, client

    async def _metadata(self, provider: IdentityProvider, client: StarletteOAuth2App) -> dict[str, Any]:
        try:
            metadata: dict[str, Any] = await client.load_server_metadata()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("provider %s unreachable: %s", provider.name, type(exc).__name__)
            raise ServiceUnavailable(
                N_("The sign-in service %(provider)s is not answering. Try again in a few minutes."),
                provider=provider.label,
            ) from exc
        if metadata.get("issuer", "").rstrip("/") != provider.issuer:
            raise ServiceUnavailable(
                N_("The sign-in service %(provider)s is misconfigured (issuer mismatch)."), provider=provider.label
            )
        return metadata

    async def start(self, request: Request, name: str, redirect_uri: str) -> RedirectResponse:
        provider, client = self.provider(name)
        await self._metadata(provider, client)
        try:
            return await client.authorize_redirect(request, redirect_uri)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                N_("The sign-in service %(provider)s is not answering."), provider=provider.label
            ) from exc

    async def finish(self, request: Request, name: str) -> tuple[VerifiedIdentity, str | None]:
        """The verified identity and the raw id_token (kept for the logout hint)."""
        provider, client = self.provider(name)
        metadata = await self._metadata(provider, client)
        try:
            token = await client.authorize_access_token(request)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                N_("The sign-in service %(provider)s is not answering."), provider=provider.label
            ) from exc
        except OAuthError as exc:
            # The provider's error code goes to the log; the person reads a sentence in their language.
            log.info("sign-in with %s not completed: %s", provider.name, exc.error or "invalid request")
            raise SignInRefused(N_("Sign-in was not completed at the sign-in service. Try again.")) from exc
        except (JoseError, ValueError, KeyError) as exc:
            raise SignInRefused(N_("The sign-in service sent an identity token that failed verification.")) from exc
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise SignInRefused(N_("The sign-in service sent no identity token."))
        identity = VerifiedIdentity(
            provider=provider,
            issuer=metadata["issuer"].rstrip("/"),
            subject=str(claims["sub"]),
            email=_claim(claims, provider.email_claim),
            name=_claim(claims, provider.name_claim),
            organisation=_claim(claims, provider.organisation_claim) if provider.organisation_claim else None,
            # Kept only when it is a JSON boolean; a string such as "true" counts as not verified.
            email_verified=claims.get("email_verified") if isinstance(claims.get("email_verified"), bool) else None,
        )
        return identity, token.get("id_token")

    async def logout_url(self, name: str, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """The provider's end_session_endpoint, when it has one and answers; else None (local sign-out only)."""
        try:
            provider, client = self.provider(name)
            metadata = await self._metadata(provider, client)
        except (NotFound, ServiceUnavailable):
            return None
        if not metadata.get("end_session_endpoint"):
            return None
        result = await client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token, client_id=provider.client_id
        )
        return str(result["url"])


def _claim(claims: dict[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return str(value).strip() or None if value is not None else None
