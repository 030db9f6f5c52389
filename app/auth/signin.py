"""Who a person is after their identity provider vouched for them.

An identity is (issuer, subject), never an email alone. A pre-provisioned account is linked only when the
provider's kind and country fit it, so a Japanese government provider can never produce a US delegate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.audit import service as audit
from app.auth.events import AuthEvent
from app.auth.providers import IdentityProvider, ProviderKind
from app.core import text
from app.core.errors import N_, Forbidden, InvalidInput
from app.countries.service import QUAD_COUNTRY_CODES
from app.users import service as users
from app.users.events import UserEvent
from app.users.models import IdentityLink, Role, User, UserStatus


@dataclass(frozen=True)
class VerifiedIdentity:
    """Claims from an id_token whose signature, issuer, audience, expiry and nonce were checked."""

    provider: IdentityProvider
    issuer: str
    subject: str
    email: str | None
    name: str | None
    organisation: str | None
    email_verified: bool | None = None


class SignInRefused(Forbidden):
    title = "Sign-in refused"


@dataclass(frozen=True)
class NeedsOnboarding:
    """An industry participant must tell us their organisation (and country) before the account exists."""

    identity: VerifiedIdentity
    needs_country: bool


def account_fits_provider(user: User, provider: IdentityProvider) -> bool:
    if provider.kind is ProviderKind.government:
        return user.role in (Role.delegate, Role.observer) and user.country_code == provider.country
    if provider.kind is ProviderKind.industry:
        return user.role is Role.industry and provider.country in (None, user.country_code)
    return user.role in (Role.secretariat, Role.admin)


def resolve_account(session: Session, identity: VerifiedIdentity) -> User | NeedsOnboarding:
    provider = identity.provider
    link = session.scalar(
        select(IdentityLink).where(IdentityLink.issuer == identity.issuer, IdentityLink.subject == identity.subject)
    )
    if link is not None:
        user = link.user
        if not account_fits_provider(user, provider):
            raise SignInRefused(N_("This account cannot sign in through this provider."))
        return _usable(user)

    if not identity.email:
        raise SignInRefused(N_("The identity provider did not give an email address."))
    existing = users.find_by_email(session, identity.email)
    # Only the JSON value true vouches for the address: a missing claim or a string ("true", "false") does not.
    # Otherwise anyone able to choose their email at a provider could take over a pre-provisioned account, or
    # claim someone else's address with a new account before its owner first signs in.
    if identity.email_verified is not True:
        raise SignInRefused(
            N_(
                "The identity provider has not confirmed that this email address is yours, so it cannot be "
                "linked to the existing account. Ask your provider to verify it, or ask the secretariat."
            )
            if existing is not None
            else N_(
                "The identity provider has not confirmed that this email address is yours, so no account can be "
                "made with it. Ask your provider to verify it, or ask the secretariat."
            )
        )
    if existing is not None:
        user = existing
        if user.identities:
            # Linking by email happens once, for a pre-provisioned account; later sign-ins match (issuer, subject).
            raise SignInRefused(N_("This account is already linked to another sign-in. Ask the secretariat."))
        if not account_fits_provider(user, provider):
            raise SignInRefused(
                N_(
                    "An account with this email exists but belongs to another country or role; "
                    "sign in through the provider that account was made for, or ask the secretariat."
                )
            )
        _link(session, user, identity)
        return _usable(user)

    if provider.kind is ProviderKind.government:
        user = users.create_user(
            session,
            SYSTEM,
            email=identity.email,
            display_name=identity.name or identity.email,
            role=Role.delegate,
            country=provider.country,
            organisation=identity.organisation,
        )
        _link(session, user, identity)
        return user
    if provider.kind is ProviderKind.industry:
        if not identity.organisation or provider.country is None:
            return NeedsOnboarding(identity, needs_country=provider.country is None)
        return create_industry_account(session, identity, identity.organisation, provider.country)
    raise SignInRefused(N_("Secretariat accounts are created by an administrator before the first sign-in."))


def create_industry_account(session: Session, identity: VerifiedIdentity, organisation: str, country: str) -> User:
    if identity.provider.kind is not ProviderKind.industry:
        raise InvalidInput(N_("only industry sign-ins complete a profile"))
    if identity.provider.country is not None and country != identity.provider.country:
        raise InvalidInput(N_("this provider serves one country only"), field="country")
    if country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("choose a country from the list"), field="country")
    try:
        organisation = text.one_line(organisation, N_("your organisation"), 160)
    except InvalidInput as exc:
        exc.field = "organisation"
        raise
    assert identity.email is not None
    user = users.create_user(
        session,
        SYSTEM,
        email=identity.email,
        display_name=identity.name or identity.email,
        role=Role.industry,
        country=country,
        organisation=organisation,
        status=UserStatus.pending,
    )
    _link(session, user, identity)
    audit.record(session, user.id, UserEvent.registration, "user", user.id, organisation=organisation)
    return user


def _link(session: Session, user: User, identity: VerifiedIdentity) -> None:
    session.add(
        IdentityLink(
            user_id=user.id, provider_name=identity.provider.name, issuer=identity.issuer, subject=identity.subject
        )
    )
    session.flush()
    audit.record(session, user.id, UserEvent.identity_link, "user", user.id, provider=identity.provider.name)


def _usable(user: User) -> User:
    if user.status is UserStatus.disabled:
        raise SignInRefused(N_("This account is disabled. Contact the secretariat."))
    return user


def record_sign_in(session: Session, user: User, provider_name: str) -> None:
    audit.record(session, user.id, AuthEvent.sign_in, "user", user.id, provider=provider_name)


# Development sign-in (dev only, without identity providers): pick a demo person, no password.
DEV_SIGN_IN_CHOICES = 100


def dev_sign_in_choices(session: Session) -> list[User]:
    """The people the development sign-in offers: everyone who may sign in (not disabled accounts)."""
    query = select(User).where(User.status != UserStatus.disabled).order_by(User.id).limit(DEV_SIGN_IN_CHOICES)
    return list(session.scalars(query))


def dev_sign_in_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.status is UserStatus.disabled:
        raise InvalidInput(N_("pick one of the listed users"), field="dev-user")
    return user
