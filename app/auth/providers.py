"""The identity providers file (`QUAD_IDP_FILE`): one `[[providers]]` table per OpenID Connect provider."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.countries.service import QUAD_COUNTRY_CODES

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ProviderKind(StrEnum):
    government = "government"
    industry = "industry"
    secretariat = "secretariat"


class IdentityProvider(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    label_ja: str | None = None
    kind: ProviderKind
    country: str | None = None
    issuer: str
    client_id: str
    client_secret: str = Field(repr=False)
    scopes: str = "openid email profile"
    email_claim: str = "email"
    name_claim: str = "name"
    organisation_claim: str | None = None

    @field_validator("name")
    @classmethod
    def _url_safe(cls, value: str) -> str:
        if not NAME_PATTERN.fullmatch(value):
            raise ValueError("must be URL-safe: lower-case letters, digits, '-' and '_'")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _country_rule(self) -> IdentityProvider:
        if self.kind is ProviderKind.government:
            if self.country not in QUAD_COUNTRY_CODES:
                raise ValueError(f"a government provider needs country = one of {', '.join(QUAD_COUNTRY_CODES)}")
        elif self.country is not None and self.country not in QUAD_COUNTRY_CODES:
            raise ValueError(f"country must be one of {', '.join(QUAD_COUNTRY_CODES)}")
        if "openid" not in self.scopes.split():
            raise ValueError("scopes must include 'openid'")
        return self

    def display_label(self, language: str) -> str:
        return self.label_ja if language == "ja" and self.label_ja else self.label

    @property
    def origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class ProviderFileError(ValueError):
    pass


@dataclass(frozen=True)
class ProviderRegistry:
    providers: dict[str, IdentityProvider] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path | None) -> ProviderRegistry:
        if path is None:
            return cls()
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProviderFileError(f"cannot read QUAD_IDP_FILE {path}: {exc}") from exc
        providers: dict[str, IdentityProvider] = {}
        for index, entry in enumerate(raw.get("providers", [])):
            try:
                provider = IdentityProvider.model_validate(entry)
            except ValidationError as exc:
                raise ProviderFileError(f"{path}: provider #{index + 1} is invalid: {exc}") from exc
            if provider.name in providers:
                raise ProviderFileError(f"{path}: provider name {provider.name!r} is used twice")
            providers[provider.name] = provider
        return cls(providers)

    def listed(self) -> list[IdentityProvider]:
        order = {ProviderKind.government: 0, ProviderKind.industry: 1, ProviderKind.secretariat: 2}
        return sorted(self.providers.values(), key=lambda p: (order[p.kind], p.country or "", p.name))

    def get(self, name: str) -> IdentityProvider | None:
        return self.providers.get(name)

    def origins(self) -> set[str]:
        return {p.origin for p in self.providers.values()}
